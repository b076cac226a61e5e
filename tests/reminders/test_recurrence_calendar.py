"""Holiday policies on the working calendar: a year loaded from a file, the street's overrides, a year
with no schedule, and reminder points already planned when the calendar changes (SQLite and PostgreSQL).

The 2027 schedule is the test file of tests/test_calendar.py (made up: 2027 was not published when
this was written): 元旦 2027-01-01 (Fri); 春节 2027-02-05 (Fri) to 2027-02-11 (Thu); make-up workday
Saturday 2027-02-13. Every expected date below was read off a paper calendar for 2027.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from meihao import ActivityIn, cancel_occurrence, create_activity, working_calendar
from meihao.register.calendar import load_official_year, read_schedule_file, remove_override, set_override
from meihao.reminders.activities import activity_calendar, activity_occurrences, get_activity
from meihao.reminders.tables import Activity, DueReminder
from meihao.testing import drain
from meihao.time.recurrence import occurrences
from meihao.time.workcalendar import Override, WorkingCalendar
from tests.test_calendar import SCHEDULE_2027

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
FAR = datetime(2028, 1, 1, tzinfo=UTC)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def saturdays(policy: str, first: date = date(2027, 1, 30), count: int = 4) -> dict:
    """A 9:00–11:00 market on Saturdays (the shape the kernel stores)."""
    return {
        "starts_at": at(first.year, first.month, first.day, 9).astimezone(UTC),
        "ends_at": at(first.year, first.month, first.day, 11).astimezone(UTC),
        "rrule": f"FREQ=WEEKLY;BYDAY=SA;COUNT={count}", "lunar_month": None, "lunar_day": None,
        "recurrence_until": None, "exdates": [], "holiday_policy": policy,
    }


def days(found) -> list[tuple[date, date | None]]:
    return [(o.starts_at.astimezone(SHANGHAI).date(), o.moved_from) for o in found]


# The 2027 file's days, written out here (not read back through the code under test).
SPRING_FESTIVAL = {date(2027, 2, d): "春节" for d in range(5, 12)}
CALENDAR_2027 = WorkingCalendar(holidays={date(2027, 1, 1): "元旦", **SPRING_FESTIVAL},
                                makeup_workdays={date(2027, 2, 13): "春节"}, years=[2027])


# -- the pure rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "expected"), [
    ("keep", [(date(2027, 1, 30), None), (date(2027, 2, 6), None), (date(2027, 2, 13), None), (date(2027, 2, 20), None)]),
    # 2/6 is in the Spring Festival; 2/13 is the make-up Saturday (a workday, not a holiday): kept
    ("skip", [(date(2027, 1, 30), None), (date(2027, 2, 13), None), (date(2027, 2, 20), None)]),
    ("next_workday", [(date(2027, 1, 30), None), (date(2027, 2, 12), date(2027, 2, 6)), (date(2027, 2, 13), None),
                      (date(2027, 2, 20), None)]),
    ("previous_workday", [(date(2027, 1, 30), None), (date(2027, 2, 4), date(2027, 2, 6)), (date(2027, 2, 13), None),
                          (date(2027, 2, 20), None)]),
])
def test_a_loaded_2027_moves_a_weekly_occurrence_off_the_spring_festival(policy, expected):
    assert days(occurrences(saturdays(policy), "Asia/Shanghai", at(2027, 1, 1), FAR, CALENDAR_2027)) == expected


def test_without_a_calendar_2027_is_unknown_and_nothing_moves():
    # the pinned chinese-calendar package stops at 2026: no holidays, Monday to Friday work
    assert days(occurrences(saturdays("next_workday"), "Asia/Shanghai", at(2027, 1, 1), FAR)) == [
        (date(2027, 1, 30), None), (date(2027, 2, 6), None), (date(2027, 2, 13), None), (date(2027, 2, 20), None)]
    no_2027 = WorkingCalendar(holidays={date(2026, 10, 1): "国庆节"})
    assert days(occurrences(saturdays("skip"), "Asia/Shanghai", at(2027, 1, 1), FAR, no_2027)) == [
        (date(2027, 1, 30), None), (date(2027, 2, 6), None), (date(2027, 2, 13), None), (date(2027, 2, 20), None)]


def test_a_closed_day_counts_as_a_holiday_and_an_opened_day_as_a_workday():
    typhoon = WorkingCalendar(holidays=CALENDAR_2027.holidays, makeup_workdays=CALENDAR_2027.makeup_workdays, years=[2027],
                              overrides={date(2027, 2, 20): Override(open=False, reason="台风"),
                                         date(2027, 2, 22): Override(open=False, reason="台风")})
    # Saturday 2/20 closed: skipped, or moved past the closed Monday 2/22 to Tuesday 2/23 / back to Friday 2/19
    assert days(occurrences(saturdays("skip"), "Asia/Shanghai", at(2027, 2, 14), FAR, typhoon)) == []
    assert days(occurrences(saturdays("next_workday"), "Asia/Shanghai", at(2027, 2, 14), FAR, typhoon)) == [
        (date(2027, 2, 23), date(2027, 2, 20))]
    assert days(occurrences(saturdays("previous_workday"), "Asia/Shanghai", at(2027, 2, 14), FAR, typhoon)) == [
        (date(2027, 2, 19), date(2027, 2, 20))]
    # an ordinary Saturday is not a holiday: kept
    assert days(occurrences(saturdays("skip", first=date(2027, 2, 27), count=1), "Asia/Shanghai", at(2027, 2, 14), FAR, typhoon)) == [
        (date(2027, 2, 27), None)]

    opened = WorkingCalendar(holidays=CALENDAR_2027.holidays, makeup_workdays=CALENDAR_2027.makeup_workdays, years=[2027],
                             overrides={date(2027, 2, 6): Override(open=True, reason="集市照开"),
                                        date(2027, 2, 7): Override(open=True, reason="加班")})
    # Saturday 2/6, inside the holiday but opened: kept; a move lands on the opened Sunday 2/7
    assert days(occurrences(saturdays("skip", first=date(2027, 2, 6), count=1), "Asia/Shanghai", at(2027, 2, 1), FAR, opened)) == [
        (date(2027, 2, 6), None)]
    only_sunday = WorkingCalendar(holidays=CALENDAR_2027.holidays, years=[2027], overrides={date(2027, 2, 7): Override(open=True)})
    assert days(occurrences(saturdays("next_workday", first=date(2027, 2, 6), count=1), "Asia/Shanghai", at(2027, 2, 1), FAR,
                            only_sunday)) == [(date(2027, 2, 7), date(2027, 2, 6))]


# -- the kernel's calendar: loaded years and overrides --------------------------------------------


async def test_the_seeded_years_decide_every_policy_as_the_package_did(meihao):
    """2004–2026 come from the database now: every day of them is a holiday, a workday or neither exactly as in the
    pinned package, so the policies of activities in those years are unchanged."""
    from meihao.time.recurrence import package_calendar

    seeded, package = await working_calendar(meihao), package_calendar()
    day, differ = date(2004, 1, 1), []
    while day <= date(2026, 12, 31):
        if (seeded.day_kind(day), seeded.is_workday(day)) != (package.day_kind(day), package.is_workday(day)):
            differ.append(day)
        day += timedelta(days=1)
    assert differ == []
    assert (seeded.day_kind(date(2026, 10, 3)), seeded.day_kind(date(2026, 9, 20)), seeded.day_kind(date(2027, 2, 6))) == (
        "holiday", "makeup_workday", "weekend")


def market(first: datetime, policy: str, count: int = 4, offsets: list[int] | None = None) -> ActivityIn:
    return ActivityIn(scene="markets", title="睦邻善市", venue="荷畔广场", starts_at=first.replace(tzinfo=None),
                      ends_at=first.replace(tzinfo=None, hour=11), rrule=f"FREQ=WEEKLY;BYDAY=SA;COUNT={count}",
                      holiday_policy=policy, audience={"everyone": True}, reminder_offsets=offsets or [1440], channels=["inbox"])


async def listed(mh, activity_id: int) -> list[tuple[str, str | None]]:
    activity = await get_activity(activity_id)
    found = activity_occurrences(activity, at(2027, 1, 1), FAR, calendar=await activity_calendar(mh, activity))
    return [(o["starts_at"].astimezone(SHANGHAI).strftime("%m-%d"), o["moved_from"]) for o in found]


async def load_2027(mh, tmp_path) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(SCHEDULE_2027, encoding="utf-8")
    await load_official_year(mh, read_schedule_file(path))


async def test_the_kernel_follows_a_year_loaded_from_a_file_and_falls_back_without_it(street, tmp_path):
    street.clock.set(at(2027, 1, 4, 8))
    activity = await create_activity(street.mh, "hepan", market(at(2027, 1, 30, 9), "next_workday"))
    # nothing loaded for 2027: no holiday, the market stays on Saturday 2/6
    assert await listed(street.mh, activity["id"]) == [("01-30", None), ("02-06", None), ("02-13", None), ("02-20", None)]
    await load_2027(street.mh, tmp_path)
    assert await listed(street.mh, activity["id"]) == [("01-30", None), ("02-12", "2027-02-06"), ("02-13", None), ("02-20", None)]


async def test_an_override_moves_an_occurrence_for_the_street_or_for_its_community_only(street, tmp_path):
    await street.factories.community("huayang")
    street.clock.set(at(2027, 1, 4, 8))
    await load_2027(street.mh, tmp_path)
    hepan = await create_activity(street.mh, "hepan", market(at(2027, 1, 30, 9), "skip"))
    huayang = await create_activity(street.mh, "huayang", market(at(2027, 1, 30, 9), "skip"))
    await set_override(street.mh, date(2027, 2, 20), open=False, reason="台风停工 typhoon")
    assert await listed(street.mh, hepan["id"]) == [("01-30", None), ("02-13", None)]
    # huayang opens the day again for itself; hepan's market stays skipped
    await set_override(street.mh, date(2027, 2, 20), open=True, reason="华阳 not hit", community="huayang")
    assert await listed(street.mh, huayang["id"]) == [("01-30", None), ("02-13", None), ("02-20", None)]
    assert await listed(street.mh, hepan["id"]) == [("01-30", None), ("02-13", None)]


# -- reminder points already planned -----------------------------------------------------------------


async def points(activity_id: int) -> list[tuple[str, int, str, str, str]]:
    rows = await DueReminder.select().where(DueReminder.activity == activity_id).order_by(DueReminder.occurrence).order_by(
        DueReminder.offset_minutes)
    return [(r["occurrence"], r["offset_minutes"], r["starts_at"].astimezone(SHANGHAI).strftime("%m-%d %H:%M"),
             r["due_at"].astimezone(SHANGHAI).strftime("%m-%d %H:%M"), r["status"]) for r in rows]


async def test_points_planned_before_a_year_is_loaded_move_with_it(street, tmp_path):
    street.clock.set(at(2027, 2, 1, 8))  # Monday; the planner looks 1 day + 7 days ahead
    moving = await create_activity(street.mh, "hepan", market(at(2027, 2, 6, 9), "next_workday", count=2))
    skipping = await create_activity(street.mh, "hepan", market(at(2027, 2, 6, 9), "skip", count=2))
    assert await points(moving["id"]) == [("2027-02-06T01:00:00Z", 1440, "02-06 09:00", "02-05 09:00", "pending")]

    await load_2027(street.mh, tmp_path)
    await drain(street.engine)  # the planner's next round sees the new calendar
    # 2/6 is now in the Spring Festival: the point moves to Friday 2/12 (past the planner's cursor, 2/9)
    assert await points(moving["id"]) == [("2027-02-06T01:00:00Z", 1440, "02-12 09:00", "02-11 09:00", "pending")]
    assert await points(skipping["id"]) == [("2027-02-06T01:00:00Z", 1440, "02-06 09:00", "02-05 09:00", "cancelled")]
    calendar = await working_calendar(street.mh, "hepan")
    assert await Activity.select(Activity.calendar_version, Activity.version).where(Activity.id == moving["id"]).first() == {
        "calendar_version": calendar.version, "version": 1}

    # the week after: the planner's ordinary round adds 2/13 once, and keeps the moved point
    street.clock.set(at(2027, 2, 8, 8))
    await drain(street.engine)
    assert await points(moving["id"]) == [("2027-02-06T01:00:00Z", 1440, "02-12 09:00", "02-11 09:00", "pending"),
                                          ("2027-02-13T01:00:00Z", 1440, "02-13 09:00", "02-12 09:00", "pending")]


async def test_closing_and_reopening_a_day_replans_points_not_yet_due(street, tmp_path):
    await load_2027(street.mh, tmp_path)
    street.clock.set(at(2027, 2, 15, 8))
    moving = await create_activity(street.mh, "hepan", market(at(2027, 2, 20, 9), "next_workday", count=1, offsets=[1440, 120]))
    skipping = await create_activity(street.mh, "hepan", market(at(2027, 2, 20, 9), "skip", count=1))
    key = "2027-02-20T01:00:00Z"
    assert await points(moving["id"]) == [(key, 120, "02-20 09:00", "02-20 07:00", "pending"),
                                          (key, 1440, "02-20 09:00", "02-19 09:00", "pending")]

    await set_override(street.mh, date(2027, 2, 20), open=False, reason="台风停工 typhoon")
    await drain(street.engine)
    assert await points(moving["id"]) == [(key, 120, "02-22 09:00", "02-22 07:00", "pending"),
                                          (key, 1440, "02-22 09:00", "02-21 09:00", "pending")]
    assert await points(skipping["id"]) == [(key, 1440, "02-20 09:00", "02-19 09:00", "cancelled")]

    # the forecast was wrong: the day is worked again, the points come back
    await remove_override(street.mh, date(2027, 2, 20))
    await drain(street.engine)
    assert await points(moving["id"]) == [(key, 120, "02-20 09:00", "02-20 07:00", "pending"),
                                          (key, 1440, "02-20 09:00", "02-19 09:00", "pending")]
    assert await points(skipping["id"]) == [(key, 1440, "02-20 09:00", "02-19 09:00", "pending")]

    # a day before the market the first reminders go out; then the typhoon closes the day after all:
    # what was sent stays sent (once), the two-hour point moves, the skipped market's sent point stays
    street.clock.set(at(2027, 2, 19, 9, 30))
    sent = await drain(street.engine)
    assert sent.fanned_out == 2
    await set_override(street.mh, date(2027, 2, 20), open=False, reason="台风停工 typhoon")
    again = await drain(street.engine)
    assert (again.fanned_out, again.sent) == (0, 0)
    assert await points(moving["id"]) == [(key, 120, "02-22 09:00", "02-22 07:00", "pending"),
                                          (key, 1440, "02-20 09:00", "02-19 09:00", "done")]
    assert await points(skipping["id"]) == [(key, 1440, "02-20 09:00", "02-19 09:00", "done")]
    assert (await get_activity(moving["id"]))["version"] == 1


async def test_an_occurrence_the_calendar_skips_can_still_be_cancelled_by_its_key(street, tmp_path):
    await load_2027(street.mh, tmp_path)
    street.clock.set(at(2027, 1, 4, 8))
    activity = await create_activity(street.mh, "hepan", market(at(2027, 1, 30, 9), "skip"))
    # 2/6 is skipped by the Spring Festival; calling it off too survives the holiday being removed later
    cancelled = await cancel_occurrence(street.mh, activity["id"], "2027-02-06T01:00:00Z")
    assert cancelled["exdates"] == ["2027-02-06T01:00:00Z"]
    await set_override(street.mh, date(2027, 2, 20), open=False, reason="台风")
    await cancel_occurrence(street.mh, activity["id"], "2027-02-20T01:00:00Z")
    await remove_override(street.mh, date(2027, 2, 20))
    assert await listed(street.mh, activity["id"]) == [("01-30", None), ("02-13", None)]
