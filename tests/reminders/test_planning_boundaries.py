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


async def test_a_calendar_change_replans_points_ahead_and_says_what_changed(street, tmp_path, caplog):
    import logging
    from datetime import date

    from meihao import working_calendar
    from meihao.register.calendar import remove_override, set_override
    from tests.reminders.test_recurrence_calendar import at, load_2027, points
    from tests.reminders.test_recurrence_calendar import market as saturday_market

    await load_2027(street.mh, tmp_path)
    now = at(2027, 2, 15, 8)
    street.clock.set(now)
    moving = await create_activity(street.mh, "hepan", saturday_market(at(2027, 2, 20, 9), "next_workday", count=1, offsets=[1440, 120]))
    skipping = await create_activity(street.mh, "hepan", saturday_market(at(2027, 2, 20, 9), "skip", count=1, offsets=[1440, 120]))
    # a Sunday market: a weekend is no holiday, closing Saturday does not move it
    sunday = await create_activity(street.mh, "hepan", market(starts_at=datetime(2027, 2, 21, 9, 0), ends_at=datetime(2027, 2, 21, 11, 0),
                                                              rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=1", holiday_policy="next_workday",
                                                              reminder_offsets=[1440]))
    calm = await create_activity(street.mh, "hepan", saturday_market(at(2027, 2, 27, 9), "next_workday", count=1))
    # starts exactly at the end of the planned window (now + 1 day + 7 days, Tuesday 23 February 08:00): not planned, then or later
    edge = await create_activity(street.mh, "hepan", market(starts_at=datetime(2027, 2, 23, 8, 0), ends_at=datetime(2027, 2, 23, 10, 0),
                                                            rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=1", holiday_policy="next_workday",
                                                            reminder_offsets=[1440]))
    assert await _planned_until(edge["id"]) == datetime(2027, 2, 23, 0, 0, tzinfo=UTC)
    # without reminders: re-planning it has nothing to move and counts nothing
    quiet = await create_activity(street.mh, "hepan", market(starts_at=datetime(2027, 2, 20, 9, 0), ends_at=datetime(2027, 2, 20, 11, 0),
                                                             rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=1", holiday_policy="next_workday",
                                                             reminder_offsets=[]))
    key = "2027-02-20T01:00:00Z"
    caplog.set_level(logging.INFO, logger="meihao.reminders")

    await set_override(street.mh, date(2027, 2, 20), open=False, reason="台风停工 typhoon")
    closed = (await working_calendar(street.mh, "hepan")).version
    late = await create_activity(street.mh, "hepan", saturday_market(at(2027, 2, 20, 9), "skip", count=1))  # planned on the closed day
    assert await points(late["id"]) == []
    caplog.clear()
    assert await plan(street.mh, now) == 0
    assert sorted(r.getMessage() for r in caplog.records) == sorted([  # the round reads activities in no set order
        f"activity {moving['id']} re-planned on calendar {closed}: 2 point(s) moved, 0 cancelled, 0 back, 0 new",
        f"activity {skipping['id']} re-planned on calendar {closed}: 0 point(s) moved, 2 cancelled, 0 back, 0 new",
    ])
    assert await points(moving["id"]) == [(key, 120, "02-22 09:00", "02-22 07:00", "pending"), (key, 1440, "02-22 09:00", "02-21 09:00", "pending")]
    assert await points(calm["id"]) == []  # 27 February is beyond the planned window (23 February): re-planned, no point, nothing said

    await remove_override(street.mh, date(2027, 2, 20))
    opened = (await working_calendar(street.mh, "hepan")).version
    caplog.clear()
    assert await plan(street.mh, now) == 1  # the late market's point, new
    assert sorted(r.getMessage() for r in caplog.records) == sorted([  # the round reads activities in no set order
        f"activity {moving['id']} re-planned on calendar {opened}: 2 point(s) moved, 0 cancelled, 0 back, 0 new",
        f"activity {skipping['id']} re-planned on calendar {opened}: 0 point(s) moved, 0 cancelled, 2 back, 0 new",
        f"activity {late['id']} re-planned on calendar {opened}: 0 point(s) moved, 0 cancelled, 0 back, 1 new",
    ])
    assert await points(skipping["id"]) == [(key, 120, "02-20 09:00", "02-20 07:00", "pending"),
                                            (key, 1440, "02-20 09:00", "02-19 09:00", "pending")]
    assert await points(sunday["id"]) == [("2027-02-21T01:00:00Z", 1440, "02-21 09:00", "02-20 09:00", "pending")]
    assert await points(late["id"]) == [(key, 1440, "02-20 09:00", "02-19 09:00", "pending")]
    assert [p[-1] for p in await _points(late["id"])] == [now]  # created now
    assert await points(edge["id"]) == []
    versions = await Activity.select(Activity.calendar_version).where(Activity.id.is_in([moving["id"], skipping["id"], sunday["id"], calm["id"], late["id"],
                                                                                           quiet["id"], edge["id"]]))
    assert [v["calendar_version"] for v in versions] == [opened] * 7
    caplog.clear()
    assert await plan(street.mh, now) == 0  # nothing left to change: nothing said
    assert caplog.records == []


