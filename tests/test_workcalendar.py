"""The working calendar as pure computation: the four layers, day and hour arithmetic, versions, deadlines.

The official schedule comes from the pinned chinese-calendar package (the same data a fresh
install is seeded with); every expected date below was read off the State Council's notices
for 2025 and 2026 by hand.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import msgspec
import pytest
from chinese_calendar.constants import holidays, workdays

from meihao import Deadline, WorkingCalendar, add_working_days, add_working_hours, is_workday, working_time_between
from meihao.time.workcalendar import Override, parse_segments

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def calendar(overrides: dict[str, Override] | None = None) -> WorkingCalendar:
    """The official calendar with the street's overrides, given as {"YYYY-MM-DD": Override}."""
    return WorkingCalendar(holidays=holidays, makeup_workdays=workdays,
                           overrides={date.fromisoformat(k): v for k, v in (overrides or {}).items()})


CAL = calendar()


# -- days: the 2025 and 2026 National Day and Spring Festival weeks ---------------------


@pytest.mark.parametrize(("day", "worked"), [
    # 2025 National Day + Mid-autumn: Sun 28 Sep worked, 1–8 Oct off, Sat 11 Oct worked
    ("2025-09-27", False), ("2025-09-28", True), ("2025-09-30", True), ("2025-10-01", False), ("2025-10-08", False),
    ("2025-10-09", True), ("2025-10-11", True), ("2025-10-12", False),
    # 2025 Spring Festival: Sun 26 Jan worked, 28 Jan–4 Feb off, Sat 8 Feb worked
    ("2025-01-26", True), ("2025-01-27", True), ("2025-01-28", False), ("2025-02-04", False), ("2025-02-05", True),
    ("2025-02-08", True), ("2025-02-09", False),
    # 2026 Spring Festival: Sat 14 Feb worked, 15–23 Feb off, Sat 28 Feb worked
    ("2026-02-14", True), ("2026-02-15", False), ("2026-02-23", False), ("2026-02-24", True), ("2026-02-28", True),
    # 2026 Mid-autumn Fri 25 – Sun 27 Sep off; National Day: Sun 20 Sep worked, 1–7 Oct off, Sat 10 Oct worked
    ("2026-09-20", True), ("2026-09-25", False), ("2026-09-30", True), ("2026-10-01", False), ("2026-10-07", False),
    ("2026-10-08", True), ("2026-10-10", True), ("2026-10-11", False),
    # an ordinary week
    ("2025-11-14", True), ("2025-11-15", False), ("2025-11-16", False), ("2025-11-17", True),
])
def test_which_days_are_worked(day, worked):
    assert CAL.is_workday(date.fromisoformat(day)) is worked
    assert is_workday(CAL, date.fromisoformat(day)) is worked


def test_the_layer_that_decided_is_named():
    assert [CAL.day_kind(date(2025, 10, d)) for d in (1, 9, 11, 12)] == ["holiday", "workday", "makeup_workday", "weekend"]
    cal = calendar({"2025-11-17": Override(open=False, reason="台风"), "2025-11-16": Override(open=True, reason="加班")})
    assert (cal.day_kind(date(2025, 11, 17)), cal.day_kind(date(2025, 11, 16))) == ("closed", "opened")


@pytest.mark.parametrize(("start", "n", "expected"), [
    # the last working day before a holiday, plus one, is the first after it
    ("2025-09-30", 1, "2025-10-09"),
    ("2025-01-27", 1, "2025-02-05"),
    ("2026-02-14", 1, "2026-02-24"),   # Saturday 14 Feb 2026 is itself the last working day
    ("2026-09-30", 1, "2026-10-08"),
    # into a make-up weekend day
    ("2025-09-26", 1, "2025-09-28"),   # Friday → the make-up Sunday
    ("2025-10-10", 1, "2025-10-11"),   # Friday → the make-up Saturday
    ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-27", 1, "2026-02-28"),
    ("2026-10-09", 1, "2026-10-10"),
    ("2026-10-10", 1, "2026-10-12"),
    # several days across a holiday: 9, 10, 11 (Sat), 13, 14 October 2025
    ("2025-09-30", 5, "2025-10-14"),
    # the start day is never counted: Friday and Saturday give the same Monday
    ("2025-11-14", 1, "2025-11-17"),
    ("2025-11-15", 1, "2025-11-17"),
    ("2025-10-04", 1, "2025-10-09"),
    # day 0: the day itself when worked, else the next working day
    ("2025-09-30", 0, "2025-09-30"),
    ("2025-10-04", 0, "2025-10-09"),
    ("2025-11-15", 0, "2025-11-17"),
    # counting back: the last working day before the holiday
    ("2025-10-09", -1, "2025-09-30"),
    ("2026-02-24", -1, "2026-02-14"),
    ("2025-11-17", -1, "2025-11-14"),
])
def test_working_days_from_a_date(start, n, expected):
    assert add_working_days(CAL, date.fromisoformat(start), n) == date.fromisoformat(expected)


