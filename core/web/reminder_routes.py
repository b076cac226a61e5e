"""HTTP API for activities, reminders, jobs, inboxes and residents' reminder choices, plus the secret-link pages.

Staff routes name their permission and scope by community (an activity outside the caller's
communities is a 404, as if it did not exist). Resident-facing routes need no login: they
take an unguessable, revocable token (``meihao.recipient_tokens``) and show nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.errors import NotFound
from meihao.register.communities import get_community
from meihao.register.residents import get_resident
from meihao.reminders import activities as activity_service
from meihao.reminders import recipients
from meihao.reminders.activities import ActivityIn, ActivityPatch, audience_of
from meihao.reminders.audiences import preview, principal_scope
from meihao.reminders.feeds import community_feed, resident_feed
from meihao.reminders.policy import set_quiet_hours
from meihao.reminders.tables import Reminder
from meihao.reminders.tokens import make_token, resolve_token, revoke
from meihao.runtime import Meihao
from meihao.web.auth import PUBLIC, requires

Caller = NamedDependency[Principal]
ICS = "text/calendar; charset=utf-8"


class ActivityOut(msgspec.Struct):
    id: int
    community: str
    scene: str
    source: str
    title: str
    description: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    rrule: str
    lunar_month: int | None
    lunar_day: int | None
    recurrence_until: datetime | None
    exdates: list[str]
    holiday_policy: str
    audience: dict[str, Any]
    reminder_offsets: list[int]
    channels: list[str]
    status: str
    version: int


class OccurrenceOut(msgspec.Struct):
    key: str
    starts_at: datetime
    ends_at: datetime
    moved_from: str | None


class PreviewOut(msgspec.Struct):
    residents: int
    staff: int
    sample: list[dict[str, Any]]


class ReminderOut(msgspec.Struct):
    id: int
    occurrence: str
    offset_minutes: int
    recipient_kind: str
    recipient_id: int
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str


class DeliveryOut(msgspec.Struct):
    counts: dict[str, int]
    reminders: list[ReminderOut]


class QuietHoursIn(msgspec.Struct, forbid_unknown_fields=True):
    quiet_start: str
    quiet_end: str


class ContactIn(msgspec.Struct, forbid_unknown_fields=True):
    address: str


class OptOutIn(msgspec.Struct, forbid_unknown_fields=True):
    scene: str = "*"
    channel: str = "*"


class LinkOut(msgspec.Struct):
    url: str


def _activity_out(row: dict[str, Any]) -> ActivityOut:
    return ActivityOut(**{**{k: row[k] for k in ActivityOut.__struct_fields__ if k != "community"}, "community": row["community_slug"]})


async def _activity_in_scope(activity_id: int, principal: Principal) -> dict[str, Any]:
    """The activity, or 404 when it is outside the communities the caller reaches (same as missing)."""
    try:
        row = await activity_service.get_activity(activity_id)
    except NotFound:
        raise NotFound(f"activity {activity_id} not found") from None
    if not principal.reaches_community(row["community"]):
        raise NotFound(f"activity {activity_id} not found")
    return row


async def _community_in_reach(slug: str, principal: Principal) -> dict[str, Any]:
    from meihao.errors import Forbidden

    community = await get_community(slug)
    if not principal.reaches_community(community["id"]):
        raise Forbidden(f"community {slug!r} is outside your scope")
    return community


# -- activities --------------------------------------------------------------------


@get("/api/communities/{slug:str}/activities", tags=["activities"], guards=[requires("meihao.activity.read")])
async def list_activities(slug: FromPath[str], principal: Caller, include_cancelled: FromQuery[bool] = False) -> list[ActivityOut]:
    await _community_in_reach(slug, principal)
    return [_activity_out(a) for a in await activity_service.list_activities(slug, include_cancelled=include_cancelled)]


@post("/api/communities/{slug:str}/activities", tags=["activities"], guards=[requires("meihao.activity.write")])
async def create_activity(slug: FromPath[str], data: JSONBody[ActivityIn], meihao: NamedDependency[Meihao], principal: Caller) -> ActivityOut:
    """Plan an activity; times without an offset are the community's local time."""
    community = await _community_in_reach(slug, principal)
    async with meihao.db.transaction():
        row = await activity_service.create_activity(meihao, slug, data)
        await audit(principal, "meihao.activity.create", "activity", row["id"], community_id=community["id"])
    return _activity_out(row)


@get("/api/activities/{activity_id:int}", tags=["activities"], guards=[requires("meihao.activity.read")])
async def get_activity(activity_id: FromPath[int], principal: Caller) -> ActivityOut:
    return _activity_out(await _activity_in_scope(activity_id, principal))


