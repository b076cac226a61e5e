"""The kernel's own answers for reminders: the in-app inbox channel, the digest job, the default text, permissions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao.hooks.declarations import Channel, Job, Message, Permission
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
        )
    ).on_conflict(action="DO NOTHING")


async def send_many_to_inbox(messages: list[Message]) -> None:
    """The same as :func:`send_to_inbox` for a claimed batch, in the engine's transaction: one ``executemany``.

    Building an ORM object per message costs more than writing it, so this goes to the
    transaction's connection directly.
    """
    from datetime import datetime, timezone

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
        (m.recipient_kind, m.recipient_id, m.reminder_id or None, m.activity.get("id"), m.language, m.body, now)
        for m in messages
    ]
    columns = '"recipient_kind", "recipient_id", "reminder", "activity", "language", "body", "created_at"'
    if isinstance(engine, SQLiteEngine):
        sql = f'INSERT INTO "meihao_inbox" ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'
    else:
        sql = f'INSERT INTO "meihao_inbox" ({columns}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING'
    await transaction.connection.executemany(sql, rows)


async def send_staff_digests(meihao: Any, now: Any) -> None:
    from meihao.reminders.engine import send_digests

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
    return f"提醒：{title}，时间 {starts}" + (f"，地点 {venue}" if venue else "")
