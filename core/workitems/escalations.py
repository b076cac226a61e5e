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
from meihao.time.wording import zh_when
from meihao.workitems.tables import WorkItem, WorkItemClock, WorkItemEscalation
from meihao.workitems.workflows import CHAIN

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.workitems")

#: What each level says, in Chinese and English (the notice is read as written).
_HEADLINES = {
    "yellow": ("黄牌预警：即将到期", "Yellow flag: due soon"),
    "red": ("红牌：已超期", "Red flag: overdue"),
}
_CLOCKS = {"sign_off": "签收", "first_response": "首次响应", "resolution": "办结"}


async def recipients(item: dict[str, Any], reach: str) -> list[int]:
    """The active staff a level reaching ``reach`` tells: the assignee, and up the chain to ``reach``
    (the grid's leaders, the community's admins, the street's admins), each rung added to those below."""
    rungs = CHAIN[: CHAIN.index(reach) + 1]
    people: set[int] = set()
    if item["assignee"] is not None:
        people.add(item["assignee"])
    chosen = []
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
            WorkItem.grid, WorkItem.title, WorkItem.state,
        ).where(WorkItem.id == level["item"]).first()
        people = await recipients(item, level["reach"])
        await WorkItemEscalation.update({WorkItemEscalation.recipients: people}).where(WorkItemEscalation.id == escalation_id)
        if people:
            clock = await WorkItemClock.select(WorkItemClock.due_at).where(
                WorkItemClock.item == item["id"], WorkItemClock.name == level["clock"]).first()
            tz = (await Community.select(Community.timezone).where(Community.id == item["community"]).first())["timezone"]
            try:
                await notify(mh, item["slug"], _notice(item, level, clock["due_at"], tz, people), scenario=item["scenario"])
            except InvalidInput as err:
                # The owning scenario was uninstalled since: the level stays claimed (it must not block
                # every later run), and the operator reads why in the log.
                log.warning("work item %s: the %s level of its %s clock was not sent: %s", item["id"], level["level"], level["clock"], err)
        return 1


def _notice(item: dict[str, Any], level: dict[str, Any], due_at: datetime | None, tz: str, people: list[int]) -> NoticeIn:
    from zoneinfo import ZoneInfo

    zh, en = _HEADLINES.get(level["level"], ("督办：超期升级", f"Escalated: overdue ({level['level']})"))
    clock = _CLOCKS.get(level["clock"], level["clock"])
    local = due_at.astimezone(ZoneInfo(tz)) if due_at else None
    when, when_en = (zh_when(local), local.strftime("%Y-%m-%d %H:%M")) if local else ("", "")
    title = item["title"] or f"#{item['id']}"
    return NoticeIn(
        key=f"workitems:{item['id']}:{level['clock']}:{level['level']}",
        title=f"{zh}：{title}"[:200],
        body=f"{zh}（{clock}时限 {when}）：{title}。{en} ({level['clock']} due {when_en}): {title}.",
        staff=people,
    )
