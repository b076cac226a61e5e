"""三强化 (济北街道): monitored households, their helpers' monthly visits on the 两不愁三保障 + drinking-water checklist,
problems opened as work items and rectified, the month's plan and its coverage (月走访覆盖率).

Every read goes through the caller's scope: a grid worker reaches the households of their grids, and a household
outside it is the same 404 as a missing one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    DeadlineClock,
    Duration,
    InvalidInput,
    NotFound,
    Principal,
    Transition,
    Workflow,
    audit,
    community_today,
    count_work_items,
    get_work_item,
    open_item,
    scope_where,
    scoped_household,
    scoped_staff,
    transaction,
    transition_item,
)

from ..schemas import (
    CHECKS,
    AssistancePlanOut,
    AssistanceVisitIn,
    AssistanceVisitOut,
    AssistedHouseholdIn,
    AssistedHouseholdOut,
    PlanRow,
    ServiceSettings,
)
from ..tables import AssistanceVisit, AssistedHousehold
from .requests import SCENARIO, settings_of

#: Who may be a household's helper: the community's team.
HELPER_ROLES = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")

#: A problem a visit found (a C/D house, too little water, a child out of school …): open until rectified, with what was done.
PROBLEMS = Workflow(
    scenario=SCENARIO,
    name="assistance_problem",
    initial="open",
    transitions=(Transition("open", "rectified", reason=True),),
    final=("rectified",),
    clocks=(DeadlineClock("resolution", Duration(working_days=10, by_close=True)),),
)
SUBJECT = "service_assistance_visit"

COLUMNS = (
    AssistedHousehold.id, AssistedHousehold.household, AssistedHousehold.grid, AssistedHousehold.category, AssistedHousehold.helper,
    AssistedHousehold.helper.name.as_alias("helper_name"), AssistedHousehold.since, AssistedHousehold.active,
    AssistedHousehold.last_visited_on, AssistedHousehold.housing_grade, AssistedHousehold.water_ok, AssistedHousehold.ended_on,
    AssistedHousehold.end_reason,
)


def _out(row: dict[str, Any]) -> AssistedHouseholdOut:
    return AssistedHouseholdOut(**{**row, "helper_name": row["helper_name"] or ""})


def _scope(principal: Principal, community: CommunityInfo) -> list[Any]:
    return scope_where(principal, community, (AssistedHousehold.community, AssistedHousehold.grid))


async def _scoped(principal: Principal, community: CommunityInfo, assisted_id: int) -> dict[str, Any]:
    row = await AssistedHousehold.select(*COLUMNS).where(AssistedHousehold.id == assisted_id, *_scope(principal, community)).first()
    if row is None:
        raise NotFound(f"household {assisted_id} not found")
    return row


async def add_household(mh: Any, principal: Principal, community: CommunityInfo, data: AssistedHouseholdIn) -> AssistedHouseholdOut:
    """Put a household of the community under monitoring, with its category (one of the settings') and its helper."""
    settings = await settings_of(mh, community)
    if data.category not in settings.household_categories:
        raise InvalidInput(f"category: one of {', '.join(settings.household_categories)}", field="category")
    household = await scoped_household(principal, community, data.household, field="household")
    helper = await scoped_staff(principal, community, data.helper, field="helper", roles=HELPER_ROLES)
    async with transaction(mh, lock=("service.assisted", f"{community.id}:{household['id']}")):
        if await AssistedHousehold.exists().where(AssistedHousehold.household == household["id"], AssistedHousehold.active.eq(True)):
            raise Conflict(f"household: household {household['id']} is monitored already", field="household")
        row = AssistedHousehold(community=community.id, household=household["id"], grid=household["grid"], category=data.category,
                                helper=helper["id"], since=data.since or community_today(mh, community))
        await row.save()
    return _out(await _scoped(principal, community, row.id))


async def list_households(principal: Principal, community: CommunityInfo, *, ended: bool = False) -> list[AssistedHouseholdOut]:
    """The households monitored now (``ended``: those taken off monitoring, the latest first) in the caller's scope."""
    query = AssistedHousehold.select(*COLUMNS).where(*_scope(principal, community), AssistedHousehold.active.eq(not ended))
    if ended:
        query = query.order_by(AssistedHousehold.ended_on, ascending=False)
    rows = await query.order_by(AssistedHousehold.id, ascending=not ended)
    return [_out(r) for r in rows]


async def find_households(principal: Principal, community: CommunityInfo, q: str, limit: int = 20) -> list[dict[str, Any]]:
    """Households of the community in the caller's scope whose member's name or flat (building, unit, room) contains ``q``:
    ``id``, ``flat`` (``3号楼2单元501室``), ``grid`` (its name), ``members`` (names, eldest first) and ``monitored``."""
    from meihao.tables import Household, Resident

    q = q.strip().replace("%", "").replace("_", "")
    if not q:
        return []
    if len(q) > 40:
        raise InvalidInput("q: at most 40 characters", field="q")
    scope = scope_where(principal, community, (Household.community, Household.grid))
    by_name = Resident.select(Resident.household).where(Resident.community == community.id, Resident.name.like(f"%{q}%"))
    rows = await Household.select(
        Household.id, Household.unit, Household.room, Household.building.name.as_alias("building"), Household.grid.name.as_alias("grid"),
    ).where(*scope, Household.id.is_in(by_name) | Household.building.name.like(f"%{q}%") | Household.room.like(f"%{q}%")).order_by(
        Household.id).limit(limit)
    ids = [r["id"] for r in rows]
    members: dict[int, list[str]] = {}
    monitored: set[int] = set()
    if ids:
        for person in await Resident.select(Resident.household, Resident.name).where(Resident.household.is_in(ids)).order_by(
                Resident.birth_date).order_by(Resident.id):
            members.setdefault(person["household"], []).append(person["name"])
        monitored = {r["household"] for r in await AssistedHousehold.select(AssistedHousehold.household).where(
            AssistedHousehold.household.is_in(ids), AssistedHousehold.active.eq(True))}
    return [{"id": r["id"], "flat": f"{r['building']}{r['unit']}单元{r['room']}室" if r["unit"] else f"{r['building']}{r['room']}室",
             "grid": r["grid"], "members": members.get(r["id"], []), "monitored": r["id"] in monitored} for r in rows]


async def helpers(principal: Principal, community: CommunityInfo) -> list[dict[str, Any]]:
    """Who may be named a household's helper: the community's active team, by name."""
    from meihao.tables import Staff, StaffAssignment

    members = StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.community == community.id, StaffAssignment.role.is_in(list(HELPER_ROLES)))
    return await Staff.select(Staff.id, Staff.name).where(Staff.id.is_in(members), Staff.active.eq(True)).order_by(
        Staff.name).order_by(Staff.id)


