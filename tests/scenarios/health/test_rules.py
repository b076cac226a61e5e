"""The follow-up decision at every threshold, on each side (国家基本公共卫生服务规范 第三版 defaults), and the next due day
on the working calendar. Literal values only."""

from __future__ import annotations

from datetime import date

import pytest

from meihao import InvalidInput
from meihao.scenarios.health.schemas import FollowUpIn, HealthSettings
from meihao.scenarios.health.services.rules import decide, next_due

S = HealthSettings()


@pytest.mark.parametrize(("systolic", "diastolic", "expected"), [
    (139, 89, "controlled"),   # below 140/90: 控制满意
    (140, 89, "recheck"),      # systolic at 140: first uncontrolled
    (139, 90, "recheck"),      # diastolic at 90
    (179, 109, "recheck"),     # just below the emergency values
    (180, 100, "emergency"),   # systolic at 180
    (170, 110, "emergency"),   # diastolic at 110
])
def test_blood_pressure_thresholds(systolic, diastolic, expected):
    assert decide("hypertension", FollowUpIn(systolic=systolic, diastolic=diastolic), 0, S)[0] == expected


@pytest.mark.parametrize(("glucose", "expected"), [
    (6.9, "controlled"), (7.0, "recheck"),       # 空腹血糖 <7.0 controlled
    (16.6, "recheck"), (16.7, "emergency"),      # ≥16.7 emergency
    (4.0, "controlled"), (3.9, "emergency"),     # ≤3.9 emergency (hypoglycaemia)
])
def test_glucose_thresholds(glucose, expected):
    assert decide("diabetes", FollowUpIn(glucose=glucose), 0, S)[0] == expected


def test_a_diabetic_with_an_emergency_blood_pressure_is_an_emergency():
    assert decide("diabetes", FollowUpIn(glucose=6.0, systolic=180, diastolic=95), 0, S) == ("emergency", 0)
    assert decide("diabetes", FollowUpIn(glucose=6.0, systolic=179, diastolic=109), 0, S) == ("controlled", 0)


def test_two_uncontrolled_in_a_row_refer_and_a_controlled_visit_resets_the_count():
    first = decide("hypertension", FollowUpIn(systolic=150, diastolic=85), 0, S)
    assert first == ("recheck", 1)
    assert decide("hypertension", FollowUpIn(systolic=150, diastolic=85), first[1], S) == ("referral", 2)
    assert decide("hypertension", FollowUpIn(systolic=130, diastolic=80), 1, S) == ("controlled", 0)
    assert decide("diabetes", FollowUpIn(glucose=7.0), 1, S) == ("referral", 2)


def test_side_effects_recheck_and_a_new_complication_refers_even_when_controlled():
    assert decide("hypertension", FollowUpIn(systolic=128, diastolic=78, side_effects=True), 0, S) == ("recheck", 0)
    assert decide("hypertension", FollowUpIn(systolic=128, diastolic=78, new_complication=True), 0, S) == ("referral", 0)


def test_emergency_signs_refer_at_once_whatever_the_readings():
    assert decide("hypertension", FollowUpIn(systolic=128, diastolic=78, emergency_signs=True), 0, S) == ("emergency", 0)


def test_every_threshold_is_a_setting():
    strict = HealthSettings(systolic_controlled_below=130, diastolic_controlled_below=80, glucose_controlled_below=6.1,
                            uncontrolled_in_a_row_for_referral=3)
    assert decide("hypertension", FollowUpIn(systolic=135, diastolic=75), 0, strict)[0] == "recheck"
    assert decide("hypertension", FollowUpIn(systolic=129, diastolic=79), 0, strict)[0] == "controlled"
    assert decide("diabetes", FollowUpIn(glucose=6.1), 0, strict)[0] == "recheck"
    assert decide("diabetes", FollowUpIn(glucose=6.1), 1, strict) == ("recheck", 2)
    assert decide("diabetes", FollowUpIn(glucose=6.1), 2, strict) == ("referral", 3)


@pytest.mark.parametrize(("body", "field"), [
    ({"systolic": 140}, "diastolic"),                    # a pair or nothing
    ({"systolic": 90, "diastolic": 95}, "diastolic"),    # diastolic not below systolic
    ({}, "systolic"),                                    # hypertension needs the blood pressure
])
def test_readings_a_hypertension_follow_up_needs(body, field):
    with pytest.raises(InvalidInput) as err:
        decide("hypertension", FollowUpIn(**body), 0, S)
    assert err.value.field == field


def test_a_diabetes_follow_up_needs_the_glucose():
    with pytest.raises(InvalidInput) as err:
        decide("diabetes", FollowUpIn(systolic=130, diastolic=80), 0, S)
    assert err.value.field == "glucose"


def test_bad_settings_are_refused():
    for bad in ({"systolic_controlled_below": 180}, {"glucose_low_emergency_at": 7.0}, {"tracing_after_working_days": 0},
                {"recheck_within_days": 0}):
        with pytest.raises(ValueError):
            HealthSettings(**bad)


@pytest.mark.parametrize(("decision", "visited", "expected"), [
    ("controlled", date(2026, 3, 2), date(2026, 5, 29)),  # +90 days = Sun 31 May → Fri 29 May
    ("recheck", date(2026, 3, 2), date(2026, 3, 16)),     # +14 = Mon 16 Mar, a working day
    ("referral", date(2026, 3, 7), date(2026, 3, 20)),    # +14 = Sat 21 Mar → Fri 20 Mar, never past two weeks
    ("recheck", date(2026, 9, 20), date(2026, 9, 30)),    # +14 = Sun 4 Oct (国庆) → Wed 30 Sep
    ("emergency", date(2026, 9, 26), date(2026, 10, 10)),  # +14 = Sat 10 Oct, a make-up working day
])
async def test_the_next_due_day_is_a_working_day_on_or_before_the_rule(meihao, decision, visited, expected):
    from meihao import working_calendar

    calendar = await working_calendar(meihao, None)
    assert next_due(decision, visited, S, calendar) == expected