@patch("/api/activities/{activity_id:int}", tags=["activities"], guards=[requires("meihao.activity.write")])
async def reschedule_activity(activity_id: FromPath[int], data: JSONBody[ActivityPatch], meihao: NamedDependency[Meihao], principal: Caller) -> ActivityOut:
    """Reschedule or correct: reminders not yet sent are cancelled and planned again."""
    row = await _activity_in_scope(activity_id, principal)
    async with meihao.db.transaction():
        updated = await activity_service.update_activity(meihao, activity_id, data)
        await audit(principal, "meihao.activity.update", "activity", activity_id, community_id=row["community"])
    return _activity_out(updated)


@post("/api/activities/{activity_id:int}/cancel", tags=["activities"], status_code=200, guards=[requires("meihao.activity.write")])
async def cancel_activity(activity_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller) -> ActivityOut:
    row = await _activity_in_scope(activity_id, principal)
    async with meihao.db.transaction():
        cancelled = await activity_service.cancel_activity(meihao, activity_id)
        await audit(principal, "meihao.activity.cancel", "activity", activity_id, community_id=row["community"])
    return _activity_out(cancelled)


@post(
    "/api/activities/{activity_id:int}/occurrences/{key:str}/cancel",
    tags=["activities"],
    status_code=200,
    guards=[requires("meihao.activity.write")],
)
async def cancel_occurrence(activity_id: FromPath[int], key: FromPath[str], meihao: NamedDependency[Meihao], principal: Caller) -> ActivityOut:
    row = await _activity_in_scope(activity_id, principal)
    async with meihao.db.transaction():
        updated = await activity_service.cancel_occurrence(meihao, activity_id, key)
        await audit(principal, "meihao.activity.cancel_occurrence", "activity", activity_id, community_id=row["community"], detail={"occurrence": key})
    return _activity_out(updated)


@get("/api/activities/{activity_id:int}/occurrences", tags=["activities"], guards=[requires("meihao.activity.read")])
async def list_occurrences(activity_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller, days: FromQuery[int] = 90) -> list[OccurrenceOut]:
    """Coming occurrences (holiday moves applied) for the next ``days`` days."""
    row = await _activity_in_scope(activity_id, principal)
    now = meihao.clock.now()
    return [OccurrenceOut(**o) for o in activity_service.activity_occurrences(row, now, now + timedelta(days=min(max(days, 1), 800)))]


@get("/api/activities/{activity_id:int}/preview", tags=["activities"], guards=[requires("meihao.activity.read")])
async def preview_audience(activity_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller) -> PreviewOut:
    """Who would be reminded: counts and a masked sample (from within the caller's scope)."""
    row = await _activity_in_scope(activity_id, principal)
    community = await get_community(row["community_slug"])
    today = meihao.clock.now().astimezone(ZoneInfo(community["timezone"])).date()
    result = await preview(meihao, audience_of(row), community, today, activity_id=activity_id, sample_scope=principal_scope(principal))
    return PreviewOut(**result)


@get("/api/activities/{activity_id:int}/reminders", tags=["activities"], guards=[requires("meihao.activity.read")])
async def list_reminders(
    activity_id: FromPath[int], principal: Caller, status: FromQuery[str | None] = None, limit: FromQuery[int] = 100
) -> DeliveryOut:
    """Delivery state per reminder: counts by status, and the reminders (newest first)."""
    await _activity_in_scope(activity_id, principal)
    counts: dict[str, int] = {}
    for row in await Reminder.select(Reminder.status).where(Reminder.activity == activity_id):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    query = Reminder.select(
        Reminder.id,
        Reminder.due.occurrence.as_alias("occurrence"),
        Reminder.due.offset_minutes.as_alias("offset_minutes"),
        Reminder.recipient_kind,
        Reminder.recipient_id,
        Reminder.channel,
        Reminder.status,
        Reminder.attempts,
        Reminder.next_attempt_at,
        Reminder.sent_at,
        Reminder.last_error,
    ).where(Reminder.activity == activity_id)
    if status:
        query = query.where(Reminder.status == status)
    rows = await query.order_by(Reminder.id, ascending=False).limit(min(max(limit, 1), 1000))
    return DeliveryOut(counts=counts, reminders=[ReminderOut(**r) for r in rows])


@put("/api/communities/{slug:str}/reminder-settings", tags=["activities"], guards=[requires("meihao.reminder.manage")])
async def put_quiet_hours(slug: FromPath[str], data: JSONBody[QuietHoursIn], meihao: NamedDependency[Meihao], principal: Caller) -> QuietHoursIn:
    """Quiet hours of the community (local ``HH:MM``; default 21:30–07:30): nothing is sent then."""
    from meihao.errors import Forbidden

    community = await get_community(slug)
    if not principal.manages_community(community["id"]):
        raise Forbidden(f"community {slug!r} is outside your scope")
    async with meihao.db.transaction():
        await set_quiet_hours(community["id"], data.quiet_start, data.quiet_end)
        await audit(principal, "meihao.reminder.quiet_hours", "community", community["id"], community_id=community["id"])
    return data


