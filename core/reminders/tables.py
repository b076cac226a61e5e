"""Tables of reminders: the outbox, inboxes, residents' contacts and opt-outs, secret links, quiet hours, staff digests."""
from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.access.tables import Staff
from meihao.activities.tables import Activity, DueReminder
from meihao.register.tables import Community


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
    """Per-community delivery settings: quiet hours (local time, ``HH:MM``) during which nothing is sent."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, unique=True)
    quiet_start = Varchar(length=5, default="21:30")
    quiet_end = Varchar(length=5, default="07:30")


class StaffDigest(Table, tablename="meihao_staff_digest"):
    """A staff member who wants one daily digest of their reminders instead of single messages."""

    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, unique=True)
    #: Local hour (0–23, in MEIHAO_DEFAULT_TIMEZONE) at which the digest is sent.
    hour = Integer(default=7)
    channel = Varchar(length=32, default="inbox")
    created_at = Timestamptz(default=TimestamptzNow())


REMINDER_TABLES: list[type[Table]] = [
    Reminder,
    InboxMessage,
    Contact,
    ReminderOptOut,
    RecipientToken,
    ReminderSettings,
    StaffDigest,
]
