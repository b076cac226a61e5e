"""elder_care's work, without HTTP: the register, visit plans, visits, the daily overdue check, nursing-home visits.

Every function that returns or changes people takes the caller's ``Principal``: elders
are residents, so the caller's scope is applied in SQL (``principal.resident_ids()``), and
an elder outside it is a 404 exactly like one that does not exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from meihao import (
    ActivityIn,
    ActivityPatch,
    Conflict,
    InvalidInput,
    NoticeIn,
    NotFound,
    Principal,
    audit,
    cancel_activity,
    create_activity,
    mask_phone,
    normalise_phone,
    notify,
    scenario_settings,
    update_activity,
)
from meihao.tables import Resident, ResidentTag, Staff, StaffAssignment

from .schemas import (
    CARE_LEVELS,
    CHECKLIST,
    NEEDS,
    AlertOut,
    CandidateOut,
    ElderCareSettings,
    ElderIn,
    ElderOut,
    ElderPage,
    ElderPatch,
    EmergencyContact,
    Findings,
    NursingHomeVisitIn,
    NursingHomeVisitOut,
    PlanOut,
    RosterIn,
    RosterOut,
    VisitIn,
    VisitorOut,
    VisitOut,
)
from .tables import CommunityLink, Elder, NursingHomeVisit, OverdueAlert, RosterEntry, Visit

SCENARIO = "elder_care"
#: Roles that make up a grid's team, and may be an elder's responsible visitor.
TEAM_ROLES = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")


# -- dates -------------------------------------------------------------------------------


def local_today(mh: Any, community: dict[str, Any]) -> date:
    return mh.clock.now().astimezone(ZoneInfo(community["timezone"])).date()


def _day(day: date) -> str:
    return f"{day.month}月{day.day}日"


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


def suggest_care_level(age: int, living_alone: bool, disability: str, settings: ElderCareSettings) -> str:
    """高风险 80+ living alone, or disabled and alone; 重点 disabled or 80+; else 一般 (domain-rules §7)."""
    if living_alone and (age >= settings.high_risk_age or disability == "full"):
        return "high_risk"
    if disability != "none" or age >= settings.high_risk_age:
        return "key"
    return "general"


# -- scoping -----------------------------------------------------------------------------


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


def present(row: dict[str, Any], settings: ElderCareSettings, today: date) -> ElderOut:
    state = plan_state(row, settings, today)
    return ElderOut(
        id=row["id"],
        resident_id=row["resident"],
        name=row["name"],
        gender=row["gender"],
        age=age_on(row["birth_date"], today),
        grid_id=row["grid_id"],
        care_level=row["care_level"],
        care_level_title=CARE_LEVELS[row["care_level"]][0],
        living_alone=row["living_alone"],
        disability=row["disability"],
        emergency_contact=EmergencyContact(
            name=row["emergency_contact_name"],
            relation=row["emergency_contact_relation"],
            phone=mask_phone(row["emergency_contact_phone"]),
        ),
        visitor=_visitor(row["visitor_staff"], row["visitor_staff_name"], row["visitor_resident"], row["visitor_resident_name"]),
        plan=PlanOut(
            interval_days=state.interval_days,
            follows_care_level=row["interval_days"] is None,
            starts_on=row["plan_starts_on"],
            last_contact_on=row["last_contact_on"],
            next_due_on=state.next_due_on,
            status=state.status if row["active"] else "ended",
            missed_intervals=state.missed,
        ),
        notes=row["notes"],
        active=row["active"],
        ended_reason=row["ended_reason"],
    )


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


def _check_interval(value: int | None) -> None:
    if value is not None and not 1 <= value <= 366:
        raise InvalidInput("interval_days: between 1 and 366 days", field="interval_days")


def _contact_values(contact: EmergencyContact) -> dict[Any, Any]:
    name = contact.name.strip()
    if len(name) > 64:
        raise InvalidInput("emergency_contact.name: at most 64 characters", field="emergency_contact.name")
    if len(contact.relation.strip()) > 32:
        raise InvalidInput("emergency_contact.relation: at most 32 characters", field="emergency_contact.relation")
    phone = ""
    if contact.phone.strip():
        try:
            phone = normalise_phone(contact.phone)
        except InvalidInput as err:
            raise InvalidInput(f"emergency_contact.{err.message}", field="emergency_contact.phone") from err
    return {
        Elder.emergency_contact_name: name,
        Elder.emergency_contact_relation: contact.relation.strip(),
        Elder.emergency_contact_phone: phone,
    }


# -- the register --------------------------------------------------------------------------


async def register_elder(mh: Any, principal: Principal, community: dict[str, Any], data: ElderIn) -> ElderOut:
    settings = await settings_of(mh, community)
    today = local_today(mh, community)
    resident = await _resident_in_scope(principal, community["id"], data.resident_id, "resident_id")
    age = age_on(resident["birth_date"], today)
    if age < settings.elder_age:
        raise InvalidInput(
            f"resident_id: {resident['name']} is {age}; the register is for residents of {settings.elder_age} or older (setting elder_age)",
            field="resident_id",
        )
    existing = await Elder.select(Elder.id).where(Elder.resident == data.resident_id).first()
    if existing is not None:
        raise Conflict(f"resident_id: already on the register as elder {existing['id']}", field="resident_id")
    await _check_visitor(principal, community["id"], data.visitor_staff_id, data.visitor_resident_id)
    _check_interval(data.interval_days)
    starts = data.plan_starts_on or today
    if starts > today:
        raise InvalidInput("plan_starts_on: must not be in the future", field="plan_starts_on")
    living_alone = data.living_alone
    if living_alone is None:
        living_alone = await ResidentTag.exists().where(ResidentTag.resident == data.resident_id, ResidentTag.tag == "living_alone")
    care_level = data.care_level or suggest_care_level(age, living_alone, data.disability, settings)
    contact = _contact_values(data.emergency_contact or EmergencyContact())
    interval = data.interval_days or settings.interval_for(care_level)
    now = mh.clock.now()
    elder = Elder(
        resident=data.resident_id,
        care_level=care_level,
        living_alone=living_alone,
        disability=data.disability,
        visitor_staff=data.visitor_staff_id,
        visitor_resident=data.visitor_resident_id,
        interval_days=data.interval_days,
        plan_starts_on=starts,
        last_contact_on=None,
        next_due_on=starts + timedelta(days=interval),
        notes=data.notes,
        active=True,
        created_at=now,
        updated_at=now,
        **{column._meta.name: value for column, value in contact.items()},
    )
    async with mh.db.transaction():
        await elder.save()
        await audit(
            principal, "elder_care.elder.register", "elder", elder.id, community_id=community["id"],
            detail={"resident_id": data.resident_id, "care_level": care_level, "living_alone": living_alone},
        )
    return present(await _elder_row(principal, community, elder.id), settings, today)


async def get_elder(mh: Any, principal: Principal, community: dict[str, Any], elder_id: int) -> ElderOut:
    settings = await settings_of(mh, community)
    return present(await _elder_row(principal, community, elder_id), settings, local_today(mh, community))


async def list_elders(
    mh: Any,
    principal: Principal,
    community: dict[str, Any],
    *,
    care_level: str | None = None,
    living_alone: bool | None = None,
    status: str | None = None,
    grid_id: int | None = None,
    active: bool = True,
    page: int = 1,
    page_size: int | None = None,
) -> ElderPage:
    settings = await settings_of(mh, community)
    today = local_today(mh, community)
    size = page_size or mh.settings.default_page_size
    if not 1 <= size <= mh.settings.max_page_size:
        raise InvalidInput(f"page_size: between 1 and {mh.settings.max_page_size}", field="page_size")
    if page < 1:
        raise InvalidInput("page: from 1", field="page")
    if care_level is not None and care_level not in CARE_LEVELS:
        raise InvalidInput(f"care_level: one of {', '.join(CARE_LEVELS)}", field="care_level")
    where = [*elder_where(principal, community["id"]), Elder.active.eq(active)]
    if care_level:
        where.append(Elder.care_level == care_level)
    if living_alone is not None:
        where.append(Elder.living_alone.eq(living_alone))
    if grid_id is not None:
        where.append(Elder.resident.is_in(Resident.select(Resident.id).where(Resident.grid == grid_id)))
    if status is not None:
        # next_due_on is the first due date after the last contact: past it, the elder is overdue.
        conditions = {"overdue": Elder.next_due_on < today, "due_today": Elder.next_due_on == today, "ok": Elder.next_due_on > today}
        if status not in conditions:
            raise InvalidInput("status: one of overdue, due_today, ok", field="status")
        where.append(conditions[status])
    total = await Elder.count().where(*where)
    rows = await _elder_select().where(*where).order_by(Elder.next_due_on).order_by(Elder.id).offset((page - 1) * size).limit(size)
    return ElderPage(items=[present(r, settings, today) for r in rows], total=total, page=page, page_size=size)


async def candidates(mh: Any, principal: Principal, community: dict[str, Any], *, page: int = 1, page_size: int | None = None) -> list[CandidateOut]:
    """Residents in scope old enough for the register and not on it yet (the register is drawn from them)."""
    settings = await settings_of(mh, community)
    today = local_today(mh, community)
    size = page_size or mh.settings.default_page_size
    if not 1 <= size <= mh.settings.max_page_size:
        raise InvalidInput(f"page_size: between 1 and {mh.settings.max_page_size}", field="page_size")
    if page < 1:
        raise InvalidInput("page: from 1", field="page")
    rows = await Resident.select(Resident.id, Resident.name, Resident.gender, Resident.birth_date, Resident.grid).where(
        Resident.community == community["id"],
        Resident.id.is_in(principal.resident_ids()),
        Resident.birth_date <= years_before(today, settings.elder_age),
        Resident.id.not_in(Elder.select(Elder.resident)),
    ).order_by(Resident.birth_date).order_by(Resident.id).offset((page - 1) * size).limit(size)
    alone = {
        r["resident"]
        for r in await ResidentTag.select(ResidentTag.resident).where(
            ResidentTag.tag == "living_alone", ResidentTag.resident.is_in([r["id"] for r in rows] or [0])
        )
    }
    return [
        CandidateOut(resident_id=r["id"], name=r["name"], gender=r["gender"], age=age_on(r["birth_date"], today), grid_id=r["grid"], living_alone=r["id"] in alone)
        for r in rows
    ]


async def update_elder(mh: Any, principal: Principal, community: dict[str, Any], elder_id: int, patch: ElderPatch) -> ElderOut:
    settings = await settings_of(mh, community)
    today = local_today(mh, community)
    row = await _elder_row(principal, community, elder_id)
    values: dict[Any, Any] = {}
    changed: dict[str, Any] = {}
    for name in ("care_level", "living_alone", "disability", "notes"):
        value = getattr(patch, name)
        if value is not None:
            values[getattr(Elder, name)] = value
            changed[name] = value
    staff_id = row["visitor_staff"] if patch.visitor_staff_id is msgspec.UNSET else patch.visitor_staff_id
    resident_id = row["visitor_resident"] if patch.visitor_resident_id is msgspec.UNSET else patch.visitor_resident_id
    if patch.visitor_staff_id is not msgspec.UNSET and patch.visitor_staff_id is not None and patch.visitor_resident_id is msgspec.UNSET:
        resident_id = None  # naming a staff visitor replaces a volunteer
    if patch.visitor_resident_id is not msgspec.UNSET and patch.visitor_resident_id is not None and patch.visitor_staff_id is msgspec.UNSET:
        staff_id = None
    if (staff_id, resident_id) != (row["visitor_staff"], row["visitor_resident"]):
        await _check_visitor(
            principal, community["id"],
            staff_id if staff_id != row["visitor_staff"] else None,
            resident_id if resident_id != row["visitor_resident"] else None,
        )
        values[Elder.visitor_staff] = staff_id
        values[Elder.visitor_resident] = resident_id
        changed["visitor"] = {"staff_id": staff_id, "resident_id": resident_id}
    if patch.interval_days is not msgspec.UNSET:
        _check_interval(patch.interval_days)
        values[Elder.interval_days] = patch.interval_days
        changed["interval_days"] = patch.interval_days
    if patch.emergency_contact is not None:
        values.update(_contact_values(patch.emergency_contact))
        changed["emergency_contact"] = "changed"
    if patch.active is not None and patch.active != row["active"]:
        if not patch.active and patch.ended_reason is None:
            raise InvalidInput("ended_reason: say why the elder leaves the register (moved, deceased, nursing_home, other)", field="ended_reason")
        values[Elder.active] = patch.active
        values[Elder.ended_reason] = "" if patch.active else patch.ended_reason
        changed["active"] = patch.active
        if patch.ended_reason:
            changed["ended_reason"] = patch.ended_reason
    if not values:
        return present(row, settings, today)
    merged = {**row, **{column._meta.name: value for column, value in values.items()}}
    values[Elder.next_due_on] = plan_state(merged, settings, today).next_due_on
    values[Elder.updated_at] = mh.clock.now()
    async with mh.db.transaction():
        await Elder.update(values).where(Elder.id == elder_id)
        if Elder.active in values and not values[Elder.active]:
            await _resolve_alerts(mh, elder_id)
        await audit(principal, "elder_care.elder.update", "elder", elder_id, community_id=community["id"], detail=changed)
    return present(await _elder_row(principal, community, elder_id), settings, today)


async def refresh_plans(mh: Any, community: dict[str, Any], settings: ElderCareSettings) -> int:
    """Recompute every elder's next due date after the community changed its intervals."""
    today = local_today(mh, community)
    rows = await Elder.select(
        Elder.id, Elder.care_level, Elder.interval_days, Elder.last_contact_on, Elder.plan_starts_on, Elder.next_due_on
    ).where(Elder.resident.is_in(residents_of(community["id"])))
    changed = 0
    for row in rows:
        due = plan_state(row, settings, today).next_due_on
        if due != row["next_due_on"]:
            await Elder.update({Elder.next_due_on: due}).where(Elder.id == row["id"])
            changed += 1
    return changed


