"""督办 supervision: a department late on an order or a whistle's call is put under supervision once per clock.

The kernel's escalation levels (yellow, red, then the grid leaders, the community's and the street's
admins) run on every item as they do for any scene; this adds the record a department's figures
and its answers show (``supervised``), and tells the community's admins which department is late on
what, and the late department's own staff (the kernel's notices reach the departments' staff in
every community: ``STREET_WIDE_ROLES``); they also see the supervision on the order or call itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meihao import CommunityInfo, Meihao, NoticeIn, notify, transaction, zh_when
from meihao.tables import StaffAssignment

from ..tables import Order, Supervision, WhistleCall
from .common import department_staff, settings_of

#: (kind, clock, the states in which it still runs, the column of its due time, the column that stops it, title)
CLOCKS: tuple[tuple[str, str, tuple[str, ...], Any, Any], ...] = (
    ("order", "sign_off", ("dispatched",), Order.sign_due_at, "签收"),
    ("order", "resolution", ("dispatched", "signed"), Order.resolve_due_at, "办理反馈"),
    ("call", "sign_off", ("summoned",), WhistleCall.sign_due_at, "签收"),
    ("call", "contact", ("summoned", "signed"), WhistleCall.contact_due_at, "联系"),
    ("call", "report", ("summoned", "signed", "contacted"), WhistleCall.report_due_at, "报到"),
)


async def _admins(community_id: int) -> list[int]:
    rows = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.community == community_id, StaffAssignment.role == "community_admin", StaffAssignment.staff.active.eq(True))
    return sorted({r["staff"] for r in rows})


async def supervise(mh: Meihao, community: CommunityInfo, now: datetime) -> int:
    """Put every late department order and call under supervision (once per record and clock); returns how many are new."""
    settings = await settings_of(mh, community)
    admins = await _admins(community.id)
    made = 0
    for kind, clock, running, due_column, what in CLOCKS:
        table = Order if kind == "order" else WhistleCall
        rows = await table.select(table.id, table.department, table.department.name.as_alias("department_name"), due_column.as_alias("due_at"),
                                  *([table.whistle.title.as_alias("title")] if kind == "call" else [table.event.text.as_alias("title")])).where(
            table.community == community.id, table.state.is_in(list(running)), table.department.is_not_null(), due_column <= now,
            table.id.not_in(Supervision.select(Supervision.record).where(Supervision.kind == kind, Supervision.clock == clock)))
        for row in rows:
            async with transaction(mh, lock=("governance.supervision", f"{kind}:{row['id']}")):
                if await Supervision.exists().where(Supervision.kind == kind, Supervision.record == row["id"], Supervision.clock == clock):
                    continue
                await Supervision.insert(Supervision(community=community.id, kind=kind, record=row["id"], clock=clock,
                                                     department=row["department"], due_at=row["due_at"]))
                people = sorted(set(admins) | set(await department_staff(row["department"])))
                if people:
                    noun = "吹哨" if kind == "call" else "派单"
                    await notify(mh, community.slug, NoticeIn(
                        key=f"governance.supervise:{kind}:{row['id']}:{clock}", title="督办",
                        body=f"{row['department_name']}未按时{what}{noun}「{row['title'][:30]}」（应于{zh_when(row['due_at'].astimezone(community.tz))}前），已列入督办。",
                        staff=people, residents=[], channels=settings.channels), scenario="governance")
                made += 1
    return made

