"""Three node processes against one PostgreSQL: jobs run once per fire, reminders arrive once despite a SIGKILL.

The nodes are real ``meihao serve`` processes started by deploy/local-cluster.sh; the test
process talks to the same database to set up the world and read the outcome.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter, defaultdict
from datetime import datetime

import pytest

from meihao.reminders.policy import DeliveryPolicy
from meihao.reminders.tables import DueReminder, Reminder
from meihao.scheduling.tables import Node as NodeRow
from meihao.testing import _TEST_DATA_KEY, Factories, boot_for_tests, settings_for_tests
from tests.cluster import ticker
from tests.cluster.local import MEIHAO, ROOT, LocalCluster
from tests.receivers import ALLOW_LOCAL, HttpReceiver
from tests.streets import webhook_street

pytestmark = pytest.mark.meihao_db("postgresql")

SECRET = "cluster-secret"
#: Each of the three nodes runs the scheduler and the reminder pump: they all compete for every fire and every reminder.
ROLES = ("both", "both", "scheduler")
FIRES = 20


async def _database(meihao_db_backend, plugins: str = "") -> tuple[str, object]:
    """A new database migrated by `meihao migrate` (as an operator would), and a meihao of the test's own on it."""
    url = await asyncio.to_thread(meihao_db_backend.new_database)
    env = {"MEIHAO_DATABASE_URL": url, "MEIHAO_DATA_KEY": _TEST_DATA_KEY, "MEIHAO_MODE": "production"}
    if plugins:
        env["MEIHAO_PLUGINS"] = plugins
    process = await asyncio.create_subprocess_exec(
        MEIHAO, "migrate", env={**{k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}, **env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    assert b"created the scheduler's tables in schema meihao_scheduler" in output
    mh = boot_for_tests(settings_for_tests(url), [("ticker", ticker)] if plugins else None)
    await mh.start()
    return url, mh


def _runs(path) -> dict[tuple[str, str], list[tuple[datetime, str]]]:
    """(job, community) → [(scheduled fire time, node)] from the ticker's file."""
    runs: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    if not path.exists():
        return runs
    for line in path.read_text().splitlines():
        job, community, node, _pid, stamp = line.split()
        runs[(job, community)].append((datetime.fromisoformat(stamp), node))
    return runs


async def test_every_fire_of_every_job_runs_exactly_once_across_three_nodes(meihao_db_backend, tmp_path):
    url, mh = await _database(meihao_db_backend, plugins="ticker=tests.cluster.ticker")
    ticks = tmp_path / "ticks.log"
    try:
        factories = Factories(mh)
        await factories.community("hepan")
        await factories.community("huayang")
        cluster = LocalCluster(url, tmp_path / "cluster", ROLES, {
            "MEIHAO_PLUGINS": "ticker=tests.cluster.ticker", "MEIHAO_TEST_TICK_FILE": str(ticks),
        })
        cluster.start(_TEST_DATA_KEY)
        try:
            schedules = [("tick", "-"), ("round", "hepan"), ("round", "huayang")]
            for _ in range(600):  # bounded: 120 s for FIRES fires two seconds apart (≈ 45 s when idle)
                runs = _runs(ticks)
                if all(len({t for t, _ in runs[s]}) >= FIRES + 2 for s in schedules):
                    break
                assert all(cluster.alive(n) for n in cluster.nodes), cluster.logs()
                await asyncio.sleep(0.2)
        finally:
            stopped = cluster.stop()
        assert stopped.returncode == 0 and "stopped 3 node(s)" in stopped.stdout, stopped.stdout + stopped.stderr
        logs = cluster.logs()
    finally:
        await mh.close()

    runs = _runs(ticks)
    interval = ticker.INTERVAL
    for schedule in schedules:
        fires = [t for t, _ in runs[schedule]]
        counted = Counter(fires)
        assert len(counted) >= FIRES, (schedule, len(counted), logs)
        twice = {t.isoformat(): n for t, n in counted.items() if n > 1}
        assert not twice, f"{schedule}: fire times run more than once: {twice}"
        # no fire was skipped either: consecutive fire times are one interval apart
        ordered = sorted(counted)
        gaps = [(a, b) for a, b in zip(ordered, ordered[1:]) if b - a != interval]
        assert not gaps, f"{schedule}: fires missing between {gaps[:3]}"
    # the work was shared, not done by one node while the others idled
    nodes = {node for s in schedules for _, node in runs[s]}
    assert len(nodes) >= 2, nodes
    assert "Traceback" not in logs, logs


async def test_a_fan_out_arrives_once_when_a_node_is_killed_mid_delivery(meihao_db_backend, tmp_path):
    residents = 480
    concurrency = DeliveryPolicy().concurrency
    url, mh = await _database(meihao_db_backend)
    # A slow receiver keeps deliveries in flight on every node; the lease is short so that
    # the killed node's claimed reminders are taken over within seconds.
    with HttpReceiver(secret=SECRET.encode(), delay=0.15) as receiver:
        try:
            await webhook_street(mh, receiver, residents)
            expected = residents
            cluster = LocalCluster(url, tmp_path / "cluster", ROLES, {
                "MEIHAO_WEBHOOK_SECRET": SECRET, "MEIHAO_REMINDER_LEASE_SECONDS": "5", **ALLOW_LOCAL,
            })
            cluster.start(_TEST_DATA_KEY)
            victim = cluster.nodes[0]
            try:
                for _ in range(1200):  # until some, not all, have arrived (bounded: 120 s)
                    if len(receiver.received) >= expected // 5:
                        break
                    await asyncio.sleep(0.1)
                in_flight_before = len(set(receiver.delivery_ids()))
                assert in_flight_before < expected, "delivery finished before the kill: make the receiver slower"
                cluster.kill(victim, signal.SIGKILL)
                sending = await Reminder.count().where(Reminder.status == "sending")
                for _ in range(1800):  # the survivors finish, taking over the dead node's leases (bounded: 180 s)
                    if await Reminder.count().where(Reminder.status != "sent") == 0:
                        break
                    await asyncio.sleep(0.1)
                survivors = [n for n in cluster.nodes if n is not victim]
                assert all(cluster.alive(n) for n in survivors), cluster.logs()
                assert not cluster.alive(victim)
                victim_row = await NodeRow.select().where(NodeRow.node_id == victim.node_id).first()
            finally:
                stopped = cluster.stop()
            assert stopped.returncode == 0 and "stopped 2 node(s)" in stopped.stdout, stopped.stdout + stopped.stderr
            logs = cluster.logs()
            unsent = await Reminder.select(Reminder.id, Reminder.status, Reminder.last_error).where(Reminder.status != "sent")
            total = await Reminder.count()
            due = await DueReminder.select(DueReminder.status, DueReminder.recipients)
        finally:
            await mh.close()

    assert not unsent, (unsent[:5], logs)
    assert total == expected and due == [{"status": "done", "recipients": expected}]
    ids = receiver.delivery_ids()
    assert len(set(ids)) == expected, f"{expected - len(set(ids))} residents never got their reminder"
    repeated = {i: n for i, n in Counter(ids).items() if n > 1}
    # Exactly once per delivery id. A reminder the killed node had sent but not yet recorded
    # is sent again by a survivor under the same X-Meihao-Delivery id, which receivers
    # deduplicate on; there can be no more of those than the node had in flight.
    assert len(repeated) <= concurrency and all(n == 2 for n in repeated.values()), repeated
    assert all(r.signature_ok for r in receiver.received)
    # the killed node never said it stopped: doctor and the timeout will name it
    assert victim_row is not None and victim_row["stopped_at"] is None
    print(f"killed {victim.node_id} after {in_flight_before} deliveries; {sending} rows were being sent; "
          f"{sum(n - 1 for n in repeated.values())} re-sent with the same delivery id")