# -- visits ------------------------------------------------------------------------------


def _aware(value: datetime | None, tz: str, default: datetime) -> datetime:
    if value is None:
        return default
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(timezone.utc)


def _check_findings(findings: Findings) -> int:
    unknown = [n for n in findings.needs_list if n not in NEEDS]
    if unknown:
        raise InvalidInput(f"findings.needs_list: {unknown[0]!r} is not one of {', '.join(NEEDS)}", field="findings.needs_list")
    for area in CHECKLIST:
        if len(getattr(findings, area).note) > 1000:
            raise InvalidInput(f"findings.{area}.note: at most 1000 characters", field=f"findings.{area}.note")
    return sum(1 for area in CHECKLIST if getattr(findings, area).status == "concern")


async def record_visit(mh: Any, principal: Principal, community: dict[str, Any], elder_id: int, data: VisitIn) -> VisitOut:
    """Record a visit or contact: it restarts the elder's interval and ends their open overdue alerts."""
    settings = await settings_of(mh, community)
    row = await _elder_row(principal, community, elder_id)
    if not row["active"]:
        raise InvalidInput("elder_id: the elder is no longer on the register", field="elder_id")
    now = mh.clock.now()
    visited_at = _aware(data.visited_at, community["timezone"], now)
    if visited_at > now + timedelta(minutes=5):
        raise InvalidInput("visited_at: must not be in the future", field="visited_at")
    visited_on = visited_at.astimezone(ZoneInfo(community["timezone"])).date()
    if visited_on < years_before(local_today(mh, community), 1):
        raise InvalidInput("visited_at: at most a year ago", field="visited_at")
    staff_id, resident_id = data.visitor_staff_id, data.visitor_resident_id
    if staff_id is None and resident_id is None:
        staff_id = principal.staff_id  # the caller made the visit
    elif staff_id is not None and staff_id != principal.staff_id or resident_id is not None:
        await _check_visitor(principal, community["id"], staff_id, resident_id)
    concerns = _check_findings(data.findings)
    if len(data.follow_up_note) > 2000:
        raise InvalidInput("follow_up_note: at most 2000 characters", field="follow_up_note")
    visit = Visit(
        elder=elder_id,
        visitor_staff=staff_id,
        visitor_resident=resident_id,
        visited_at=visited_at,
        method=data.method,
        findings=msgspec.json.encode(data.findings).decode(),
        concerns=concerns,
        follow_up_needed=data.follow_up_needed,
        follow_up_note=data.follow_up_note.strip(),
        recorded_by=principal.staff_id,
        created_at=now,
    )
    last = max(filter(None, [row["last_contact_on"], visited_on]))
    due = plan_state({**row, "last_contact_on": last}, settings, local_today(mh, community)).next_due_on
    async with mh.db.transaction():
        await visit.save()
        await Elder.update({Elder.last_contact_on: last, Elder.next_due_on: due, Elder.updated_at: now}).where(Elder.id == elder_id)
        if due > local_today(mh, community):
            await _resolve_alerts(mh, elder_id)
        await audit(
            principal, "elder_care.visit.record", "visit", visit.id, community_id=community["id"],
            detail={"elder_id": elder_id, "method": data.method, "concerns": concerns, "follow_up_needed": data.follow_up_needed},
        )
    return (await list_visits(mh, principal, community, elder_id, visit_id=visit.id))[0]