def test_a_year_without_an_official_schedule_counts_weekdays_only():
    assert 2030 not in CAL.known_years and 2026 in CAL.known_years
    assert CAL.is_workday(date(2030, 10, 1))  # a Tuesday: no National Day known for 2030
    assert CAL.add_working_days(date(2030, 10, 4), 1) == date(2030, 10, 7)


# -- moments: working days from a datetime, working hours ----------------------------------


@pytest.mark.parametrize(("start", "n", "expected"), [
    (at(2025, 11, 14, 17, 0), 1, at(2025, 11, 17, 17, 0)),   # Friday 17:00 + 1 → Monday 17:00
    (at(2025, 11, 14, 17, 30), 1, at(2025, 11, 17, 17, 30)),  # at the close
    (at(2025, 11, 14, 18, 0), 1, at(2025, 11, 17, 17, 30)),  # after the close: counts from the close
    (at(2025, 11, 15, 10, 0), 1, at(2025, 11, 17, 17, 30)),  # Saturday: from Friday's close
    (at(2025, 11, 17, 7, 0), 1, at(2025, 11, 17, 17, 30)),   # before Monday's opening: from Friday's close
    (at(2025, 11, 17, 8, 30), 1, at(2025, 11, 18, 8, 30)),   # at the opening
    (at(2025, 11, 17, 12, 30), 1, at(2025, 11, 18, 12, 0)),  # in the lunch break: the morning's end
    (at(2025, 9, 30, 17, 0), 1, at(2025, 10, 9, 17, 0)),     # across National Day 2025
    (at(2026, 2, 13, 10, 0), 1, at(2026, 2, 14, 10, 0)),     # into the make-up Saturday
    (at(2026, 2, 14, 10, 0), 1, at(2026, 2, 24, 10, 0)),     # across the Spring Festival 2026
    (at(2025, 11, 17, 10, 0), -1, at(2025, 11, 14, 10, 0)),  # counting back
    (at(2025, 11, 15, 10, 0), 0, at(2025, 11, 17, 8, 30)),   # day 0 outside hours: the next opening
    (at(2025, 11, 14, 17, 0), 0, at(2025, 11, 14, 17, 0)),   # day 0 inside hours: the moment itself
])
def test_working_days_from_a_moment(start, n, expected):
    answer = add_working_days(CAL, start, n)
    assert answer == expected
    assert answer.tzinfo == SH


@pytest.mark.parametrize(("start", "hours", "expected"), [
    (at(2025, 11, 17, 11, 0), 2, at(2025, 11, 17, 14, 30)),    # across lunch: 1 h before, 1 h after
    (at(2025, 11, 17, 11, 0), 1, at(2025, 11, 17, 12, 0)),     # on the boundary: the morning's end
    (at(2025, 11, 17, 11, 0), 1.5, at(2025, 11, 17, 14, 0)),
    (at(2025, 11, 17, 12, 15), 1, at(2025, 11, 17, 14, 30)),   # starting in the lunch break
    (at(2025, 11, 17, 16, 30), 2, at(2025, 11, 18, 9, 30)),    # across the evening
    (at(2025, 11, 14, 16, 30), 2, at(2025, 11, 17, 9, 30)),    # across the weekend
    (at(2025, 11, 17, 7, 0), 7.5, at(2025, 11, 17, 17, 30)),   # a whole working day
    (at(2025, 9, 30, 16, 0), 3, at(2025, 10, 9, 10, 0)),       # across National Day 2025
    (at(2025, 10, 10, 16, 0), 3, at(2025, 10, 11, 10, 0)),     # onto the make-up Saturday
    (at(2026, 2, 27, 17, 0), 1, at(2026, 2, 28, 9, 0)),        # onto the make-up Saturday 2026
    (at(2025, 11, 17, 11, 0), timedelta(minutes=90), at(2025, 11, 17, 14, 0)),
    (at(2025, 11, 17, 14, 0), -1, at(2025, 11, 17, 11, 30)),   # back across lunch
    (at(2025, 11, 17, 14, 0), -0.5, at(2025, 11, 17, 13, 30)),
    (at(2025, 11, 17, 9, 0), -1, at(2025, 11, 14, 17, 0)),     # back across the weekend
    (at(2025, 11, 15, 10, 0), 0, at(2025, 11, 17, 8, 30)),     # zero hours: the next working moment
])
def test_working_hours(start, hours, expected):
    assert add_working_hours(CAL, start, hours) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    (at(2025, 11, 17, 11, 0), at(2025, 11, 17, 14, 30), timedelta(hours=2)),
    (at(2025, 11, 17, 12, 10), at(2025, 11, 17, 13, 20), timedelta(0)),
    (at(2025, 11, 14, 17, 0), at(2025, 11, 17, 9, 0), timedelta(hours=1)),
    (at(2025, 9, 30, 11, 0), at(2025, 10, 9, 9, 0), timedelta(hours=5, minutes=30)),
    (at(2025, 10, 10, 8, 30), at(2025, 10, 13, 8, 30), timedelta(hours=15)),  # Friday and the make-up Saturday
    (at(2025, 11, 17, 14, 30), at(2025, 11, 17, 11, 0), -timedelta(hours=2)),
])
def test_working_time_between(a, b, expected):
    assert working_time_between(CAL, a, b) == expected


