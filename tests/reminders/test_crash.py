"""Crash tests: a worker process is killed with SIGKILL during fan-out and delivery, then restarted.

Every reminder must arrive at the receiver, none may be lost, and nothing may arrive twice
except the one reminder a process can have been sending when it died (accepted by the
receiver, not yet recorded): that one arrives again with the same delivery id, which is
what receivers deduplicate on. The inbox, written in the transaction that records the
send, is exactly once in every case.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from meihao.reminders.tables import InboxMessage, Reminder
from tests.receivers import ALLOW_LOCAL, HttpReceiver
from tests.streets import webhook_street

pytestmark = pytest.mark.meihao_db("sqlite")

ROOT = Path(__file__).resolve().parents[2]
SECRET = "crash-test-secret"
RESIDENTS = 25


async def _prepare(mh, receiver: HttpReceiver) -> int:
    """RESIDENTS residents, each reached by inbox and webhook; two reminder points due now (a day and
    twelve hours before): two reminders per person and channel."""
    await webhook_street(mh, receiver, RESIDENTS, channels=("inbox", "webhook"), offsets=(1440, 720), per_household=1)
    return RESIDENTS * 2


def _environment(mh, crash_at: str | None) -> dict[str, str]:
    from meihao.testing import _TEST_DATA_KEY

    env = {
        **os.environ,
        "MEIHAO_DATABASE_URL": mh.settings.database_url,
        "MEIHAO_DATA_KEY": _TEST_DATA_KEY,
        "MEIHAO_WEBHOOK_SECRET": SECRET,
        **ALLOW_LOCAL,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("MEIHAO_TEST_CRASH_AT", None)
    if crash_at:
        env["MEIHAO_TEST_CRASH_AT"] = crash_at
    return env


async def _run_worker(mh, crash_at: str | None = None) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "tests" / "reminders" / "crash_worker.py"),
        env=_environment(mh, crash_at),
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    except asyncio.TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        raise AssertionError("the worker did not finish:\n" + output.decode(errors="replace")[-3000:]) from None
    if process.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"the worker failed ({process.returncode}):\n" + output.decode(errors="replace")[-3000:])
    return process.returncode


async def _check(receiver: HttpReceiver, expected: int, allowed_duplicates: int) -> None:
    assert await Reminder.count().where(Reminder.status != "sent") == 0
    assert await Reminder.count() == expected * 2
    assert await InboxMessage.count() == expected  # exactly once: same transaction as the send record
    ids = receiver.delivery_ids()
    assert len(set(ids)) == expected, "a webhook reminder was lost"
    duplicates = sum(n - 1 for n in Counter(ids).values())
    assert duplicates <= allowed_duplicates
    assert all(r.signature_ok for r in receiver.received)


@pytest.mark.parametrize(
    ("crash_at", "allowed_duplicates"),
    [
        ("fanout-batch#2", 0),  # after the second fan-out batch committed
        ("fanout-batch#7", 0),  # in the second reminder point's fan-out
        ("delivery-claimed#3", 0),  # rows claimed (leased), nothing sent yet
        ("delivery-sent#5", 1),  # the receiver accepted one, its record was not written
    ],
)
async def test_killed_worker_resumes_and_every_reminder_arrives_once(make_meihao, crash_at, allowed_duplicates):
    mh = await make_meihao()
    with HttpReceiver(secret=SECRET.encode()) as receiver:
        expected = await _prepare(mh, receiver)
        assert await _run_worker(mh, crash_at) == -signal.SIGKILL
        assert await Reminder.count().where(Reminder.status == "sent") < expected * 2  # it really died half-way
        assert await _run_worker(mh) == 0
        await _check(receiver, expected, allowed_duplicates)


async def _kill_mid_delivery(mh, receiver: HttpReceiver, expected: int) -> int | None:
    """Start a worker and SIGKILL it once the receiver has seen some deliveries; how many distinct ones
    it had seen when the worker died, or None when the worker finished first (the kill missed)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "tests" / "reminders" / "crash_worker.py"), env=_environment(mh, None), cwd=str(ROOT)
    )
    for _ in range(2400):  # until the receiver has seen some, but not all (bounded wait)
        if len(receiver.received) >= 10 or process.returncode is not None:
            break
        await asyncio.sleep(0.025)
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.wait()
    if process.returncode != -signal.SIGKILL:
        return None
    return len(set(receiver.delivery_ids()))


async def test_worker_killed_from_outside_mid_delivery(make_meihao):
    for _attempt in range(5):  # the timing is the machine's: try again, a bounded number of times, until the kill lands mid-way
        mh = await make_meihao()
        with HttpReceiver(secret=SECRET.encode()) as receiver:
            expected = await _prepare(mh, receiver)
            seen = await _kill_mid_delivery(mh, receiver, expected)
            if seen is None or not 0 < seen < expected:
                continue
            # killed while deliveries were in flight: the receiver saw some, not all
            assert await Reminder.count().where(Reminder.status == "sent") < expected * 2
            assert await _run_worker(mh) == 0
            await _check(receiver, expected, allowed_duplicates=1)
            return
    pytest.fail("in 5 attempts the worker was never killed while deliveries were in flight")
