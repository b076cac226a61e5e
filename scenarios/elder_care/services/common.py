"""What the elder_care services share: settings, local dates, the visit plan's state, scoping, checks on people named in a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from meihao import InvalidInput, NotFound, Principal, scenario_settings
from meihao.tables import Resident, Staff, StaffAssignment

from ..schemas import ElderCareSettings, VisitorOut
from ..tables import Elder

SCENARIO = "elder_care"
#: Roles that make up a grid's team, and may be an elder's responsible visitor.
TEAM_ROLES = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")


# -- dates -------------------------------------------------------------------------------


def local_today(mh: Any, community: dict[str, Any]) -> date:
    return mh.clock.now().astimezone(ZoneInfo(community["timezone"])).date()


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


async def settings_of(mh: Any, community: dict[str, Any]) -> ElderCareSettings:
    return await scenario_settings(mh, community["id"], SCENARIO)  # type: ignore[return-value]


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


def plan_state(row: dict[str, Any], settings: ElderCareSettings, today: date) -> PlanState:
    interval = row["interval_days"] or settings.interval_for(row["care_level"])
    anchor = row["last_contact_on"] or row["plan_starts_on"]
    next_due = anchor + timedelta(days=interval)
    elapsed = (today - anchor).days
    missed = max(0, (elapsed - 1) // interval) if elapsed > interval else 0
    status = "overdue" if missed else ("due_today" if today == next_due else "ok")
    return PlanState(interval, anchor, next_due, status, missed, anchor + timedelta(days=interval * max(missed, 1)))


# -- scoping -----------------------------------------------------------------------------
# Every function that returns or changes people takes the caller's ``Principal``: elders
# are residents, so the caller's scope is applied in SQL (``principal.resident_ids()``), and
# an elder outside it is a 404 exactly like one that does not exist.


def residents_of(community_id: int) -> Any:
    return Resident.select(Resident.id).where(Resident.community == community_id)


def elder_where(principal: Principal, community_id: int) -> list[Any]:
    """Elders of the community that the caller's scope reaches, as WHERE clauses."""
    return [Elder.resident.is_in(residents_of(community_id)), Elder.resident.is_in(principal.resident_ids())]


def _elder_select() -> Any:
    return Elder.select(
        Elder.all_columns(),
        Elder.resident.name.as_alias("name"),
        Elder.resident.gender.as_alias("gender"),
        Elder.resident.birth_date.as_alias("birth_date"),
        Elder.resident.grid.as_alias("grid_id"),
        Elder.visitor_staff.name.as_alias("visitor_staff_name"),
        Elder.visitor_resident.name.as_alias("visitor_resident_name"),
    )


def _visitor(staff_id: int | None, staff_name: str | None, resident_id: int | None, resident_name: str | None) -> VisitorOut | None:
    if staff_id:
        return VisitorOut(kind="staff", id=staff_id, name=staff_name or "")
    if resident_id:
        return VisitorOut(kind="resident", id=resident_id, name=resident_name or "")
    return None


async def _elder_row(principal: Principal, community: dict[str, Any], elder_id: int) -> dict[str, Any]:
    row = await _elder_select().where(Elder.id == elder_id, *elder_where(principal, community["id"])).first()
    if row is None:
        raise NotFound(f"elder {elder_id} not found")
    return row


# -- checks on people named in a request ---------------------------------------------------------


async def _resident_in_scope(principal: Principal, community_id: int, resident_id: int, field: str) -> dict[str, Any]:
    row = await Resident.select(Resident.id, Resident.name, Resident.birth_date, Resident.grid).where(
        Resident.id == resident_id, Resident.community == community_id, Resident.id.is_in(principal.resident_ids())
    ).first()
    if row is None:
        raise NotFound(f"{field}: resident {resident_id} not found", field=field)
    return row


async def _team_member(community_id: int, staff_id: int, field: str) -> dict[str, Any]:
    """An active staff member on this community's team (its admin or a grid role in it)."""
    row = await Staff.select(Staff.id, Staff.name).where(
        Staff.id == staff_id,
        Staff.active.eq(True),
        Staff.id.is_in(
            StaffAssignment.select(StaffAssignment.staff).where(
                StaffAssignment.community == community_id, StaffAssignment.role.is_in(list(TEAM_ROLES))
            )
        ),
    ).first()
    if row is None:
        raise NotFound(f"{field}: staff {staff_id} is not on this community's team", field=field)
    return row


async def _check_visitor(principal: Principal, community_id: int, staff_id: int | None, resident_id: int | None) -> None:
    if staff_id is not None and resident_id is not None:
        raise InvalidInput("visitor_staff_id: give a staff member or a volunteer resident, not both", field="visitor_staff_id")
    if staff_id is not None:
        await _team_member(community_id, staff_id, "visitor_staff_id")
    if resident_id is not None:
        await _resident_in_scope(principal, community_id, resident_id, "visitor_resident_id")
