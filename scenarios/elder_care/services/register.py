"""The register of elders and their visit plans: registering, reading, changing, candidates, plans after new intervals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import msgspec

from meihao import (
    CommunityInfo,
    Conflict,
    InvalidInput,
    Page,
    Principal,
    audit,
    community_today,
    mask_phone,
    normalise_phone,
    paginate,
    scope_where,
    scoped_resident,
    transaction,
)
from meihao.tables import Resident, ResidentTag

from ..schemas import (
    CARE_LEVELS,
    CandidateOut,
    ElderCareSettings,
    ElderIn,
    ElderOut,
    ElderPatch,
    EmergencyContact,
    PlanOut,
)
from ..tables import Elder
from .alerts import _resolve_alerts
from .common import (
    EVERYONE,
    _check_visitor,
    _elder_row,
    _elder_select,
    _visitor,
    age_on,
    categories_of,
    encode_categories,
    plan_state,
    settings_of,
    special_difficulty,
    years_before,
)


def suggest_care_level(
    age: int, settings: ElderCareSettings, *, living_alone: bool, empty_nest: bool = False, left_behind: bool = False,
    self_care_loss: str = "none", disability_grade: int | None = None, categories: Iterable[str] = (),
) -> str:
    """The care level the rules give (domain-rules §7, 内蒙古 意见; 民政部等10部门 2022):

    - 高风险: 80+ (``high_risk_age``) living alone, 空巢 or 留守; or fully dependent (失能) and living so;
    - 重点: living alone, 空巢 or 留守 at any age (独居 is a national target group with a monthly visit), 失能 or
      半失能, 重残 (grade up to ``severe_disability_max_grade``), 失智, 计划生育特殊家庭, 分散供养特困, 低保; or 80+;
    - 一般: everyone else.
    """
    alone = living_alone or empty_nest or left_behind
    if alone and (age >= settings.high_risk_age or self_care_loss == "full"):
        return "high_risk"
    row = {"living_alone": alone, "disability": self_care_loss, "disability_grade": disability_grade,
           "categories": encode_categories(list(categories))}
    if special_difficulty(row, settings) or age >= settings.high_risk_age:
        return "key"
    return "general"


#: The fields of an entry shown only with :data:`SENSITIVE_READ` (and named in its audit rows).
SENSITIVE_FIELDS = ["self_care_loss", "disability_grade", "categories", "notes"]


#: Shows elders' loss of self-care, disability grade, categories and register notes (sensitive personal information); each read is audited.
SENSITIVE_READ = "elder_care.elder.sensitive.read"


def present(row: dict[str, Any], settings: ElderCareSettings, today: date, *, sensitive: bool) -> ElderOut:
    """One register entry; the :data:`SENSITIVE_FIELDS` only when ``sensitive`` (the caller holds :data:`SENSITIVE_READ`)."""
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
        empty_nest=row["empty_nest"],
        left_behind=row["left_behind"],
        special_difficulty=special_difficulty(row, settings),
        self_care_loss=row["disability"] if sensitive else None,
        disability_grade=row["disability_grade"] if sensitive else None,
        categories=categories_of(row, settings) if sensitive else None,
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
            days_overdue=state.days_overdue if row["active"] else 0,
            revisit_on=row["revisit_on"] if row["revisit_on"] and state.next_due_on == row["revisit_on"] else None,
        ),
        notes=row["notes"] if sensitive else None,
        active=row["active"],
        ended_reason=row["ended_reason"],
    )


def _check_interval(value: int | None) -> None:
    if value is not None and not 1 <= value <= 366:
        raise InvalidInput("interval_days: between 1 and 366 days", field="interval_days")


def _check_grade(value: int | None) -> None:
    if value is not None and not 1 <= value <= 4:
        raise InvalidInput("disability_grade: 1 to 4 (残疾证 grade), or null without a certificate", field="disability_grade")


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


async def shown(
    mh: Any, principal: Principal, community: CommunityInfo, rows: list[dict[str, Any]], *, audit_read: bool = True, listing: bool = False
) -> list[ElderOut]:
    """Register entries as the caller may see them; a holder's read of their sensitive fields is audited as
    ``elder_care.elder.sensitive.read``, one row per request: target the elder (``""`` for a page of the list),
    ``detail`` the elders shown and the fields."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    sensitive = principal.can(SENSITIVE_READ)
    if sensitive and audit_read and rows:
        ids = [r["id"] for r in rows]
        await audit(
            principal, SENSITIVE_READ, "elder", "" if listing else ids[0], community_id=community.id,
            detail={"elder_ids": ids, "fields": SENSITIVE_FIELDS},
        )
    return [present(r, settings, today, sensitive=sensitive) for r in rows]


