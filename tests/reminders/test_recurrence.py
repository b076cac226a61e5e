"""Occurrences: RRULE on the community's wall clock, lunar dates, and the official holiday calendar."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from meihao.errors import InvalidInput
from meihao.time.recurrence import holiday_calendar_known, is_workday, occurrences, statutory_holiday, validate_rule

SHANGHAI = ZoneInfo("Asia/Shanghai")
FAR = datetime(2030, 1, 1, tzinfo=timezone.utc)


def activity(**fields):
    base = {
        "starts_at": datetime(2026, 9, 5, 9, 0, tzinfo=SHANGHAI).astimezone(timezone.utc),
        "ends_at": datetime(2026, 9, 5, 11, 30, tzinfo=SHANGHAI).astimezone(timezone.utc),
        "rrule": "",
        "lunar_month": None,
        "lunar_day": None,
        "recurrence_until": None,
        "exdates": [],
        "holiday_policy": "keep",
    }
    base.update(fields)
    return base


def local(o):
    return o.starts_at.astimezone(SHANGHAI)


def test_weekly_rrule_keeps_local_time_and_duration():
    found = occurrences(activity(rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=4"), "Asia/Shanghai", datetime(2026, 1, 1, tzinfo=timezone.utc), FAR)
    assert [local(o).date() for o in found] == [date(2026, 9, 5), date(2026, 9, 12), date(2026, 9, 19), date(2026, 9, 26)]
    assert all(local(o).hour == 9 for o in found)
    assert all((o.ends_at - o.starts_at).total_seconds() == 2.5 * 3600 for o in found)
    assert found[0].key == "2026-09-05T01:00:00Z"


def test_window_and_exdates():
    rule = activity(rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=4", exdates=["2026-09-12T01:00:00Z"])
    start = datetime(2026, 9, 10, tzinfo=timezone.utc)
    found = occurrences(rule, "Asia/Shanghai", start, datetime(2026, 9, 25, tzinfo=timezone.utc))
    assert [local(o).date() for o in found] == [date(2026, 9, 19)]


def test_lunar_double_ninth_every_year():
    chongyang = activity(
        starts_at=datetime(2026, 10, 18, 9, 0, tzinfo=SHANGHAI).astimezone(timezone.utc),
        ends_at=datetime(2026, 10, 18, 11, 0, tzinfo=SHANGHAI).astimezone(timezone.utc),
        lunar_month=9,
        lunar_day=9,
    )
    found = occurrences(chongyang, "Asia/Shanghai", datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2029, 1, 1, tzinfo=timezone.utc))
    # 重阳 (lunar 9/9): 2026-10-18, 2027-10-08, 2028-10-26
    assert [local(o).date() for o in found] == [date(2026, 10, 18), date(2027, 10, 8), date(2028, 10, 26)]


def test_holiday_calendar_knows_2026():
    assert holiday_calendar_known(2026)
    assert statutory_holiday(date(2026, 10, 3)) == "National Day"
    assert statutory_holiday(date(2026, 10, 10)) is None  # an adjusted workday, not a holiday
    assert is_workday(date(2026, 9, 20))  # Sunday, worked in lieu of the National Day holiday
    assert not is_workday(date(2026, 10, 5))


def test_unknown_years_fall_back_to_weekdays():
    assert not holiday_calendar_known(2099)
    assert statutory_holiday(date(2099, 10, 1)) is None
    assert is_workday(date(2099, 10, 1))  # a Thursday


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("keep", [date(2026, 9, 19), date(2026, 9, 26), date(2026, 10, 3)]),
        # 9/26 is in the Mid-Autumn holiday (9/25–9/27), 10/3 in National Day (10/1–10/7)
        ("skip", [date(2026, 9, 19)]),
        ("next_workday", [date(2026, 9, 19), date(2026, 9, 28), date(2026, 10, 8)]),
        ("previous_workday", [date(2026, 9, 19), date(2026, 9, 24), date(2026, 9, 30)]),
    ],
)
def test_holiday_policy(policy, expected):
    market = activity(
        starts_at=datetime(2026, 9, 19, 9, 0, tzinfo=SHANGHAI).astimezone(timezone.utc),
        ends_at=datetime(2026, 9, 19, 12, 0, tzinfo=SHANGHAI).astimezone(timezone.utc),
        rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=3",
        holiday_policy=policy,
    )
    found = occurrences(market, "Asia/Shanghai", datetime(2026, 9, 1, tzinfo=timezone.utc), FAR)
    assert [local(o).date() for o in found] == expected
    moved = [o for o in found if o.moved_from]
    if policy.endswith("workday"):
        assert [o.moved_from for o in moved] == [date(2026, 9, 26), date(2026, 10, 3)]
        assert moved[1].key == "2026-10-03T01:00:00Z"  # the key stays the original start


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (("FREQ=SOMETIMES", None, None, "keep"), "rrule"),
        (("DTSTART:20260101T000000\nFREQ=DAILY", None, None, "keep"), "rrule"),
        (("FREQ=DAILY", 9, 9, "keep"), "rrule"),
        (("", 9, None, "keep"), "lunar_month"),
        (("", 13, 1, "keep"), "lunar_month"),
        (("", None, None, "whenever"), "holiday_policy"),
    ],
)
def test_invalid_rules_name_the_field(rule, field):
    with pytest.raises(InvalidInput) as caught:
        validate_rule(*rule)
    assert caught.value.field == field
