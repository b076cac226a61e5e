"""What a recipient (resident or staff member) chose: contact addresses per channel, opt-outs, and their inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meihao.access.audit import audit
from meihao.access.staff import staff_ids_in_scope
from meihao.access.tables import AuditLog, Staff
from meihao.db.database import json_value
from meihao.errors import InvalidInput, NotFound
from meihao.register.tables import Resident
from meihao.reminders.tables import Contact, InboxMessage, Reminder, ReminderOptOut, StaffDigest

if TYPE_CHECKING:
    from meihao.access.principals import Principal
    from meihao.runtime import Meihao

KINDS = ("resident", "staff")


async def check_recipient(kind: str, recipient_id: int) -> dict[str, Any]:
    if kind not in KINDS:
        raise InvalidInput(f"recipient kind must be resident or staff, not {kind!r}", field="recipient_kind")
    table = Resident if kind == "resident" else Staff
    row = await table.select(table.id, table.name).where(table.id == recipient_id).first()
    if row is None:
        raise NotFound(f"{kind} {recipient_id} not found")
    return row


def scene_names(mh: Meihao) -> set[str]:
    """The scenes a recipient may opt out of: the nine scenes, and every installed scenario's name and scene."""
    from meihao.hooks.declarations import SCENES

    return set(SCENES) | {s.scene for s in mh.plugins.scenarios.values()} | set(mh.plugins.scenarios)


def _channel_names(mh: Meihao) -> set[str]:
    return set(mh.plugins.channels_by_name)


async def set_contact(mh: Meihao, kind: str, recipient_id: int, channel: str, address: str) -> None:
    """Reach this recipient on ``channel`` at ``address`` (replaces an earlier address)."""
    await check_recipient(kind, recipient_id)
    found = {c.name: c for _, c in mh.plugins.channels()}.get(channel)
    if found is None:
        raise InvalidInput(f"channel: {channel!r} is not installed", field="channel")
    if not address.strip():
        raise InvalidInput("address: must not be empty", field="address")
    if found.check_address is not None:
        await found.check_address(address.strip())
    where = (Contact.recipient_kind == kind, Contact.recipient_id == recipient_id, Contact.channel == channel)
    if await Contact.exists().where(*where):
        await Contact.update({Contact.address: address.strip()}).where(*where)
    else:
        await Contact.insert(Contact(recipient_kind=kind, recipient_id=recipient_id, channel=channel, address=address.strip()))


async def remove_contact(kind: str, recipient_id: int, channel: str) -> None:
    await Contact.delete().where(Contact.recipient_kind == kind, Contact.recipient_id == recipient_id, Contact.channel == channel)


async def opt_out(mh: Meihao, kind: str, recipient_id: int, scene: str = "*", channel: str = "*") -> None:
    """No more reminders of ``scene`` (``*``: any) on ``channel`` (``*``: any). Idempotent."""
    await check_recipient(kind, recipient_id)
    if channel != "*" and channel not in _channel_names(mh):
        raise InvalidInput(f"channel: {channel!r} is not installed", field="channel")
    if scene != "*" and scene not in scene_names(mh):
        # an unknown or empty scene would be stored as given (the column holds 40 characters)
        raise InvalidInput("scene: must be * (every scene) or a scene or scenario installed here", field="scene")
    await ReminderOptOut.insert(
        ReminderOptOut(recipient_kind=kind, recipient_id=recipient_id, scene=scene, channel=channel)
    ).on_conflict(action="DO NOTHING")


#: The audit actions that change a recipient's opt-outs: the latest one decides what an undo may restore.
OPT_OUT_ACTIONS = ("meihao.reminder.unsubscribe", "meihao.reminder.unsubscribe_undo", "meihao.reminder.opt_out")


async def unsubscribe(mh: Meihao, who: Principal, kind: str, recipient_id: int, scene: str = "*") -> bool:
    """The recipient's own unsubscribe (their secret link): no more reminders of ``scene`` on any channel.

    Audited with whether it added an opt-out (``added``): that is what :func:`undo_unsubscribe`
    takes back, so that an undo restores exactly the opt-outs there were before. Returns ``added``.
    """
    async with mh.db.transaction():
        existed = await ReminderOptOut.exists().where(*_opt_out_row(kind, recipient_id, scene))
        await opt_out(mh, kind, recipient_id, scene=scene, channel="*")
        await audit(who, "meihao.reminder.unsubscribe", kind, recipient_id, detail={"scene": scene, "added": not existed})
    return not existed


async def undo_unsubscribe(mh: Meihao, who: Principal, kind: str, recipient_id: int, scene: str = "*") -> bool:
    """Take back the recipient's latest unsubscribe of ``scene``, if it is still the latest change of their
    opt-outs and it added one: that opt-out is removed (audited). Returns whether anything changed."""
    async with mh.db.transaction():
        latest = await AuditLog.select(AuditLog.action, AuditLog.detail).where(
            AuditLog.action.is_in(list(OPT_OUT_ACTIONS)), AuditLog.target_type == kind, AuditLog.target_id == str(recipient_id)
        ).order_by(AuditLog.id, ascending=False).first()
        detail = json_value(latest["detail"]) if latest else {}
        if latest is None or latest["action"] != "meihao.reminder.unsubscribe" or detail.get("scene") != scene or not detail.get("added"):
            return False
        await opt_in(kind, recipient_id, scene=scene, channel="*")
        await audit(who, "meihao.reminder.unsubscribe_undo", kind, recipient_id, detail={"scene": scene, "removed": True})
    return True