def test_answers_are_in_the_communitys_zone_whatever_zone_is_asked():
    friday_17_shanghai_in_utc = datetime(2025, 11, 14, 9, 0, tzinfo=timezone.utc)
    answer = CAL.add_working_days(friday_17_shanghai_in_utc, 1)
    assert answer.isoformat() == "2025-11-17T17:00:00+08:00"
    # a community in another zone counts on its own wall clock
    urumqi = WorkingCalendar(timezone_name="Asia/Urumqi", holidays=holidays, makeup_workdays=workdays)
    assert urumqi.add_working_hours(friday_17_shanghai_in_utc, 1).isoformat() == "2025-11-14T16:00:00+06:00"
    with pytest.raises(ValueError, match="aware datetime"):
        CAL.add_working_hours(datetime(2025, 11, 14, 17, 0), 1)


# -- the weekly windows and the street's overrides -------------------------------------------


def test_other_working_hours_and_weekdays():
    six_days = WorkingCalendar(hours=["09:00-12:00", "14:00-18:00"], weekdays=[1, 2, 3, 4, 5, 6])
    assert six_days.add_working_days(date(2025, 11, 14), 1) == date(2025, 11, 15)
    assert six_days.add_working_hours(at(2025, 11, 15, 11, 0), 2) == at(2025, 11, 15, 15, 0)
    assert six_days.add_working_hours(at(2025, 11, 15, 17, 0), 2) == at(2025, 11, 17, 10, 0)
    for bad in (["08:30"], ["12:00-08:30"], ["08:30-12:00", "11:00-17:00"], ["8.30-12"]):
        with pytest.raises(ValueError):
            parse_segments(bad)


def test_an_override_closes_a_workday_and_opens_a_sunday():
    closed = calendar({"2025-11-17": Override(open=False, reason="台风停工 typhoon")})
    assert not closed.is_workday(date(2025, 11, 17))
    assert closed.add_working_days(date(2025, 11, 14), 1) == date(2025, 11, 18)
    assert closed.add_working_hours(at(2025, 11, 14, 17, 0), 1) == at(2025, 11, 18, 9, 0)
    opened = calendar({"2025-11-16": Override(open=True, reason="extra day")})
    assert opened.is_workday(date(2025, 11, 16))
    assert opened.add_working_days(date(2025, 11, 14), 1) == date(2025, 11, 16)
    assert opened.add_working_hours(at(2025, 11, 14, 17, 0), 1) == at(2025, 11, 16, 9, 0)
    # an override lies over the official layer too: a holiday opened, a make-up Saturday closed
    assert calendar({"2025-10-08": Override(open=True)}).add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 8)
    assert calendar({"2025-10-11": Override(open=False)}).add_working_days(date(2025, 10, 10), 1) == date(2025, 10, 13)


# -- versions and deadlines --------------------------------------------------------------------


