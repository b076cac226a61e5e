"""The kernel's own items in a staff member's queue (``/queue``): failed reminders of what they planned, activities today.

The scenes bring theirs through ``ConsolePages.queue``; these are the kernel's, read with the
same scopes as the activity routes (communities the viewer reaches, recipients in their scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

from piccolo.query.functions.aggregate import Count, Min

from meihao.access.principals import Principal
from meihao.access.tables import AuditLog
from meihao.register.calendar import working_calendar
from meihao.register.schemas import CommunityInfo
from meihao.reminders.activities import _decode, activity_occurrences
from meihao.reminders.recipients import reminders_in_scope
from meihao.reminders.tables import Activity, Reminder

if TYPE_CHECKING:
    from meihao.runtime import Meihao

#: How long a failed reminder stays in its planner's queue (after its due time).
FAILED_WITHIN = timedelta(days=7)


@dataclass(frozen=True)
class FailedReminders:
    """Reminders of an activity the viewer planned that could not be delivered (within their scope)."""

    activity_id: int
    title: str
    community: str  # slug
    failed: int
    first_due: datetime


@dataclass(frozen=True)
class ActivityToday:
    """An occurrence of an activity in a community the viewer reaches, starting today (local) and not over yet."""

    activity_id: int
    title: str
    venue: str
    community: str  # slug
    starts_at: datetime
    ends_at: datetime


async def failed_reminders(mh: Meihao, principal: Principal, communities: list[CommunityInfo]) -> list[FailedReminders]:
    """Per activity the viewer planned (the audit log's ``meihao.activity.create``), its failed reminders due in the last week."""
    if principal.staff_id is None or not principal.can("meihao.activity.read") or not communities:
        return []
    planned = await AuditLog.select(AuditLog.target_id).where(
        AuditLog.staff == principal.staff_id, AuditLog.action == "meihao.activity.create", AuditLog.target_type == "activity"
    )
    ids = sorted({int(r["target_id"]) for r in planned if r["target_id"].isdigit()})
    if not ids:
        return []
    slugs = {c.id: c.slug for c in communities}
    rows = await Reminder.select(
        Reminder.activity.as_alias("activity_id"),
        Reminder.activity.title.as_alias("title"),
        Reminder.activity.community.as_alias("community_id"),
        Count(Reminder.id, alias="failed"),
        Min(Reminder.due.due_at, alias="first_due"),
    ).where(
        Reminder.activity.is_in(ids),
        Reminder.activity.community.is_in(sorted(slugs)),
        Reminder.status == "failed",
        Reminder.due.due_at >= mh.clock.now() - FAILED_WITHIN,
        *reminders_in_scope(principal),
    ).group_by(Reminder.activity, Reminder.activity.title, Reminder.activity.community)
    return [
        FailedReminders(r["activity_id"], r["title"], slugs[r["community_id"]], r["failed"], _aware(r["first_due"]))
        for r in rows
    ]


async def activities_today(mh: Meihao, principal: Principal, communities: list[CommunityInfo]) -> list[ActivityToday]:
    """The occurrences starting today (each community's own day) that have not ended, in the communities given."""
    if not principal.can("meihao.activity.read") or not communities:
        return []
    now = mh.clock.now()
    found: list[ActivityToday] = []
    for community in communities:
        today = now.astimezone(community.tz).date()
        day_start = datetime.combine(today, time(), community.tz)
        day_end = day_start + timedelta(days=1)
        rows = await Activity.select(Activity.all_columns()).where(
            Activity.community == community.id,
            Activity.status == "scheduled",
            Activity.source.not_like("notice:%"),
            Activity.starts_at < day_end,
            (Activity.rrule != "") | Activity.lunar_month.is_not_null() | (Activity.starts_at >= day_start - timedelta(days=7)),
        ).order_by(Activity.starts_at)
        if not rows:
            continue
        calendar = await working_calendar(mh, {"id": community.id, "timezone": community.timezone})
        for row in rows:
            activity = {**_decode(row), "timezone": community.timezone}
            for occurrence in activity_occurrences(activity, day_start, day_end, calendar=calendar):
                if occurrence["ends_at"] > now:
                    found.append(ActivityToday(
                        row["id"], row["title"], row["venue"], community.slug, occurrence["starts_at"], occurrence["ends_at"]
                    ))
    return found


def _aware(value: Any) -> datetime:
    """An aggregate's timestamp as an aware datetime (SQLite answers ``MIN`` of a timestamp with its text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
