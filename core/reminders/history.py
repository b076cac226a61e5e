"""The reminder log of an activity (read only): who was reminded (masked), when, on which channel, with what result.

Scoped like ``GET /api/activities/{id}/reminders``: a street-wide caller sees every recipient,
anyone else only residents in their scope (as in the register) and staff in their staff list.
Residents' names are masked (王秀英 → 王*英); the caller must already reach the activity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meihao.access.tables import Staff
from meihao.register.tables import Resident
from meihao.reminders.audiences import mask_name
from meihao.reminders.recipients import reminders_in_scope
from meihao.reminders.tables import Reminder

if TYPE_CHECKING:
    from meihao.access.principals import Principal

#: The states of a reminder, in the order a log shows their counts.
STATUSES = ("pending", "sending", "sent", "failed", "held", "missed", "cancelled")


async def delivery_state(
    principal: Principal, activity_id: int, *, status: str | None = None, limit: int = 100
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Counts by status and the newest ``limit`` (1–1000) reminders of the activity (optionally of one
    ``status``), of the recipients in the caller's scope only: what ``GET /api/activities/{id}/reminders``
    answers and the console's reminder log shows."""
    scope = reminders_in_scope(principal)
    counts: dict[str, int] = {}
    for row in await Reminder.select(Reminder.status).where(Reminder.activity == activity_id, *scope):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    query = Reminder.select(
        Reminder.id,
        Reminder.due.occurrence.as_alias("occurrence"),
        Reminder.due.offset_minutes.as_alias("offset_minutes"),
        Reminder.due.due_at.as_alias("due_at"),
        Reminder.recipient_kind,
        Reminder.recipient_id,
        Reminder.channel,
        Reminder.status,
        Reminder.attempts,
        Reminder.next_attempt_at,
        Reminder.sent_at,
        Reminder.last_error,
    ).where(Reminder.activity == activity_id, *scope)
    if status:
        query = query.where(Reminder.status == status)
    return counts, await query.order_by(Reminder.id, ascending=False).limit(min(max(limit, 1), 1000))


async def reminder_log(principal: Principal, activity_id: int, *, status: str | None = None, limit: int = 100) -> dict[str, Any]:
    """:func:`delivery_state` for people to read: the counts in the order of :data:`STATUSES`, and each
    reminder with ``recipient`` (a masked resident's name or a staff member's name)."""
    counts, rows = await delivery_state(principal, activity_id, status=status, limit=limit)
    resident_ids = sorted({r["recipient_id"] for r in rows if r["recipient_kind"] == "resident"})
    staff_ids = sorted({r["recipient_id"] for r in rows if r["recipient_kind"] == "staff"})
    residents = {r["id"]: mask_name(r["name"]) for r in await Resident.select(Resident.id, Resident.name).where(
        Resident.id.is_in(resident_ids or [0]))}
    staff = {r["id"]: r["name"] for r in await Staff.select(Staff.id, Staff.name).where(Staff.id.is_in(staff_ids or [0]))}
    for row in rows:
        names = residents if row["recipient_kind"] == "resident" else staff
        row["recipient"] = names.get(row["recipient_id"], "")
    ordered = {name: counts[name] for name in STATUSES if name in counts}
    ordered.update({name: n for name, n in sorted(counts.items()) if name not in ordered})
    return {"counts": ordered, "reminders": rows}


async def reminded_people(activity_id: int) -> int:
    """How many people (residents and staff) were sent a reminder of the activity: those a cancellation tells."""
    rows = await Reminder.select(Reminder.recipient_kind, Reminder.recipient_id).where(
        Reminder.activity == activity_id, Reminder.status == "sent"
    ).distinct()
    return len(rows)
