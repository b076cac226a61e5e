"""Notices (通知): a one-off message to named staff or residents, now, through the reminder engine.

A scenario that must tell someone something at once ("王秀英 has not been visited for two
weeks", "please enter last night's attendance") sends a notice instead of planning an
activity. A notice is stored as a one-off activity whose single reminder falls due at once,
so it takes the same road as every reminder: the recipients' channels and opt-outs, quiet
hours, retries, the language of the recipient, exactly-once delivery to the inbox.

A notice belongs to the scenario that sends it: ``notify(..., scenario="markets")``, or, when
``scenario`` is not given, the loaded scenario plugin whose package holds the module that
calls ``notify`` (the innermost such frame on the call stack; code run in a task of its own
should pass ``scenario=``). Its scene defaults to that scenario's scene; a scene that is
neither one of the nine scenes nor the scenario's name or scene is refused. An opt-out of the
scene holds whatever name the notice is sent under.

``key`` makes a notice idempotent: a second notice with the same key in the same community
sends nothing. The notice's "start" is the end of its useful life: one still undelivered
then (quiet hours, a channel down) is marked missed rather than sent late.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import msgspec

from meihao.access.tables import StaffAssignment
from meihao.errors import InvalidInput
from meihao.register.communities import get_community
from meihao.reminders import activities as activity_service
from meihao.reminders.activities import ActivityIn, create_activity, get_activity, occurrence_start, resolve_owner
from meihao.reminders.policy import cancellation_notices_on
from meihao.reminders.tables import Activity, ActivitySignup, Reminder
from meihao.time.wording import zh_when

if TYPE_CHECKING:
    from meihao.runtime import Meihao

#: Activities that carry a notice have a ``source`` starting with this.
NOTICE_SOURCE = "notice:"


class NoticeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A message for named people; ``body`` is what they read (rendered as is)."""

    #: Empty: the sending scenario's scene. Else one of the nine scenes, or the scenario's name or scene.
    scene: str = ""
    #: Unique within the community for this notice, e.g. ``elder_care.overdue:12:2026-03-09``.
    key: str
    title: str
    body: str
    staff: list[int] = []
    residents: list[int] = []
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])
    #: How long after sending the notice is still worth delivering.
    useful_for: timedelta = timedelta(hours=24)


def is_notice(activity: dict[str, Any]) -> bool:
    return str(activity.get("source", "")).startswith(NOTICE_SOURCE)