async def list_visits(
    mh: Any, principal: Principal, community: dict[str, Any], elder_id: int, *, visit_id: int | None = None, limit: int = 100
) -> list[VisitOut]:
    await _elder_row(principal, community, elder_id)
    query = Visit.select(
        Visit.all_columns(),
        Visit.visitor_staff.name.as_alias("staff_name"),
        Visit.visitor_resident.name.as_alias("resident_name"),
    ).where(Visit.elder == elder_id)
    if visit_id is not None:
        query = query.where(Visit.id == visit_id)
    rows = await query.order_by(Visit.visited_at, ascending=False).limit(limit)
    return [
        VisitOut(
            id=r["id"],
            elder_id=r["elder"],
            visitor=_visitor(r["visitor_staff"], r["staff_name"], r["visitor_resident"], r["resident_name"]),
            visited_at=r["visited_at"],
            method=r["method"],
            findings=msgspec.convert(json.loads(r["findings"]) if isinstance(r["findings"], str) else r["findings"], Findings),
            concerns=r["concerns"],
            follow_up_needed=r["follow_up_needed"],
            follow_up_note=r["follow_up_note"],
        )
        for r in rows
    ]


async def _resolve_alerts(mh: Any, elder_id: int) -> None:
    """The elder was reached (or left the register): open alerts end, notices not yet delivered are withdrawn."""
    open_alerts = await OverdueAlert.select(OverdueAlert.id, OverdueAlert.notice).where(
        OverdueAlert.elder == elder_id, OverdueAlert.resolved_at.is_null()
    )
    if not open_alerts:
        return
    await OverdueAlert.update({OverdueAlert.resolved_at: mh.clock.now()}).where(
        OverdueAlert.id.is_in([a["id"] for a in open_alerts])
    )
    for alert in open_alerts:
        if alert["notice"]:
            await cancel_activity(mh, alert["notice"])


