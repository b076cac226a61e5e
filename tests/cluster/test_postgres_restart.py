"""A PostgreSQL restart in the middle of delivery loses nothing, and the worker rides it out by itself (issue 6).

A real ``meihao worker`` process delivers one reminder to every resident of a community,
by inbox and by webhook, to a real HTTP receiver. Half-way, the test's private PostgreSQL
server is restarted in fast mode, which cuts every connection: either while deliveries
flow (``restart``), or stopped while the receiver holds webhook requests that then
complete while the database is down, and started again a few seconds later (``outage``).
Afterwards every reminder must be recorded as sent, every resident must have received
their webhook, and the inbox must hold each reminder exactly once; a webhook may arrive
twice only with the same delivery id (receivers deduplicate on it), and only for the sends
that were in flight when the database went away (at most the delivery concurrency). The
worker must still be running, without having been restarted, and stop cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from meihao.reminders.policy import DeliveryPolicy, delivery_id
from meihao.reminders.tables import DueReminder, InboxMessage, Reminder
from meihao.runtime import Meihao
from meihao.testing import _TEST_DATA_KEY, boot_for_tests, settings_for_tests
from tests.cluster.pg_instance import PostgresInstance
from tests.receivers import ALLOW_LOCAL, HttpReceiver
from tests.streets import webhook_street

ROOT = Path(__file__).resolve().parents[2]
MEIHAO = ROOT / ".venv" / "bin" / "meihao"
SECRET = "restart-test-secret"
RESIDENTS = 300
#: Webhooks the worker may have in flight at once (the default policy of ``meihao worker``).
CONCURRENCY = DeliveryPolicy().concurrency
#: The receiver takes this long per request, so that delivery is still going on when the server restarts.
RECEIVER_DELAY = 0.02
#: Rows whose send was in flight when the database went away are sent again when their lease
#: runs out; one worker is the only sender, so a short lease cannot let another take a row early.
LEASE_SECONDS = 10
#: Bounded waits, in seconds: generous, the machine is small and shared.
WAIT_FOR_DELIVERY = 180
WAIT_FOR_EXIT = 30


class Gate:
    """Holds webhook requests after the first ``open_for`` until :meth:`release`; delays every request a little."""

    def __init__(self, receiver: HttpReceiver, open_for: int | None) -> None:
        self.open_for = open_for
        self.seen = 0
        self.held = 0
        self._open = threading.Event()
        self._lock = threading.Lock()
        if open_for is None:
            self._open.set()
        base = receiver.server.RequestHandlerClass
        gate = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                with gate._lock:
                    gate.seen += 1
                    holding = gate.open_for is not None and gate.seen > gate.open_for and not gate._open.is_set()
                    if holding:
                        gate.held += 1
                if holding:
                    gate._open.wait(timeout=WAIT_FOR_DELIVERY)
                time.sleep(RECEIVER_DELAY)
                super().do_POST()

        receiver.server.RequestHandlerClass = Handler

    def release(self) -> None:
        self._open.set()


def _environment(url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEIHAO_")}
    env.update(
        {
            "MEIHAO_DATABASE_URL": url,
            "MEIHAO_DATA_KEY": _TEST_DATA_KEY,
            "MEIHAO_MODE": "demo",
            "MEIHAO_WEBHOOK_SECRET": SECRET,
            **ALLOW_LOCAL,
            "MEIHAO_REMINDER_LEASE_SECONDS": str(LEASE_SECONDS),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


async def _boot(url: str) -> Meihao:
    mh = boot_for_tests(settings_for_tests(url))
    await mh.start()
    return mh


async def _prepare(mh: Meihao, receiver: HttpReceiver) -> None:
    """RESIDENTS residents, each reached by inbox and webhook; one reminder due now."""
    await webhook_street(mh, receiver, RESIDENTS, channels=("inbox", "webhook"), per_household=50)


async def _open_work() -> int:
    due = await DueReminder.count().where(DueReminder.status.is_in(["pending", "fanning"]))
    return due + await Reminder.count().where(Reminder.status != "sent")


def _output(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no output)"


@pytest.mark.parametrize("how", ["restart", "outage"])
async def test_worker_rides_out_a_postgres_restart_and_every_reminder_arrives(
    private_postgres: PostgresInstance, tmp_path: Path, how: str
) -> None:
    url = private_postgres.url
    env = _environment(url)
    migrated = subprocess.run([str(MEIHAO), "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    with HttpReceiver(secret=SECRET.encode()) as receiver:
        # "outage": the first webhooks pass, then the receiver holds what the worker sends next.
        gate = Gate(receiver, open_for=40 if how == "outage" else None)
        mh = await _boot(url)
        try:
            await _prepare(mh, receiver)
        finally:
            await mh.close()  # the server is about to cut this pool's connections too

        log = tmp_path / "worker.log"
        with log.open("wb") as output:
            worker = subprocess.Popen([str(MEIHAO), "worker"], env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
        try:
            # -- until the worker is half-way through the webhooks (bounded wait)
            deadline = time.monotonic() + WAIT_FOR_DELIVERY
            while time.monotonic() < deadline and worker.poll() is None:
                if (gate.held >= 1) if how == "outage" else (len(receiver.received) >= 40):
                    break
                await asyncio.sleep(0.02)
            assert worker.poll() is None, "the worker stopped before the restart:\n" + _output(log)
            assert len(set(receiver.delivery_ids())) < RESIDENTS, "delivery was over before the restart"

            if how == "restart":
                private_postgres.restart("fast")
            else:
                await asyncio.sleep(0.5)  # let the worker fill its concurrency with held requests
                private_postgres.stop("fast")
                gate.release()  # held sends are accepted while their rows cannot be recorded
                await asyncio.sleep(3)  # the worker's rounds fail for a while: connection refused
                assert worker.poll() is None, "the worker died while the database was down:\n" + _output(log)
                private_postgres.start()

            # -- until every reminder is recorded as sent (bounded wait)
            mh = await _boot(url)
            try:
                deadline = time.monotonic() + WAIT_FOR_DELIVERY
                left = -1
                while time.monotonic() < deadline and worker.poll() is None:
                    left = await _open_work()
                    if left == 0:
                        break
                    await asyncio.sleep(0.5)
                assert worker.poll() is None, f"the worker died after the restart ({worker.returncode}):\n" + _output(log)
                assert left == 0, f"{left} reminders still open after {WAIT_FOR_DELIVERY} s:\n" + _output(log)

                webhook_rows = await Reminder.select(Reminder.id, Reminder.recipient_id).where(Reminder.channel == "webhook")
                assert len(webhook_rows) == RESIDENTS
                assert await Reminder.count().where(Reminder.status != "sent") == 0
                assert await Reminder.count() == RESIDENTS * 2
                assert await InboxMessage.count() == RESIDENTS  # exactly once: written with the send record
                assert len({m["reminder"] for m in await InboxMessage.select(InboxMessage.reminder)}) == RESIDENTS
            finally:
                await mh.close()

            ids = receiver.delivery_ids()
            assert set(ids) == {delivery_id(row["id"]) for row in webhook_rows}, "a webhook reminder was lost"
            by_resident: defaultdict[int, set[str]] = defaultdict(set)
            for received in receiver.received:
                by_resident[received.body["recipient"]["id"]].add(received.headers["X-Meihao-Delivery"])
            assert all(len(found) == 1 for found in by_resident.values()), "a resident got two different deliveries"
            assert set(by_resident) == {row["recipient_id"] for row in webhook_rows}
            duplicates = sum(n - 1 for n in Counter(ids).values())
            assert duplicates <= CONCURRENCY, f"{duplicates} webhooks sent twice; at most the {CONCURRENCY} in flight may be"
            assert all(r.signature_ok for r in receiver.received)
            print(f"{how}: {RESIDENTS} residents, {duplicates} webhooks re-sent with the same delivery id")

            # -- still the same process: it stops cleanly when asked
            worker.send_signal(signal.SIGTERM)
            try:
                code = worker.wait(timeout=WAIT_FOR_EXIT)
            except subprocess.TimeoutExpired:
                raise AssertionError("the worker did not stop on SIGTERM:\n" + _output(log)) from None
            assert code == 0, f"the worker exited with {code}:\n" + _output(log)
        finally:
            gate.release()
            if worker.poll() is None:
                worker.kill()  # only the worker this test started
                worker.wait(timeout=WAIT_FOR_EXIT)
