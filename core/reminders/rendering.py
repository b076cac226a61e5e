"""Rendering reminders: the details of claimed outbox rows, and the message each becomes in its recipient's language."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from meihao.access.tables import Staff
from meihao.hooks.declarations import Message
from meihao.register.tables import Resident
from meihao.reminders.policy import LANGUAGES, delivery_id
from meihao.reminders.tables import Contact, RecipientToken, Reminder, ReminderSettings, StaffDigest
from meihao.reminders.tokens import token_for_generation
from meihao.time.wording import zh_salutation, zh_signature, zh_when

if TYPE_CHECKING:
    from meihao.runtime import Meihao


async def details(ids: list[int]) -> list[dict[str, Any]]:
    """Claimed outbox rows with what rendering and the delivery rules need: activity, recipient, address, quiet hours."""
    rows = await Reminder.select(
        Reminder.id,
        Reminder.recipient_kind,
        Reminder.recipient_id,
        Reminder.channel,
        Reminder.attempts,
        Reminder.send_started_at,
        Reminder.due.occurrence.as_alias("occurrence"),
        Reminder.due.offset_minutes.as_alias("offset_minutes"),
        Reminder.due.starts_at.as_alias("occurrence_starts_at"),
        Reminder.due.version.as_alias("version"),
        Reminder.activity.id.as_alias("activity_id"),
        Reminder.activity.title.as_alias("title"),
        Reminder.activity.venue.as_alias("venue"),
        Reminder.activity.description.as_alias("description"),
        Reminder.activity.scene.as_alias("scene"),
        Reminder.activity.scenario.as_alias("scenario"),
        Reminder.activity.source.as_alias("source"),
        Reminder.activity.starts_at.as_alias("activity_starts_at"),
        Reminder.activity.ends_at.as_alias("activity_ends_at"),
        Reminder.activity.status.as_alias("activity_status"),
        Reminder.activity.version.as_alias("activity_version"),
        Reminder.activity.community.id.as_alias("community_id"),
        Reminder.activity.community.slug.as_alias("community"),
        Reminder.activity.community.name.as_alias("community_name"),
        Reminder.activity.community.timezone.as_alias("timezone"),
    ).where(Reminder.id.is_in(ids))
    community_ids = {r["community_id"] for r in rows}
    quiet = {
        q["community"]: q
        for q in await ReminderSettings.select().where(ReminderSettings.community.is_in(list(community_ids)))
    } if community_ids else {}
    people: dict[tuple[str, int], dict[str, Any]] = {}
    resident_ids = [r["recipient_id"] for r in rows if r["recipient_kind"] == "resident"]
    staff_ids = [r["recipient_id"] for r in rows if r["recipient_kind"] == "staff"]
    if resident_ids:
        for p in await Resident.select(Resident.id, Resident.name, Resident.gender, Resident.birth_date, Resident.preferred_language).where(
            Resident.id.is_in(resident_ids)
        ):
            people[("resident", p["id"])] = p
    if staff_ids:
        for p in await Staff.select(Staff.id, Staff.name, Staff.preferred_language, Staff.email).where(Staff.id.is_in(staff_ids)):
            people[("staff", p["id"])] = p
    addresses: dict[tuple[str, int, str], str] = {}
    for kind, recipient_ids in (("resident", resident_ids), ("staff", staff_ids)):
        if recipient_ids:
            for c in await Contact.select(Contact.recipient_id, Contact.channel, Contact.address).where(
                Contact.recipient_kind == kind, Contact.recipient_id.is_in(recipient_ids)
            ):
                addresses[(kind, c["recipient_id"], c["channel"])] = c["address"]
    digests: dict[int, int] = {}
    if staff_ids:
        for d in await StaffDigest.select(StaffDigest.staff, StaffDigest.hour).where(StaffDigest.staff.is_in(staff_ids)):
            digests[d["staff"]] = d["hour"]
    generations: dict[tuple[str, int, str], int] = {}
    for kind, recipient_ids in (("resident", resident_ids), ("staff", staff_ids)):
        if recipient_ids:
            for t in await RecipientToken.select(RecipientToken.recipient_id, RecipientToken.purpose, RecipientToken.generation).where(
                RecipientToken.recipient_kind == kind, RecipientToken.purpose.is_in(["unsubscribe", "inbox"]),
                RecipientToken.recipient_id.is_in(recipient_ids),
            ):
                generations[(kind, t["recipient_id"], t["purpose"])] = t["generation"]
    for row in rows:
        key = (row["recipient_kind"], row["recipient_id"])
        person = people.get(key, {"name": "", "preferred_language": "zh"})
        row["recipient_name"] = person["name"]
        row["recipient_gender"] = person.get("gender")
        row["recipient_birth_date"] = person.get("birth_date")
        row["language"] = person["preferred_language"] if person["preferred_language"] in LANGUAGES else "zh"
        address = addresses.get((*key, row["channel"]), "")
        if not address and row["recipient_kind"] == "staff" and row["channel"] == "email":
            address = person.get("email", "")
        row["address"] = address
        row["unsubscribe_generation"] = generations.get((*key, "unsubscribe"), 1)
        row["inbox_generation"] = generations.get((*key, "inbox"), 1)
        row["digest_hour"] = digests.get(row["recipient_id"]) if row["recipient_kind"] == "staff" else None
        settings = quiet.get(row["community_id"], {})
        row["quiet_start"] = settings.get("quiet_start")
        row["quiet_end"] = settings.get("quiet_end")
    return rows


def render(mh: Meihao, row: dict[str, Any], now: datetime | None = None) -> Message:
    """The message for one row of :func:`details`, in the recipient's language (``meihao_render_reminder``),
    sent at ``now`` (the delivery round's time; by default the kernel's clock)."""
    tz = ZoneInfo(row["timezone"])
    starts = row["occurrence_starts_at"].astimezone(tz)
    ends = starts + (row["activity_ends_at"] - row["activity_starts_at"])
    token = token_for_generation(mh, row["recipient_kind"], row["recipient_id"], "unsubscribe", row["unsubscribe_generation"])
    # people follow the link to a page that says what it switches off (and can undo it); mail clients' one-click POSTs go to the API
    unsubscribe_url = f"{mh.settings.base_url}/r/unsubscribe/{token}?scene={row['scene']}"
    list_unsubscribe_url = f"{mh.settings.base_url}/api/reminders/unsubscribe/{token}?scene={row['scene']}"
    # a resident's own page (her inbox link, current generation): for channels whose message carries a link (WeChat)
    page_url = ""
    if row["recipient_kind"] == "resident":
        page_url = f"{mh.settings.base_url}/r/inbox/{token_for_generation(mh, 'resident', row['recipient_id'], 'inbox', row.get('inbox_generation', 1))}"
    activity = {
        "id": row["activity_id"],
        "title": row["title"],
        "venue": row["venue"],
        "description": row["description"],
        "scene": row["scene"],
        "scenario": row["scenario"],
        "source": row["source"],
        "community": row["community"],
        "timezone": row["timezone"],
        "starts_at": starts.strftime("%Y-%m-%d %H:%M"),
        "ends_at": ends.strftime("%Y-%m-%d %H:%M"),
        "when": zh_when(starts),  # 3月7日（周六）上午9点: how Chinese texts say the time (meihao.zh_when)
        "occurrence": row["occurrence"],
    }
    reminder = {
        "id": row["id"],
        "delivery_id": delivery_id(row["id"]),
        "channel": row["channel"],
        "offset_minutes": row["offset_minutes"],
        "starts_at": starts,
        "activity": activity,
    }
    recipient = {"kind": row["recipient_kind"], "id": row["recipient_id"], "name": row["recipient_name"], "language": row["language"]}
    body = mh.plugins.render_reminder(reminder, recipient, row["language"])
    if row["recipient_kind"] == "resident" and row["language"] == "zh":
        body = addressed(mh, body, row, starts)
    if str(row["source"]).startswith("notice:"):  # a notice's title says what it is (已取消：…, 摊位申请): not 活动提醒：已取消：…
        subject = row["title"]
    else:
        subject = f"Reminder: {row['title']}" if row["language"] == "en" else f"活动提醒：{row['title']}"
    return Message(
        delivery_id=reminder["delivery_id"],
        recipient_kind=row["recipient_kind"],
        recipient_id=row["recipient_id"],
        recipient_name=row["recipient_name"],
        address=row["address"],
        language=row["language"],
        subject=subject,
        body=body,
        unsubscribe_url=unsubscribe_url,
        list_unsubscribe_url=list_unsubscribe_url,
        page_url=page_url,
        activity=activity,
        community=row["community"],
        reminder_id=row["id"],
        sent_at=now or mh.clock.now(),
        settings=mh.settings.channels.get(row["channel"], {}),
    )


def addressed(mh: Meihao, body: str, row: dict[str, Any], starts: datetime) -> str:
    """A resident's Chinese text as a residents' committee writes it: 尊敬的王秀兰阿姨： above, the committee's
    signature below (——荷畔社区居民委员会). The age is the one on the occurrence's day."""
    born = row.get("recipient_birth_date")
    age = None if born is None else starts.year - born.year - ((starts.month, starts.day) < (born.month, born.day))
    s = mh.settings
    greeting = zh_salutation(
        row["recipient_name"], row.get("recipient_gender"), age, adult_age=s.salutation_adult_age, aunt_age=s.salutation_aunt_age,
        grandparent_age=s.salutation_grandparent_age, grandfather=s.salutation_grandfather, grandmother=s.salutation_grandmother,
    )
    signature = zh_signature(row.get("community_name") or row["community"])
    head = "" if body.startswith("尊敬的") else f"{greeting}：\n"  # a text that addresses the resident itself keeps its own
    tail = "" if body.endswith(signature) else f"\n{signature}"
    return f"{head}{body}{tail}"


__all__ = ["addressed", "details", "render"]
