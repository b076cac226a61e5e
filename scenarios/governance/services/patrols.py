"""Patrols (网格巡查): a plan per grid and person, daily logs, and the list of planned patrols with no log.

Every full-time grid worker (专职网格员) patrols their grid by default (the setting
``patrol_frequency``, daily after domain-rules §2): :func:`ensure_default_plans` gives each one a
plan when the scene is switched on and before every daily check, so a worker added later is
planned from the next check on.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    InvalidInput,
    Meihao,
    NotFound,
    NoticeIn,
    Principal,
    audit,
    community_today,
    notify,
    transaction,
    working_calendar,
    zh_date,
)
from meihao.tables import Grid, StaffAssignment

from ..schemas import MissingPatrolOut, PatrolLogIn, PatrolLogOut, PatrolPlanIn, PatrolPlanOut
from ..tables import MissedPatrol, PatrolLog, PatrolPlan
from .common import TEAM_ROLES, settings_of


def _scope(principal: Principal, community: CommunityInfo, table: Any) -> list[Any]:
    return [table.community == community.id, *principal.where(table.community, table.grid)]


async def _grid_in_scope(principal: Principal, community: CommunityInfo, grid_id: int) -> None:
    if not await Grid.exists().where(Grid.id == grid_id, Grid.community == community.id, *principal.where(Grid.community, Grid.id)):
        raise NotFound(f"grid_id: grid {grid_id} not found", field="grid_id")


async def ensure_default_plans(mh: Meihao, community: CommunityInfo, settings: Any = None) -> int:
    """A plan for every full-time grid worker of the community who has none for their grid; returns how many were made.

    ``settings``: the scene's settings being switched on (the hook's), else the community's stored ones."""
    settings = settings or await settings_of(mh, community)
    workers = await StaffAssignment.select(StaffAssignment.staff, StaffAssignment.grid).where(
        StaffAssignment.role == "grid_worker", StaffAssignment.community == community.id, StaffAssignment.staff.active.eq(True))
    planned = {(p["grid"], p["staff"]) for p in await PatrolPlan.select(PatrolPlan.grid, PatrolPlan.staff).where(PatrolPlan.community == community.id)}
    new = [PatrolPlan(community=community.id, grid=w["grid"], staff=w["staff"], frequency=settings.patrol_frequency)
           for w in workers if (w["grid"], w["staff"]) not in planned]
    if new:
        await PatrolPlan.insert(*new)
    return len(new)


def _plan_out(row: dict[str, Any]) -> PatrolPlanOut:
    return PatrolPlanOut(id=row["id"], grid_id=row["grid"], staff_id=row["staff"], staff_name=row["staff_name"], frequency=row["frequency"],
                         active=row["active"])


PLAN_COLUMNS = (PatrolPlan.all_columns(), PatrolPlan.staff.name.as_alias("staff_name"))


async def list_plans(mh: Meihao, principal: Principal, community: CommunityInfo) -> list[PatrolPlanOut]:
    rows = await PatrolPlan.select(*PLAN_COLUMNS).where(*_scope(principal, community, PatrolPlan)).order_by(PatrolPlan.grid).order_by(PatrolPlan.id)
    return [_plan_out(r) for r in rows]


async def set_plan(mh: Meihao, principal: Principal, community: CommunityInfo, data: PatrolPlanIn) -> PatrolPlanOut:
    """Plan (or re-plan) who patrols a grid and how often; someone of the grid's team."""
    await _grid_in_scope(principal, community, data.grid_id)
    if not await StaffAssignment.exists().where(StaffAssignment.staff == data.staff_id, StaffAssignment.grid == data.grid_id,
                                                StaffAssignment.role.is_in(list(TEAM_ROLES)), StaffAssignment.staff.active.eq(True)):
        raise NotFound(f"staff_id: staff {data.staff_id} of the grid's team not found", field="staff_id")
    frequency = data.frequency or (await settings_of(mh, community)).patrol_frequency
    async with transaction(mh, lock=("governance.patrol_plan", data.grid_id)):
        row = await PatrolPlan.select(PatrolPlan.id).where(PatrolPlan.grid == data.grid_id, PatrolPlan.staff == data.staff_id).first()
        if row is None:
            plan = PatrolPlan(community=community.id, grid=data.grid_id, staff=data.staff_id, frequency=frequency, active=data.active)
            await plan.save()
            plan_id = plan.id
        else:
            plan_id = row["id"]
            await PatrolPlan.update({PatrolPlan.frequency: frequency, PatrolPlan.active: data.active}).where(PatrolPlan.id == plan_id)
        await audit(principal, "governance.patrol.plan", "governance_patrol_plan", plan_id, community_id=community.id,
                    detail={"frequency": frequency, "active": data.active})
    return _plan_out(await PatrolPlan.select(*PLAN_COLUMNS).where(PatrolPlan.id == plan_id).first())


