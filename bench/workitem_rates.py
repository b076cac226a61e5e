"""The 三率 report (``work_item_rates``) over a street's 100,000 work items, against a raw SQL aggregate of the same counts.

A fresh migrated database gets five communities of four grids each and N work items of the
service desk's request workflow, opened across 2026 (written with one raw ``executemany`` on
SQLite or ``COPY`` on PostgreSQL, as data, not through the workflow): 75% closed, each with a
resolution clock (one in six late, one in ten of the open ones overdue), and a latest call-back
on 80% of the closed ones (satisfied, basically satisfied, unsatisfied, unreachable). meihao's
report is asked as the street (one row; by community; by month; by grid) and as a grid worker
(their grid, by month). The baseline is one hand-written aggregate of the same counts over the
same tables, run on the driver's own connection (``sqlite3`` / ``asyncpg``), without the scope
subquery meihao builds; each meihao row's counts are checked equal to the baseline's before
anything is timed. Writes the ``workitem_rates`` section of docs/performance.md.

    .venv/bin/python bench/workitem_rates.py [--items 100000] [--repeat 5] [--database sqlite postgresql] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from _perfdoc import machine_facts, median, postgres_database, update_section
from cryptography.fernet import Fernet

from meihao import Principal, work_item_rates
from meihao.config import load_settings
from meihao.register.communities import create_community, create_grid
from meihao.register.schemas import CommunityIn, GridIn
from meihao.runtime import boot

DATA_KEY = Fernet.generate_key().decode()
SHANGHAI = ZoneInfo("Asia/Shanghai")
SINCE = datetime(2026, 1, 1, tzinfo=SHANGHAI)
UNTIL = datetime(2027, 1, 1, tzinfo=SHANGHAI)
NOW = datetime(2026, 12, 31, 12, 0, tzinfo=SHANGHAI)
COMMUNITIES = [("hepan", "荷畔社区"), ("yinshan", "银山社区"), ("chengguan", "城关社区"), ("wenshao", "闻韶社区"), ("jibei", "济北社区")]
RESULTS = ["satisfied"] * 6 + ["basically_satisfied"] * 2 + ["unsatisfied", "unreachable"]
COUNTS = ("items", "closed", "closed_on_time", "overdue_open", "callbacks", "valid", "contacted", "resolved", "satisfied",
          "basically_satisfied", "unsatisfied", "unreachable")

BASELINE = """
SELECT {key} AS key, COUNT(*) AS items,
  SUM(CASE WHEN w.final THEN 1 ELSE 0 END),
  SUM(CASE WHEN w.final AND NOT (k.stopped_at IS NOT NULL AND k.stopped_at > k.due_at) THEN 1 ELSE 0 END),
  SUM(CASE WHEN NOT w.final AND k.stopped_at IS NULL AND k.due_at <= {now} THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.id IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.result <> 'unreachable' THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.result <> 'unreachable' AND c.contacted THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.result <> 'unreachable' AND c.resolved THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.result = 'satisfied' THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.result = 'basically_satisfied' THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.result = 'unsatisfied' THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.result = 'unreachable' THEN 1 ELSE 0 END)