async def is_opted_out(kind: str, recipient_id: int, scene: str = "*") -> bool:
    """Whether the recipient opted out of ``scene`` on every channel (the row an unsubscribe link writes)."""
    return await ReminderOptOut.exists().where(*_opt_out_row(kind, recipient_id, scene))


def _opt_out_row(kind: str, recipient_id: int, scene: str, channel: str = "*") -> tuple[Any, ...]:
    return (
        ReminderOptOut.recipient_kind == kind,
        ReminderOptOut.recipient_id == recipient_id,
        ReminderOptOut.scene == scene,
        ReminderOptOut.channel == channel,
    )


async def opt_in(kind: str, recipient_id: int, scene: str = "*", channel: str = "*") -> None:
    await ReminderOptOut.delete().where(
        ReminderOptOut.recipient_kind == kind,
        ReminderOptOut.recipient_id == recipient_id,
        ReminderOptOut.scene == scene,
        ReminderOptOut.channel == channel,
    )


async def preferences(kind: str, recipient_id: int) -> dict[str, Any]:
    """Contacts (addresses masked to their domain or host) and opt-outs of one recipient."""
    contacts = await Contact.select(Contact.channel, Contact.address).where(
        Contact.recipient_kind == kind, Contact.recipient_id == recipient_id
    ).order_by(Contact.channel)
    optouts = await ReminderOptOut.select(ReminderOptOut.scene, ReminderOptOut.channel).where(
        ReminderOptOut.recipient_kind == kind, ReminderOptOut.recipient_id == recipient_id
    ).order_by(ReminderOptOut.scene)
    return {
        "contacts": [{"channel": c["channel"], "address": mask_address(c["address"])} for c in contacts],
        "opt_outs": optouts,
    }


def mask_address(address: str) -> str:
    """``wang@example.org`` → ``w***@example.org``; a URL keeps its host only."""
    if "@" in address and "://" not in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if "://" in address:
        scheme, _, rest = address.partition("://")
        return f"{scheme}://{rest.split('/')[0]}/…"
    return "***"


async def inbox(kind: str, recipient_id: int, *, unread_only: bool = False, limit: int = 50) -> list[dict[str, Any]]:
    query = InboxMessage.select(
        InboxMessage.id, InboxMessage.activity, InboxMessage.language, InboxMessage.body, InboxMessage.created_at, InboxMessage.read_at
    ).where(InboxMessage.recipient_kind == kind, InboxMessage.recipient_id == recipient_id)
    if unread_only:
        query = query.where(InboxMessage.read_at.is_null())
    return await query.order_by(InboxMessage.id, ascending=False).limit(limit)


async def mark_read(mh: Meihao, kind: str, recipient_id: int, message_id: int) -> None:
    """Mark one of the recipient's own messages read; another's message is 404."""
    updated = await InboxMessage.update({InboxMessage.read_at: mh.clock.now()}).where(
        InboxMessage.id == message_id, InboxMessage.recipient_kind == kind, InboxMessage.recipient_id == recipient_id
    ).returning(InboxMessage.id)
    if not updated:
        raise NotFound(f"message {message_id} not found")


async def set_digest(mh: Meihao, staff_id: int, hour: int = 7, channel: str = "inbox") -> dict[str, Any]:
    """The staff member gets one daily digest at ``hour`` (local) on ``channel`` instead of single reminders."""
    await check_recipient("staff", staff_id)
    if not 0 <= hour <= 23:
        raise InvalidInput("hour: 0 to 23", field="hour")
    if channel not in _channel_names(mh):
        raise InvalidInput(f"channel: {channel!r} is not installed", field="channel")
    if await StaffDigest.exists().where(StaffDigest.staff == staff_id):
        await StaffDigest.update({StaffDigest.hour: hour, StaffDigest.channel: channel}).where(StaffDigest.staff == staff_id)
    else:
        await StaffDigest.insert(StaffDigest(staff=staff_id, hour=hour, channel=channel))
    return {"digest": True, "hour": hour, "channel": channel}


async def digest_of(staff_id: int) -> dict[str, Any]:
    """The staff member's digest setting, as :func:`set_digest` and :func:`clear_digest` answer it."""
    row = await StaffDigest.select(StaffDigest.hour, StaffDigest.channel).where(StaffDigest.staff == staff_id).first()
    return {"digest": True, **row} if row else {"digest": False}


async def clear_digest(staff_id: int) -> dict[str, Any]:
    """Back to single reminders; reminders held for the digest are sent as they are (see the engine)."""
    from meihao.reminders.tables import Reminder

    await StaffDigest.delete().where(StaffDigest.staff == staff_id)
    await Reminder.update({Reminder.status: "pending"}).where(
        Reminder.recipient_kind == "staff", Reminder.recipient_id == staff_id, Reminder.status == "held"
    )
    return {"digest": False}


def reminders_in_scope(principal: Principal) -> list[Any]:
    """WHERE clauses keeping the outbox rows whose recipient the caller may see: residents as in the
    register, staff as in the staff list (none for the street)."""
    if principal.street:
        return []
    residents = (Reminder.recipient_kind == "resident") & Reminder.recipient_id.is_in(principal.resident_ids())
    staff = (Reminder.recipient_kind == "staff") & Reminder.recipient_id.is_in(staff_ids_in_scope(principal))
    return [residents | staff]