async def test_a_point_due_when_the_calendar_changes_is_left_to_the_fan_out_and_one_due_a_second_later_moves(street, tmp_path):
    from datetime import date

    from meihao.register.calendar import set_override
    from tests.reminders.test_recurrence_calendar import at, load_2027, points
    from tests.reminders.test_recurrence_calendar import market as saturday_market

    await load_2027(street.mh, tmp_path)
    street.clock.set(at(2027, 2, 15, 8))
    moving = await create_activity(street.mh, "hepan", saturday_market(at(2027, 2, 20, 9), "next_workday", count=1, offsets=[1440, 1439]))
    key = "2027-02-20T01:00:00Z"
    await set_override(street.mh, date(2027, 2, 20), open=False, reason="台风停工 typhoon")
    # exactly when the day-before point falls due (not yet fanned out); the other is due a minute later
    assert await plan(street.mh, at(2027, 2, 19, 9)) == 0
    assert await points(moving["id"]) == [(key, 1439, "02-22 09:00", "02-21 09:01", "pending"),
                                          (key, 1440, "02-20 09:00", "02-19 09:00", "pending")]


async def test_replanning_records_the_calendar_on_that_activity_at_its_version_only(street, tmp_path):
    from datetime import date

    from meihao import working_calendar
    from meihao.register.calendar import set_override
    from meihao.reminders.planning import replan_on_calendar
    from tests.reminders.test_recurrence_calendar import at, load_2027, points
    from tests.reminders.test_recurrence_calendar import market as saturday_market

    await load_2027(street.mh, tmp_path)
    now = at(2027, 2, 15, 8)
    street.clock.set(now)
    moving = await create_activity(street.mh, "hepan", saturday_market(at(2027, 2, 20, 9), "next_workday", count=1))
    skipping = await create_activity(street.mh, "hepan", saturday_market(at(2027, 2, 20, 9), "skip", count=1))
    loaded = (await working_calendar(street.mh, "hepan")).version
    await set_override(street.mh, date(2027, 2, 20), open=False, reason="台风停工 typhoon")
    calendar = await working_calendar(street.mh, "hepan")
    key = "2027-02-20T01:00:00Z"
    # the one activity planned alone is re-planned and recorded; the other keeps the calendar it was planned on
    assert await plan(street.mh, now, activity_id=moving["id"]) == 0
    versions = {r["id"]: r["calendar_version"] for r in await Activity.select(Activity.id, Activity.calendar_version)}
    assert versions == {moving["id"]: calendar.version, skipping["id"]: loaded}
    assert await points(skipping["id"]) == [(key, 1440, "02-20 09:00", "02-19 09:00", "pending")]
    assert await plan(street.mh, now) == 0  # so the next round re-plans it
    assert await points(skipping["id"]) == [(key, 1440, "02-20 09:00", "02-19 09:00", "cancelled")]
    # a copy of the activity read before a reschedule (another version) records nothing
    row = await Activity.select(Activity.all_columns(), Activity.community.timezone.as_alias("timezone")).where(
        Activity.id == skipping["id"]).first()
    await Activity.update({Activity.calendar_version: "before"}).where(Activity.id == skipping["id"])
    assert await replan_on_calendar(street.mh, {**row, "version": 2}, [], calendar, now) == 0
    assert await replan_on_calendar(street.mh, {**row, "version": 2, "planned_until": now}, [1440], calendar, now) == 0
    assert (await Activity.select(Activity.calendar_version).where(Activity.id == skipping["id"]).first())["calendar_version"] == "before"
    assert await replan_on_calendar(street.mh, row, [], calendar, now) == 0
    assert (await Activity.select(Activity.calendar_version).where(Activity.id == skipping["id"]).first())["calendar_version"] == calendar.version


async def test_the_points_of_a_rescheduled_activity_carry_its_new_version(street):
    from meihao.reminders.activities import ActivityPatch, update_activity

    weekly = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[1440]))
    await update_activity(street.mh, weekly["id"], ActivityPatch(starts_at=datetime(2026, 3, 7, 10, 0), ends_at=datetime(2026, 3, 7, 12, 0)))
    assert [(p[0], p[1], p[5]) for p in await _points(weekly["id"])] == [(1, "2026-03-07T01:00:00Z", "cancelled"),
                                                                         (2, "2026-03-07T02:00:00Z", "pending")]