FROM meihao_work_item w
JOIN meihao_work_item_clock k ON k.item = w.id AND k.name = 'resolution'
LEFT JOIN meihao_work_item_callback c ON c.item = w.id AND c.latest
WHERE w.opened_at >= {since} AND w.opened_at < {until} {where}
GROUP BY 1 ORDER BY 1
"""


def generate(items: int, communities: list[int], grids: dict[int, list[int]], seed: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Rows for the items, their resolution clocks and their call-backs (ids given, so the three agree)."""
    rng = random.Random(seed)
    span = (NOW - SINCE).total_seconds()
    item_rows, clock_rows, callback_rows = [], [], []
    for n in range(1, items + 1):
        community = communities[n % len(communities)]
        grid = grids[community][n // len(communities) % 4]
        opened = SINCE + timedelta(seconds=rng.random() * span * 0.97)
        due = opened + timedelta(days=10)
        closed = rng.random() < 0.75
        stopped = (opened + timedelta(days=12 if rng.random() < 1 / 6 else 5)) if closed else None
        if not closed and rng.random() < 0.9:
            due = NOW + timedelta(days=3)  # most open items are not yet due
        closed_at = stopped
        item_rows.append((n, "service", "requests", community, "complaint", grid, f"诉求 {n}", "closed" if closed else "handling", False,
                          closed, opened, closed_at))
        clock_rows.append((n, n, "resolution", 10, opened, stopped, due))
        if closed and rng.random() < 0.8:
            result = rng.choice(RESULTS)
            contacted = result != "unreachable"
            resolved = result in ("satisfied", "basically_satisfied") or rng.random() < 0.3
            callback_rows.append((n, n, (stopped or opened) + timedelta(days=1), "bench", result, contacted, resolved, True))
    return item_rows, clock_rows, callback_rows


ITEM_COLUMNS = ("id", "scenario", "workflow", "community", "kind", "grid", "title", "state", "paused", "final", "opened_at", "closed_at")
CLOCK_COLUMNS = ("id", "item", "name", "working_days", "started_at", "stopped_at", "due_at")
CALLBACK_COLUMNS = ("id", "item", "at", "actor", "result", "contacted", "resolved", "latest")


async def _fill(url: str, rows: tuple[list[tuple], list[tuple], list[tuple]]) -> None:
    tables = [("meihao_work_item", ITEM_COLUMNS), ("meihao_work_item_clock", CLOCK_COLUMNS), ("meihao_work_item_callback", CALLBACK_COLUMNS)]
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            for (table, columns), data in zip(tables, rows, strict=True):
                values = [tuple(str(v.astimezone(timezone.utc)) if isinstance(v, datetime) else v for v in row) for row in data]  # as Piccolo writes
                db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values)
        return
    import asyncpg

    db = await asyncpg.connect(url)
    try:
        for (table, columns), data in zip(tables, rows, strict=True):
            await db.copy_records_to_table(table, records=data, columns=list(columns))
        for table, _ in tables:
            await db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await db.execute("ANALYZE")
    finally:
        await db.close()


def _baseline_sql(by: str | None, grid: int | None, sqlite: bool) -> tuple[str, list]:
    marks = iter(range(1, 100))
    mark = (lambda: "?") if sqlite else (lambda: f"${next(marks)}")
    args: list = []

    def param(value):
        args.append(str(value.astimezone(timezone.utc)) if sqlite and isinstance(value, datetime) else value)
        return mark()

    if by == "month":
        key = "strftime('%Y-%m', w.opened_at, '+8 hours')" if sqlite else "to_char(w.opened_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    else:
        key = {None: "''", "community": "w.community", "grid": "w.grid"}[by]
    # placeholders in the order they appear in the text
    now = param(NOW)
    since, until = param(SINCE), param(UNTIL)
    where = f"AND w.grid = {param(grid)}" if grid is not None else ""
    return BASELINE.format(key=key, now=now, since=since, until=until, where=where), args


async def _baseline(url: str, by: str | None, grid: int | None) -> tuple[float, list[tuple]]:
    if url.startswith("sqlite"):
        sql, args = _baseline_sql(by, grid, True)
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            started = time.perf_counter()
            rows = db.execute(sql, args).fetchall()
            return time.perf_counter() - started, rows
    import asyncpg

    sql, args = _baseline_sql(by, grid, False)
    db = await asyncpg.connect(url)
    try:
        await db.fetch(sql, *args)  # warm, as meihao's pool is
        started = time.perf_counter()
        rows = await db.fetch(sql, *args)
        return time.perf_counter() - started, [tuple(r) for r in rows]
    finally:
        await db.close()


