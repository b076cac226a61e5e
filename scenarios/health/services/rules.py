"""The follow-up decision (随访分类): what a visit's readings decide, and the next visit's date on working days.

国家基本公共卫生服务规范（第三版）, hypertension and type-2 diabetes follow-ups (domain-rules.md §3): 控制满意 →
next visit in a quarter; first 控制不满意 or 药物不良反应 → recheck within 2 weeks; two uncontrolled in a row or a
new complication → 转诊, followed up within 2 weeks; emergency values → 紧急转诊. Every number is a setting.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from meihao import InvalidInput, WorkingCalendar

from ..schemas import FollowUpIn, HealthSettings


def tenths(value: float) -> int:
    """mmol/L in whole tenths (7.0 → 70), so that thresholds compare exactly."""
    return round(value * 10)


def check_readings(condition: str, data: FollowUpIn) -> None:
    """A hypertension follow-up needs both blood pressures, a diabetes one the fasting glucose; BP comes in pairs."""
    if (data.systolic is None) != (data.diastolic is None):
        raise InvalidInput("diastolic: give the blood pressure as systolic and diastolic together", field="diastolic")
    if data.systolic is not None and data.diastolic is not None and data.diastolic >= data.systolic:
        raise InvalidInput(f"diastolic: {data.diastolic} is not below the systolic {data.systolic}", field="diastolic")
    if condition == "hypertension" and data.systolic is None:
        raise InvalidInput("systolic: a hypertension follow-up records the blood pressure", field="systolic")
    if condition == "diabetes" and data.glucose is None:
        raise InvalidInput("glucose: a diabetes follow-up records the fasting glucose (mmol/L)", field="glucose")


def emergency(data: FollowUpIn, s: HealthSettings) -> bool:
    """紧急转诊: BP ≥180 and/or ≥110, or glucose ≥16.7 or ≤3.9 (whichever was measured)."""
    if data.systolic is not None and (data.systolic >= s.systolic_emergency_at or (data.diastolic or 0) >= s.diastolic_emergency_at):
        return True
    if data.glucose is not None:
        g = tenths(data.glucose)
        return g >= tenths(s.glucose_high_emergency_at) or g <= tenths(s.glucose_low_emergency_at)
    return False


def uncontrolled(condition: str, data: FollowUpIn, s: HealthSettings) -> bool:
    """控制不满意: hypertension ≥140 and/or ≥90; diabetes fasting glucose ≥7.0 mmol/L."""
    if condition == "hypertension":
        return (data.systolic or 0) >= s.systolic_controlled_below or (data.diastolic or 0) >= s.diastolic_controlled_below
    return tenths(data.glucose or 0) >= tenths(s.glucose_controlled_below)


def decide(condition: str, data: FollowUpIn, uncontrolled_before: int, s: HealthSettings) -> tuple[str, int]:
    """The decision (``controlled``, ``recheck``, ``referral``, ``emergency``) and the uncontrolled visits in a row after it."""
    check_readings(condition, data)
    bad = uncontrolled(condition, data, s)
    in_a_row = uncontrolled_before + 1 if bad else 0
    if data.emergency_signs or emergency(data, s):
        return "emergency", in_a_row
    if data.new_complication or (bad and in_a_row >= s.uncontrolled_in_a_row_for_referral):
        return "referral", in_a_row
    if bad or data.side_effects:
        return "recheck", in_a_row
    return "controlled", in_a_row


def interval_days(decision: str, s: HealthSettings) -> int:
    return {"controlled": s.routine_interval_days, "recheck": s.recheck_within_days}.get(decision, s.referral_follow_up_days)


def next_due(decision: str, visited_on: date, s: HealthSettings, calendar: WorkingCalendar) -> date:
    """The next visit: ``visited_on`` + the decision's days, brought back to the last working day on or before it
    ("within 2 weeks" must not run past 2 weeks because the day fell on a weekend or holiday)."""
    return on_or_before(visited_on + timedelta(days=interval_days(decision, s)), calendar)


def on_or_before(day: date, calendar: Any) -> date:
    """The working day ``day`` itself, or the last working day before it."""
    return day if calendar.is_workday(day) else calendar.add_working_days(day, -1)


def on_or_after(day: date, calendar: Any) -> date:
    return calendar.add_working_days(day, 0)