# -- jobs --------------------------------------------------------------------------


@get("/api/jobs", tags=["jobs"], guards=[requires("meihao.jobs.read")])
async def list_jobs(meihao: NamedDependency[Meihao]) -> list[dict[str, Any]]:
    """Every schedule: its next fire time and its recent runs with their outcome."""
    from meihao.scheduling import scheduler as scheduler_module  # APScheduler: imported only where a scheduler is wanted
    from meihao.scheduling.scheduler import job_overview
    from meihao.scheduling.worker import in_loop_of

    running = scheduler_module._running
    if running is not None and running.mh is meihao:
        return await in_loop_of(running, lambda: job_overview(meihao, running))
    return await job_overview(meihao, None)


# -- a resident's reminder choices, managed by staff ---------------------------------


@get("/api/residents/{resident_id:int}/reminder-preferences", tags=["residents"], guards=[requires("meihao.resident.read")])
async def get_preferences(resident_id: FromPath[int], principal: Caller) -> dict[str, Any]:
    await get_resident(resident_id, principal)
    return await recipients.preferences("resident", resident_id)


@put("/api/residents/{resident_id:int}/contacts/{channel:str}", tags=["residents"], guards=[requires("meihao.reminder.manage")])
async def put_contact(resident_id: FromPath[int], channel: FromPath[str], data: JSONBody[ContactIn], meihao: NamedDependency[Meihao], principal: Caller) -> dict[str, Any]:
    """Reach the resident on ``channel`` at ``address`` (the resident's own choice, recorded by staff)."""
    resident = await get_resident(resident_id, principal)
    async with meihao.db.transaction():
        await recipients.set_contact(meihao, "resident", resident_id, channel, data.address)
        await audit(principal, "meihao.reminder.contact", "resident", resident_id, community_id=await _community_id(resident))
    return await recipients.preferences("resident", resident_id)


@post("/api/residents/{resident_id:int}/opt-outs", tags=["residents"], status_code=200, guards=[requires("meihao.reminder.manage")])
async def post_opt_out(resident_id: FromPath[int], data: JSONBody[OptOutIn], meihao: NamedDependency[Meihao], principal: Caller) -> dict[str, Any]:
    resident = await get_resident(resident_id, principal)
    async with meihao.db.transaction():
        await recipients.opt_out(meihao, "resident", resident_id, data.scene, data.channel)
        await audit(principal, "meihao.reminder.opt_out", "resident", resident_id, community_id=await _community_id(resident))
    return await recipients.preferences("resident", resident_id)


@post("/api/residents/{resident_id:int}/calendar-link", tags=["residents"], status_code=200, guards=[requires("meihao.reminder.manage")])
async def rotate_calendar_link(resident_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller) -> LinkOut:
    """A new secret calendar link for the resident; every earlier link stops working."""
    resident = await get_resident(resident_id, principal)
    async with meihao.db.transaction():
        token = await revoke(meihao, "resident", resident_id, "calendar")
        await audit(principal, "meihao.reminder.calendar_link", "resident", resident_id, community_id=await _community_id(resident))
    return LinkOut(url=f"{meihao.settings.base_url}/api/calendar/{token}.ics")


@post("/api/residents/{resident_id:int}/inbox-link", tags=["residents"], status_code=200, guards=[requires("meihao.reminder.manage")])
async def rotate_inbox_link(resident_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller) -> LinkOut:
    """A new secret link to the resident's own inbox (for a QR code or a text message); earlier links stop working."""
    resident = await get_resident(resident_id, principal)
    async with meihao.db.transaction():
        token = await revoke(meihao, "resident", resident_id, "inbox")
        await audit(principal, "meihao.reminder.inbox_link", "resident", resident_id, community_id=await _community_id(resident))
    return LinkOut(url=f"{meihao.settings.base_url}/api/inbox/{token}")


async def _community_id(resident: dict[str, Any]) -> int:
    return (await get_community(resident["community"]))["id"]


# -- the caller's own inbox (staff) ----------------------------------------------------


@get("/api/me/inbox", tags=["inbox"])
async def my_inbox(principal: Caller, unread: FromQuery[bool] = False) -> list[dict[str, Any]]:
    if principal.staff_id is None:
        return []
    return await recipients.inbox("staff", principal.staff_id, unread_only=unread)


@post("/api/me/inbox/{message_id:int}/read", tags=["inbox"], status_code=204)
async def read_my_message(message_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller) -> None:
    if principal.staff_id is None:
        raise NotFound(f"message {message_id} not found")
    await recipients.mark_read(meihao, "staff", principal.staff_id, message_id)


