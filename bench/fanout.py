"""Reminder fan-out, inbox delivery and due-to-delivered latency on SQLite, against a raw INSERT … SELECT.

A fresh, migrated SQLite file gets one community of N residents (150,000 by default), written
with raw SQL (the register is not what is measured). Then, in the same run:

- **fan-out**: one reminder to every resident on the inbox channel, through
  ``ReminderEngine.fan_out`` (batches of 20,000 resident ids, cursor and batch committed
  together, unique key, opt-out check); baseline: one raw ``INSERT … SELECT`` of the same
  rows into the same table with the same indexes, nothing else. Each run gets its own reminder
  point; meihao and the baseline take turns; the rows are deleted between runs.
- **inbox delivery**: claim, render (through ``meihao_render_reminder``) and write to the
  inbox, rows per second, on a slice of the outbox.
- **due-to-delivered latency**: the real worker (``meihao.worker.Worker``, its pump and
  scheduler) on the system clock; reminders fall due every 100 ms; latency is measured from
  the due time to the moment a bench channel receives the message. No API load here.

    .venv/bin/python bench/fanout.py [--residents 150000] [--repeat 3] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _perfdoc import machine_facts, median, seconds, update_section  # noqa: E402

TARGET_RATIO = 0.5


async def build(mh, residents: int) -> dict:
    """One community, 50 grids, 10 buildings each, one household per 3 residents: raw SQL, fast."""
    engine = mh.db.engine
    conn = await engine.get_connection()
    try:
        await conn.execute("PRAGMA journal_mode=WAL")
        now = "2026-03-01 00:00:00+00:00"
        await conn.execute(
            "INSERT INTO meihao_community (slug, name, brand_name, brand_slogan, timezone, created_at) VALUES (?, ?, '', '', 'Asia/Shanghai', ?)",
            ("bench", "基准社区", now),
        )
        await conn.executemany("INSERT INTO meihao_grid (community, code, name) VALUES (1, ?, ?)", [(f"G{g}", f"第{g}网格") for g in range(50)])
        await conn.executemany(
            "INSERT INTO meihao_building (grid, community, name, address) VALUES (?, 1, ?, '')",
            [(g + 1, f"{g}-{b}号楼") for g in range(50) for b in range(10)],
        )
        households = (residents + 2) // 3
        await conn.executemany(
            "INSERT INTO meihao_household (building, grid, community, unit, room) VALUES (?, ?, 1, '1', ?)",
            [((h % 500) + 1, (h % 500) // 10 + 1, str(h)) for h in range(households)],
        )
        rows = []
        for r in range(residents):
            h = r // 3
            rows.append(
                ((h % 500) + 1, (h % 500) // 10 + 1, h + 1, f"居民{r}", "female", "1960-05-17", "x", f"hash{r}", "0000", "", "zh" if r % 10 else "en", now, now)
            )
        await conn.executemany(
            "INSERT INTO meihao_resident (building, grid, household, community, name, gender, birth_date, id_card_cipher, "
            "id_card_hash, id_card_last4, phone, preferred_language, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        await conn.commit()
    finally:
        await conn.close()
    from meihao.tables import Community

    return await Community.select().first()


async def new_due(mh, activity_id: int, offset: int, due_at: datetime, starts_at: datetime) -> dict:
    from meihao.reminder_tables import DueReminder

    row = DueReminder(activity=activity_id, version=1, occurrence="bench", offset_minutes=offset, starts_at=starts_at, due_at=due_at, status="pending")
    await row.save()
    return (await DueReminder.select().where(DueReminder.id == row.id))[0]


async def raw_insert_select(mh, due: dict, activity_id: int) -> float:
    """The baseline: the same outbox rows by one INSERT … SELECT, in one transaction."""
    conn = await mh.db.engine.get_connection()
    try:
        started = time.perf_counter()
        await conn.execute("BEGIN IMMEDIATE")
        await conn.execute(
            'INSERT INTO "meihao_reminder" ("due", "activity", "recipient_kind", "recipient_id", "channel", "status", "attempts", '
            '"next_attempt_at", "last_error", "created_at") SELECT ?, ?, ?, "r"."id", ?, ?, 0, ?, ?, ? FROM "meihao_resident" AS "r" '
            'WHERE "r"."community" = ?',
            (due["id"], activity_id, "resident", "inbox", "pending", str(due["due_at"]), "", str(due["due_at"]), 1),
        )
        await conn.commit()
        return time.perf_counter() - started
    finally:
        await conn.close()


async def clear_outbox(mh) -> None:
    await mh.db.engine.run_ddl('DELETE FROM "meihao_reminder"')


async def measure(residents: int, repeat: int) -> dict:
    from meihao.activities import ActivityIn, create_activity
    from meihao.clock import FakeClock
    from meihao.plugin_manager import builtin_only
    from meihao.reminder_tables import Reminder
    from meihao.reminders import ReminderEngine
    from meihao.runtime import boot
    from meihao.testing import settings_for_tests

    directory = Path(tempfile.mkdtemp(prefix="meihao-fanout-"))
    mh = boot(settings_for_tests(directory / "bench.db"), entry_point_filter=builtin_only)
    await mh.start()
    await mh.db.migrate()
    build_started = time.perf_counter()
    community = await build(mh, residents)
    build_seconds = time.perf_counter() - build_started
    start = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)
    mh.clock = FakeClock(start)
    activity = await create_activity(
        mh,
        community["slug"],
        ActivityIn(
            scene="markets", title="睦邻善市公益市集", venue="广场", starts_at=start + timedelta(days=3), ends_at=start + timedelta(days=3, hours=2),
            audience={"everyone": True}, reminder_offsets=[60], channels=["inbox"],
        ),
    )
    engine = ReminderEngine(mh)
    meihao_times, raw_times = [], []
    for run in range(repeat):
        due = await new_due(mh, activity["id"], 1000 + run * 2, start, start + timedelta(days=3))
        raw_times.append(await raw_insert_select(mh, due, activity["id"]))
        assert await Reminder.count() == residents
        await clear_outbox(mh)
        due = await new_due(mh, activity["id"], 1001 + run * 2, start, start + timedelta(days=3))
        started = time.perf_counter()
        fanned = await engine.fan_out_one(due, start)
        meihao_times.append(time.perf_counter() - started)
        assert fanned == residents, fanned
        if run < repeat - 1:
            await clear_outbox(mh)

    # inbox delivery: render and write a slice of the outbox just fanned out
    slice_size = min(residents, 20_000)
    await mh.db.engine.run_ddl(f'UPDATE "meihao_reminder" SET "status" = \'cancelled\' WHERE "id" NOT IN (SELECT "id" FROM "meihao_reminder" ORDER BY "id" LIMIT {slice_size})')
    engine.policy.claim_size = 500
    delivered = 0
    started = time.perf_counter()
    while True:
        result = await engine.deliver(start)
        if not result.sent:
            break
        delivered += result.sent
    delivery_seconds = time.perf_counter() - started
    await mh.close()
    return {
        "build_seconds": build_seconds,
        "meihao": meihao_times,
        "raw": raw_times,
        "delivered": delivered,
        "delivery_seconds": delivery_seconds,
        "directory": directory,
    }


class BenchChannel:
    """A throwaway channel plugin that notes when each message arrives (for the latency run)."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}

    def plugin(self):
        from meihao import Channel, hookimpl

        outer = self

        class Plugin:
            @hookimpl
            def meihao_channels(self):
                async def send(message):
                    outer.arrived[message.activity["id"]] = time.time()

                return [Channel("bench", "基准", "Bench", send, needs_address=False)]

        return Plugin()