async def end_monitoring(mh: Any, principal: Principal, community: CommunityInfo, assisted_id: int, reason: str) -> AssistedHouseholdOut:
    """Take a household off monitoring (风险消除, moved away …) with the reason; its visits and open problems stay."""
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("reason: say why the household is no longer monitored (at most 500 characters)", field="reason")
    async with transaction(mh, lock=("service.assisted.end", assisted_id)):
        row = await _scoped(principal, community, assisted_id)
        if not row["active"]:
            raise Conflict(f"household: household {assisted_id} was taken off monitoring on {row['ended_on']}", field="household")
        await AssistedHousehold.update({
            AssistedHousehold.active: False, AssistedHousehold.ended_on: community_today(mh, community),
            AssistedHousehold.end_reason: reason,
        }).where(AssistedHousehold.id == assisted_id)
        await audit(principal, "service.assistance.end", "service_assisted_household", assisted_id, community_id=community.id, reason=reason)
    return _out(await _scoped(principal, community, assisted_id))


def _judge(settings: ServiceSettings, data: AssistanceVisitIn) -> dict[str, dict[str, str]]:
    """The checklist as recorded: every item answered; a C/D house and water under the thresholds are problems whatever
    was ticked (domain-rules §4), with the reason added to the note."""
    unknown = sorted(set(data.checks) - set(CHECKS))
    if unknown:
        raise InvalidInput(f"checks: {unknown[0]!r} is not an item of the checklist ({', '.join(CHECKS)})", field="checks")
    missing = [k for k in CHECKS if k not in data.checks]
    if missing:
        raise InvalidInput(f"checks.{missing[0]}: answer every item (ok, problem or not_checked)", field=f"checks.{missing[0]}")
    checks = {k: {"status": data.checks[k].status, "note": data.checks[k].note.strip()} for k in CHECKS}
    for k, c in checks.items():
        if len(c["note"]) > 500:
            raise InvalidInput(f"checks.{k}.note: at most 500 characters", field=f"checks.{k}.note")
        if c["status"] == "problem" and not c["note"]:
            raise InvalidInput(f"checks.{k}.note: say what the problem is", field=f"checks.{k}.note")
    for name, value, top in (("water_litres", data.water_litres, 1000), ("water_trip_minutes", data.water_trip_minutes, 1440),
                             ("water_outage_days", data.water_outage_days, 366)):
        if value is not None and not 0 <= value <= top:
            raise InvalidInput(f"{name}: 0 to {top}, got {value}", field=name)

    def problem(key: str, why: str) -> None:
        note = checks[key]["note"]
        checks[key] = {"status": "problem", "note": f"{note}；{why}" if note and why not in note else (note or why)}

    if data.housing_grade in ("C", "D"):
        problem("housing", f"住房安全等级{data.housing_grade}级，须改造")
    if data.water_litres is not None and data.water_litres < settings.water_min_litres:
        problem("water", f"人均日用水{data.water_litres}升，低于{settings.water_min_litres}升")
    if data.water_trip_minutes is not None and data.water_trip_minutes > settings.water_max_trip_minutes:
        problem("water", f"单次取水{data.water_trip_minutes}分钟，超过{settings.water_max_trip_minutes}分钟")
    if data.water_outage_days is not None and data.water_outage_days > settings.water_max_outage_days:
        problem("water", f"全年断水{data.water_outage_days}天，超过{settings.water_max_outage_days}天")
    return checks