async def record_patrol(mh: Meihao, principal: Principal, community: CommunityInfo, data: PatrolLogIn) -> PatrolLogOut:
    """The caller's own patrol of a grid of theirs, for a day (today by default; never a day to come)."""
    if principal.staff_id is None:
        raise InvalidInput("staff: a patrol is logged by the person who walked it", field="staff")
    await _grid_in_scope(principal, community, data.grid_id)
    today = community_today(mh, community)
    day = data.patrolled_on or today
    if day > today:
        raise InvalidInput(f"patrolled_on: {day} is still to come", field="patrolled_on")
    async with transaction(mh, lock=("governance.patrol", principal.staff_id)):
        if await PatrolLog.exists().where(PatrolLog.grid == data.grid_id, PatrolLog.staff == principal.staff_id, PatrolLog.patrolled_on == day):
            raise Conflict(f"patrolled_on: the patrol of {day} is already logged", field="patrolled_on")
        log = PatrolLog(community=community.id, grid=data.grid_id, staff=principal.staff_id, patrolled_on=day, notes=data.notes,
                        events_found=data.events_found, recorded_at=mh.clock.now())
        await log.save()
        await audit(principal, "governance.patrol.record", "governance_patrol_log", log.id, community_id=community.id)
    return PatrolLogOut(id=log.id, grid_id=data.grid_id, staff_id=principal.staff_id, staff_name=principal.name, patrolled_on=day,
                        notes=data.notes, events_found=data.events_found, recorded_at=log.recorded_at)


async def list_patrols(mh: Meihao, principal: Principal, community: CommunityInfo, *, day: date | None = None) -> list[PatrolLogOut]:
    clauses = _scope(principal, community, PatrolLog)
    if day is not None:
        clauses.append(PatrolLog.patrolled_on == day)
    rows = await PatrolLog.select(PatrolLog.all_columns(), PatrolLog.staff.name.as_alias("staff_name")).where(*clauses).order_by(
        PatrolLog.patrolled_on, ascending=False).order_by(PatrolLog.id, ascending=False).limit(500)
    return [PatrolLogOut(id=r["id"], grid_id=r["grid"], staff_id=r["staff"], staff_name=r["staff_name"], patrolled_on=r["patrolled_on"],
                         notes=r["notes"], events_found=r["events_found"], recorded_at=r["recorded_at"]) for r in rows]


async def missing_patrols(mh: Meihao, principal: Principal, community: CommunityInfo, day: date) -> list[MissingPatrolOut]:
    """The planned patrols of ``day`` with no log: daily plans every day, ``workdays`` plans on the community's working days."""
    workday = (await working_calendar(mh, community)).is_workday(day)
    plans = await PatrolPlan.select(*PLAN_COLUMNS, PatrolPlan.grid.name.as_alias("grid_name")).where(
        *_scope(principal, community, PatrolPlan), PatrolPlan.active.eq(True), PatrolPlan.staff.active.eq(True),
    ).order_by(PatrolPlan.grid).order_by(PatrolPlan.id)
    done = {(r["grid"], r["staff"]) for r in await PatrolLog.select(PatrolLog.grid, PatrolLog.staff).where(
        PatrolLog.community == community.id, PatrolLog.patrolled_on == day)}
    return [MissingPatrolOut(grid_id=p["grid"], grid_name=p["grid_name"], staff_id=p["staff"], staff_name=p["staff_name"], day=day)
            for p in plans if (p["frequency"] == "daily" or workday) and (p["grid"], p["staff"]) not in done]


async def check_patrols(mh: Meihao, community: CommunityInfo) -> int:
    """The daily job: yesterday's planned patrols with no log, each told once to the grid's leaders
    (the community's admins where the grid has none); returns how many were told."""
    system = Principal.system("governance")
    await ensure_default_plans(mh, community)
    day = community_today(mh, community) - timedelta(days=1)
    settings = await settings_of(mh, community)
    told = 0
    for missing in await missing_patrols(mh, system, community, day):
        plan = await PatrolPlan.select(PatrolPlan.id).where(PatrolPlan.grid == missing.grid_id, PatrolPlan.staff == missing.staff_id).first()
        async with transaction(mh, lock=("governance.missed_patrol", plan["id"])):
            if await MissedPatrol.exists().where(MissedPatrol.plan == plan["id"], MissedPatrol.day == day):
                continue
            leaders = [r["staff"] for r in await StaffAssignment.select(StaffAssignment.staff).where(
                StaffAssignment.grid == missing.grid_id, StaffAssignment.role == "grid_leader", StaffAssignment.staff.active.eq(True))]
            if not leaders:
                leaders = [r["staff"] for r in await StaffAssignment.select(StaffAssignment.staff).where(
                    StaffAssignment.community == community.id, StaffAssignment.role == "community_admin",
                    StaffAssignment.staff.active.eq(True))]
            notice = await notify(mh, community.slug, NoticeIn(
                key=f"governance.patrol_missing:{plan['id']}:{day.isoformat()}", title="巡查未记录",
                body=f"{missing.grid_name}网格员{missing.staff_name}{zh_date(day)}没有巡查记录，请了解情况。",
                staff=sorted(set(leaders)), residents=[], channels=settings.channels), scenario="governance") if leaders else None
            await MissedPatrol.insert(MissedPatrol(community=community.id, plan=plan["id"], day=day, notice=(notice or {}).get("id", 0)))
            told += 1
    return told

