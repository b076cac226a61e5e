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
from meihao.reminders.tables import Activity, Reminder

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


#: The outbox and its activities, as the grouped counts name them (no aliases: the scope's clauses name the outbox table).
_R = '"meihao_reminder"'
_A = '"meihao_activity"'


def _count_if(alias: str, condition: str, *values: Any) -> QueryString:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)``: a count of the group's rows that match, in the same
    pass as the others (SQLite and PostgreSQL alike; ``COUNT(*) FILTER`` needs SQLite 3.30). ``condition``
    is SQL with a ``{}`` for each of ``values``."""
    return QueryString(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {alias}", *values)


#: Outbox rows whose reminder point fell due in ``[{}, {})`` (the points' ``due_at`` index, no join), not cancelled.
_DUE = f'{_R}."due" IN (SELECT "id" FROM "meihao_reminder_due" WHERE "due_at" >= {{}} AND "due_at" < {{}}) AND {_R}."status" != \'cancelled\''
_SENT = f'{_R}."status" = \'sent\' AND {_R}."sent_at" >= {{}} AND {_R}."sent_at" < {{}}'
_FAILED = f'{_R}."status" = \'failed\' AND {_R}."next_attempt_at" >= {{}} AND {_R}."next_attempt_at" < {{}}'
_WAITING = f'{_R}."status" IN ({", ".join(repr(w) for w in WAITING)}) AND {_R}."next_attempt_at" <= {{}}'


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
    # Written as SQL, not composed by Piccolo: the same query, built in a fraction of the time (the overview runs it on every view).
    figures: list[QueryString] = []
    for period, start in (("today", periods.today), ("week", periods.week)):
        figures += [_count_if(f"{period}_due", _DUE, start, tomorrow), _count_if(f"{period}_sent", _SENT, start, tomorrow),
                    _count_if(f"{period}_failed", _FAILED, start, tomorrow)]
    figures.append(_count_if("waiting", _WAITING, periods.now))
    figures += [_count_if(f"day_{index}", _SENT, start, start + timedelta(days=1)) for index, start in enumerate(periods.chart)]
    # Only the rows some figure counts are read: each branch of the OR has its index
    # (status + sent_at, status + next_attempt_at, the outbox's key that starts with its point).
    first = min([periods.week, *periods.chart])
    rows_counted = QueryString(
        f"({_DUE}) OR ({_SENT}) OR ({_FAILED}) OR ({_WAITING})", periods.week, tomorrow, first, tomorrow, periods.week, tomorrow, periods.now,
    )
    scope = [clause.querystring for clause in reminders_in_scope(principal)]
    rows = await Reminder.raw(
        f"SELECT {_A}.\"community\" AS community, {', '.join('{}' for _ in figures)} FROM {_R} JOIN {_A} ON {_A}.\"id\" = {_R}.\"activity\" "
        f"WHERE {_A}.\"community\" IN ({', '.join('{}' for _ in community_ids)}) AND ({{}}){' AND {}' * len(scope)} GROUP BY {_A}.\"community\"",
        *figures, *community_ids, rows_counted, *scope,
    )
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
    # The activities by id (a subquery, not Piccolo's join through ``Reminder.activity``, slow to build); their
    # titles are read only when something failed.
    rows = await Reminder.select(Reminder.activity, Count(Reminder.id, alias="failed"), Max(Reminder.last_error, alias="last_error")).where(
        Reminder.activity.is_in(Activity.select(Activity.id).where(Activity.community.is_in(community_ids))), Reminder.status == "failed",
        Reminder.next_attempt_at >= since, *reminders_in_scope(principal),
    ).group_by(Reminder.activity)
    if not rows:
        return []
    rows.sort(key=lambda r: (-r["failed"], r["activity"]))
    rows = rows[:limit]
    about = {a["id"]: a for a in await Activity.select(Activity.id, Activity.title, Activity.community).where(
        Activity.id.is_in([r["activity"] for r in rows]))}
    return [{"activity": r["activity"], "title": about[r["activity"]]["title"], "community": about[r["activity"]]["community"],
             "failed": r["failed"], "last_error": r["last_error"]} for r in rows]
