"""Counting reminders for dashboards: due, sent and failed per community and period, sent per day, failures by activity.

Every count is limited to the recipients the caller may see, as the API's reminder log of an
activity is (:func:`meihao.reminders.recipients.reminders_in_scope`): residents of their register scope, staff of their
staff list. The counts are grouped in SQL, one query per figure for all communities at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count, Max

from meihao.reminders.recipients import reminders_in_scope
from meihao.reminders.tables import Reminder

if TYPE_CHECKING:
    from meihao.access.principals import Principal

#: The outbox states of a reminder that has not gone out yet but may still go.
WAITING = ("pending", "sending")


def local_midnight(day: date, timezone: str) -> datetime:
    """The start of ``day`` in the time zone, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))


async def _grouped(principal: Principal, community_ids: list[int], *clauses: Any) -> dict[int, int]:
    community = Reminder.activity.community
    rows = await Reminder.select(community.as_alias("community"), Count(Reminder.id)).where(
        community.is_in(community_ids), *clauses, *reminders_in_scope(principal)
    ).group_by(community)
    return {row["community"]: row["count"] for row in rows}


async def period_counts(principal: Principal, community_ids: list[int], start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    """Per community, the reminders of ``[start, end)``: ``due`` (their due time fell in it, cancelled ones left out),
    ``sent`` (sent in it) and ``failed`` (given up after their last attempt, planned in it)."""
    result = {cid: {"due": 0, "sent": 0, "failed": 0} for cid in community_ids}
    if not community_ids:
        return result
    figures = {
        "due": (Reminder.due.due_at >= start, Reminder.due.due_at < end, Reminder.status != "cancelled"),
        "sent": (Reminder.status == "sent", Reminder.sent_at >= start, Reminder.sent_at < end),
        "failed": (Reminder.status == "failed", Reminder.next_attempt_at >= start, Reminder.next_attempt_at < end),
    }
    for key, clauses in figures.items():
        for cid, count in (await _grouped(principal, community_ids, *clauses)).items():
            result[cid][key] = count
    return result


async def waiting_counts(principal: Principal, community_ids: list[int], now: datetime) -> dict[int, int]:
    """Per community, the reminders whose time to go has passed and that have not gone yet (quiet hours, retries, a stopped worker)."""
    if not community_ids:
        return {}
    return await _grouped(principal, community_ids, Reminder.status.is_in(list(WAITING)), Reminder.next_attempt_at <= now)


async def sent_per_day(principal: Principal, community_ids: list[int], days: list[date], timezone: str) -> dict[int, list[int]]:
    """Per community, the reminders sent on each of ``days`` (local days of ``timezone``), in that order."""
    result = {cid: [0] * len(days) for cid in community_ids}
    if not community_ids:
        return result
    for index, day in enumerate(days):
        start = local_midnight(day, timezone)
        counts = await _grouped(
            principal, community_ids, Reminder.status == "sent", Reminder.sent_at >= start, Reminder.sent_at < start + timedelta(days=1)
        )
        for cid, count in counts.items():
            result[cid][index] = count
    return result


async def failures_by_activity(principal: Principal, community_ids: list[int], since: datetime, limit: int = 5) -> list[dict[str, Any]]:
    """The activities with reminders that failed since ``since``, most failures first: ``activity``, ``title``,
    ``community``, ``failed``, ``last_error`` (the text of one of its failures, as the activity's reminder log shows it)."""
    if not community_ids:
        return []
    rows = await Reminder.select(
        Reminder.activity.as_alias("activity"),
        Reminder.activity.title.as_alias("title"),
        Reminder.activity.community.as_alias("community"),
        Count(Reminder.id, alias="failed"),
        Max(Reminder.last_error, alias="last_error"),
    ).where(
        Reminder.activity.community.is_in(community_ids), Reminder.status == "failed", Reminder.next_attempt_at >= since,
        *reminders_in_scope(principal),
    ).group_by(Reminder.activity, Reminder.activity.title, Reminder.activity.community)
    rows.sort(key=lambda r: (-r["failed"], r["activity"]))
    return rows[:limit]