async def list_alerts(mh: Any, principal: Principal, community: dict[str, Any], *, open_only: bool = True, limit: int = 200) -> list[AlertOut]:
    query = OverdueAlert.select(
        OverdueAlert.all_columns(), OverdueAlert.elder.resident.name.as_alias("name")
    ).where(OverdueAlert.elder.is_in(Elder.select(Elder.id).where(*elder_where(principal, community["id"]))))
    if open_only:
        query = query.where(OverdueAlert.resolved_at.is_null())
    rows = await query.order_by(OverdueAlert.id, ascending=False).limit(limit)
    return [
        AlertOut(
            id=r["id"],
            elder_id=r["elder"],
            name=r["name"],
            due_on=r["due_on"],
            level=r["level"],
            missed_intervals=r["missed_intervals"],
            recipients=len(json.loads(r["recipients"]) if isinstance(r["recipients"], str) else r["recipients"]),
            created_at=r["created_at"],
            resolved_at=r["resolved_at"],
        )
        for r in rows
    ]


# -- the daily check ------------------------------------------------------------------------


@dataclass
class CheckResult:
    overdue: int = 0
    reminded: int = 0
    escalated: int = 0
    unreachable: int = 0


async def _grid_staff(grid_id: int, role: str) -> list[int]:
    rows = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.grid == grid_id, StaffAssignment.role == role, StaffAssignment.staff.active.eq(True)
    ).order_by(StaffAssignment.staff)
    return list(dict.fromkeys(r["staff"] for r in rows))


