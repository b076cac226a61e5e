"""The kernel's own answers for activities and reminders: the inbox channel, the kernel's audiences, the digest job, the default text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from meihao.hooks.declarations import Audience, Channel, Job, Message, Permission
from meihao.hooks.specs import hookimpl

_PLANNERS = ("community_admin", "grid_leader", "grid_worker")


async def send_to_inbox(message: Message) -> None:
    """Runs inside the engine's transaction that marks the reminder sent: exactly once."""
    from meihao.reminders.tables import InboxMessage

    await InboxMessage.insert(
        InboxMessage(
            recipient_kind=message.recipient_kind,
            recipient_id=message.recipient_id,
            reminder=message.reminder_id or None,
            activity=message.activity.get("id"),
            language=message.language,
            body=message.body,
            created_at=message.sent_at or datetime.now(timezone.utc).replace(microsecond=0),
        )
    ).on_conflict(action="DO NOTHING")


async def send_many_to_inbox(messages: list[Message]) -> None:
    """The same as :func:`send_to_inbox` for a claimed batch, in the engine's transaction: one ``executemany``.

    Building an ORM object per message costs more than writing it, so this goes to the
    transaction's connection directly.
    """
    from piccolo.engine.sqlite import SQLiteEngine

    from meihao.reminders.tables import InboxMessage

    engine = InboxMessage._meta.db
    transaction = engine.current_transaction.get()
    if transaction is None:  # pragma: no cover - the engine always calls this inside a transaction
        for message in messages:
            await send_to_inbox(message)
        return
    now = datetime.now(timezone.utc).replace(microsecond=0)
    rows = [
        (m.recipient_kind, m.recipient_id, m.reminder_id or None, m.activity.get("id"), m.language, m.body, m.sent_at or now)
        for m in messages
    ]
    columns = '"recipient_kind", "recipient_id", "reminder", "activity", "language", "body", "created_at"'
    if isinstance(engine, SQLiteEngine):
        sql = f'INSERT INTO "meihao_inbox" ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'
    else:
        sql = f'INSERT INTO "meihao_inbox" ({columns}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING'
    await transaction.connection.executemany(sql, rows)


def _elders(community_id: int, today: Any, meihao: Any) -> Any:
    """Residents aged ``MEIHAO_ELDER_AGE`` (60) or more on ``today``, the community's date of the fan-out."""
    from datetime import date

    from meihao.register.residents import shift_years
    from meihao.register.tables import Resident

    on = today or date.today()
    age = meihao.settings.elder_age if meihao is not None else 60
    return Resident.select(Resident.id).where(Resident.community == community_id, Resident.birth_date <= shift_years(on, age))


def _everyone(community_id: int) -> Any:
    from meihao.register.tables import Resident

    return Resident.select(Resident.id).where(Resident.community == community_id)


async def send_staff_digests(meihao: Any, now: Any) -> None:
    from meihao.reminders.digests import send_digests

    await send_digests(meihao, now)


@hookimpl(trylast=True)
def meihao_channels() -> list[Channel]:
    return [
        Channel(
            "inbox",
            "站内信",
            "In-app inbox",
            send_to_inbox,
            for_residents=True,
            needs_address=False,
            options={"transactional": True, "send_many": send_many_to_inbox},
        )
    ]


@hookimpl
def meihao_audiences() -> list[Audience]:
    return [
        Audience("meihao.everyone", "全体居民", "Every resident", _everyone),
        Audience("meihao.elders", "老年人", "Older residents (MEIHAO_ELDER_AGE, 60, and over)", _elders),
    ]


@hookimpl
def meihao_jobs() -> list[Job]:
    return [
        Job(
            "meihao.reminders.digest",
            send_staff_digests,
            ("cron", {"minute": 0}),
            description="Send staff who chose it their daily digest of reminders, at their hour",
            misfire_grace_time=timedelta(minutes=50),
        ),
    ]


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("meihao.activity.read", "See activities, their audiences (masked) and delivery state", (*_PLANNERS, "grid_part_time", "dispatched")),
        Permission("meihao.activity.write", "Plan, reschedule and cancel activities", _PLANNERS),
        Permission(
            "meihao.activity.audience.community",
            "Remind residents beyond one's own grids (grid staff without it name their grids)",
            ("community_admin",),
        ),
        Permission("meihao.reminder.manage", "Record residents' reminder channels, opt-outs and calendar links; quiet hours", _PLANNERS),
    ]


