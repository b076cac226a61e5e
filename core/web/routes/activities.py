"""Activities (活动) of a community, their occurrences, audiences (masked) and reminders' delivery state; quiet hours.

An activity outside the caller's communities is a 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from litestar import get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from meihao.access.audit import audit
from meihao.register.communities import get_community
from meihao.reminders import activities as activity_service
from meihao.reminders import commands, history, signups
from meihao.reminders.activities import ActivityIn, ActivityPatch, audience_of
from meihao.reminders.audiences import preview, principal_scope
from meihao.reminders.policy import set_cancellation_notices, set_quiet_hours
from meihao.runtime import Meihao
from meihao.time.community import community_today
from meihao.web.auth import requires
from meihao.web.params import Caller


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
    signups_open: bool
    signup_capacity: int | None


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


class SignupOut(msgspec.Struct):
    id: int
    occurrence: str
    resident_id: int
    resident_name: str
    created_at: datetime


class SignupsOut(msgspec.Struct):
    #: Sign-ups per occurrence key (of the residents in the caller's scope).
    counts: dict[str, int]
    capacity: int | None
    signups: list[SignupOut]


class DeliveryOut(msgspec.Struct):
    counts: dict[str, int]
    reminders: list[ReminderOut]


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Why it is cancelled (at most 200 characters): written to the audit log and told to the people reminded.
    reason: str = ""


class QuietHoursIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    quiet_start: str
    quiet_end: str
    #: Whether people already reminded of an activity hear of its cancellation (on unless switched off).
    cancellation_notices: bool | None = None


def _activity_out(row: dict[str, Any]) -> ActivityOut:
    return ActivityOut(**{**{k: row[k] for k in ActivityOut.__struct_fields__ if k != "community"}, "community": row["community_slug"]})


@get("/api/communities/{slug:str}/activities", tags=["activities"], guards=[requires("meihao.activity.read")])
async def list_activities(slug: FromPath[str], principal: Caller, include_cancelled: FromQuery[bool] = False) -> list[ActivityOut]:
    await commands.community_in_reach(slug, principal)
    return [_activity_out(a) for a in await activity_service.list_activities(slug, include_cancelled=include_cancelled)]


@post("/api/communities/{slug:str}/activities", tags=["activities"], guards=[requires("meihao.activity.write")])
async def create_activity(slug: FromPath[str], data: JSONBody[ActivityIn], meihao: NamedDependency[Meihao], principal: Caller) -> ActivityOut:
    """Plan an activity; times without an offset are the community's local time."""
    return _activity_out(await commands.plan_activity(meihao, principal, slug, data))


@get("/api/activities/{activity_id:int}", tags=["activities"], guards=[requires("meihao.activity.read")])
async def get_activity(activity_id: FromPath[int], principal: Caller) -> ActivityOut:
    return _activity_out(await activity_service.activity_in_scope(activity_id, principal))


@patch("/api/activities/{activity_id:int}", tags=["activities"], guards=[requires("meihao.activity.write")])
async def reschedule_activity(activity_id: FromPath[int], data: JSONBody[ActivityPatch], meihao: NamedDependency[Meihao], principal: Caller) -> ActivityOut:
    """Reschedule or correct: reminders not yet sent are cancelled and planned again."""
    return _activity_out(await commands.reschedule_activity(meihao, principal, activity_id, data))


@post("/api/activities/{activity_id:int}/cancel", tags=["activities"], status_code=200, guards=[requires("meihao.activity.write")])
async def cancel_activity(
    activity_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller, data: JSONBody[CancelIn | None] = None
) -> ActivityOut:
    """Cancel every coming occurrence; people already reminded are told (with the reason, when one is given)."""
    reason = data.reason if data else ""
    return _activity_out(await commands.call_off_activity(meihao, principal, activity_id, reason))


@post(
    "/api/activities/{activity_id:int}/occurrences/{key:str}/cancel",
    tags=["activities"],
    status_code=200,
    guards=[requires("meihao.activity.write")],
)
async def cancel_occurrence(
    activity_id: FromPath[int], key: FromPath[str], meihao: NamedDependency[Meihao], principal: Caller,
    data: JSONBody[CancelIn | None] = None,
) -> ActivityOut:
    """Cancel one occurrence (its key, from ``/occurrences``); people already reminded of it and residents signed
    up for it are told (with the reason, when one is given), as when a whole activity is cancelled."""
    reason = data.reason if data else ""
    return _activity_out(await commands.call_off_occurrence(meihao, principal, activity_id, key, reason))