async def test_a_date_called_off_before_the_planner_reaches_it_gets_no_point(street):
    from meihao.reminders.activities import cancel_occurrence
    from meihao.reminders.policy import DeliveryPolicy

    weekly = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[1440]))
    await cancel_occurrence(street.mh, weekly["id"], "2026-03-14T01:00:00Z")
    assert await plan(street.mh, START + timedelta(days=6), policy=DeliveryPolicy(lookahead=timedelta(days=14))) == 1
    assert [p[1] for p in await _points(weekly["id"])] == ["2026-03-07T01:00:00Z", "2026-03-21T01:00:00Z"]


async def test_a_round_plans_on_the_communitys_own_calendar_and_adds_up_replanned_and_planned_points(street, tmp_path):
    from datetime import date

    from meihao.register.calendar import remove_override, set_override
    from meihao.reminders.policy import DeliveryPolicy
    from tests.reminders.test_recurrence_calendar import at, load_2027, points
    from tests.reminders.test_recurrence_calendar import market as saturday_market

    await load_2027(street.mh, tmp_path)
    now = at(2027, 2, 15, 8)
    street.clock.set(now)
    weekly = await create_activity(street.mh, "hepan", saturday_market(at(2027, 2, 20, 9), "next_workday", count=3))
    # closed for this community only: an activity planned now skips the day
    await set_override(street.mh, date(2027, 2, 20), open=False, reason="社区活动中心维修", community="hepan")
    late = await create_activity(street.mh, "hepan", saturday_market(at(2027, 2, 20, 9), "skip", count=1))
    assert await points(late["id"]) == []
    await remove_override(street.mh, date(2027, 2, 20), community="hepan")
    # with a lookahead of 15 days the round extends the weekly market (27 February) and re-plans the late one (20 February)
    assert await plan(street.mh, now, policy=DeliveryPolicy(lookahead=timedelta(days=15))) == 2
    assert [p[0] for p in await points(weekly["id"])] == ["2027-02-20T01:00:00Z", "2027-02-27T01:00:00Z"]
    assert await points(late["id"]) == [("2027-02-20T01:00:00Z", 1440, "02-20 09:00", "02-19 09:00", "pending")]


async def test_a_point_moved_past_the_window_moves_again_when_the_planner_was_idle_past_the_whole_window(street, tmp_path):
    """Closing Saturday 20 and Monday 22 February moves a 9:00 market to Tuesday 23, past the planned window (Monday
    22, 09:00); when the planner next runs after the window's end and the 23rd closes too, that point moves to the 24th.
    It stayed due on the 23rd before, for a market no longer held that day (mutation testing found the gap)."""
    from datetime import date

    from meihao.register.calendar import set_override
    from tests.reminders.test_recurrence_calendar import at, load_2027, points
    from tests.reminders.test_recurrence_calendar import market as saturday_market

    await load_2027(street.mh, tmp_path)
    street.clock.set(at(2027, 2, 15, 8))
    moving = await create_activity(street.mh, "hepan", saturday_market(at(2027, 2, 20, 9), "next_workday", count=1, offsets=[60]))
    key = "2027-02-20T01:00:00Z"
    assert await _planned_until(moving["id"]) == datetime(2027, 2, 22, 1, 0, tzinfo=UTC)
    await set_override(street.mh, date(2027, 2, 20), open=False, reason="台风停工 typhoon")
    await set_override(street.mh, date(2027, 2, 22), open=False, reason="台风停工 typhoon")
    assert await plan(street.mh, at(2027, 2, 15, 8)) == 0
    assert await points(moving["id"]) == [(key, 60, "02-23 09:00", "02-23 08:00", "pending")]
    # the planner idle until after the window's end (Monday 09:00); then the 23rd closes as well
    await set_override(street.mh, date(2027, 2, 23), open=False, reason="台风停工 typhoon")
    assert await plan(street.mh, at(2027, 2, 22, 12)) == 0
    assert await points(moving["id"]) == [(key, 60, "02-24 09:00", "02-24 08:00", "pending")]
    # one second before the (moved) point falls due, reopening the 20th puts the market in the past: the point is cancelled
    from meihao.register.calendar import remove_override

    for day in (20, 22, 23):
        await remove_override(street.mh, date(2027, 2, day))
    assert await plan(street.mh, at(2027, 2, 24, 7, 59, 59)) == 0
    assert await points(moving["id"]) == [(key, 60, "02-24 09:00", "02-24 08:00", "cancelled")]
