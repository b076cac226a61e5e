"""What the elder_care services share: settings, dates, the visit plan's state, scoping, checks on people named in a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from piccolo.querystring import QueryString

from meihao import CommunityInfo, InvalidInput, Principal, scenario_settings, scope_where, scoped_resident, scoped_row, scoped_staff

from ..schemas import ElderCareSettings, VisitorOut
from ..tables import Elder

SCENARIO = "elder_care"
#: Roles that make up a grid's team, and may be an elder's responsible visitor.
TEAM_ROLES = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")


#: The kernel itself, for work on the whole community (jobs, audiences, figures): every resident of it.
EVERYONE = Principal.system("elder_care")


def elders_in_scope(principal: Principal, community: CommunityInfo) -> Any:
    """The ids of the elders (active or not) of ``community`` that ``principal`` reaches, as a subquery: for a table that
    points to an elder, the same rows as ``scope_where(…, Table.elder.resident)`` without building Piccolo's join through
    ``Resident`` (a copy of each of its columns: milliseconds per query, which the overview pays for every card)."""
    return Elder.select(Elder.id).where(*scope_where(principal, community, Elder.resident))


def count_if(condition: Any, alias: str) -> QueryString:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)``: how many rows match, counted in the same pass as other figures."""
    return QueryString("SUM(CASE WHEN {} THEN 1 ELSE 0 END)", condition.querystring).as_alias(alias)


# -- dates -------------------------------------------------------------------------------


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


async def settings_of(mh: Any, community: CommunityInfo) -> ElderCareSettings:
    return await scenario_settings(mh, community.id, SCENARIO)  # type: ignore[return-value]


# -- the visit plan ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlanState:
    interval_days: int
    anchor: date
    next_due_on: date
    #: ``ok``, ``due_today`` or ``overdue``.
    status: str
    #: Due dates (anchor + k × interval) already past without contact.
    missed: int
    #: The latest due date that passed (the one an overdue notice is about).
    current_due_on: date
    #: Days past ``next_due_on`` (0 when not overdue): what escalation counts.
    days_overdue: int = 0


def plan_state(row: dict[str, Any], settings: ElderCareSettings, today: date) -> PlanState:
    """The plan on ``today``: next due ``anchor + interval``, or earlier when a follow-up set ``revisit_on``; then due
    dates every interval after it, each one passed without contact a missed one."""
    interval = row["interval_days"] or settings.interval_for(row["care_level"])
    anchor = row["last_contact_on"] or row["plan_starts_on"]
    next_due = anchor + timedelta(days=interval)
    revisit = row.get("revisit_on")
    if revisit is not None and anchor < revisit < next_due:
        next_due = revisit
    late = (today - next_due).days
    missed = 1 + (late - 1) // interval if late > 0 else 0
    status = "overdue" if missed else ("due_today" if today == next_due else "ok")
    return PlanState(interval, anchor, next_due, status, missed, next_due + timedelta(days=interval * max(missed - 1, 0)), max(late, 0))


# -- the civil-affairs categories and 特殊困难 -------------------------------------------------------


def categories_of(row: dict[str, Any], settings: ElderCareSettings) -> list[str]:
    """Every category of ``CATEGORIES`` that applies: 失能 and 重残 from their fields, the rest as kept."""
    found = []
    if row["disability"] != "none":
        found.append("self_care_loss")
    kept = set(filter(None, (row.get("categories") or "").split(",")))
    if "dementia" in kept:
        found.append("dementia")
    grade = row.get("disability_grade")
    if grade is not None and grade <= settings.severe_disability_max_grade:
        found.append("severe_disability")
    found += [c for c in ("family_planning_special", "dispersed_extreme_poverty", "subsistence_allowance") if c in kept]
    return found


def encode_categories(categories: list[str]) -> str:
    """",dementia,subsistence_allowance,": one code per comma, so that SQL can ask ``LIKE '%,dementia,%'``."""
    codes = sorted(set(categories))
    return f",{','.join(codes)}," if codes else ""


def special_difficulty(row: dict[str, Any], settings: ElderCareSettings) -> bool:
    """特殊困难老年人 (民政部等10部门 2022): living alone, 空巢, 留守, 失能, 重残, or in a ledger category."""
    return bool(row["living_alone"] or row.get("empty_nest") or row.get("left_behind") or categories_of(row, settings))


def special_difficulty_where(settings: ElderCareSettings) -> Any:
    """:func:`special_difficulty` as one SQL condition on ``Elder`` (the 月探访率's denominator)."""
    return (
        Elder.living_alone.eq(True) | Elder.empty_nest.eq(True) | Elder.left_behind.eq(True) | (Elder.disability != "none")
        | (Elder.disability_grade <= settings.severe_disability_max_grade) | (Elder.categories != "")
    )


# -- scoping -----------------------------------------------------------------------------
# Every function that returns or changes people takes the caller's ``Principal``: elders
# are residents, so the caller's scope is applied in SQL (``scope_where(..., Elder.resident)``),
# and an elder outside it is a 404 exactly like one that does not exist.

ELDER_COLUMNS = (
    Elder.all_columns(),
    Elder.resident.name.as_alias("name"),
    Elder.resident.gender.as_alias("gender"),
    Elder.resident.birth_date.as_alias("birth_date"),
    Elder.resident.grid.as_alias("grid_id"),
    Elder.visitor_staff.name.as_alias("visitor_staff_name"),
    Elder.visitor_resident.name.as_alias("visitor_resident_name"),
)


def _elder_select() -> Any:
    return Elder.select(*ELDER_COLUMNS)


def _visitor(staff_id: int | None, staff_name: str | None, resident_id: int | None, resident_name: str | None) -> VisitorOut | None:
    if staff_id:
        return VisitorOut(kind="staff", id=staff_id, name=staff_name or "")
    if resident_id:
        return VisitorOut(kind="resident", id=resident_id, name=resident_name or "")
    return None


async def _elder_row(principal: Principal, community: CommunityInfo, elder_id: int) -> dict[str, Any]:
    return await scoped_row(Elder, elder_id, principal, community, via=Elder.resident, columns=ELDER_COLUMNS, noun="elder")


# -- checks on people named in a request ---------------------------------------------------------


async def _check_visitor(principal: Principal, community: CommunityInfo, staff_id: int | None, resident_id: int | None) -> None:
    if staff_id is not None and resident_id is not None:
        raise InvalidInput("visitor_staff_id: give a staff member or a volunteer resident, not both", field="visitor_staff_id")
    if staff_id is not None:
        # on this community's team: its admin or a grid role in it
        await scoped_staff(principal, community, staff_id, "visitor_staff_id", roles=TEAM_ROLES)
    if resident_id is not None:
        await scoped_resident(principal, community, resident_id, "visitor_resident_id")