def test_the_version_changes_with_the_data_and_only_with_it():
    assert calendar().version == CAL.version and len(CAL.version) == 12
    typhoon = calendar({"2025-11-17": Override(open=False, reason="台风")})
    assert typhoon.version != CAL.version
    assert calendar({"2025-11-17": Override(open=False, reason="another wording")}).version == typhoon.version
    assert calendar({"2025-11-17": Override(open=True)}).version not in (CAL.version, typhoon.version)
    fewer = WorkingCalendar(holidays={d: n for d, n in holidays.items() if d != date(2026, 10, 7)}, makeup_workdays=workdays)
    assert fewer.version != CAL.version
    assert WorkingCalendar(holidays=holidays, makeup_workdays=workdays, years=[*CAL.known_years, 2027]).version != CAL.version
    assert WorkingCalendar(holidays=holidays, makeup_workdays=workdays, hours=["09:00-17:00"]).version != CAL.version
    assert WorkingCalendar(holidays=holidays, makeup_workdays=workdays, timezone_name="Asia/Urumqi").version != CAL.version


def test_a_stored_deadline_does_not_move_until_it_is_recomputed():
    deadline = Deadline.compute(CAL, at(2025, 11, 14, 17, 0), working_days=1)
    assert deadline.due_at == at(2025, 11, 17, 17, 0) and deadline.calendar_version == CAL.version
    stored = msgspec.json.encode(deadline)

    typhoon = calendar({"2025-11-17": Override(open=False, reason="台风")})
    loaded = msgspec.json.decode(stored, type=Deadline)
    assert loaded.due_at == at(2025, 11, 17, 17, 0)  # the calendar changed; the deadline did not
    assert loaded.is_current(CAL) and not loaded.is_current(typhoon)
    moved = loaded.recompute(typhoon)
    assert moved.due_at == at(2025, 11, 18, 17, 0) and moved.calendar_version == typhoon.version
    assert loaded.due_at == at(2025, 11, 17, 17, 0)


def test_deadline_rules():
    # "within 5 working days" of a request on 30 Sep 2025: the close of 14 October
    assert Deadline.compute(CAL, at(2025, 9, 30, 11, 0), working_days=5, by_close=True).due_at == at(2025, 10, 14, 17, 30)
    # received on a Saturday: the first working day counted is Monday
    assert Deadline.compute(CAL, at(2025, 11, 15, 10, 0), working_days=1, by_close=True).due_at == at(2025, 11, 17, 17, 30)
    assert Deadline.compute(CAL, at(2025, 11, 17, 11, 0), working_hours=2).due_at == at(2025, 11, 17, 14, 30)
    with pytest.raises(ValueError):
        Deadline.compute(CAL, at(2025, 11, 17, 11, 0), working_days=1, working_hours=2)
    with pytest.raises(ValueError):
        Deadline.compute(CAL, at(2025, 11, 17, 11, 0), working_hours=2, by_close=True)


def test_a_moment_is_a_day_in_the_communitys_zone():
    # 23:30 UTC on Friday 14 November is 07:30 on Saturday in Shanghai
    assert not CAL.is_workday(datetime(2025, 11, 14, 23, 30, tzinfo=timezone.utc))
    assert CAL.is_workday(datetime(2025, 11, 14, 15, 59, tzinfo=timezone.utc))
    assert CAL.is_working_time(at(2025, 11, 17, 8, 30)) and not CAL.is_working_time(at(2025, 11, 17, 12, 0))
    assert CAL.close_of(date(2025, 10, 4)) == at(2025, 10, 9, 17, 30)


def test_the_weekly_windows_are_settings_checked_at_start_up():
    from meihao.config import load_settings
    from meihao.errors import ConfigurationError

    settings = load_settings(environ={"MEIHAO_DATA_KEY": "k", "MEIHAO_WORKING_HOURS": "09:00-12:00, 14:00-18:00",
                                      "MEIHAO_WORKING_WEEKDAYS": "1,2,3,4,5,6"})
    assert (settings.working_hours, settings.working_weekdays) == (["09:00-12:00", "14:00-18:00"], [1, 2, 3, 4, 5, 6])
    assert load_settings(environ={"MEIHAO_DATA_KEY": "k"}).working_hours == ["08:30-12:00", "13:30-17:30"]
    for name, value in (("MEIHAO_WORKING_HOURS", "12:00-08:30"), ("MEIHAO_WORKING_HOURS", "08:30-12:00,11:00-17:00"),
                        ("MEIHAO_WORKING_HOURS", "8h-12h"), ("MEIHAO_WORKING_WEEKDAYS", "0,1")):
        with pytest.raises(ConfigurationError) as err:
            load_settings(environ={"MEIHAO_DATA_KEY": "k", name: value})
        assert err.value.message.startswith(name)
