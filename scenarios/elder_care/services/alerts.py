"""Overdue-visit alerts: the daily check that sends reminders and escalations, listing alerts, ending them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from meihao import (
    CommunityInfo,
    NoticeIn,
    Page,
    Principal,
    cancel_activity,
    community_today,
    notify,
    paginate,
    scope_where,
    zh_interval,
    zh_overdue,
)
from meihao.tables import StaffAssignment

from ..schemas import CARE_LEVELS, AlertOut, ElderCareSettings
from ..tables import Elder, OverdueAlert
from .common import EVERYONE, SCENARIO, PlanState, _elder_select, elders_in_scope, plan_state, settings_of


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


async def list_alerts(
    mh: Any, principal: Principal, community: CommunityInfo, *, open_only: bool = True, urgent_first: bool = False, page: int = 1,
    page_size: int | None = None,
) -> Page[AlertOut]:
    """The alerts for elders in the caller's scope, one page (the kernel's ``paginate``: every alert is reachable). Newest
    first; ``urgent_first`` (the console) puts escalations first, then the earliest missed due date."""
    query = OverdueAlert.select(
        OverdueAlert.all_columns(), OverdueAlert.elder.resident.name.as_alias("name")
    ).where(*scope_where(principal, community, OverdueAlert.elder.resident))
    if open_only:
        query = query.where(OverdueAlert.resolved_at.is_null())
    if urgent_first:  # "escalation" sorts before "visitor"
        query = query.order_by(OverdueAlert.level).order_by(OverdueAlert.due_on).order_by(OverdueAlert.id)
    else:
        query = query.order_by(OverdueAlert.id, ascending=False)
    result = await paginate(mh, query, page=page, page_size=page_size)
    return result.page_of([
        AlertOut(
            id=r["id"],
            elder_id=r["elder"],
            name=r["name"],
            due_on=r["due_on"],
            level=r["level"],
            missed_intervals=r["missed_intervals"],
            days_overdue=r["days_overdue"],
            recipients=len(json.loads(r["recipients"]) if isinstance(r["recipients"], str) else r["recipients"]),
            created_at=r["created_at"],
            resolved_at=r["resolved_at"],
        )
        for r in result.rows
    ])


async def escalation_count(principal: Principal, community: CommunityInfo) -> int:
    """How many open alerts in the caller's scope are escalations (all of them, counted in SQL)."""
    return await OverdueAlert.count().where(
        OverdueAlert.elder.is_in(elders_in_scope(principal, community)), OverdueAlert.resolved_at.is_null(),
        OverdueAlert.level == "escalation",
    )


# -- the daily check ------------------------------------------------------------------------


def _day(day: date) -> str:
    return f"{day.month}月{day.day}日"


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
    community: CommunityInfo,
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
                days_overdue=state.days_overdue,
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
                community.slug,
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


async def check_visits(mh: Any, community: CommunityInfo) -> CheckResult:
    """Remind each overdue elder's visitor, and the grid leaders once the elder is ``escalate_after_days_<level>``
    days past the due date (per care level: days, not missed intervals).

    Idempotent: a reminder is sent once per elder, due date and level, however often this runs.
    """
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    rows = await _elder_select().where(
        *scope_where(EVERYONE, community, Elder.resident), Elder.active.eq(True), Elder.next_due_on < today
    ).order_by(Elder.id)
    result = CheckResult()
    for row in rows:
        state = plan_state(row, settings, today)
        if not state.missed:
            continue
        result.overdue += 1
        since = "上次探访或联系" if row["last_contact_on"] else "纳入探访计划"
        plan = f"{CARE_LEVELS[row['care_level']][0]}对象，{zh_interval(state.interval_days)}至少探访一次"
        overdue = f"{zh_overdue((today - state.next_due_on).days)}（最迟应于{_day(state.next_due_on)}探访）"
        staff = [row["visitor_staff"]] if row["visitor_staff"] else []
        residents = [row["visitor_resident"]] if row["visitor_resident"] else []
        if not (staff or residents):
            staff = await _grid_staff(row["grid_id"], "grid_worker")
        body = (
            f"探访提醒：{row['name']}（{plan}）自{_day(state.anchor)}{since}已{(today - state.anchor).days}天，"
            f"{overdue}。请尽快上门、电话或视频联系，并记录探访情况。"
        )
        if await _alert(mh, community, settings, row, state, "visitor", staff, residents, body):
            if staff or residents:
                result.reminded += 1
            else:
                result.unreachable += 1
        if state.days_overdue >= settings.escalate_after_days(row["care_level"]):
            leaders = await _grid_staff(row["grid_id"], "grid_leader") or await _community_admins(community.id)
            visitor = row["visitor_staff_name"] or row["visitor_resident_name"] or "（未指定）"
            body = (
                f"探访超期上报：{row['name']}（{plan}）自{_day(state.anchor)}{since}已{(today - state.anchor).days}天，"
                f"{overdue}；责任探访人：{visitor}。请督促落实。"
            )
            if await _alert(mh, community, settings, row, state, "escalation", leaders, [], body) and leaders:
                result.escalated += 1
    return result