async def _community_admins(community_id: int) -> list[int]:
    rows = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.community == community_id, StaffAssignment.role == "community_admin", StaffAssignment.staff.active.eq(True)
    ).order_by(StaffAssignment.staff)
    return list(dict.fromkeys(r["staff"] for r in rows))


async def _alert(
    mh: Any,
    community: dict[str, Any],
    settings: ElderCareSettings,
    row: dict[str, Any],
    state: PlanState,
    level: str,
    staff: list[int],
    residents: list[int],
    body: str,
) -> bool:
    """Record one alert and send its notice, once per (elder, due date, level); False when it was sent before."""
    recipients = [["staff", s] for s in staff] + [["resident", r] for r in residents]
    async with mh.db.transaction():
        inserted = await OverdueAlert.insert(
            OverdueAlert(
                elder=row["id"],
                due_on=state.current_due_on,
                level=level,
                missed_intervals=state.missed,
                recipients=json.dumps(recipients),
                notice=0,
                created_at=mh.clock.now(),
            )
        ).on_conflict(action="DO NOTHING").returning(OverdueAlert.id)
        if not inserted:
            return False
        if recipients:
            title = "探访超期提醒" if level == "visitor" else "探访超期上报"
            sent = await notify(
                mh,
                community["slug"],
                NoticeIn(
                    scene=SCENARIO,
                    key=f"elder_care.overdue:{row['id']}:{state.current_due_on.isoformat()}:{level}",
                    # no name in the title: a notice's title may be seen by the community's staff
                    title=f"{title}（老人档案 {row['id']}）",
                    body=body,
                    staff=staff,
                    residents=residents,
                    channels=list(settings.channels),
                ),
            )
            if sent is not None:
                await OverdueAlert.update({OverdueAlert.notice: sent["id"]}).where(OverdueAlert.id == inserted[0]["id"])
    return True