async def measure_latency(count: int = 40) -> list[float]:
    from meihao.activities import ActivityIn, create_activity
    from meihao.plugin_manager import builtin_only
    from meihao.runtime import boot
    from meihao.testing import Factories, settings_for_tests
    from meihao.worker import Worker

    directory = Path(tempfile.mkdtemp(prefix="meihao-latency-"))
    channel = BenchChannel()
    mh = boot(settings_for_tests(directory / "latency.db"), extra_plugins=[("bench", channel.plugin())], entry_point_filter=builtin_only)
    await mh.start()
    await mh.db.migrate()
    factories = Factories(mh)
    place = await factories.place("bench")
    resident = await factories.resident(place["household_id"])
    from meihao.reminders import set_quiet_hours

    await set_quiet_hours((await __import__("meihao.communities", fromlist=["get_community"]).get_community("bench"))["id"], "00:00", "00:00")
    worker = Worker(mh)
    await worker.start()
    base = datetime.now(timezone.utc) + timedelta(seconds=3)
    due_times: dict[int, float] = {}
    try:
        for i in range(count):
            due = (base + timedelta(milliseconds=100 * i)).replace(microsecond=0) + timedelta(seconds=i // 10)
            starts = due + timedelta(minutes=10)
            activity = await create_activity(
                mh, "bench", ActivityIn(scene="markets", title=f"快闪{i}", starts_at=starts, ends_at=starts + timedelta(hours=1),
                                         audience={"residents": [resident["id"]]}, reminder_offsets=[10], channels=["bench"]),
            )
            due_times[activity["id"]] = due.timestamp()
        deadline = time.time() + 60
        while len(channel.arrived) < count and time.time() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
        await mh.close()
    return sorted(channel.arrived[a] - due_times[a] for a in channel.arrived)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return sorted(values)[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("MEIHAO_WEBHOOK_SECRET", "bench")
    facts = machine_facts()
    result = asyncio.run(measure(args.residents, args.repeat))
    latencies = asyncio.run(measure_latency())
    n = args.residents
    meihao_s, raw_s = median(result["meihao"]), median(result["raw"])
    ratio = raw_s / meihao_s  # meihao's rate as a fraction of the baseline's
    delivery_rate = result["delivered"] / result["delivery_seconds"]
    from meihao.reminders import DeliveryPolicy

    batch = DeliveryPolicy().batch_size
    body = f"""
One reminder to every resident of a {n:,}-resident community on SQLite, inbox channel.
meihao: `ReminderEngine.fan_out_one` (batches of {batch:,} resident ids; each batch and the
cursor committed together; unique key; opt-out check). Baseline: one raw `INSERT … SELECT`
of the same rows into the same outbox table (same indexes), one transaction, nothing else.
Median of {args.repeat} run(s) each, taking turns. Measured by `bench/fanout.py`.

Machine: {facts}.

| what | median | fastest | slowest | rows/s | rate vs baseline |
|---|---|---|---|---|---|
| raw `INSERT … SELECT` (baseline) | {seconds(raw_s)} | {seconds(min(result['raw']))} | {seconds(max(result['raw']))} | {n / raw_s:,.0f} | 1.00 |
| meihao fan-out | {seconds(meihao_s)} | {seconds(min(result['meihao']))} | {seconds(max(result['meihao']))} | {n / meihao_s:,.0f} | {ratio:.2f} |

Design target: at least {TARGET_RATIO:.2f} of the baseline's rate. Here: {ratio:.2f} — {"met" if ratio >= TARGET_RATIO else "NOT met"}.

Inbox delivery (claim, render through `meihao_render_reminder`, write the inbox and mark sent
in one transaction per claim of 500, one `executemany` into the inbox): {result['delivered']:,} reminders in
{seconds(result['delivery_seconds'])}, {delivery_rate:,.0f} per second. No baseline; for scale,
the raw `INSERT … SELECT` above writes {n / raw_s:,.0f} outbox rows per second.

Due-to-delivered latency with the real worker (pump polling every 0.5 s when idle, system
clock), {len(latencies)} reminders falling due over a few seconds, no API load: p50
{percentile(latencies, 50):.3f} s, p99 {percentile(latencies, 99):.3f} s, max {max(latencies, default=float('nan')):.3f} s
(design target: p99 within 2 s, *under API load* — not measured under load here).
"""
    print(body)
    if not args.no_write:
        update_section("fanout", "Reminder fan-out and delivery", body)


if __name__ == "__main__":
    main()
