"""Occurrences at the edges: the window's first and last instant, a holiday moved across the
window's edge, the end of a recurrence, the cap on occurrences, a lunar 30th in a short month.

Expected dates are literals from the State Council's calendar and the lunar calendar
(除夕 Chinese New Year's Eve: 2025-01-28, 2026-02-16, 2027-02-05, 2028-01-25).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from meihao.errors import InvalidInput
from meihao.time.recurrence import (
    MAX_OCCURRENCES,
    Occurrence,
    local_day_bounds,
    occurrence_key,
    occurrences,
    validate_rule,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
FAR = datetime(2030, 1, 1, tzinfo=timezone.utc)
UTC = timezone.utc


def _local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)


def market(**fields):
    """Saturdays at 9:00 from 19 September 2026, three times: 9/19, 9/26 (Mid-Autumn holiday), 10/3 (National Day)."""
    base = {
        "starts_at": _local(2026, 9, 19, 9),
        "ends_at": _local(2026, 9, 19, 12),
        "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=3",
        "lunar_month": None,
        "lunar_day": None,
        "recurrence_until": None,
        "exdates": [],
        "holiday_policy": "keep",
    }
    base.update(fields)
    return base


def days(found: list[Occurrence]) -> list[tuple[date, date | None]]:
    return [(o.starts_at.astimezone(SHANGHAI).date(), o.moved_from) for o in found]


# -- the window: [start, end) -------------------------------------------------------------


def test_an_occurrence_at_the_windows_first_instant_is_in_and_at_its_end_is_out():
    rule = market()
    at_nine = _local(2026, 9, 26, 9)
    assert days(occurrences(rule, "Asia/Shanghai", at_nine, FAR)) == [(date(2026, 9, 26), None), (date(2026, 10, 3), None)]
    assert days(occurrences(rule, "Asia/Shanghai", at_nine + timedelta(seconds=1), FAR)) == [(date(2026, 10, 3), None)]
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 9, 1), at_nine)) == [(date(2026, 9, 19), None)]
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 9, 1), at_nine + timedelta(seconds=1))) == [
        (date(2026, 9, 19), None), (date(2026, 9, 26), None)]


def test_a_holiday_moved_forward_into_the_window_from_before_its_start_is_kept():
    # 10/3 (National Day) moves to Thursday 10/8; a window opening on 10/8 must still see it,
    # though the original day lies before the window (the slack around the window)
    rule = market(holiday_policy="next_workday")
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 10, 8), FAR)) == [(date(2026, 10, 8), date(2026, 10, 3))]
    # at the moved start exactly: in; a second later: out
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 10, 8, 9), FAR)) == [(date(2026, 10, 8), date(2026, 10, 3))]
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 10, 8, 9) + timedelta(seconds=1), FAR)) == []
    # 9/26 (Mid-Autumn) moves to Monday 9/28
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 9, 27), FAR)) == [
        (date(2026, 9, 28), date(2026, 9, 26)), (date(2026, 10, 8), date(2026, 10, 3))]


def test_a_holiday_moved_back_into_the_window_from_after_its_end_is_kept():
    # 10/3 moves back to Wednesday 9/30: a window closing on 10/1 sees it, though 10/3 lies beyond
    rule = market(holiday_policy="previous_workday")
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 9, 1), _local(2026, 10, 1))) == [
        (date(2026, 9, 19), None), (date(2026, 9, 24), date(2026, 9, 26)), (date(2026, 9, 30), date(2026, 10, 3))]
    # the window's end is exclusive: ending at the moved start leaves it out
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 9, 25), _local(2026, 9, 30, 9))) == []
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 9, 25), _local(2026, 9, 30, 9) + timedelta(seconds=1))) == [
        (date(2026, 9, 30), date(2026, 10, 3))]


def test_a_holiday_moved_out_of_the_window_is_not_in_it():
    rule = market(holiday_policy="next_workday")
    # the window is the National Day week: the market of 10/3 moved to 10/8, after it
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 10, 1), _local(2026, 10, 8))) == []


def test_skip_and_keep_on_holidays():
    assert days(occurrences(market(holiday_policy="skip"), "Asia/Shanghai", _local(2026, 9, 1), FAR)) == [(date(2026, 9, 19), None)]
    assert days(occurrences(market(), "Asia/Shanghai", _local(2026, 9, 1), FAR)) == [
        (date(2026, 9, 19), None), (date(2026, 9, 26), None), (date(2026, 10, 3), None)]


# -- the end of a recurrence and exceptions -------------------------------------------------


def test_recurrence_until_is_inclusive():
    until_nine = market(rrule="FREQ=WEEKLY;BYDAY=SA", recurrence_until=_local(2026, 9, 26, 9))
    assert days(occurrences(until_nine, "Asia/Shanghai", _local(2026, 9, 1), FAR)) == [(date(2026, 9, 19), None), (date(2026, 9, 26), None)]
    a_minute_before = market(rrule="FREQ=WEEKLY;BYDAY=SA", recurrence_until=_local(2026, 9, 26, 8, 59))
    assert days(occurrences(a_minute_before, "Asia/Shanghai", _local(2026, 9, 1), FAR)) == [(date(2026, 9, 19), None)]


def test_an_excluded_occurrence_is_left_out_even_when_a_holiday_would_move_it():
    rule = market(holiday_policy="next_workday", exdates=["2026-10-03T01:00:00Z"])
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 9, 1), FAR)) == [
        (date(2026, 9, 19), None), (date(2026, 9, 28), date(2026, 9, 26))]


def test_an_occurrence_keeps_its_duration_and_its_original_key_when_moved():
    found = occurrences(market(holiday_policy="next_workday"), "Asia/Shanghai", _local(2026, 10, 1), FAR)
    assert found == [Occurrence("2026-10-03T01:00:00Z", datetime(2026, 10, 8, 1, 0, tzinfo=UTC), datetime(2026, 10, 8, 4, 0, tzinfo=UTC),
                                date(2026, 10, 3))]


def test_a_one_off_activity_is_one_occurrence():
    one = market(rrule="")
    assert occurrences(one, "Asia/Shanghai", _local(2026, 9, 1), FAR) == [
        Occurrence("2026-09-19T01:00:00Z", datetime(2026, 9, 19, 1, 0, tzinfo=UTC), datetime(2026, 9, 19, 4, 0, tzinfo=UTC))]


def test_a_runaway_rule_stops_at_the_cap():
    daily = market(rrule="FREQ=HOURLY")
    found = occurrences(daily, "Asia/Shanghai", _local(2026, 9, 1), FAR)
    assert MAX_OCCURRENCES == 2000
    assert len(found) == 2000
    assert found[-1].starts_at == _local(2026, 9, 19, 9) + timedelta(hours=1999)


def test_the_wall_clock_time_survives_a_daylight_saving_change():
    berlin = ZoneInfo("Europe/Berlin")
    rule = market(starts_at=_local(2026, 10, 17, 9, tz=berlin), ends_at=_local(2026, 10, 17, 11, tz=berlin))
    found = occurrences(rule, "Europe/Berlin", _local(2026, 10, 1), FAR)
    # summer time ends on 25 October: 9:00 stays 9:00, which is 07:00 then 08:00 UTC
    assert [o.starts_at for o in found] == [datetime(2026, 10, 17, 7, 0, tzinfo=UTC), datetime(2026, 10, 24, 7, 0, tzinfo=UTC),
                                            datetime(2026, 10, 31, 8, 0, tzinfo=UTC)]


# -- lunar dates ----------------------------------------------------------------------------


def test_a_lunar_30th_in_a_29_day_month_falls_on_the_29th():
    # 除夕 (the 30th of the twelfth lunar month, or the 29th when the month is short)
    chuxi = market(starts_at=_local(2025, 1, 1, 19), ends_at=_local(2025, 1, 1, 21), rrule="", lunar_month=12, lunar_day=30)
    found = occurrences(chuxi, "Asia/Shanghai", _local(2025, 1, 1), _local(2029, 1, 1))
    assert [o.starts_at.astimezone(SHANGHAI) for o in found] == [
        datetime(2025, 1, 28, 19, 0, tzinfo=SHANGHAI), datetime(2026, 2, 16, 19, 0, tzinfo=SHANGHAI),
        datetime(2027, 2, 5, 19, 0, tzinfo=SHANGHAI), datetime(2028, 1, 25, 19, 0, tzinfo=SHANGHAI)]


def test_a_lunar_date_before_the_first_start_is_not_an_occurrence():
    # 重阳 2026 is 10/18; an activity first held on 10/19 starts in 2027 (10/8)
    chongyang = market(starts_at=_local(2026, 10, 19, 9), ends_at=_local(2026, 10, 19, 11), rrule="", lunar_month=9, lunar_day=9)
    found = occurrences(chongyang, "Asia/Shanghai", _local(2026, 1, 1), _local(2028, 1, 1))
    assert days(found) == [(date(2027, 10, 8), None)]
    # first held on 重阳 itself at 9:00: that day counts
    same_day = market(starts_at=_local(2026, 10, 18, 9), ends_at=_local(2026, 10, 18, 11), rrule="", lunar_month=9, lunar_day=9)
    assert days(occurrences(same_day, "Asia/Shanghai", _local(2026, 1, 1), _local(2028, 1, 1))) == [
        (date(2026, 10, 18), None), (date(2027, 10, 8), None)]


# -- keys, days and rules ------------------------------------------------------------------


def test_keys_and_local_days():
    assert occurrence_key(datetime(2026, 9, 19, 9, 0, tzinfo=SHANGHAI)) == "2026-09-19T01:00:00Z"
    assert local_day_bounds(date(2026, 9, 19), "Asia/Shanghai") == (datetime(2026, 9, 18, 16, 0, tzinfo=UTC), datetime(2026, 9, 19, 16, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (("FREQ=SOMETIMES", None, None, "keep"), "rrule: FREQ must be one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY"),
        (("DTSTART:20260101T000000\nFREQ=DAILY", None, None, "keep"), "rrule: leave DTSTART out; the activity's start is the first occurrence"),
        (("FREQ=DAILY", 9, 9, "keep"), "rrule: give either an RRULE or a lunar date, not both"),
        (("", 9, None, "keep"), "lunar_month: give lunar_month and lunar_day together"),
        (("", None, 9, "keep"), "lunar_month: give lunar_month and lunar_day together"),
        (("", 0, 1, "keep"), "lunar_month: a lunar date is month 1–12, day 1–30"),
        (("", 13, 1, "keep"), "lunar_month: a lunar date is month 1–12, day 1–30"),
        (("", 1, 0, "keep"), "lunar_month: a lunar date is month 1–12, day 1–30"),
        (("", 1, 31, "keep"), "lunar_month: a lunar date is month 1–12, day 1–30"),
        (("", None, None, "whenever"), "holiday_policy: must be one of keep, skip, next_workday, previous_workday"),
    ],
)
def test_invalid_rules_say_what_is_wrong(rule, message):
    with pytest.raises(InvalidInput) as caught:
        validate_rule(*rule)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "rule",
    [("FREQ=DAILY", None, None, "keep"), ("RRULE:FREQ=WEEKLY;BYDAY=SA", None, None, "skip"), ("", 1, 1, "next_workday"),
     ("", 12, 30, "previous_workday"), ("", None, None, "keep")],
)
def test_valid_rules_at_the_limits_pass(rule):
    assert validate_rule(*rule) is None


# -- what mutation testing found unguarded (docs/testing.md) -----------------------------------


def test_skip_leaves_out_only_the_holidays_and_keeps_what_follows():
    # 9/26 and 10/3 are holidays; 10/10 is a Saturday worked in lieu (调休), 10/17 an ordinary one
    rule = market(rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=5", holiday_policy="skip")
    assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 9, 1), FAR)) == [
        (date(2026, 9, 19), None), (date(2026, 10, 10), None), (date(2026, 10, 17), None)]


def test_no_holiday_policy_given_keeps_occurrences_on_holidays():
    for missing in (None, ""):
        rule = market(holiday_policy=missing)
        assert days(occurrences(rule, "Asia/Shanghai", _local(2026, 9, 1), FAR)) == [
            (date(2026, 9, 19), None), (date(2026, 9, 26), None), (date(2026, 10, 3), None)]


def test_in_a_year_the_calendar_does_not_know_weekends_are_not_workdays():
    from meihao.time.recurrence import is_workday

    # 2099: no announced holidays; Friday 2 October works, Saturday 3 and Sunday 4 do not
    assert [is_workday(date(2099, 10, d)) for d in (2, 3, 4, 5)] == [True, False, False, True]


def test_an_rrule_and_one_half_of_a_lunar_date_is_refused_as_both():
    with pytest.raises(InvalidInput) as caught:
        validate_rule("FREQ=DAILY", 9, None, "keep")
    assert str(caught.value) == "rrule: give either an RRULE or a lunar date, not both"
    with pytest.raises(InvalidInput) as caught:
        validate_rule("FREQ=DAILY", None, 9, "keep")
    assert str(caught.value) == "rrule: give either an RRULE or a lunar date, not both"


@pytest.fixture
def machine_in_shanghai(monkeypatch):
    """The machine's own time zone is not UTC: results must still be in UTC."""
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_keys_and_times_are_utc_whatever_the_machines_time_zone(machine_in_shanghai):
    assert occurrence_key(datetime(2026, 9, 19, 9, 0, tzinfo=SHANGHAI)) == "2026-09-19T01:00:00Z"
    begin, end = local_day_bounds(date(2026, 9, 19), "Asia/Shanghai")
    assert (begin.isoformat(), end.isoformat()) == ("2026-09-18T16:00:00+00:00", "2026-09-19T16:00:00+00:00")
    found = occurrences(market(), "Asia/Shanghai", _local(2026, 9, 1), FAR)
    assert [o.starts_at.isoformat() for o in found] == ["2026-09-19T01:00:00+00:00", "2026-09-26T01:00:00+00:00", "2026-10-03T01:00:00+00:00"]
    assert [o.key for o in found] == ["2026-09-19T01:00:00Z", "2026-09-26T01:00:00Z", "2026-10-03T01:00:00Z"]
