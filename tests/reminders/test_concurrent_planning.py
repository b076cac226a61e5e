"""Two planners at once plan every reminder point once and neither fails.

Both planners (two tasks, each with its own connection and transaction, as the pump of one
node and a request that changed the activity) read the activity before either writes: they
compute the same points and both insert them. The unique key (activity, version, occurrence,
offset) must turn the second insert into nothing, not into an IntegrityError that stops the
round. (Two meihao instances in one process would share Piccolo's table engines, so the second
node is a second task here; tests/cluster runs real separate nodes.)
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from meihao.reminders.activities import create_activity
from meihao.reminders.planning import plan
from meihao.reminders.tables import Activity, DueReminder
from tests.reminders.conftest import START, build_street
from tests.reminders.test_reminders import market


def _meet_before_writing(db, planners: int) -> None:
    """Hold the first write transaction of each of ``planners`` until all of them have read and reached theirs."""
    original = db.transaction
    barrier = asyncio.Barrier(planners)
    waiting = [planners]

    @contextlib.asynccontextmanager
    async def transaction():
        if waiting[0] > 0:
            waiting[0] -= 1
            await barrier.wait()
        async with original():
            yield

    db.transaction = transaction


async def test_two_planners_at_once_plan_each_point_once(meihao):
    await build_street(meihao)
    # every morning at 9:00 from Tuesday 3 March, five times, reminded a day and two hours before
    created = await create_activity(meihao, "hepan", market(
        starts_at=datetime(2026, 3, 3, 9, 0), ends_at=datetime(2026, 3, 3, 10, 0), rrule="FREQ=DAILY;COUNT=5", reminder_offsets=[1440, 120]))
    assert await DueReminder.count() == 10
    # forget the plan: both nodes find the activity unplanned
    await DueReminder.delete(force=True)
    await Activity.update({Activity.planned_until: START}).where(Activity.id == created["id"])

    _meet_before_writing(meihao.db, 2)
    first, second = await asyncio.wait_for(
        asyncio.gather(plan(meihao, START, activity_id=created["id"]), plan(meihao, START, activity_id=created["id"])), timeout=60)
    assert sorted((first, second)) == [0, 10]  # one node inserted the ten points, the other none, and neither failed
    rows = await DueReminder.select(DueReminder.occurrence, DueReminder.offset_minutes).order_by(DueReminder.occurrence).order_by(
        DueReminder.offset_minutes)
    assert [(r["occurrence"], r["offset_minutes"]) for r in rows] == [
        (f"2026-03-0{day}T01:00:00Z", offset) for day in (3, 4, 5, 6, 7) for offset in (120, 1440)]
