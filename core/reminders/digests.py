"""Staff digests: a staff member who chose one daily message gets their held reminders in it, at their hour."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from meihao.access.tables import Staff
from meihao.hooks.declarations import Message
from meihao.reminders.policy import LANGUAGES
from meihao.reminders.tables import Contact, Reminder, StaffDigest
from meihao.time.wording import zh_when

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.reminders")


def next_local_hour(now: datetime, tz_name: str, hour: int) -> datetime:
    """The next moment (UTC) after ``now`` when the local clock shows ``hour``:00."""
    tz = ZoneInfo(tz_name)
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), time(hour), tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=tz)
    return candidate.astimezone(timezone.utc)


async def send_digests(mh: Meihao, now: datetime | None = None) -> int:
    """Send each staff member whose digest hour it is one message with their held reminders; returns how many.

    Runs hourly (the kernel job ``meihao.reminders.digest``). Held reminders whose activity has
    begun are marked missed. The digest and the rows it covers are recorded together: an inbox
    digest is written exactly once; another channel may repeat it after a crash, with the same
    delivery id.
    """
    now = now or mh.clock.now()
    hour = now.astimezone(ZoneInfo(mh.settings.default_timezone)).hour
    channels = mh.plugins.channels_by_name
    sent = 0
    for pref in await StaffDigest.select().where(StaffDigest.hour == hour):
        rows = await Reminder.select(
            Reminder.id,
            Reminder.due.id.as_alias("due_id"),
            Reminder.due.starts_at.as_alias("starts_at"),
            Reminder.activity.id.as_alias("activity_id"),
            Reminder.activity.title.as_alias("title"),
            Reminder.activity.venue.as_alias("venue"),
            Reminder.activity.community.slug.as_alias("community"),
            Reminder.activity.community.timezone.as_alias("timezone"),
        ).where(Reminder.recipient_kind == "staff", Reminder.recipient_id == pref["staff"], Reminder.status == "held")
        stale = [r["id"] for r in rows if r["starts_at"] <= now]
        if stale:
            await Reminder.update({Reminder.status: "missed"}).where(Reminder.id.is_in(stale))
        live = sorted((r for r in rows if r["starts_at"] > now), key=lambda r: r["starts_at"])
        if not live:
            continue
        staff = await Staff.select(Staff.name, Staff.preferred_language, Staff.email).where(Staff.id == pref["staff"]).first()
        language = staff["preferred_language"] if staff and staff["preferred_language"] in LANGUAGES else "zh"
        seen: set[int] = set()
        lines = []
        for r in live:
            if r["due_id"] in seen:
                continue  # the same reminder held on several channels: listed once
            seen.add(r["due_id"])
            local = r["starts_at"].astimezone(ZoneInfo(r["timezone"]))
            when = local.strftime("%m-%d %H:%M") if language == "en" else zh_when(local)
            lines.append(f"- {when} {r['title']}" + ((f" @ {r['venue']}" if language == "en" else f"（{r['venue']}）") if r["venue"] else ""))
        heading = f"Your reminders ({len(lines)})" if language == "en" else f"今日活动提醒（{len(lines)}项）"
        day = now.astimezone(ZoneInfo(mh.settings.default_timezone)).date().isoformat()
        address = ""
        if pref["channel"] != "inbox":
            contact = await Contact.select(Contact.address).where(
                Contact.recipient_kind == "staff", Contact.recipient_id == pref["staff"], Contact.channel == pref["channel"]
            ).first()
            address = contact["address"] if contact else (staff["email"] if staff and pref["channel"] == "email" else "")
        message = Message(
            delivery_id=f"meihao-digest-{pref['staff']}-{day}",
            recipient_kind="staff",
            recipient_id=pref["staff"],
            recipient_name=staff["name"] if staff else "",
            address=address,
            language=language,
            subject=heading,
            body=heading + "\n" + "\n".join(lines),
            unsubscribe_url="",
            activity={"id": None, "title": heading, "community": live[0]["community"]},
            community=live[0]["community"],
            sent_at=now,
        )
        channel = channels.get(pref["channel"]) or channels["inbox"]
        ids = [r["id"] for r in live]
        if channel.options.get("transactional"):
            async with mh.db.transaction():
                await channel.send(message)
                await Reminder.update({Reminder.status: "sent", Reminder.sent_at: now}).where(Reminder.id.is_in(ids))
        else:
            try:
                await channel.send(message)
            except Exception as err:  # held rows stay held; the next digest tries again
                log.warning("digest for staff %s failed: %s", pref["staff"], err)
                continue
            await Reminder.update({Reminder.status: "sent", Reminder.sent_at: now}).where(Reminder.id.is_in(ids))
        sent += 1
    return sent


__all__ = ["next_local_hour", "send_digests"]
