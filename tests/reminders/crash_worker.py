"""A reminder worker in its own process, for the crash tests: runs rounds until nothing is left to do.

Started by tests/reminders/test_crash.py with the database in MEIHAO_DATABASE_URL; with
MEIHAO_TEST_CRASH_AT=<point>#<n> it kills itself with SIGKILL the n-th time it passes that
point. The points are put into the engine from here, by wrapping its seams (production code
knows nothing of them):

- ``fanout-batch``: after a batch of residents and its cursor committed
  (``meihao.reminders.fanout._fan_out_batch`` returned);
- ``delivery-claimed``: after rows were claimed (leased), before any is sent
  (``meihao.reminders.claims.claim`` returned some);
- ``delivery-sent``: after an external channel's receiver accepted a message, before the
  send is recorded (the channel's ``send`` returned).
"""

from __future__ import annotations

import asyncio
import dataclasses
import faulthandler
import functools
import os
import signal
import sys
from datetime import timedelta

from meihao.reminders import claims, fanout
from meihao.reminders.engine import ReminderEngine
from meihao.reminders.policy import DeliveryPolicy
from meihao.reminders.tables import DueReminder, Reminder
from meihao.runtime import boot
from meihao.testing import builtin_only

CRASH_AT = os.environ.get("MEIHAO_TEST_CRASH_AT", "")
_passed: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL the n-th time it passes the point MEIHAO_TEST_CRASH_AT names."""
    point, _, nth = CRASH_AT.partition("#")
    if point != name:
        return
    _passed[name] = _passed.get(name, 0) + 1
    if _passed[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def crash_after(name, step, when=lambda returned: True):
    """``step`` (async), then the crash point ``name`` if ``when`` holds for what it returned."""

    @functools.wraps(step)
    async def wrapper(*args, **kwargs):
        returned = await step(*args, **kwargs)
        if when(returned):
            crash_point(name)
        return returned

    return wrapper


def install_crash_points(engine: ReminderEngine) -> None:
    fanout._fan_out_batch = crash_after("fanout-batch", fanout._fan_out_batch)
    claims.claim = crash_after("delivery-claimed", claims.claim, when=bool)  # a claim of nothing is no claim
    channels = engine.channels

    def crashing_channels():
        # The inbox sends inside the transaction that records it: only the other channels have a gap.
        return {
            name: channel
            if channel.options.get("transactional")
            else dataclasses.replace(channel, send=crash_after("delivery-sent", channel.send))
            for name, channel in channels().items()
        }

    engine.channels = crashing_channels


async def main() -> int:
    # A hang shows where it hangs (the test gives up after 120 s).
    faulthandler.dump_traceback_later(20, exit=True)
    mh = boot(entry_point_filter=builtin_only)
    await mh.start()
    # Small batches and one send at a time, so that every crash point is passed many times.
    engine = ReminderEngine(mh, DeliveryPolicy(batch_size=7, claim_size=8, concurrency=1, lease=timedelta(seconds=1)))
    if CRASH_AT:
        install_crash_points(engine)
    await engine.release_orphans()  # what Worker.start does in embedded mode
    for _ in range(10_000):
        await engine.tick()
        open_due = await DueReminder.count().where(DueReminder.status.is_in(["pending", "fanning"]))
        open_rows = await Reminder.count().where(Reminder.status.is_in(["pending", "sending"]))
        if not open_due and not open_rows:
            await mh.close()
            return 0
        await asyncio.sleep(0.01)
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
