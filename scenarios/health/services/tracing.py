"""Missed follow-ups (失访追踪): a tracing task for the grid worker — "请提醒王先生去看医生" — with no health data.

A kernel work item (workflow ``health.tracing``): opened by the daily job when a patient's due date is
``tracing_after_working_days`` working days behind, assigned to the grid worker of the patient's grid,
due ``tracing_working_days`` working days later (the kernel's yellow/red flags and escalation). The grid
worker reports the patient reminded; the next follow-up closes it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    DeadlineClock,
    Duration,
    NotFound,
    NoticeIn,
    Principal,
    Transition,
    Workflow,
    community_today,
    get_work_item,
    list_work_items,
    notify,
    open_item,
    transaction,
    transition_item,
    working_calendar,
    zh_address,
    zh_date,
)
from meihao.tables import Staff, StaffAssignment

from ..schemas import TracingOut
from ..tables import Patient
from .common import EVERYONE, SCENARIO, age_on, settings_of

TRACING = Workflow(
    scenario=SCENARIO,
    name="tracing",
    initial="open",
    transitions=(
        Transition("open", "reminded", reason=True),   # the grid worker reminded the patient
        Transition("open", "visited"),                  # the follow-up happened first
        Transition("reminded", "visited"),
        Transition("open", "cancelled", reason=True),
        Transition("reminded", "cancelled", reason=True),
    ),
    final=("visited", "cancelled"),
    clocks=(DeadlineClock("remind", Duration(working_days=3, by_close=True), stops_in=("reminded",)),),
)
SUBJECT = "health_patient"
STATES = {"open": "待提醒", "reminded": "已提醒", "visited": "已随访", "cancelled": "已取消"}


async def _grid_worker(grid_id: int | None) -> int | None:
    if grid_id is None:
        return None
    row = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.grid == grid_id, StaffAssignment.role == "grid_worker",
        StaffAssignment.staff.is_in(Staff.select(Staff.id).where(Staff.active.eq(True)))).order_by(StaffAssignment.staff).first()
    return None if row is None else row["staff"]


async def open_missed(mh: Any, community: CommunityInfo) -> list[int]:
    """Open a tracing task for each active patient whose follow-up is missed by the setting's working days (once each)."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    calendar = await working_calendar(mh, community)
    candidates = await Patient.select(
        Patient.id, Patient.next_due, Patient.resident.name.as_alias("name"), Patient.resident.gender.as_alias("gender"),
        Patient.resident.birth_date.as_alias("birth_date"), Patient.resident.grid.as_alias("grid_id"),
    ).where(Patient.community == community.id, Patient.active.eq(True), Patient.tracing_item.is_null(), Patient.next_due < today)
    opened = []
    for row in candidates:
        if calendar.add_working_days(row["next_due"], settings.tracing_after_working_days) > today:
            continue
        async with transaction(mh, lock=("health.patient", str(row["id"]))):
            if await Patient.exists().where(Patient.id == row["id"], Patient.tracing_item.is_not_null()):
                continue
            worker = await _grid_worker(row["grid_id"])
            who = zh_address(row["name"], row["gender"], age_on(row["birth_date"], today))
            title = f"请提醒{who}去看医生"
            item = await open_item(mh, EVERYONE, TRACING, community, kind="tracing", title=title, subject=(SUBJECT, row["id"]),
                                   grid=row["grid_id"], assignee=worker,
                                   durations={"remind": Duration(working_days=settings.tracing_working_days, by_close=True)})
            await Patient.update({Patient.tracing_item: item["id"]}).where(Patient.id == row["id"])
            if worker is not None:
                await notify(mh, community.slug, NoticeIn(
                    key=f"health.tracing:{item['id']}", title="提醒就诊",
                    body=f"{title}：应于{zh_date(row['next_due'])}随访，尚未随访。请联系本人或家属，提醒尽快到社区卫生服务站随访。",
                    staff=[worker], channels=list(settings.channels), useful_for=timedelta(days=3)), scenario=SCENARIO)
            opened.append(item["id"])
    return opened


async def close_visited(mh: Any, community: CommunityInfo, item_id: int) -> None:
    """The patient came: close the tracing task (inside the follow-up's transaction)."""
    try:
        await transition_item(mh, EVERYONE, TRACING, community, item_id, "visited", reason="已随访")
    except NotFound:
        return


def _out(item: dict[str, Any]) -> TracingOut:
    clock = next((c for c in item.get("clocks", []) if c["name"] == "remind"), None)
    return TracingOut(id=item["id"], title=item["title"], state=item["state"], state_zh=STATES[item["state"]],
                      patient_id=item["subject_id"], assignee=item["assignee"], grid_id=item["grid"],
                      due_at=clock["due_at"] if clock else None, flag=clock["flag"] if clock else "", opened_at=item["opened_at"])


async def list_tracing(mh: Any, principal: Principal, community: CommunityInfo, *, open_only: bool = True) -> list[TracingOut]:
    page = await list_work_items(mh, principal, community, scenario=SCENARIO, workflow=TRACING.name, open_only=open_only, page_size=200)
    return [_out(await get_work_item(mh, principal, community, row["id"], workflow=TRACING)) for row in page.rows]


async def reminded(mh: Any, principal: Principal, community: CommunityInfo, item_id: int, note: str) -> TracingOut:
    """The grid worker reminded the patient (how, in ``note``: 电话, 上门, 家属转告)."""
    await transition_item(mh, principal, TRACING, community, item_id, "reminded", reason=note.strip(), expected="open")
    return _out(await get_work_item(mh, principal, community, item_id, workflow=TRACING))
