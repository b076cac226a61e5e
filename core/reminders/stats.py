"""Counting reminders for dashboards: due, sent and failed per community and period, sent per day, failures by activity.

Every count is limited to the recipients the caller may see, as the API's reminder log of an
activity is (:func:`meihao.reminders.recipients.reminders_in_scope`): residents of their register scope, staff of their
staff list. The counts are grouped in SQL: one query for every figure of every community at once
(:func:`reminder_counts`), one for the failures by activity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count, Max
from piccolo.querystring import QueryString

from meihao.reminders.recipients import reminders_in_scope
from meihao.reminders.tables import DueReminder, Reminder

if TYPE_CHECKING:
    from meihao.access.principals import Principal

#: The outbox states of a reminder that has not gone out yet but may still go.
WAITING = ("pending", "sending")


def local_midnight(day: date, timezone: str) -> datetime:
    """The start of ``day`` in the time zone, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))


@dataclass(frozen=True)
class Periods:
    """The instants a dashboard counts reminders between, in one time zone: ``today`` and ``tomorrow`` (local
    midnights), the first of the last 7 days (``week``), the first of the charted days (``chart``) and ``now``."""

    today: datetime
    week: datetime
    chart: list[datetime]  # local midnights of the charted days, oldest first
    now: datetime

    @classmethod
    def of(cls, today: date, chart_days: list[date], timezone: str, now: datetime) -> Periods:
        return cls(local_midnight(today, timezone), local_midnight(today - timedelta(days=6), timezone),
                   [local_midnight(day, timezone) for day in chart_days], now)

    @property
    def tomorrow(self) -> datetime:
        return self.today + timedelta(days=1)


def _count_if(condition: Any, alias: str) -> QueryString:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)``: a count of the group's rows that match, in the same
    pass as the others (SQLite and PostgreSQL alike; ``COUNT(*) FILTER`` needs SQLite 3.30)."""
    return QueryString("SUM(CASE WHEN {} THEN 1 ELSE 0 END)", condition.querystring).as_alias(alias)


def _due_between(start: datetime, end: datetime) -> Any:
    """Outbox rows whose reminder point fell due in ``[start, end)`` (the points' ``due_at`` index, no join)."""
    return Reminder.due.is_in(DueReminder.select(DueReminder.id).where(DueReminder.due_at >= start, DueReminder.due_at < end))


async def reminder_counts(principal: Principal, community_ids: list[int], periods: Periods) -> dict[int, dict[str, Any]]:
    """Per community, everything a dashboard shows of its reminders, counted in one grouped query:

    - ``today`` and ``week`` (the last 7 days), each ``due`` (their reminder point fell due in it,
      cancelled ones left out), ``sent`` (sent in it) and ``failed`` (given up after their last
      attempt, planned in it);
    - ``waiting``: whose time to go has passed and that have not gone yet (quiet hours, retries, a stopped worker);
    - ``per_day``: sent on each of the charted days, in their order.
    """
    result = {cid: {"today": {"due": 0, "sent": 0, "failed": 0}, "week": {"due": 0, "sent": 0, "failed": 0},
                    "waiting": 0, "per_day": [0] * len(periods.chart)} for cid in community_ids}
    if not community_ids:
        return result
    tomorrow = periods.tomorrow
    sent = Reminder.status == "sent"
    failed = Reminder.status == "failed"
    not_cancelled = Reminder.status != "cancelled"
    figures: dict[str, Any] = {}
    for period, start in (("today", periods.today), ("week", periods.week)):
        figures[f"{period}_due"] = _due_between(start, tomorrow) & not_cancelled
        figures[f"{period}_sent"] = sent & (Reminder.sent_at >= start) & (Reminder.sent_at < tomorrow)
        figures[f"{period}_failed"] = failed & (Reminder.next_attempt_at >= start) & (Reminder.next_attempt_at < tomorrow)
    waiting = Reminder.status.is_in(list(WAITING)) & (Reminder.next_attempt_at <= periods.now)
    figures["waiting"] = waiting
    for index, start in enumerate(periods.chart):
        figures[f"day_{index}"] = sent & (Reminder.sent_at >= start) & (Reminder.sent_at < start + timedelta(days=1))
    # Only the rows some figure counts are read: each branch of the OR has its index
    # (status + sent_at, status + next_attempt_at, the outbox's key that starts with its point).
    first = min([periods.week, *periods.chart])
    rows_counted = (
        (_due_between(periods.week, tomorrow) & not_cancelled)
        | (sent & (Reminder.sent_at >= first) & (Reminder.sent_at < tomorrow))
        | (failed & (Reminder.next_attempt_at >= periods.week) & (Reminder.next_attempt_at < tomorrow))
        | waiting
    )
    community = Reminder.activity.community
    rows = await Reminder.select(community.as_alias("community"), *(_count_if(c, name) for name, c in figures.items())).where(
        community.is_in(community_ids), rows_counted, *reminders_in_scope(principal)
    ).group_by(community)
    for row in rows:
        counts = result[row["community"]]
        for period in ("today", "week"):
            counts[period] = {key: int(row[f"{period}_{key}"] or 0) for key in ("due", "sent", "failed")}
        counts["waiting"] = int(row["waiting"] or 0)
        counts["per_day"] = [int(row[f"day_{index}"] or 0) for index in range(len(periods.chart))]
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