async def run(url: str, items: int, repeat: int, seed: int) -> list[tuple[str, int, float, float]]:
    mh = boot(load_settings(environ={}, database_url=url, mode="demo", data_key=DATA_KEY))
    await mh.start()
    try:
        await mh.db.migrate()
        ids, grids = [], {}
        for slug, name in COMMUNITIES:
            community = await create_community(mh, CommunityIn(slug=slug, name=name))
            ids.append(community["id"])
            grids[community["id"]] = [(await create_grid(mh, slug, GridIn(code=f"g{g}", name=f"第{g}网格")))["id"] for g in range(1, 5)]
        await _fill(url, generate(items, ids, grids, seed))
        mh.clock.now = lambda: NOW  # the report's "overdue open" is counted at this moment, as the baseline's
        street = Principal(staff_id=None, name="street", street=True, permissions={"*"})
        grid_id = grids[ids[0]][0]
        worker = Principal(staff_id=999_999, name="worker", grid_ids={grid_id}, grid_community_ids={ids[0]})
        cases = [("street, one row", street, None, None), ("street, by community", street, "community", None),
                 ("street, by month", street, "month", None), ("street, by grid", street, "grid", None),
                 ("grid worker, by month", worker, "month", grid_id)]
        out = []
        for label, principal, by, grid in cases:
            rows = await work_item_rates(mh, principal, since=SINCE, until=UNTIL, by=by)
            _, expected = await _baseline(url, by, grid)
            got = [(str(r["key"]), *(r[c] for c in COUNTS)) for r in rows]
            want = [(str(r[0]), *(int(v or 0) for v in r[1:])) for r in expected]
            assert got == want, f"{label}: meihao {got[:2]} != baseline {want[:2]}"
            ours, theirs = [], []
            for _ in range(repeat):
                started = time.perf_counter()
                await work_item_rates(mh, principal, since=SINCE, until=UNTIL, by=by)
                ours.append(time.perf_counter() - started)
                theirs.append((await _baseline(url, by, grid))[0])
            out.append((label, len(rows), median(ours), median(theirs)))
            print(f"{url.split(':')[0]} {label}: {len(rows)} row(s), meihao {median(ours) * 1000:.0f} ms, raw {median(theirs) * 1000:.0f} ms")
        return out
    finally:
        await mh.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1217)
    parser.add_argument("--database", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    facts = machine_facts()
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for database in args.database:
            if database == "sqlite":
                results = asyncio.run(run(f"sqlite:///{Path(tmp) / 'rates.db'}", args.items, args.repeat, args.seed))
            else:
                url = asyncio.run(postgres_database("bench_workitem_rates"))
                try:
                    results = asyncio.run(run(url, args.items, args.repeat, args.seed))
                finally:
                    asyncio.run(postgres_database("bench_workitem_rates", drop=True))
            for label, rows, ours, theirs in results:
                table.append(f"| {database} | {label} | {rows} | {ours * 1000:.0f} ms | {theirs * 1000:.0f} ms | {ours / theirs:.2f}× |")
    body = f"""
`work_item_rates` (the 三率: response, resolution and satisfaction rates, on-time closure, the composite score) over a
street of five communities with {args.items:,} work items opened across 2026 (75% closed, a resolution clock each, a
latest call-back on 80% of the closed), written as data into a fresh migrated database. meihao's report is one
aggregate query in the caller's scope (the street; a grid worker sees one grid). Baseline: a hand-written aggregate
of the same counts over the same tables on the driver's own connection, without meihao's scope subquery; every
meihao row's counts were checked equal to the baseline's before timing. Median of {args.repeat} call(s), the two
taking turns. Measured by `bench/workitem_rates.py`.

Machine: {facts}.

| database | report | rows | meihao | raw aggregate | meihao / raw |
|---|---|---|---|---|---|
{chr(10).join(table)}
"""
    print(body)
    if not args.no_write:
        update_section("workitem_rates", "The 三率 over 100,000 work items", body)


if __name__ == "__main__":
    main()
