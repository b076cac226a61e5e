"""Planning's cursor and horizon at their edges (what mutation testing of ``meihao.reminders.planning`` found unguarded).

The street of ``tests/reminders/conftest.py`` starts on Monday 2 March 2026, 00:00 UTC (08:00
in Shanghai); the policy's lookahead is 7 days. A weekly market on Saturdays at 09:00 in
Shanghai with a reminder a day before: the planner looks 1 day + 7 days ahead.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from meihao.reminders.activities import cancel_activity, create_activity
from meihao.reminders.planning import plan
from meihao.reminders.tables import Activity, DueReminder
from tests.reminders.conftest import START
from tests.reminders.test_reminders import market

UTC = timezone.utc


async def _planned_until(activity_id: int) -> datetime:
    value = (await Activity.select(Activity.planned_until).where(Activity.id == activity_id).first())["planned_until"]
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _points(activity_id: int) -> list[tuple]:
    rows = await DueReminder.select(
        DueReminder.version, DueReminder.occurrence, DueReminder.offset_minutes, DueReminder.starts_at, DueReminder.due_at,
        DueReminder.status, DueReminder.created_at,
    ).where(DueReminder.activity == activity_id).order_by(DueReminder.due_at)
    return [
        (r["version"], r["occurrence"], r["offset_minutes"], r["starts_at"].astimezone(UTC), r["due_at"].astimezone(UTC), r["status"],
         r["created_at"].astimezone(UTC))
        for r in rows
    ]


async def test_a_new_activity_is_planned_to_its_largest_offset_plus_the_lookahead(street):
    weekly = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[120, 1440]))
    assert await _planned_until(weekly["id"]) == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # START + 1 day + 7 days
    saturday = datetime(2026, 3, 7, 1, 0, tzinfo=UTC)
    assert await _points(weekly["id"]) == [
        (1, "2026-03-07T01:00:00Z", 1440, saturday, datetime(2026, 3, 6, 1, 0, tzinfo=UTC), "pending", START),
        (1, "2026-03-07T01:00:00Z", 120, saturday, datetime(2026, 3, 6, 23, 0, tzinfo=UTC), "pending", START),
    ]


async def test_an_activity_without_reminders_is_planned_a_lookahead_ahead(street):
    quiet = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[]))
    assert await _planned_until(quiet["id"]) == datetime(2026, 3, 9, 0, 0, tzinfo=UTC)  # START + 7 days
    assert await _points(quiet["id"]) == []


async def test_the_periodic_round_extends_at_exactly_half_the_lookahead_left_and_not_before(street):
    weekly = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[1440]))
    planned = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
    # the round extends when planned_until < now + 1 day + 7 days - 3.5 days, i.e. after 5 March 12:00 UTC
    edge = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    assert await plan(street.mh, edge) == 0
    assert await _planned_until(weekly["id"]) == planned
    later = edge + timedelta(seconds=1)
    assert await plan(street.mh, later) == 0  # Saturday 14 March (01:00 UTC) is still beyond 13 March 12:00:01
    assert await _planned_until(weekly["id"]) == later + timedelta(days=8)


async def test_planning_one_activity_plans_it_to_the_full_horizon_and_leaves_the_others(street):
    first = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[1440]))
    second = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[1440], title="第二场"))
    an_hour_on = START + timedelta(hours=1)
    assert await plan(street.mh, an_hour_on, activity_id=first["id"]) == 0  # no occurrence in the extra hour
    assert await _planned_until(first["id"]) == an_hour_on + timedelta(days=8)
    assert await _planned_until(second["id"]) == START + timedelta(days=8)
    six_days_on = START + timedelta(days=6)
    assert await plan(street.mh, six_days_on, activity_id=second["id"]) == 1  # Saturday 14 March's point
    assert await _planned_until(second["id"]) == six_days_on + timedelta(days=8)
    assert await _planned_until(first["id"]) == an_hour_on + timedelta(days=8)


async def test_a_cancelled_activity_is_not_planned_further(street):
    weekly = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[1440]))
    await cancel_activity(street.mh, weekly["id"])
    assert await plan(street.mh, START + timedelta(days=10)) == 0
    assert await plan(street.mh, START + timedelta(days=10), activity_id=weekly["id"]) == 0
    assert await _planned_until(weekly["id"]) == START + timedelta(days=8)


# -- what the mutation run of planning.py found unguarded -------------------------------------------------


async def test_a_round_counts_every_activitys_new_points_and_reads_the_clock_and_the_default_lookahead(street):
    first = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[1440, 120]))
    second = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SU", reminder_offsets=[120], title="周日场"))
    street.clock.set(START + timedelta(days=6))  # Sunday 8 March 08:00 in Shanghai; no `now` given: the clock's
    # the first adds Saturday 14 March (two points), the second Sunday 15 March (one point)
    assert await plan(street.mh) == 3
    assert await _planned_until(first["id"]) == datetime(2026, 3, 16, 0, 0, tzinfo=UTC)  # the clock + 1 day + 7 days
    assert await _planned_until(second["id"]) == datetime(2026, 3, 15, 2, 0, tzinfo=UTC)  # the clock + 2 hours + 7 days
    assert [p[1:3] for p in await _points(second["id"])] == [("2026-03-08T01:00:00Z", 120), ("2026-03-15T01:00:00Z", 120)]


async def test_a_round_looks_as_far_ahead_as_the_policy_given(street):
    from meihao.reminders.policy import DeliveryPolicy

    weekly = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[1440]))
    later = START + timedelta(days=6)
    assert await plan(street.mh, later, weekly["id"], policy=DeliveryPolicy(lookahead=timedelta(days=2))) == 0  # to Wednesday 11 March
    assert await _planned_until(weekly["id"]) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)  # + 1 day + 2 days
    assert await plan(street.mh, later, weekly["id"], policy=DeliveryPolicy(lookahead=timedelta(days=14))) == 2  # 14 and 21 March
    assert await _planned_until(weekly["id"]) == datetime(2026, 3, 23, 0, 0, tzinfo=UTC)  # + 1 day + 14 days