@get("/api/activities/{activity_id:int}/occurrences", tags=["activities"], guards=[requires("meihao.activity.read")])
async def list_occurrences(activity_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller, days: FromQuery[int] = 90) -> list[OccurrenceOut]:
    """Coming occurrences (holiday moves applied) for the next ``days`` days."""
    row = await activity_service.activity_in_scope(activity_id, principal)
    now = meihao.clock.now()
    working = await activity_service.activity_calendar(meihao, row)
    found = activity_service.activity_occurrences(row, now, now + timedelta(days=min(max(days, 1), 800)), calendar=working)
    return [OccurrenceOut(**o) for o in found]


@get("/api/activities/{activity_id:int}/preview", tags=["activities"], guards=[requires("meihao.activity.read")])
async def preview_audience(activity_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller) -> PreviewOut:
    """Who would be reminded: counts and a masked sample (from within the caller's scope)."""
    row = await activity_service.activity_in_scope(activity_id, principal)
    community = await get_community(row["community_slug"])
    today = community_today(meihao, community)
    result = await preview(meihao, audience_of(row), community, today, activity_id=activity_id, sample_scope=principal_scope(principal))
    return PreviewOut(**result)


@get("/api/activities/{activity_id:int}/reminders", tags=["activities"], guards=[requires("meihao.activity.read")])
async def list_reminders(
    activity_id: FromPath[int], principal: Caller, status: FromQuery[str | None] = None, limit: FromQuery[int] = 100
) -> DeliveryOut:
    """Delivery state per reminder: counts by status, and the reminders (newest first), of the recipients in
    the caller's scope only (residents as in the register, staff as in the staff list)."""
    await activity_service.activity_in_scope(activity_id, principal)
    counts, rows = await history.delivery_state(principal, activity_id, status=status, limit=limit)
    fields = ReminderOut.__struct_fields__
    return DeliveryOut(counts=counts, reminders=[ReminderOut(**{name: r[name] for name in fields}) for r in rows])


@put("/api/communities/{slug:str}/reminder-settings", tags=["activities"], guards=[requires("meihao.reminder.manage")])
async def put_quiet_hours(slug: FromPath[str], data: JSONBody[QuietHoursIn], meihao: NamedDependency[Meihao], principal: Caller) -> QuietHoursIn:
    """Quiet hours of the community (local ``HH:MM``; default 21:30–07:30): nothing is sent then."""
    from meihao.errors import Forbidden

    community = await get_community(slug)
    if not principal.manages_community(community["id"]):
        raise Forbidden(f"community {slug!r} is outside your scope")
    async with meihao.db.transaction():
        await set_quiet_hours(community["id"], data.quiet_start, data.quiet_end)
        if data.cancellation_notices is not None:
            await set_cancellation_notices(community["id"], data.cancellation_notices)
        await audit(principal, "meihao.reminder.quiet_hours", "community", community["id"], community_id=community["id"])
    return data


@get("/api/activities/{activity_id:int}/signups", tags=["activities"], guards=[requires("meihao.activity.read")])
async def list_signups(activity_id: FromPath[int], principal: Caller) -> SignupsOut:
    """Who signed up (报名) for each occurrence: the residents in the caller's scope only, oldest first."""
    row = await activity_service.activity_in_scope(activity_id, principal)
    found = await signups.signups_of(activity_id, None if principal.street else principal.residents_in(row["community"]))
    counts: dict[str, int] = {}
    for signup in found:
        counts[signup["occurrence"]] = counts.get(signup["occurrence"], 0) + 1
    return SignupsOut(counts=counts, capacity=row["signup_capacity"], signups=[SignupOut(**s) for s in found])


class SignupCancelIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Why staff cancel the sign-up on the resident's behalf (required, at most 200 characters): written to the audit log.
    reason: str


@post("/api/activities/{activity_id:int}/signups/{signup_id:int}/cancel", tags=["activities"], status_code=200,
      guards=[requires("meihao.activity.write")])
async def cancel_signup(
    activity_id: FromPath[int], signup_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller,
    data: JSONBody[SignupCancelIn],
) -> SignupOut:
    """Cancel a resident's sign-up on their behalf (they phoned, say), with a reason; audited
    (``meihao.activity.signup_cancel``). A sign-up of a resident outside the caller's scope is a 404, as a missing one.
    Returns the sign-up as it was."""
    activity = await activity_service.activity_in_scope(activity_id, principal)
    row = await signups.cancel_signup_for(meihao, principal, activity, signup_id, data.reason)
    return SignupOut(id=row["id"], occurrence=row["occurrence"], resident_id=row["resident"], resident_name=row["resident_name"],
                     created_at=row["created_at"])


HANDLERS = [
    list_activities,
    create_activity,
    get_activity,
    reschedule_activity,
    cancel_activity,
    cancel_occurrence,
    list_occurrences,
    preview_audience,
    list_reminders,
    list_signups,
    cancel_signup,
    put_quiet_hours,
]