@hookimpl(trylast=True)
def meihao_render_reminder(reminder: dict[str, Any], language: str) -> str:
    from meihao.reminders.notices import render_notice

    notice = render_notice(reminder)
    if notice is not None:  # a notice (meihao.notify) is read as written
        return notice
    activity = reminder.get("activity", {})
    title = activity.get("title", "")
    starts = activity.get("starts_at", "")
    venue = activity.get("venue", "")
    if language == "en":
        return f"Reminder: {title} at {starts}" + (f", {venue}" if venue else "")
    return f"{title}将于{activity.get('when') or starts}" + (f"在{venue}" if venue else "") + "举行，欢迎参加。"


# -- a resident's data rights: what the reminders hold about them ---------------------------


def _when(value: Any) -> Any:
    return value.isoformat() if value is not None else None


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    """Contacts, opt-outs, the reminders sent or due and the inbox of one resident."""
    from meihao.reminders.tables import Contact, InboxMessage, Reminder, ReminderOptOut

    mine = (("recipient_kind", "resident"), ("recipient_id", resident_id))

    def where(table: Any) -> list[Any]:
        return [getattr(table, column) == value for column, value in mine]

    contacts = await Contact.select(Contact.channel, Contact.address).where(*where(Contact)).order_by(Contact.id)
    opt_outs = await ReminderOptOut.select(ReminderOptOut.scene, ReminderOptOut.channel).where(*where(ReminderOptOut)).order_by(ReminderOptOut.id)
    reminders = await Reminder.select(
        Reminder.activity, Reminder.activity.title.as_alias("title"), Reminder.activity.scene.as_alias("scene"),
        Reminder.channel, Reminder.status, Reminder.sent_at,
    ).where(*where(Reminder)).order_by(Reminder.id)
    inbox = await InboxMessage.select(InboxMessage.body, InboxMessage.created_at, InboxMessage.read_at).where(*where(InboxMessage)).order_by(
        InboxMessage.id
    )
    if not (contacts or opt_outs or reminders or inbox):
        return None
    return {
        "contacts": contacts,
        "opt_outs": opt_outs,
        "reminders": [{**r, "sent_at": _when(r["sent_at"])} for r in reminders],
        "inbox": [{"body": m["body"], "created_at": _when(m["created_at"]), "read_at": _when(m["read_at"])} for m in inbox],
    }


@hookimpl
async def meihao_erase_resident(resident_id: int) -> dict[str, int] | None:
    """Contacts and inbox messages deleted, reminders not yet sent cancelled, every secret link revoked, nothing sent again.

    The outbox rows of reminders that went out stay (without text): they are what delivery figures count.
    """
    from meihao.reminders.tables import Contact, InboxMessage, RecipientToken, Reminder, ReminderOptOut
    from meihao.reminders.tokens import PURPOSES

    def mine(table: Any) -> list[Any]:
        return [table.recipient_kind == "resident", table.recipient_id == resident_id]

    contacts = await Contact.count().where(*mine(Contact))
    await Contact.delete().where(*mine(Contact))
    inbox = await InboxMessage.count().where(*mine(InboxMessage))
    await InboxMessage.delete().where(*mine(InboxMessage))
    # One a worker is sending right now finishes as it would (sent or failed).
    waiting = [Reminder.status == "pending", *mine(Reminder)]
    cancelled = await Reminder.count().where(*waiting)
    await Reminder.update({Reminder.status: "cancelled", Reminder.last_error: "resident erased"}).where(*waiting)
    # Every link they were given stops working: a generation above any issued.
    held = {r["purpose"]: r["generation"] for r in await RecipientToken.select(RecipientToken.purpose, RecipientToken.generation).where(*mine(RecipientToken))}
    for purpose in PURPOSES:
        if purpose in held:
            await RecipientToken.update({RecipientToken.generation: held[purpose] + 1}).where(*mine(RecipientToken), RecipientToken.purpose == purpose)
        else:
            await RecipientToken.insert(RecipientToken(recipient_kind="resident", recipient_id=resident_id, purpose=purpose, generation=2))
    # Nothing reaches them any more, on any channel, in any scene (audiences still select the row).
    await ReminderOptOut.delete().where(*mine(ReminderOptOut))
    await ReminderOptOut.insert(ReminderOptOut(recipient_kind="resident", recipient_id=resident_id, scene="*", channel="*"))
    return {"contacts": contacts, "inbox_messages": inbox, "reminders_cancelled": cancelled}