async def check_visits(mh: Any, community: dict[str, Any]) -> CheckResult:
    """Remind each overdue elder's visitor, and the grid leaders once the elder missed enough intervals.

    Idempotent: a reminder is sent once per elder, due date and level, however often this runs.
    """
    settings = await settings_of(mh, community)
    today = local_today(mh, community)
    rows = await _elder_select().where(
        Elder.resident.is_in(residents_of(community["id"])), Elder.active.eq(True), Elder.next_due_on < today
    ).order_by(Elder.id)
    result = CheckResult()
    for row in rows:
        state = plan_state(row, settings, today)
        if not state.missed:
            continue
        result.overdue += 1
        since = "上次探访或联系" if row["last_contact_on"] else "纳入探访计划"
        plan = f"{CARE_LEVELS[row['care_level']][0]}对象，每{state.interval_days}天至少探访一次"
        staff = [row["visitor_staff"]] if row["visitor_staff"] else []
        residents = [row["visitor_resident"]] if row["visitor_resident"] else []
        if not (staff or residents):
            staff = await _grid_staff(row["grid_id"], "grid_worker")
        body = (
            f"探访提醒：{row['name']}（{plan}）自{_day(state.anchor)}{since}已{(today - state.anchor).days}天，"
            f"应于{_day(state.current_due_on)}前探访。请尽快上门、电话或视频联系，并记录探访情况。"
        )
        if await _alert(mh, community, settings, row, state, "visitor", staff, residents, body):
            if staff or residents:
                result.reminded += 1
            else:
                result.unreachable += 1
        if state.missed >= settings.escalate_after_missed:
            leaders = await _grid_staff(row["grid_id"], "grid_leader") or await _community_admins(community["id"])
            visitor = row["visitor_staff_name"] or row["visitor_resident_name"] or "（未指定）"
            body = (
                f"探访超期上报：{row['name']}（{plan}）已连续{state.missed}个探访周期未被探访或联系，"
                f"自{_day(state.anchor)}{since}已{(today - state.anchor).days}天；责任探访人：{visitor}。请督促落实。"
            )
            if await _alert(mh, community, settings, row, state, "escalation", leaders, [], body) and leaders:
                result.escalated += 1
    return result


# -- birthdays ---------------------------------------------------------------------------


async def birthday_greetings(mh: Any, community: dict[str, Any]) -> int:
    """Greet each registered elder on their birthday (and tell their visitor); once a year each."""
    settings = await settings_of(mh, community)
    if not settings.birthday_greetings:
        return 0
    today = local_today(mh, community)
    # Birth dates that have a birthday today, as a list: one indexed query, the same on every database.
    days = [years_before(today, years) for years in range(settings.elder_age, 121)]
    if (today.month, today.day) == (2, 28):
        for years in range(settings.elder_age, 121):
            try:
                days.append(date(today.year - years, 2, 29))
            except ValueError:
                pass
    rows = await _elder_select().where(
        Elder.resident.is_in(Resident.select(Resident.id).where(Resident.community == community["id"], Resident.birth_date.is_in(days))),
        Elder.active.eq(True),
    )
    sent = 0
    for row in rows:
        age = today.year - row["birth_date"].year
        text = settings.birthday_message.replace("{name}", row["name"]).replace("{community}", community.get("brand_name") or community["name"])
        greeting = await notify(
            mh, community["slug"],
            NoticeIn(scene=SCENARIO, key=f"elder_care.birthday:{row['id']}:{today.year}", title="生日祝福",
                     body=text, residents=[row["resident"]], channels=list(settings.channels)),
        )
        staff = [row["visitor_staff"]] if row["visitor_staff"] else []
        residents = [row["visitor_resident"]] if row["visitor_resident"] else []
        if staff or residents:
            await notify(
                mh, community["slug"],
                NoticeIn(scene=SCENARIO, key=f"elder_care.birthday-visitor:{row['id']}:{today.year}", title=f"生日提醒（老人档案 {row['id']}）",
                         body=f"今天是{row['name']}的{age}岁生日，请打个电话或上门送上祝福。", staff=staff, residents=residents,
                         channels=list(settings.channels)),
            )
        sent += greeting is not None
    return sent


# -- the Double Ninth ----------------------------------------------------------------------


async def ensure_double_ninth(mh: Any, community: dict[str, Any], settings: ElderCareSettings) -> int | None:
    """The community's yearly 重阳 (lunar 9/9) activity for its elders: created, updated to the settings, or cancelled."""
    link = await CommunityLink.select().where(CommunityLink.community == community["id"]).first()
    current = link["double_ninth_activity"] if link else None
    if not settings.double_ninth:
        if current:
            await cancel_activity(mh, current)
            await CommunityLink.update({CommunityLink.double_ninth_activity: None}).where(CommunityLink.community == community["id"])
        return None
    hours, minutes = (int(x) for x in settings.double_ninth_start.split(":"))
    # The first occurrence is the next lunar 9/9 at that time; the kernel finds it from any start.
    start = datetime.combine(local_today(mh, community), datetime.min.time()).replace(hour=hours, minute=minutes)
    fields = dict(
        title=settings.double_ninth_title,
        venue=settings.double_ninth_venue,
        description="重阳节（农历九月初九）敬老活动：慰问社区老人，送上节日祝福。",
        starts_at=start,
        ends_at=start + timedelta(minutes=settings.double_ninth_minutes),
        lunar_month=9,
        lunar_day=9,
        audience={"named": ["elder_care.elders"]},
        reminder_offsets=list(settings.double_ninth_reminder_offsets),
        channels=list(settings.channels),
    )
    if current:
        await update_activity(mh, current, ActivityPatch(**fields))
        return current
    activity = await create_activity(mh, community["slug"], ActivityIn(scene=SCENARIO, source="elder_care.double_ninth", **fields))
    if link:
        await CommunityLink.update({CommunityLink.double_ninth_activity: activity["id"]}).where(CommunityLink.community == community["id"])
    else:
        await CommunityLink.insert(CommunityLink(community=community["id"], double_ninth_activity=activity["id"]))
    return activity["id"]