async def notify(mh: Meihao, slug: str, notice: NoticeIn, *, scenario: str | None = None) -> dict[str, Any] | None:
    """Send ``notice`` now; returns its activity, or None when a notice with this key was sent before.

    ``scenario``: the sending scenario; by default the one whose code calls this (see the module).
    """
    if scenario is None:
        scenario = mh.plugins.calling_scenario()
    if not notice.key.strip():
        raise InvalidInput("key: must not be empty", field="key")
    if not (notice.staff or notice.residents):
        raise InvalidInput("notice: names nobody; give staff or residents", field="staff")
    minutes = int(notice.useful_for.total_seconds() // 60)
    if minutes < 1:
        raise InvalidInput("useful_for: at least one minute", field="useful_for")
    scene, owner = resolve_owner(mh, notice.scene, scenario)
    community = await get_community(slug)
    source = f"{NOTICE_SOURCE}{notice.key}"[:120]
    if await Activity.exists().where(Activity.community == community["id"], Activity.source == source):
        return None
    now = mh.clock.now()
    activity = await create_activity(
        mh,
        slug,
        ActivityIn(
            scene=scene,
            title=notice.title,
            description=notice.body,
            starts_at=now + timedelta(minutes=minutes),
            ends_at=now + timedelta(minutes=minutes + 1),
            audience={"staff": list(notice.staff), "residents": list(notice.residents)},
            reminder_offsets=[minutes],
            channels=list(notice.channels),
            source=source,
        ),
        scenario=owner,
    )
    return await get_activity(activity["id"])


def render_notice(reminder: dict[str, Any]) -> str | None:
    """The text of a notice's reminder: its body as written (the default renderer asks this first)."""
    activity = reminder.get("activity", {})
    if not is_notice(activity):
        return None
    return str(activity.get("description") or activity.get("title", ""))


async def cancel_activity(mh: Meihao, activity_id: int, *, reason: str = "") -> dict[str, Any]:
    """Cancel every coming occurrence (reminders not yet sent are cancelled), and tell the people already
    reminded of it and the residents signed up for a date still to come (on the inbox, where they signed
    up): one notice per channel, on the channel they were reminded on, through the outbox like every
    reminder, once (the notice's key). A community can switch these notices off
    (``PUT /api/communities/{slug}/reminder-settings`` with ``cancellation_notices: false``).
    ``reason`` (staff's words, optional) is added to the notice."""
    before = await get_activity(activity_id)
    cancelled = await activity_service.cancel_activity(mh, activity_id)
    if before["status"] == "cancelled" or is_notice(before) or not await cancellation_notices_on(before["community"]):
        return cancelled
    reminded = await Reminder.select(Reminder.recipient_kind, Reminder.recipient_id, Reminder.channel).where(
        Reminder.activity == activity_id, Reminder.status == "sent"
    ).distinct()
    now = mh.clock.now()
    signups = await ActivitySignup.select(ActivitySignup.resident, ActivitySignup.occurrence).where(ActivitySignup.activity == activity_id)
    signed_up = [{"recipient_kind": "resident", "recipient_id": r["resident"], "channel": "inbox"}
                 for r in signups if occurrence_start(r["occurrence"]) >= now]  # a date already past is not called off
    await _tell_cancelled(mh, before, [*reminded, *signed_up], key=f"cancelled:{activity_id}", starts=before["starts_at"], reason=reason)
    return cancelled


async def cancel_occurrence(mh: Meihao, activity_id: int, occurrence: str, *, reason: str = "") -> dict[str, Any]:
    """Cancel one occurrence (:func:`meihao.reminders.activities.cancel_occurrence`) and tell, as
    :func:`cancel_activity` does, the people already reminded of that occurrence and the residents who
    signed up for it (on the inbox, where they signed up), once per occurrence and channel."""
    before = await get_activity(activity_id)
    updated = await activity_service.cancel_occurrence(mh, activity_id, occurrence)
    if occurrence in (before["exdates"] or []) or is_notice(before) or not await cancellation_notices_on(before["community"]):
        return updated
    people = await occurrence_people(activity_id, occurrence)
    await _tell_cancelled(mh, before, people, key=f"cancelled:{activity_id}:{occurrence}",
                          starts=occurrence_start(occurrence), reason=reason)
    return updated


async def occurrence_people(activity_id: int, occurrence: str) -> list[dict[str, Any]]:
    """Who a cancelled occurrence is told to, per channel (``recipient_kind``, ``recipient_id``, ``channel``): the
    people sent a reminder of it, and the residents signed up for it (on the inbox)."""
    reminded = await Reminder.select(Reminder.recipient_kind, Reminder.recipient_id, Reminder.channel).where(
        Reminder.activity == activity_id, Reminder.status == "sent", Reminder.due.occurrence == occurrence
    ).distinct()
    signed_up = await ActivitySignup.select(ActivitySignup.resident).where(
        ActivitySignup.activity == activity_id, ActivitySignup.occurrence == occurrence
    )
    return [*reminded, *({"recipient_kind": "resident", "recipient_id": r["resident"], "channel": "inbox"} for r in signed_up)]


async def _tell_cancelled(mh: Meihao, before: dict[str, Any], reminded: list[dict[str, Any]], *, key: str, starts: datetime,
                          reason: str) -> None:
    by_channel: dict[str, dict[str, set[int]]] = {}
    for row in reminded:
        by_channel.setdefault(row["channel"], {"resident": set(), "staff": set()})[row["recipient_kind"]].add(row["recipient_id"])
    tz = ZoneInfo(before["timezone"])
    local = starts.astimezone(tz)
    when, when_en = zh_when(local), local.strftime("%Y-%m-%d %H:%M")
    why = f"原因：{reason}。Reason: {reason}." if reason else ""
    for channel, people in sorted(by_channel.items()):
        if people["staff"]:  # staff who since left the community are not written to there
            rows = await StaffAssignment.select(StaffAssignment.staff).where(
                StaffAssignment.staff.is_in(sorted(people["staff"])), StaffAssignment.community == before["community"]
            )
            people["staff"] = {r["staff"] for r in rows}
        if not (people["staff"] or people["resident"]):
            continue
        await notify(
            mh,
            before["community_slug"],
            NoticeIn(
                scene=before["scene"],
                key=f"{key}:{channel}",
                title=f"已取消：{before['title']}"[:200],
                body=f"原定{when}的{before['title']}已取消。Cancelled: {before['title']} ({when_en}).{(' ' + why) if why else ''}",
                residents=sorted(people["resident"]),
                staff=sorted(people["staff"]),
                channels=[channel],
            ),
        )
