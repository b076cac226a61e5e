"""Tables of activities and their reminders: activities and reminder points, the outbox, inboxes, residents' choices, secret links."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.access.tables import Staff
from meihao.register.tables import Community, Resident

# -- activities and their reminder points -------------------------------------------


class Activity(Table, tablename="meihao_activity"):
    """活动 something that happens at a time in a community (a market day, an opera show, a health check).

    Recurrence is an RFC 5545 RRULE (``FREQ=WEEKLY;BYDAY=SA``) or a Chinese lunar date repeated
    yearly (``lunar_month``/``lunar_day``, e.g. 9/9 for 重阳 Double Ninth); ``holiday_policy`` says
    what happens to an occurrence that falls on an official holiday: keep, skip or move it.
    ``version`` grows on every reschedule or cancellation, which invalidates reminders not yet sent.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    scene = Varchar(length=40, index=True)
    #: The scenario that owns it (created it or sent the notice): only it renders its reminders.
    #: ``""``: the kernel's (an activity planned by staff in a scene no scenario provides).
    scenario = Varchar(length=40, default="")
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
    #: The version of the community's working calendar its reminder points were planned on;
    #: when the calendar changes, the planner moves the points of a holiday policy's occurrences.
    calendar_version = Varchar(length=40, default="")
    #: Residents may sign up for its occurrences themselves (through their inbox link).
    signups_open = Boolean(default=False)
    #: At most this many sign-ups per occurrence; ``None``: no limit.
    signup_capacity = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ActivitySignup(Table, tablename="meihao_activity_signup"):
    """报名 a resident signed up for one occurrence of an activity that takes sign-ups.

    Unique per (activity, occurrence, resident); the capacity is enforced by the service under a lock.
    """

    activity = ForeignKey(Activity, on_delete=OnDelete.cascade, index=True, null=False)
    #: The occurrence's key (its original start, UTC ISO 8601), as in :class:`DueReminder`.
    occurrence = Varchar(length=40)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, index=True, null=False)
    created_at = Timestamptz(default=TimestamptzNow())


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


# -- the outbox and what recipients chose ----------------------------------------------


class Reminder(Table, tablename="meihao_reminder"):
    """The outbox: one reminder for one recipient on one channel, with its delivery state.

    Unique per (due, recipient_kind, recipient_id, channel), i.e. per (activity, version,
    occurrence, offset, recipient, channel).
    """

    due = ForeignKey(DueReminder, on_delete=OnDelete.cascade)
    activity = ForeignKey(Activity, on_delete=OnDelete.cascade, index=True)
    #: ``resident`` or ``staff``.
    recipient_kind = Varchar(length=8)
    recipient_id = Integer()
    channel = Varchar(length=32)
    #: ``pending``, ``sending``, ``sent``, ``failed``, ``missed`` or ``cancelled``.
    status = Varchar(length=12, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    lease_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    sent_at = Timestamptz(null=True, default=None)
    #: When a send through an external channel (e-mail, webhook) began, until its outcome is
    #: recorded. A row claimed again with it set was in flight when its sender died: the
    #: receiver may have accepted it, so it is sent again with the same delivery id (never
    #: marked ``missed``), see :mod:`meihao.reminders.delivery`.
    send_started_at = Timestamptz(null=True, default=None)
    #: The node that claimed it last (``MEIHAO_NODE_ID``; ``""``: a process without a node name):
    #: a node restarting after a kill releases its own claims at once instead of waiting for their lease.
    claimed_by = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class InboxMessage(Table, tablename="meihao_inbox"):
    """A message in a resident's or staff member's in-app inbox (the kernel's own channel)."""

    recipient_kind = Varchar(length=8)
    recipient_id = Integer(index=True)
    reminder = ForeignKey(Reminder, on_delete=OnDelete.set_null, null=True, unique=True)
    activity = ForeignKey(Activity, on_delete=OnDelete.set_null, null=True)
    language = Varchar(length=8, default="zh")
    body = Text()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    read_at = Timestamptz(null=True, default=None)


class Contact(Table, tablename="meihao_contact"):
    """Where a recipient is reached on a channel (an e-mail address, a webhook URL). The inbox needs none."""

    recipient_kind = Varchar(length=8)
    recipient_id = Integer(index=True)
    channel = Varchar(length=32)
    address = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class ReminderOptOut(Table, tablename="meihao_reminder_optout"):
    """A recipient who does not want reminders of a scene (``*``: any) on a channel (``*``: any)."""

    recipient_kind = Varchar(length=8)
    recipient_id = Integer(index=True)
    scene = Varchar(length=40, default="*")
    channel = Varchar(length=32, default="*")
    created_at = Timestamptz(default=TimestamptzNow())


class RecipientToken(Table, tablename="meihao_recipient_token"):
    """The generation of a recipient's secret link (unsubscribe, calendar); bumping it revokes old links."""

    recipient_kind = Varchar(length=8)
    recipient_id = Integer(index=True)
    purpose = Varchar(length=16)
    generation = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


class ReminderSettings(Table, tablename="meihao_reminder_settings"):
    """Per-community delivery settings: quiet hours (local time, ``HH:MM``) during which nothing is sent, and
    whether people already reminded of an activity hear of its cancellation."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, unique=True)
    quiet_start = Varchar(length=5, default="21:30")
    quiet_end = Varchar(length=5, default="07:30")
    cancellation_notices = Boolean(default=True)


class StaffDigest(Table, tablename="meihao_staff_digest"):
    """A staff member who wants one daily digest of their reminders instead of single messages."""

    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, unique=True)
    #: Local hour (0–23, in MEIHAO_DEFAULT_TIMEZONE) at which the digest is sent.
    hour = Integer(default=7)
    channel = Varchar(length=32, default="inbox")
    created_at = Timestamptz(default=TimestamptzNow())


REMINDER_TABLES: list[type[Table]] = [
    Activity,
    ActivitySignup,
    DueReminder,
    Reminder,
    InboxMessage,
    Contact,
    ReminderOptOut,
    RecipientToken,
    ReminderSettings,
    StaffDigest,
]