async def record_visit(
    mh: Any, principal: Principal, community: CommunityInfo, assisted_id: int, data: AssistanceVisitIn,
) -> AssistanceVisitOut:
    """Record a visit: each problem opens a work item (assigned to the helper, ``assistance_problem_working_days``), and the
    household's file takes the visit's date, housing grade and whether the water was fine."""
    row = await _scoped(principal, community, assisted_id)
    if not row["active"]:
        raise Conflict(f"household: household {assisted_id} is no longer monitored", field="household")
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    visited_on = data.visited_on or today
    if not today - timedelta(days=62) <= visited_on <= today:
        raise InvalidInput("visited_on: today or within the last two months, not in the future", field="visited_on")
    if len(data.note) > 2000:
        raise InvalidInput("note: at most 2000 characters", field="note")
    checks = _judge(settings, data)
    helper = principal.staff_id if principal.staff_id is not None else row["helper"]
    async with transaction(mh):
        visit = AssistanceVisit(
            community=community.id, household=row["id"], grid=row["grid"], helper=helper, visited_on=visited_on, checks=checks,
            housing_grade=data.housing_grade or "", water_litres=data.water_litres, water_trip_minutes=data.water_trip_minutes,
            water_outage_days=data.water_outage_days, note=data.note.strip(), recorded_at=mh.clock.now(),
        )
        await visit.save()
        items = []
        for key, check in checks.items():
            if check["status"] != "problem":
                continue
            item = await open_item(
                mh, principal, PROBLEMS, community, kind=key, title=f"帮扶走访问题：{CHECKS[key]}（监测户 {row['id']}）",
                subject=(SUBJECT, visit.id), assignee=row["helper"], grid=row["grid"], reason=check["note"],
                durations={"resolution": Duration(working_days=settings.assistance_problem_working_days, by_close=True)},
            )
            items.append(int(item["id"]))
        await AssistanceVisit.update({AssistanceVisit.problem_items: items}).where(AssistanceVisit.id == visit.id)
        latest = row["last_visited_on"] is None or visited_on >= row["last_visited_on"]
        if latest:
            water = checks["water"]["status"]
            await AssistedHousehold.update({
                AssistedHousehold.last_visited_on: visited_on,
                AssistedHousehold.housing_grade: data.housing_grade or row["housing_grade"],
                AssistedHousehold.water_ok: row["water_ok"] if water == "not_checked" else water == "ok",
            }).where(AssistedHousehold.id == row["id"])
    return _visit_out({**visit.to_dict(), "checks": checks, "problem_items": items})


def _visit_out(v: dict[str, Any]) -> AssistanceVisitOut:
    return AssistanceVisitOut(
        id=v["id"], household=v["household"], visited_on=v["visited_on"], helper=v["helper"], checks=v["checks"],
        housing_grade=v["housing_grade"], water_litres=v["water_litres"], water_trip_minutes=v["water_trip_minutes"],
        water_outage_days=v["water_outage_days"], problems=list(v["problem_items"]), note=v["note"],
    )


async def list_visits(principal: Principal, community: CommunityInfo, assisted_id: int) -> list[AssistanceVisitOut]:
    await _scoped(principal, community, assisted_id)
    rows = await AssistanceVisit.select().where(AssistanceVisit.household == assisted_id).order_by(
        AssistanceVisit.visited_on, ascending=False).order_by(AssistanceVisit.id, ascending=False).output(load_json=True)
    return [_visit_out(r) for r in rows]


async def rectify(mh: Any, principal: Principal, community: CommunityInfo, item_id: int, note: str) -> dict[str, Any]:
    """整改销号: a problem a visit found is rectified, saying what was done."""
    if not note.strip() or len(note) > 2000:
        raise InvalidInput("note: say what was done (at most 2000 characters)", field="note")
    await get_work_item(mh, principal, community, item_id, workflow=PROBLEMS)  # another grid's, or not a problem: 404
    return await transition_item(mh, principal, PROBLEMS, community, item_id, "rectified", reason=note.strip())


