"""决议落实: a resolution's follow-up tasks, each a kernel work item with its owner (staff) and due date.

A task opens on a resolved motion (after its notice period). Its work item keeps the state, the
history (each progress report is a transition with its note) and one clock, ``due``, running to
the close of the due date on the community's working calendar (the kernel's yellow and red flags
and escalation reach the owner first). The scene's row mirrors the state, written in the same
transaction, for the figure 已落实 (a resolution whose tasks are all done).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    DeadlineClock,
    Duration,
    InvalidInput,
    Meihao,
    NotFound,
    Principal,
    Transition,
    Workflow,
    audit,
    community_today,
    get_work_item,
    open_item,
    scoped_staff,
    transaction,
    transition_item,
    working_calendar,
)
from meihao.tables import Staff

from ..schemas import ProgressIn, TaskIn, TaskOut
from ..tables import Motion, ResolutionTask
from .scope import SCENARIO
from .scope import scoped_motion as _scoped_motion

#: open → in_progress (a report) → done (what was done); open or in_progress → cancelled (why). The clock ``due``
#: is set per task from its due date (``open_item(durations=…)``); the 1 here is only the declared default.
TASK = Workflow(
    scenario=SCENARIO,
    name="resolution_task",
    initial="open",
    transitions=(
        Transition("open", "in_progress", reason=True),
        Transition("in_progress", "in_progress", reason=True),
        Transition("open", "done", reason=True),
        Transition("in_progress", "done", reason=True),
        Transition("open", "cancelled", reason=True),
        Transition("in_progress", "cancelled", reason=True),
    ),
    final=("done", "cancelled"),
    clocks=(DeadlineClock("due", Duration(working_days=1, by_close=True)),),
)
SUBJECT = "neighbourhood_motion"
STATES = ("in_progress", "done", "cancelled")


def _out(row: dict[str, Any], item: dict[str, Any], owner: str) -> TaskOut:
    clock = next((c for c in item["clocks"] if c["name"] == "due"), None)
    reports = [{"state": e["to_state"], "note": e["reason"], "by": e["actor"], "at": e["at"]}
               for e in item["history"] if e["action"] == "transition"]
    return TaskOut(id=row["id"], motion=row["motion"], item=row["item"], title=row["title"], owner_id=row["owner"], owner=owner,
                   due_on=row["due_on"], state=item["state"], flag=clock["flag"] if clock else "", due_at=clock["due_at"] if clock else None,
                   closed_at=item["closed_at"], reports=reports)


async def _owners(ids: list[int]) -> dict[int, str]:
    rows = await Staff.select(Staff.id, Staff.name).where(Staff.id.is_in(ids or [0]))
    return {r["id"]: r["name"] for r in rows}


async def list_tasks(mh: Meihao, principal: Principal, community: CommunityInfo, motion_id: int) -> list[TaskOut]:
    """The motion's follow-up tasks with their work items' state, flag and reports (the motion in the caller's scope)."""
    await _scoped_motion(principal, community, motion_id)
    rows = await ResolutionTask.select().where(ResolutionTask.motion == motion_id).order_by(ResolutionTask.id)
    owners = await _owners([r["owner"] for r in rows if r["owner"]])
    return [_out(r, await get_work_item(mh, principal, community, r["item"], workflow=TASK), owners.get(r["owner"] or 0, "")) for r in rows]


async def add_task(mh: Meihao, principal: Principal, community: CommunityInfo, motion_id: int, data: TaskIn) -> TaskOut:
    """A follow-up task on a resolution: owned by a staff member of the community, due on a working day after today."""
    motion = await _scoped_motion(principal, community, motion_id)
    title = data.title.strip()
    if not 1 <= len(title) <= 200:
        raise InvalidInput("title: 1 to 200 characters", field="title")
    owner = await scoped_staff(principal, community, data.owner_id, "owner_id")
    today = community_today(mh, community)
    if data.due_on <= today:
        raise InvalidInput(f"due_on: a day after today ({today.isoformat()})", field="due_on")
    if data.due_on > today + timedelta(days=366):
        raise InvalidInput("due_on: at most a year from today", field="due_on")
    calendar = await working_calendar(mh, community)
    if not calendar.is_workday(data.due_on):
        raise InvalidInput(f"due_on: {data.due_on.isoformat()} is not a working day; the next is "
                           f"{calendar.next_workday(data.due_on).isoformat()}", field="due_on")
    # the clock runs to the close of the due date: that many working days after today
    days = sum(1 for n in range(1, (data.due_on - today).days + 1) if calendar.is_workday(today + timedelta(days=n)))
    async with transaction(mh, lock=("neighbourhood.motion", motion_id)):
        state = (await Motion.select(Motion.state).where(Motion.id == motion_id).first())["state"]
        if state != "resolved":
            raise Conflict(f"motion {motion_id} is {state}: follow-up tasks are set on a resolution (after its notice period)")
        item = await open_item(mh, principal, TASK, community, kind="resolution_task", title=f"决议落实：{title}"[:200],
                               subject=(SUBJECT, motion_id), assignee=owner["id"], grid=motion["grid"],
                               durations={"due": Duration(working_days=days, by_close=True)})
        row = ResolutionTask(motion=motion_id, community=community.id, item=item["id"], title=title, owner=owner["id"],
                             due_on=data.due_on, state="open", created_at=mh.clock.now())
        await row.save()
        await audit(principal, "neighbourhood.task.add", "motion", motion_id, community_id=community.id,
                    detail={"task": row.id, "item": item["id"], "owner": owner["id"], "due_on": data.due_on.isoformat()})
    saved = await ResolutionTask.select().where(ResolutionTask.id == row.id).first()
    return _out(saved, await get_work_item(mh, principal, community, item["id"], workflow=TASK), owner["name"])


async def report(mh: Meihao, principal: Principal, community: CommunityInfo, motion_id: int, task_id: int, data: ProgressIn) -> TaskOut:
    """A progress report (进展): ``in_progress`` with what has been done so far, ``done`` or ``cancelled`` with the note."""
    await _scoped_motion(principal, community, motion_id)
    if data.state not in STATES:
        raise InvalidInput(f"state: one of {', '.join(STATES)}", field="state")
    note = data.note.strip()
    if not 1 <= len(note) <= 2000:
        raise InvalidInput("note: say what was done, 1 to 2000 characters", field="note")
    row = await ResolutionTask.select().where(ResolutionTask.id == task_id, ResolutionTask.motion == motion_id).first()
    if row is None:
        raise NotFound(f"task {task_id} not found")
    async with transaction(mh):
        item = await transition_item(mh, principal, TASK, community, row["item"], data.state, reason=note, expected=data.expected)
        await ResolutionTask.update({ResolutionTask.state: item["state"]}).where(ResolutionTask.id == task_id)
        await audit(principal, f"neighbourhood.task.{data.state}", "motion", motion_id, community_id=community.id, detail={"task": task_id})
    return _out(row, item, (await _owners([row["owner"] or 0])).get(row["owner"] or 0, ""))


async def carried_out(community: CommunityInfo) -> int:
    """已落实: resolutions with at least one task done and every task done or cancelled."""
    rows = await ResolutionTask.select(ResolutionTask.motion, ResolutionTask.state).where(
        ResolutionTask.community == community.id, ResolutionTask.motion.state == "resolved")
    states: dict[int, list[str]] = {}
    for r in rows:
        states.setdefault(r["motion"], []).append(r["state"])
    return sum(1 for s in states.values() if "done" in s and all(x in ("done", "cancelled") for x in s))