async def tear_down(mh: Any, community: dict[str, Any]) -> None:
    """Switched off: the Double Ninth activity and undelivered notices go; the register and visits stay."""
    link = await CommunityLink.select().where(CommunityLink.community == community["id"]).first()
    if link and link["double_ninth_activity"]:
        await cancel_activity(mh, link["double_ninth_activity"])
        await CommunityLink.update({CommunityLink.double_ninth_activity: None}).where(CommunityLink.community == community["id"])


# -- nursing-home visits -------------------------------------------------------------------


async def _visit_row(community: dict[str, Any], visit_id: int) -> dict[str, Any]:
    row = await NursingHomeVisit.select().where(NursingHomeVisit.id == visit_id, NursingHomeVisit.community == community["id"]).first()
    if row is None:
        raise NotFound(f"nursing-home visit {visit_id} not found")
    return row


async def _roster_audience(visit: dict[str, Any]) -> dict[str, Any]:
    volunteers = [r["volunteer"] for r in await RosterEntry.select(RosterEntry.volunteer).where(RosterEntry.visit == visit["id"]).order_by(RosterEntry.id)]
    staff = [visit["created_by"]] if visit["created_by"] else []
    return {"residents": volunteers, "staff": staff}


async def nursing_home_visit_out(principal: Principal, visit: dict[str, Any]) -> NursingHomeVisitOut:
    # Volunteers are residents: a grid worker sees the names of those in their grids only.
    roster = await RosterEntry.select(RosterEntry.volunteer, RosterEntry.task, RosterEntry.volunteer.name.as_alias("name")).where(
        RosterEntry.visit == visit["id"], RosterEntry.volunteer.is_in(principal.resident_ids())
    ).order_by(RosterEntry.id)
    return NursingHomeVisitOut(
        id=visit["id"],
        activity_id=visit["activity"],
        nursing_home=visit["nursing_home"],
        title=visit["title"],
        description=visit["description"],
        starts_at=visit["starts_at"],
        ends_at=visit["ends_at"],
        status=visit["status"],
        volunteers=[RosterOut(resident_id=r["volunteer"], name=r["name"], task=r["task"]) for r in roster],
    )


async def create_nursing_home_visit(mh: Any, principal: Principal, community: dict[str, Any], data: NursingHomeVisitIn) -> NursingHomeVisitOut:
    settings = await settings_of(mh, community)
    home = (data.nursing_home or settings.nursing_home).strip()
    if not home or len(home) > 100:
        raise InvalidInput("nursing_home: a name of 1 to 100 characters", field="nursing_home")
    if not data.volunteers:
        raise InvalidInput("volunteers: name at least one volunteer", field="volunteers")
    seen: set[int] = set()
    for i, entry in enumerate(data.volunteers):
        if entry.resident_id in seen:
            raise InvalidInput(f"volunteers[{i}].resident_id: {entry.resident_id} is named twice", field=f"volunteers[{i}].resident_id")
        seen.add(entry.resident_id)
        await _resident_in_scope(principal, community["id"], entry.resident_id, f"volunteers[{i}].resident_id")
    title = data.title.strip() or f"志愿者走进{home}慰问老人"
    staff = [principal.staff_id] if principal.staff_id else []
    async with mh.db.transaction():
        activity = await create_activity(
            mh,
            community["slug"],
            ActivityIn(
                scene=SCENARIO,
                title=title,
                description=data.description or "看望敬老院老人，询问身体和生活情况，打扫卫生、整理房间。",
                venue=home,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                audience={"residents": sorted(seen), "staff": staff},
                reminder_offsets=list(data.reminder_offsets),
                channels=list(settings.channels),
                source="elder_care.nursing_home_visit",
            ),
        )
        visit = NursingHomeVisit(
            community=community["id"],
            activity=activity["id"],
            nursing_home=home,
            title=title,
            description=activity["description"],
            starts_at=activity["starts_at"],
            ends_at=activity["ends_at"],
            status="scheduled",
            created_by=principal.staff_id,
            created_at=mh.clock.now(),
        )
        await visit.save()
        await RosterEntry.insert(*[RosterEntry(visit=visit.id, volunteer=e.resident_id, task=e.task.strip()[:64]) for e in data.volunteers])
        await audit(principal, "elder_care.nursing_home_visit.create", "nursing_home_visit", visit.id, community_id=community["id"],
                    detail={"activity_id": activity["id"], "volunteers": len(seen)})
    return await nursing_home_visit_out(principal, await _visit_row(community, visit.id))


