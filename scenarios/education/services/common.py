"""What the education services share: names, permissions, settings, the session lock and the "behind" rule."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from meihao import CommunityInfo, InvalidInput, Principal, scenario_settings

from ..schemas import EducationSettings

SCENARIO = "education"
#: The kernel, for jobs and figures over the whole community.
EVERYONE = Principal.system(SCENARIO)

READ = "education.read"
MANAGE = "education.manage"
ENROL = "education.enrol"
ATTENDANCE = "education.attendance.record"
REPORT = "education.report.read"

#: The lock that makes a session's enrolments take turns (capacity, waiting list, promotion).
SESSION_LOCK = "education.session"


async def settings_of(mh: Any, community: CommunityInfo) -> EducationSettings:
    return await scenario_settings(mh, community.id, SCENARIO)  # type: ignore[return-value]


def aware(value: datetime, community: CommunityInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=community.tz)


def expected_share(month: int) -> tuple[int, int]:
    """The share of the year's requirement expected by the first day of ``month``, as (numerator, 12): the months gone."""
    return month - 1, 12


def behind(hours: int, credits: int, required_hours: int, required_credits: int, month: int) -> bool:
    """Behind on the first of ``month``: fewer 学时 or 学分 than the months gone ask (integers, no rounding).

    On 1 April (3 months gone) of a 32 学时 / 16 学分 year: fewer than 8 学时 or 4 学分."""
    gone, months = expected_share(month)
    return hours * months < required_hours * gone or credits * months < required_credits * gone


def check_year(year: int | None, today: date) -> int:
    if year is None:
        return today.year
    if not 2000 <= year <= 2100:
        raise InvalidInput("year: between 2000 and 2100", field="year")
    return year