class DigestIn(msgspec.Struct, forbid_unknown_fields=True):
    hour: int = 7
    channel: str = "inbox"


@put("/api/me/reminder-digest", tags=["inbox"])
async def put_my_digest(data: JSONBody[DigestIn], meihao: NamedDependency[Meihao], principal: Caller) -> dict[str, Any]:
    """One daily digest of my reminders at ``hour`` (local) instead of single messages."""
    if principal.staff_id is None:
        raise NotFound("no staff account")
    return await recipients.set_digest(meihao, principal.staff_id, data.hour, data.channel)


@delete("/api/me/reminder-digest", tags=["inbox"], status_code=200)
async def delete_my_digest(principal: Caller) -> dict[str, Any]:
    if principal.staff_id is None:
        raise NotFound("no staff account")
    return await recipients.clear_digest(principal.staff_id)


# -- secret links: no login ------------------------------------------------------------


@get("/api/reminders/unsubscribe/{token:str}", tags=["public"], opt={PUBLIC: True})
async def unsubscribe_page(token: FromPath[str], meihao: NamedDependency[Meihao], scene: FromQuery[str] = "*") -> dict[str, Any]:
    """What the link would do; mail scanners follow links, so only POST changes anything."""
    kind, _ = await resolve_token(meihao, token, "unsubscribe")
    return {"recipient": kind, "scene": scene, "action": "POST to this address to stop these reminders"}


@post("/api/reminders/unsubscribe/{token:str}", tags=["public"], status_code=200, opt={PUBLIC: True})
async def unsubscribe(token: FromPath[str], meihao: NamedDependency[Meihao], scene: FromQuery[str] = "*") -> dict[str, Any]:
    """One-click unsubscribe (RFC 8058): no more reminders of this scene, on any channel."""
    kind, recipient_id = await resolve_token(meihao, token, "unsubscribe")
    await recipients.opt_out(meihao, kind, recipient_id, scene=scene or "*", channel="*")
    return {"unsubscribed": True, "scene": scene}


@get("/api/inbox/{token:str}", tags=["public"], opt={PUBLIC: True})
async def resident_inbox(token: FromPath[str], meihao: NamedDependency[Meihao], unread: FromQuery[bool] = False) -> list[dict[str, Any]]:
    """A resident's own inbox, through their secret link: messages, newest first, read or unread."""
    kind, recipient_id = await resolve_token(meihao, token, "inbox")
    return await recipients.inbox(kind, recipient_id, unread_only=unread)


@post("/api/inbox/{token:str}/{message_id:int}/read", tags=["public"], status_code=204, opt={PUBLIC: True})
async def resident_read(token: FromPath[str], message_id: FromPath[int], meihao: NamedDependency[Meihao]) -> None:
    kind, recipient_id = await resolve_token(meihao, token, "inbox")
    await recipients.mark_read(meihao, kind, recipient_id, message_id)


@get("/api/calendar/{token:str}", tags=["public"], opt={PUBLIC: True})
async def resident_calendar(token: FromPath[str], meihao: NamedDependency[Meihao]) -> Response[bytes]:
    """A resident's own activities as iCalendar; the link is secret and can be revoked."""
    kind, recipient_id = await resolve_token(meihao, token.removesuffix(".ics"), "calendar")
    if kind != "resident":
        raise NotFound("link not found")
    return Response(await resident_feed(meihao, recipient_id), media_type=ICS)


@get("/api/communities/{slug:str}/calendar.ics", tags=["public"], opt={PUBLIC: True})
async def community_calendar(slug: FromPath[str], meihao: NamedDependency[Meihao]) -> Response[bytes]:
    """The community's activities that are open to everyone (public notices, 社区公告)."""
    return Response(await community_feed(meihao, slug), media_type=ICS)


async def calendar_link(mh: Meihao, resident_id: int) -> str:
    """The resident's current calendar link (for CLI and tests)."""
    return f"{mh.settings.base_url}/api/calendar/{await make_token(mh, 'resident', resident_id, 'calendar')}.ics"


REMINDER_HANDLERS = [
    list_activities,
    create_activity,
    get_activity,
    reschedule_activity,
    cancel_activity,
    cancel_occurrence,
    list_occurrences,
    preview_audience,
    list_reminders,
    put_quiet_hours,
    list_jobs,
    get_preferences,
    put_contact,
    post_opt_out,
    rotate_calendar_link,
    rotate_inbox_link,
    my_inbox,
    read_my_message,
    put_my_digest,
    delete_my_digest,
    unsubscribe_page,
    unsubscribe,
    resident_inbox,
    resident_read,
    resident_calendar,
    community_calendar,
]
