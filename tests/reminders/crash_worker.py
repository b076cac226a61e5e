"""A reminder worker in its own process, for the crash tests: runs rounds until nothing is left to do.

Started by tests/reminders/test_crash.py with the database in MEIHAO_DATABASE_URL; with
MEIHAO_TEST_CRASH_AT=<point>#<n> it kills itself with SIGKILL the n-th time it passes that
point (see meihao.reminders._crash_point).
"""

from __future__ import annotations

import asyncio
import faulthandler
import sys
from datetime import timedelta

from meihao.hooks.manager import builtin_only
from meihao.reminders.engine import DeliveryPolicy, ReminderEngine
from meihao.reminders.tables import DueReminder, Reminder
from meihao.runtime import boot


async def main() -> int:
    # A hang shows where it hangs (the test gives up after 120 s).
    faulthandler.dump_traceback_later(20, exit=True)
    mh = boot(entry_point_filter=builtin_only)
    await mh.start()
    # Small batches and one send at a time, so that every crash point is passed many times.
    engine = ReminderEngine(mh, DeliveryPolicy(batch_size=7, claim_size=8, concurrency=1, lease=timedelta(seconds=1)))
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
