"""Tables of activities: the activity and its reminder points (one row per occurrence and offset)."""
from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.register.tables import Community


class Activity(Table, tablename="meihao_activity"):
    """活动 something that happens at a time in a community (a market day, an opera show, a health check).

    Recurrence is an RFC 5545 RRULE (``FREQ=WEEKLY;BYDAY=SA``) or a Chinese lunar date repeated
    yearly (``lunar_month``/``lunar_day``, e.g. 9/9 for 重阳 Double Ninth); ``holiday_policy`` says
    what happens to an occurrence that falls on an official holiday: keep, skip or move it.
    ``version`` grows on every reschedule or cancellation, which invalidates reminders not yet sent.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    scene = Varchar(length=40, index=True)
    #: What created it, for plugins: ``markets.market_day:12``.
    source = Varchar(length=120, default="", index=True)
    title = Varchar(length=200)
    description = Text(default="")
    venue = Varchar(length=200, default="")
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    rrule = Text(default="")
    lunar_month = Integer(null=True, default=None)
    lunar_day = Integer(null=True, default=None)
    recurrence_until = Timestamptz(null=True, default=None)
    #: Occurrence keys (original start, UTC ISO) that are cancelled one by one.
    exdates = JSON(default="[]")
    #: ``keep``, ``skip``, ``next_workday`` or ``previous_workday``.
    holiday_policy = Varchar(length=20, default="keep")
    audience = JSON(default="{}")
    #: Minutes before the start at which reminders fall due, e.g. ``[1440, 120]``.
    reminder_offsets = JSON(default="[]")
    channels = JSON(default='["inbox"]')
    #: ``scheduled`` or ``cancelled``.
    status = Varchar(length=16, default="scheduled", index=True)
    version = Integer(default=1)
    #: How far ahead reminders have been planned (the planner's cursor).
    planned_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class DueReminder(Table, tablename="meihao_reminder_due"):
    """One reminder point: (activity, version, occurrence, offset). Fan-out turns it into outbox rows.

    ``fanout_cursor`` is the last recipient id written, so a fan-out killed half-way resumes
    where it stopped; the outbox's unique key makes a repeated batch add nothing.
    """

    activity = ForeignKey(Activity, on_delete=OnDelete.cascade, index=True)
    version = Integer(default=1)
    #: The occurrence's original start (UTC, ISO 8601): stable even when a holiday moves it.
    occurrence = Varchar(length=40)
    offset_minutes = Integer()
    starts_at = Timestamptz()
    due_at = Timestamptz(index=True)
    #: ``pending``, ``fanning``, ``done``, ``missed`` or ``cancelled``.
    status = Varchar(length=12, default="pending", index=True)
    fanout_stage = Integer(default=0)
    fanout_cursor = Integer(default=0)
    recipients = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


ACTIVITY_TABLES: list[type[Table]] = [Activity, DueReminder]