def month_bounds(first: date) -> tuple[date, date]:
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


async def plan(mh: Any, principal: Principal, community: CommunityInfo, first: date) -> AssistancePlanOut:
    """The month's plan: the households monitored during the month (since on or before its last day) in the caller's scope,
    each with its visits in the month against ``assistance_visits_per_month``; the coverage is the share fully visited."""
    settings = await settings_of(mh, community)
    start, end = month_bounds(first)
    rows = await AssistedHousehold.select(*COLUMNS).where(
        *_scope(principal, community), AssistedHousehold.active.eq(True), AssistedHousehold.since <= end).order_by(AssistedHousehold.id)
    counts: dict[int, int] = {}
    if rows:
        for v in await AssistanceVisit.select(AssistanceVisit.household).where(
                AssistanceVisit.household.is_in([r["id"] for r in rows]), AssistanceVisit.visited_on >= start, AssistanceVisit.visited_on <= end):
            counts[v["household"]] = counts.get(v["household"], 0) + 1
    need = settings.assistance_visits_per_month
    out = [PlanRow(household=_out(r), visits=counts.get(r["id"], 0), due=max(0, need - counts.get(r["id"], 0)),
                   done=counts.get(r["id"], 0) >= need) for r in rows]
    covered = sum(1 for r in out if r.done)
    return AssistancePlanOut(month=f"{first:%Y-%m}", visits_per_month=need, households=len(out), covered=covered,
                             coverage=round(covered / len(out), 4) if out else None, rows=out)


async def open_problems(mh: Any, community: CommunityInfo) -> int:
    """Problems found by visits and not yet rectified, in the whole community (the dashboard's)."""
    counts = await count_work_items(mh, Principal.system(SCENARIO), community, scenario=SCENARIO, workflow=PROBLEMS.name)
    return int(counts["open"])


def month_of(now: datetime, community: CommunityInfo) -> date:
    return now.astimezone(community.tz).date().replace(day=1)


async def household_labels(assisted_ids: list[int]) -> dict[int, dict[str, str]]:
    """How a worker names each monitored household: its flat (``3号楼2单元501室``), its grid and the eldest member's name."""
    from meihao.tables import Resident

    if not assisted_ids:
        return {}
    rows = await AssistedHousehold.select(
        AssistedHousehold.id, AssistedHousehold.household, AssistedHousehold.household.unit.as_alias("unit"),
        AssistedHousehold.household.room.as_alias("room"), AssistedHousehold.household.building.name.as_alias("building"),
        AssistedHousehold.grid.name.as_alias("grid_name"),
    ).where(AssistedHousehold.id.is_in(assisted_ids))
    households = [r["household"] for r in rows]
    heads: dict[int, str] = {}
    for person in await Resident.select(Resident.household, Resident.name).where(Resident.household.is_in(households)).order_by(
            Resident.birth_date).order_by(Resident.id):
        heads.setdefault(person["household"], person["name"])
    out = {}
    for r in rows:
        flat = f"{r['building']}{r['unit']}单元{r['room']}室" if r["unit"] else f"{r['building']}{r['room']}室"
        out[r["id"]] = {"flat": flat, "grid": r["grid_name"], "head": heads.get(r["household"], "")}
    return out


async def open_problem_rows(mh: Any, principal: Principal, community: CommunityInfo) -> list[dict[str, Any]]:
    """The problems visits found that are not rectified yet, in the caller's scope, oldest first, each with its household
    (``assisted``), checklist item (``kind``), what was found (``found``) and its deadline (``due_at``, ``flag``)."""
    from meihao import list_work_items

    result = await list_work_items(mh, principal, community, scenario=SCENARIO, workflow=PROBLEMS.name, open_only=True, page_size=200)
    visits = {v["id"]: v for v in await AssistanceVisit.select(AssistanceVisit.id, AssistanceVisit.household, AssistanceVisit.visited_on,
                                                                 AssistanceVisit.checks).where(
        AssistanceVisit.id.is_in([r["subject_id"] for r in result.rows] or [0])).output(load_json=True)}
    out = []
    for row in sorted(result.rows, key=lambda r: (r["opened_at"], r["id"])):
        item = await get_work_item(mh, principal, community, row["id"], workflow=PROBLEMS)
        clock = next((c for c in item["clocks"] if c["name"] == "resolution"), None)
        visit = visits.get(row["subject_id"], {})
        found = (visit.get("checks") or {}).get(row["kind"], {}).get("note", "")
        out.append({"id": row["id"], "kind": row["kind"], "assisted": visit.get("household"), "visited_on": visit.get("visited_on"),
                    "found": found, "assignee": row["assignee"], "due_at": clock["due_at"] if clock else None,
                    "flag": clock["flag"] if clock else ""})
    return out
