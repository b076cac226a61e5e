"""The working calendar at its edges: what mutation testing (bench/mutation.py) found unguarded.

Exact error messages, the validation of the weekly windows, moments whose UTC date is not the
community's date, the search limit of a calendar that (almost) never works, an autumn day
longer than the next, and deadlines that keep the rule they were computed with. Every
expected value is written out by hand.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from meihao import Deadline, WorkingCalendar
from meihao.time.workcalendar import Override, parse_segments

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def ny(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=NY)


# -- bad input: the exact message for each refusal ------------------------------------------


@pytest.mark.parametrize(("spec", "message"), [
    (["08:30"], "'08:30' is not a segment like 08:30-12:00"),
    # one dash too many: "12:00-13:00" (or "08:30-12:00") reads as a time at a UTC offset; was a TypeError
    (["08:30-12:00-13:00"], "'08:30-12:00-13:00' is not a segment like 08:30-12:00"),
    (["08:30+08:00-12:00+08:00"], "'08:30+08:00-12:00+08:00' is not a segment like 08:30-12:00"),  # was accepted
    (["12:00-08:30"], "'12:00-08:30' ends before it starts"),
    (["08:30-08:30"], "'08:30-08:30' ends before it starts"),  # empty: refused like a reversed one
    (["08:30-12:00", "11:59-17:00"], "'11:59-17:00' overlaps or comes before the segment before it"),
    ([], "a working day needs at least one segment"),
])
def test_bad_segments_are_refused_by_name(spec, message):
    with pytest.raises(ValueError) as caught:
        parse_segments(spec)
    assert str(caught.value) == message


@pytest.mark.parametrize("hours", ["08:30-12:00-13:00", "08:30+08:00-12:00+08:00"])
def test_working_hours_at_a_utc_offset_are_refused_at_start_up(hours):
    from meihao.config import load_settings
    from meihao.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as caught:
        load_settings(environ={"MEIHAO_DATA_KEY": "k", "MEIHAO_WORKING_HOURS": hours})
    assert caught.value.message == (f"MEIHAO_WORKING_HOURS: {hours!r} must read HH:MM-HH:MM, end after start, "
                                    "segments in order without overlap")


def test_segments_may_touch():
    assert parse_segments(["08:00-12:00", "12:00-17:00"]) == ((time(8), time(12)), (time(12), time(17)))
    touching = WorkingCalendar(hours=["08:00-12:00", "12:00-17:00"])
    assert touching.add_working_hours(sh(2025, 11, 17, 11, 0), 2) == sh(2025, 11, 17, 13, 0)


def test_segments_given_as_times_are_taken_as_they_are():
    cal = WorkingCalendar(hours=[(time(9), time(12)), (time(14), time(18))])
    assert cal.segments == ((time(9), time(12)), (time(14), time(18)))
    assert cal.add_working_hours(sh(2025, 11, 17, 11, 0), 2) == sh(2025, 11, 17, 15, 0)


def test_a_calendar_without_hours_is_refused():
    with pytest.raises(ValueError) as caught:
        WorkingCalendar(hours=[])
    assert str(caught.value) == "a working day needs at least one segment"


@pytest.mark.parametrize("weekdays", [[], [0, 1], [1, 8]])
def test_weekdays_outside_monday_to_sunday_are_refused(weekdays):
    with pytest.raises(ValueError) as caught:
        WorkingCalendar(weekdays=weekdays)
    assert str(caught.value) == "weekdays: give one or more ISO weekdays, 1 (Monday) to 7 (Sunday)"


def test_all_seven_weekdays_and_only_sunday_are_accepted():
    assert WorkingCalendar(weekdays=EVERY_DAY).is_workday(date(2025, 11, 16))  # a Sunday
    assert WorkingCalendar(weekdays=[7]).add_working_days(date(2025, 11, 14), 1) == date(2025, 11, 16)


def test_a_day_both_holiday_and_makeup_workday_is_refused_naming_the_first():
    both = {date(2025, 10, 11): "x", date(2025, 9, 28): "y"}
    with pytest.raises(ValueError) as caught:
        WorkingCalendar(holidays=both, makeup_workdays=both)
    assert str(caught.value) == "2025-09-28 is both an official holiday and a make-up workday"
    with pytest.raises(ValueError) as caught:
        WorkingCalendar(holidays={date(2025, 10, 11): "x"}, makeup_workdays={date(2025, 10, 11): "y"})
    assert str(caught.value) == "2025-10-11 is both an official holiday and a make-up workday"


class _NoOffset(tzinfo):
    """A tzinfo that does not know its offset: the datetime is naive for all purposes."""

    def utcoffset(self, dt):
        return None


def test_only_aware_datetimes_are_accepted():
    cal = WorkingCalendar()
    for bad in (datetime(2025, 11, 17, 9, 0), datetime(2025, 11, 17, 9, 0, tzinfo=_NoOffset()), date(2025, 11, 17)):
        with pytest.raises(ValueError) as caught:
            cal.add_working_hours(bad, 1)
        assert str(caught.value) == f"the working calendar needs an aware datetime, got {bad!r}"


def test_the_repr_names_zone_years_and_version():
    # the version is stored with every deadline and planned point: a new hash re-plans them all
    assert repr(WorkingCalendar()) == "<WorkingCalendar Asia/Shanghai years none version cd70b907bb51>"
    assert repr(WorkingCalendar(years=[2026, 2024, 2025])) == "<WorkingCalendar Asia/Shanghai years 2024–2026 version ef0ee83b5eb9>"


# -- boundaries of a working segment ------------------------------------------------------------


def test_the_end_of_a_segment_is_not_working_time():
    cal = WorkingCalendar()
    assert cal.next_working_moment(sh(2025, 11, 17, 11, 59)) == sh(2025, 11, 17, 11, 59)
    assert cal.next_working_moment(sh(2025, 11, 17, 12, 0)) == sh(2025, 11, 17, 13, 30)
    assert cal.next_working_moment(sh(2025, 11, 17, 17, 30)) == sh(2025, 11, 18, 8, 30)
    assert cal.add_working_days(sh(2025, 11, 17, 12, 0), 0) == sh(2025, 11, 17, 13, 30)


def test_the_next_working_moment_after_a_friday_close_is_monday():
    cal = WorkingCalendar()
    answer = cal.next_working_moment(sh(2025, 11, 14, 18, 0))
    assert answer.isoformat() == "2025-11-17T08:30:00+08:00"


def test_no_working_time_between_a_moment_and_itself():
    cal = WorkingCalendar()
    assert cal.working_time_between(sh(2025, 11, 17, 10, 0), sh(2025, 11, 17, 10, 0)) == timedelta(0)
    assert cal.working_time_between(sh(2025, 11, 17, 10, 0), sh(2025, 11, 17, 10, 1)) == timedelta(minutes=1)


def test_counting_hours_back_across_two_segments():
    cal = WorkingCalendar()
    # 14:00 back 2 h: 30 min of the afternoon, then 1 h 30 of the morning
    answer = cal.add_working_hours(sh(2025, 11, 17, 14, 0), -2)
    assert answer.isoformat() == "2025-11-17T10:30:00+08:00"
    assert cal.add_working_hours(sh(2025, 11, 17, 14, 0), -8).isoformat() == "2025-11-14T13:30:00+08:00"


def test_the_close_of_a_one_segment_day():
    cal = WorkingCalendar(hours=["09:00-17:00"])
    assert cal.close_of(date(2025, 11, 15)).isoformat() == "2025-11-17T17:00:00+08:00"
    assert WorkingCalendar().close_of(date(2025, 11, 17)).isoformat() == "2025-11-17T17:30:00+08:00"


# -- the community's date is not the UTC date ----------------------------------------------------

#: Opens at 06:00 in Shanghai: 06:00–08:00 local is still the day before in UTC.
EARLY_SH = WorkingCalendar(hours=["06:00-12:00", "13:00-17:00"])
#: Works until 22:00 in New York: 19:00–22:00 local (EST) is already the next day in UTC.
LATE_NY = WorkingCalendar(timezone_name="America/New_York", hours=["08:00-12:00", "13:00-22:00"])


def test_early_hours_in_shanghai_count_on_the_local_day():
    monday_7 = sh(2025, 11, 17, 7, 0)  # Sunday 23:00 UTC
    assert EARLY_SH.add_working_hours(monday_7, -0.5).isoformat() == "2025-11-17T06:30:00+08:00"
    assert EARLY_SH.add_working_days(monday_7, 1).isoformat() == "2025-11-18T07:00:00+08:00"
    assert EARLY_SH.working_time_between(sh(2025, 11, 17, 6, 0), monday_7) == timedelta(hours=1)
    # a deadline "by the close of the next working day" counts from Monday, not from Sunday (UTC)
    assert Deadline.compute(EARLY_SH, monday_7, working_days=1, by_close=True).due_at.isoformat() == "2025-11-18T17:00:00+08:00"
    assert Deadline.compute(WorkingCalendar(), monday_7, working_days=1, by_close=True).due_at.isoformat() == "2025-11-18T17:30:00+08:00"


def test_late_hours_in_new_york_count_on_the_local_day():
    monday_20 = ny(2025, 11, 17, 20, 0)  # Tuesday 01:00 UTC
    assert LATE_NY.is_working_time(monday_20)
    assert LATE_NY.next_working_moment(monday_20).isoformat() == "2025-11-17T20:00:00-05:00"
    assert LATE_NY.add_working_hours(monday_20, 1).isoformat() == "2025-11-17T21:00:00-05:00"
    assert LATE_NY.working_time_between(monday_20, ny(2025, 11, 17, 21, 0)) == timedelta(hours=1)


# -- a day longer than the next: the autumn clock change -----------------------------------------


def test_a_working_day_longer_than_the_next_ends_at_the_next_close():
    # New York falls back on Sunday 2 November 2025: 00:00–23:00 is 24 hours that day, 23 the next
    cal = WorkingCalendar(timezone_name="America/New_York", weekdays=EVERY_DAY, hours=["00:00-08:00", "08:00-16:00", "16:00-23:00"])
    assert cal.working_time_between(ny(2025, 11, 2), ny(2025, 11, 2, 23, 0)) == timedelta(hours=24)
    assert cal.add_working_days(ny(2025, 11, 2, 23, 0), 1).isoformat() == "2025-11-03T23:00:00-05:00"
    assert cal.add_working_days(ny(2025, 11, 2, 22, 30), 1).isoformat() == "2025-11-03T23:00:00-05:00"
    assert cal.add_working_days(ny(2025, 11, 2, 15, 0), 1).isoformat() == "2025-11-03T16:00:00-05:00"


# -- a calendar that (almost) never works: the search limit --------------------------------------

START = date(2030, 1, 1)  # a Tuesday


def sparse(*open_days: date) -> WorkingCalendar:
    """Mondays only, every Monday of 2030–2051 closed: only ``open_days`` are worked."""
    closed = {START + timedelta(days=k): Override(open=False) for k in range(8000) if (START + timedelta(days=k)).isoweekday() == 1}
    return WorkingCalendar(weekdays=[1], overrides={**closed, **{d: Override(open=True) for d in open_days}})


NEVER = sparse()


def test_the_next_working_day_is_found_up_to_3700_days_away():
    assert sparse(date(2040, 2, 18)).add_working_days(START, 1) == date(2040, 2, 18)  # 3700 days later
    with pytest.raises(ValueError) as caught:
        sparse(date(2040, 2, 19)).add_working_days(START, 1)  # 3701 days later
    assert str(caught.value) == "no working day found: the calendar closes every day"


def test_the_limit_grows_with_the_working_days_asked_and_restarts_at_each_one_found():
    # n = 2: 7400 days allowed between two working days; the first is the next day
    assert sparse(date(2030, 1, 2), date(2050, 4, 7)).add_working_days(START, 2) == date(2050, 4, 7)  # 7400 days after the first
    with pytest.raises(ValueError) as caught:
        sparse(date(2030, 1, 2), date(2050, 4, 8)).add_working_days(START, 2)  # 7401 days after
    assert str(caught.value) == "no working day found: the calendar closes every day"


def test_a_calendar_that_never_works_says_so():
    at = datetime(2030, 1, 1, 9, 0, tzinfo=SH)
    with pytest.raises(ValueError) as caught:
        NEVER.add_working_hours(at, 1)
    assert str(caught.value) == "no working time found: the calendar closes every day"
    with pytest.raises(ValueError) as caught:
        NEVER.next_working_moment(at)
    assert str(caught.value) == "no working time found: the calendar closes every day"


def test_the_search_for_working_hours_grows_with_the_hours_asked():
    # one working hour a day, every day, in UTC: n hours take n days; the search allows
    # 3700 days plus two per whole day of hours asked (4036 hours: 4036 days allowed)
    cal = WorkingCalendar(timezone_name="UTC", weekdays=EVERY_DAY, hours=["00:00-01:00"])
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert cal.add_working_hours(start, 4036).isoformat() == "2041-01-18T01:00:00+00:00"
    with pytest.raises(ValueError) as caught:
        cal.add_working_hours(start, 4037)
    assert str(caught.value) == "no working time found: the calendar closes every day"


# -- deadlines keep their rule ---------------------------------------------------------------------


def test_a_deadline_keeps_its_rule_when_recomputed():
    cal = WorkingCalendar()
    typhoon = WorkingCalendar(overrides={date(2025, 11, 17): Override(open=False)})
    by_hours = Deadline.compute(cal, sh(2025, 11, 14, 17, 0), working_hours=1)
    assert (by_hours.working_days, by_hours.working_hours, by_hours.by_close) == (None, 1, False)
    assert by_hours.due_at.isoformat() == "2025-11-17T09:00:00+08:00"
    assert by_hours.recompute(typhoon).due_at.isoformat() == "2025-11-18T09:00:00+08:00"
    by_close = Deadline.compute(cal, sh(2025, 11, 14, 10, 0), working_days=1, by_close=True)
    assert (by_close.working_days, by_close.working_hours, by_close.by_close) == (1, None, True)
    assert by_close.due_at.isoformat() == "2025-11-17T17:30:00+08:00"
    again = by_close.recompute(typhoon)
    assert again.due_at.isoformat() == "2025-11-18T17:30:00+08:00" and again.by_close is True


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "give exactly one of working_days and working_hours"),
    ({"working_days": 1, "working_hours": 2}, "give exactly one of working_days and working_hours"),
    ({"working_hours": 2, "by_close": True}, "by_close applies to working_days only"),
])
def test_a_deadline_rule_is_refused_by_name(kwargs, message):
    with pytest.raises(ValueError) as caught:
        Deadline.compute(WorkingCalendar(), sh(2025, 11, 17, 11, 0), **kwargs)
    assert str(caught.value) == message