async def list_nursing_home_visits(principal: Principal, community: dict[str, Any], *, include_cancelled: bool = False) -> list[NursingHomeVisitOut]:
    query = NursingHomeVisit.select().where(NursingHomeVisit.community == community["id"])
    if not include_cancelled:
        query = query.where(NursingHomeVisit.status == "scheduled")
    return [await nursing_home_visit_out(principal, v) for v in await query.order_by(NursingHomeVisit.starts_at)]


async def get_nursing_home_visit(principal: Principal, community: dict[str, Any], visit_id: int) -> NursingHomeVisitOut:
    return await nursing_home_visit_out(principal, await _visit_row(community, visit_id))


async def add_volunteer(mh: Any, principal: Principal, community: dict[str, Any], visit_id: int, entry: RosterIn) -> NursingHomeVisitOut:
    visit = await _visit_row(community, visit_id)
    if visit["status"] != "scheduled":
        raise InvalidInput("visit: a cancelled visit's roster cannot change", field="visit")
    await _resident_in_scope(principal, community["id"], entry.resident_id, "resident_id")
    if await RosterEntry.exists().where(RosterEntry.visit == visit_id, RosterEntry.volunteer == entry.resident_id):
        raise Conflict(f"resident_id: {entry.resident_id} is already on the roster", field="resident_id")
    async with mh.db.transaction():
        await RosterEntry.insert(RosterEntry(visit=visit_id, volunteer=entry.resident_id, task=entry.task.strip()[:64]))
        await update_activity(mh, visit["activity"], ActivityPatch(audience=await _roster_audience(visit)))
        await audit(principal, "elder_care.roster.add", "nursing_home_visit", visit_id, community_id=community["id"],
                    detail={"resident_id": entry.resident_id})
    return await nursing_home_visit_out(principal, visit)


async def remove_volunteer(mh: Any, principal: Principal, community: dict[str, Any], visit_id: int, resident_id: int) -> NursingHomeVisitOut:
    visit = await _visit_row(community, visit_id)
    await _resident_in_scope(principal, community["id"], resident_id, "resident_id")
    if not await RosterEntry.exists().where(RosterEntry.visit == visit_id, RosterEntry.volunteer == resident_id):
        raise NotFound(f"resident {resident_id} is not on the roster", field="resident_id")
    async with mh.db.transaction():
        await RosterEntry.delete().where(RosterEntry.visit == visit_id, RosterEntry.volunteer == resident_id)
        audience = await _roster_audience(visit)
        if visit["status"] == "scheduled" and (audience["residents"] or audience["staff"]):
            await update_activity(mh, visit["activity"], ActivityPatch(audience=audience))
        elif visit["status"] == "scheduled":
            raise InvalidInput("resident_id: the last volunteer cannot leave; cancel the visit instead", field="resident_id")
        await audit(principal, "elder_care.roster.remove", "nursing_home_visit", visit_id, community_id=community["id"],
                    detail={"resident_id": resident_id})
    return await nursing_home_visit_out(principal, visit)


async def cancel_nursing_home_visit(mh: Any, principal: Principal, community: dict[str, Any], visit_id: int) -> NursingHomeVisitOut:
    visit = await _visit_row(community, visit_id)
    if visit["status"] == "scheduled":
        async with mh.db.transaction():
            await cancel_activity(mh, visit["activity"])
            await NursingHomeVisit.update({NursingHomeVisit.status: "cancelled"}).where(NursingHomeVisit.id == visit_id)
            await audit(principal, "elder_care.nursing_home_visit.cancel", "nursing_home_visit", visit_id, community_id=community["id"])
    return await nursing_home_visit_out(principal, await _visit_row(community, visit_id))


# -- metrics -------------------------------------------------------------------------------


async def metrics(mh: Any, community: dict[str, Any]) -> dict[str, int]:
    today = local_today(mh, community)
    mine = [Elder.resident.is_in(residents_of(community["id"])), Elder.active.eq(True)]
    figures = {"elders": await Elder.count().where(*mine)}
    for level in CARE_LEVELS:
        figures[f"elders_{level}"] = await Elder.count().where(*mine, Elder.care_level == level)
    figures["living_alone"] = await Elder.count().where(*mine, Elder.living_alone.eq(True))
    figures["visits_due_today"] = await Elder.count().where(*mine, Elder.next_due_on == today)
    figures["overdue"] = await Elder.count().where(*mine, Elder.next_due_on < today)
    return figures