async def register_elder(mh: Any, principal: Principal, community: CommunityInfo, data: ElderIn) -> ElderOut:
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    resident = await scoped_resident(principal, community, data.resident_id, "resident_id")
    age = age_on(resident["birth_date"], today)
    if age < settings.elder_age:
        raise InvalidInput(
            f"resident_id: {resident['name']} is {age}; the register is for residents of {settings.elder_age} or older (setting elder_age)",
            field="resident_id",
        )
    existing = await Elder.select(Elder.id).where(Elder.resident == data.resident_id).first()
    if existing is not None:
        raise Conflict(f"resident_id: already on the register as elder {existing['id']}", field="resident_id")
    await _check_visitor(principal, community, data.visitor_staff_id, data.visitor_resident_id)
    _check_interval(data.interval_days)
    starts = data.plan_starts_on or today
    if starts > today:
        raise InvalidInput("plan_starts_on: must not be in the future", field="plan_starts_on")
    living_alone = data.living_alone
    if living_alone is None:
        living_alone = await ResidentTag.exists().where(ResidentTag.resident == data.resident_id, ResidentTag.tag == "living_alone")
    _check_grade(data.disability_grade)
    care_level = data.care_level or suggest_care_level(
        age, settings, living_alone=living_alone, empty_nest=data.empty_nest, left_behind=data.left_behind,
        self_care_loss=data.self_care_loss, disability_grade=data.disability_grade, categories=data.categories,
    )
    contact = _contact_values(data.emergency_contact or EmergencyContact())
    interval = data.interval_days or settings.interval_for(care_level)
    now = mh.clock.now()
    elder = Elder(
        resident=data.resident_id,
        care_level=care_level,
        living_alone=living_alone,
        empty_nest=data.empty_nest,
        left_behind=data.left_behind,
        disability=data.self_care_loss,
        disability_grade=data.disability_grade,
        categories=encode_categories(list(data.categories)),
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
    async with transaction(mh, lock=("elder_care.elder", data.resident_id)):  # once per resident: registrations take turns
        existing = await Elder.select(Elder.id).where(Elder.resident == data.resident_id).first()
        if existing is not None:
            raise Conflict(f"resident_id: already on the register as elder {existing['id']}", field="resident_id")
        await elder.save()
        await audit(
            principal, "elder_care.elder.register", "elder", elder.id, community_id=community.id,
            detail={"resident_id": data.resident_id, "care_level": care_level, "living_alone": living_alone,
                    "empty_nest": data.empty_nest, "left_behind": data.left_behind},
        )
    # the registrar sees what they just wrote, if they may read it: not a read of anything else
    return (await shown(mh, principal, community, [await _elder_row(principal, community, elder.id)], audit_read=False))[0]


async def get_elder(mh: Any, principal: Principal, community: CommunityInfo, elder_id: int, *, sensitive: bool = True) -> ElderOut:
    """One register entry; ``sensitive=False`` for an answer that shows none of the :data:`SENSITIVE_FIELDS` (a console
    page): they are left out for everyone, and nothing is read or audited."""
    row = await _elder_row(principal, community, elder_id)
    if not sensitive:
        return present(row, await settings_of(mh, community), community_today(mh, community), sensitive=False)
    return (await shown(mh, principal, community, [row]))[0]


async def list_elders(
    mh: Any,
    principal: Principal,
    community: CommunityInfo,
    *,
    care_level: str | None = None,
    living_alone: bool | None = None,
    status: str | None = None,
    grid_id: int | None = None,
    active: bool = True,
    page: int = 1,
    page_size: int | None = None,
) -> Page[ElderOut]:
    today = community_today(mh, community)
    if care_level is not None and care_level not in CARE_LEVELS:
        raise InvalidInput(f"care_level: one of {', '.join(CARE_LEVELS)}", field="care_level")
    where = [*scope_where(principal, community, Elder.resident), Elder.active.eq(active)]
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
    result = await paginate(mh, _elder_select().where(*where).order_by(Elder.next_due_on).order_by(Elder.id), page=page, page_size=page_size)
    return result.page_of(await shown(mh, principal, community, result.rows, listing=True))


async def candidates(mh: Any, principal: Principal, community: CommunityInfo, *, page: int = 1, page_size: int | None = None) -> list[CandidateOut]:
    """Residents in scope old enough for the register and not on it yet (the register is drawn from them)."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    query = Resident.select(Resident.id, Resident.name, Resident.gender, Resident.birth_date, Resident.grid).where(
        Resident.id.is_in(principal.residents_in(community.id)),
        Resident.birth_date <= years_before(today, settings.elder_age),
        Resident.id.not_in(Elder.select(Elder.resident)),
    ).order_by(Resident.birth_date).order_by(Resident.id)
    rows = (await paginate(mh, query, page=page, page_size=page_size)).rows
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


async def update_elder(mh: Any, principal: Principal, community: CommunityInfo, elder_id: int, patch: ElderPatch) -> ElderOut:
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    row = await _elder_row(principal, community, elder_id)
    values: dict[Any, Any] = {}
    changed: dict[str, Any] = {}
    for name, column in (("care_level", Elder.care_level), ("living_alone", Elder.living_alone), ("empty_nest", Elder.empty_nest),
                         ("left_behind", Elder.left_behind), ("self_care_loss", Elder.disability), ("notes", Elder.notes)):
        value = getattr(patch, name)
        if value is not None:
            values[column] = value
            changed[name] = value
    if patch.disability_grade is not msgspec.UNSET:
        _check_grade(patch.disability_grade)
        values[Elder.disability_grade] = patch.disability_grade
        changed["disability_grade"] = patch.disability_grade
    if patch.categories is not None:
        values[Elder.categories] = encode_categories(list(patch.categories))
        changed["categories"] = sorted(set(patch.categories))
    staff_id = row["visitor_staff"] if patch.visitor_staff_id is msgspec.UNSET else patch.visitor_staff_id
    resident_id = row["visitor_resident"] if patch.visitor_resident_id is msgspec.UNSET else patch.visitor_resident_id
    if patch.visitor_staff_id is not msgspec.UNSET and patch.visitor_staff_id is not None and patch.visitor_resident_id is msgspec.UNSET:
        resident_id = None  # naming a staff visitor replaces a volunteer
    if patch.visitor_resident_id is not msgspec.UNSET and patch.visitor_resident_id is not None and patch.visitor_staff_id is msgspec.UNSET:
        staff_id = None
    if (staff_id, resident_id) != (row["visitor_staff"], row["visitor_resident"]):
        await _check_visitor(
            principal, community,
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
        return (await shown(mh, principal, community, [row]))[0]
    merged = {**row, **{column._meta.name: value for column, value in values.items()}}
    values[Elder.next_due_on] = plan_state(merged, settings, today).next_due_on
    values[Elder.updated_at] = mh.clock.now()
    async with mh.db.transaction():
        await Elder.update(values).where(Elder.id == elder_id)
        if Elder.active in values and not values[Elder.active]:
            await _resolve_alerts(mh, elder_id)
        await audit(principal, "elder_care.elder.update", "elder", elder_id, community_id=community.id, detail=changed)
    # the answer shows the whole entry (notes written by others too): a holder's read, audited
    return (await shown(mh, principal, community, [await _elder_row(principal, community, elder_id)]))[0]


async def refresh_plans(mh: Any, community: CommunityInfo, settings: ElderCareSettings) -> int:
    """Recompute every elder's next due date after the community changed its intervals."""
    today = community_today(mh, community)
    rows = await Elder.select(
        Elder.id, Elder.care_level, Elder.interval_days, Elder.last_contact_on, Elder.plan_starts_on, Elder.next_due_on, Elder.revisit_on
    ).where(*scope_where(EVERYONE, community, Elder.resident))
    changed = 0
    for row in rows:
        due = plan_state(row, settings, today).next_due_on
        if due != row["next_due_on"]:
            await Elder.update({Elder.next_due_on: due}).where(Elder.id == row["id"])
            changed += 1
    return changed
