"""The work-item check: sends each escalation notice that fell due, once, to the chain it reaches.

A scheduled kernel job (``meihao.workitems.check``, every five minutes) runs :func:`check`:
it takes the notices due by now (their ``notify_at`` already moved into working hours), a batch
at a time, and claims each one with ``UPDATE … SET sent_at … WHERE sent_at IS NULL`` inside
its own transaction: a re-run of the job, or another node running it at the same moment, finds
the row claimed and sends nothing. The notice goes through :func:`meihao.notify` (the reminder
engine's road to staff: their channels, retries, quiet hours), keyed per item, clock and level,
in the same transaction as the claim, so a crash between the two leaves neither.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from meihao.access.tables import Staff, StaffAssignment
from meihao.db.transactions import transaction
from meihao.errors import InvalidInput
from meihao.register.tables import Community
from meihao.reminders.notices import NoticeIn, notify
from meihao.time.wording import zh_overdue, zh_when
from meihao.workitems.tables import WorkItem, WorkItemClock, WorkItemEscalation
from meihao.workitems.workflows import CHAIN

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.workitems")

#: The headline of each kernel level; a level past the deadline that reaches further up is a 督办.
_HEADLINES = {"yellow": "黄牌预警", "red": "红牌"}
#: Who a level reaches, as the notice names them.
_RUNGS = {"grid_leader": "网格长", "community_admin": "社区", "street_admin": "街道"}
_CLOCKS = {"sign_off": "签收", "first_response": "首次响应", "resolution": "办结"}


async def recipients(item: dict[str, Any], reach: str) -> list[int]:
    """The active staff a level reaching ``reach`` tells: the assignee, and up the chain to ``reach``
    (the grid's leaders, the community's admins, the street's admins), each rung added to those below.

    An item sent to a department with no one person assigned (governance's 派单 to 城管) has the
    department as its assignee: the first rung is the department's staff (``department_staff`` of
    that department), so its yellow and red flags reach the people who must act, as an assignee's do."""
    rungs = CHAIN[: CHAIN.index(reach) + 1]
    people: set[int] = set()
    chosen = []
    if item["assignee"] is not None:
        people.add(item["assignee"])
    elif item.get("department") is not None:
        chosen.append((StaffAssignment.role == "department_staff") & (StaffAssignment.department == item["department"]))
    if "grid_leader" in rungs and item["grid"] is not None:
        chosen.append((StaffAssignment.role == "grid_leader") & (StaffAssignment.grid == item["grid"]))
    if "community_admin" in rungs:
        chosen.append((StaffAssignment.role == "community_admin") & (StaffAssignment.community == item["community"]))
    if "street_admin" in rungs:
        chosen.append(StaffAssignment.role == "street_admin")
    for clause in chosen:
        rows = await StaffAssignment.select(StaffAssignment.staff).where(clause, StaffAssignment.staff.active.eq(True))
        people |= {r["staff"] for r in rows}
    if people:
        active = await Staff.select(Staff.id).where(Staff.id.is_in(sorted(people)), Staff.active.eq(True))
        people = {r["id"] for r in active}
    return sorted(people)


async def check(meihao: Meihao, now: datetime) -> int:
    """Send the escalation notices due by ``now``, ``workitem_check_batch`` rows a query, until none is left
    or the run has taken ``workitem_check_seconds`` (the rest go at the next run); returns how many levels fired."""
    settings = meihao.settings
    started = time.monotonic()
    fired = 0
    while True:
        due = await WorkItemEscalation.select(WorkItemEscalation.id).where(
            WorkItemEscalation.sent_at.is_null(), WorkItemEscalation.notify_at <= now,
            WorkItemEscalation.item.is_in(WorkItem.select(WorkItem.id).where(WorkItem.final.eq(False), WorkItem.paused.eq(False))),
        ).order_by(WorkItemEscalation.notify_at).order_by(WorkItemEscalation.id).limit(settings.workitem_check_batch)
        for row in due:
            fired += await _fire(meihao, row["id"], now)
            if time.monotonic() - started > settings.workitem_check_seconds:
                return fired
        if len(due) < settings.workitem_check_batch:
            return fired


async def _fire(mh: Meihao, escalation_id: int, now: datetime) -> int:
    async with transaction(mh, lock=("workitems.escalation", escalation_id)):
        claimed = await WorkItemEscalation.update({WorkItemEscalation.sent_at: now}).where(
            WorkItemEscalation.id == escalation_id, WorkItemEscalation.sent_at.is_null(), WorkItemEscalation.notify_at <= now,
        ).returning(WorkItemEscalation.item, WorkItemEscalation.clock, WorkItemEscalation.level, WorkItemEscalation.reach)
        if not claimed:
            return 0
        level = claimed[0]
        item = await WorkItem.select(
            WorkItem.id, WorkItem.scenario, WorkItem.community, WorkItem.community.slug.as_alias("slug"), WorkItem.assignee,
            WorkItem.grid, WorkItem.department, WorkItem.title, WorkItem.state,
        ).where(WorkItem.id == level["item"]).first()
        people = await recipients(item, level["reach"])
        await WorkItemEscalation.update({WorkItemEscalation.recipients: people}).where(WorkItemEscalation.id == escalation_id)
        if people:
            clock = await WorkItemClock.select(WorkItemClock.due_at).where(
                WorkItemClock.item == item["id"], WorkItemClock.name == level["clock"]).first()
            tz = (await Community.select(Community.timezone).where(Community.id == item["community"]).first())["timezone"]
            try:
                await notify(mh, item["slug"], _notice(item, level, clock["due_at"], tz, people, now), scenario=item["scenario"])
            except InvalidInput as err:
                # The owning scenario was uninstalled since: the level stays claimed (it must not block
                # every later run), and the operator reads why in the log.
                log.warning("work item %s: the %s level of its %s clock was not sent: %s", item["id"], level["level"], level["clock"], err)
        return 1


def _notice(item: dict[str, Any], level: dict[str, Any], due_at: datetime | None, tz: str, people: list[int],
            now: datetime | None = None) -> NoticeIn:
    """The notice as staff read it, in plain Chinese: what, which time limit, how late, and who has been told.

    黄牌预警：「王秀英家中漏水回访」的办结时限是12月7日（周一）下午5点半，即将到期，请抓紧办理。
    督办：「…」已超过办结时限（12月7日（周一）下午5点半），已逾期2天，已报网格长，请尽快办理。
    """
    from zoneinfo import ZoneInfo

    clock = _CLOCKS.get(level["clock"], "")
    limit = f"{clock}时限"
    local = due_at.astimezone(ZoneInfo(tz)) if due_at else None
    title = item["title"] or f"#{item['id']}"
    name = level["level"]
    before = now < due_at if (now is not None and due_at is not None) else name == "yellow"
    if before:
        when = f"是{zh_when(local)}" if local else "快到了"
        headline = _HEADLINES.get(name, "预警")
        body = f"{headline}：「{title}」的{limit}{when}，即将到期，请抓紧办理。"
    else:
        headline = _HEADLINES.get(name, "督办")
        late = ""
        if local is not None and now is not None:
            days = (now.astimezone(ZoneInfo(tz)).date() - local.date()).days
            late = f"，{zh_overdue(days)}" if days > 0 else ""
        when = f"（{zh_when(local)}）" if local else ""
        told = f"，已报{_RUNGS[level['reach']]}" if level["reach"] in _RUNGS else ""
        body = f"{headline}：「{title}」已超过{limit}{when}{late}{told}，请尽快办理。"
    return NoticeIn(
        key=f"workitems:{item['id']}:{level['clock']}:{level['level']}",
        title=f"{headline}：{title}"[:200],
        body=body,
        staff=people,
    )
