"""Activities (活动): what scenarios create when something happens at a time; create, reschedule, cancel, occurrences.

Rescheduling or cancelling raises the activity's ``version``: reminders planned for an
older version that are not yet sent are cancelled, and the planner plans the new ones.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import msgspec

from meihao.db.database import json_value
from meihao.errors import InvalidInput, NotFound
from meihao.hooks.declarations import SCENES
from meihao.register.calendar import working_calendar
from meihao.register.communities import get_community
from meihao.register.tables import Community
from meihao.reminders.audiences import AudienceSpec, check_members, parse_audience
from meihao.reminders.tables import Activity, ActivitySignup, DueReminder, Reminder
from meihao.time.recurrence import occurrence_key, occurrences, validate_rule
from meihao.time.workcalendar import WorkingCalendar

if TYPE_CHECKING:
    from meihao.access.principals import Principal
    from meihao.runtime import Meihao

#: Reminder offsets are minutes before the start; at most 60 days ahead.
MAX_OFFSET_MINUTES = 60 * 24 * 60


class ActivityIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new activity. Times without an offset are read in the community's time zone."""

    scene: str
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    venue: str = ""
    #: RFC 5545 RRULE without DTSTART, e.g. ``FREQ=WEEKLY;BYDAY=SA;COUNT=10``.
    rrule: str = ""
    #: Yearly on this lunar date (e.g. 9/9 for 重阳 Double Ninth); instead of an RRULE.
    lunar_month: int | None = None
    lunar_day: int | None = None
    recurrence_until: datetime | None = None
    #: What an occurrence on an official holiday does: keep, skip, next_workday, previous_workday.
    holiday_policy: str = "keep"
    audience: dict[str, Any] = {}
    #: Minutes before the start, e.g. ``[1440, 120]`` for a day and two hours before.
    reminder_offsets: list[int] = msgspec.field(default_factory=lambda: [1440])
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])
    source: str = ""
    #: Residents may sign up for its occurrences themselves (报名), at most ``signup_capacity`` each (None: no cap).
    signups_open: bool = False
    signup_capacity: int | None = None


class ActivityPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """A reschedule or correction: only the fields given change."""

    title: str | None = None
    description: str | None = None
    venue: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    rrule: str | None = None
    lunar_month: int | None = None
    lunar_day: int | None = None
    recurrence_until: datetime | None = None
    holiday_policy: str | None = None
    audience: dict[str, Any] | None = None
    reminder_offsets: list[int] | None = None
    channels: list[str] | None = None
    signups_open: bool | None = None
    #: ``null`` removes the cap; left out, it stays as it is.
    signup_capacity: int | None | msgspec.UnsetType = msgspec.UNSET


def _aware(value: datetime | None, tz: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(timezone.utc).replace(microsecond=0)


async def _plan(mh: Meihao, activity_id: int) -> None:
    """Plan the activity's reminder points at once, so a reminder due soon is not left to the next periodic plan."""
    from meihao.reminders.planning import plan

    await plan(mh, activity_id=activity_id)


def known_scenes(mh: Meihao) -> set[str]:
    return set(SCENES) | {s.scene for s in mh.plugins.scenarios.values()} | set(mh.plugins.scenarios)


def resolve_owner(mh: Meihao, scene: str, scenario: str | None) -> tuple[str, str]:
    """The ``(scene, owner)`` an activity or notice is stored with.

    ``scenario`` is the scenario creating it (given, or inferred by the caller from the call
    stack). With one, ``scene`` may be empty (its scene), its name or its scene (stored as its
    scene, so that an opt-out of the scene holds), or one of the nine scenes (:data:`SCENES`);
    anything else is refused. Without one, ``scene`` must be a known scene, and when it names
    an installed scenario that scenario owns it (as for activities created before owners were
    recorded); else the kernel does (owner ``""``).
    """
    scenarios = mh.plugins.scenarios
    scene = scene.strip()
    if scenario:
        own = scenarios.get(scenario)
        if own is None:
            raise InvalidInput(f"scenario: {scenario!r} is not an installed scenario", field="scenario")
        if not scene or scene in (own.name, own.scene):
            return own.scene, own.name
        if scene in SCENES:
            return scene, own.name
        raise InvalidInput(
            f"scene: {scene!r} is neither one of the scenes ({', '.join(SCENES)}) nor {own.name!r}'s own scene {own.scene!r}",
            field="scene",
        )
    if not scene:
        raise InvalidInput("scene: give the scene (or call from a scenario's code, or pass scenario=)", field="scene")
    if scene not in known_scenes(mh):
        raise InvalidInput(f"scene: {scene!r} is not a scene or an installed scenario", field="scene")
    named = scenarios.get(scene)
    if named is not None:
        return named.scene, named.name
    return scene, ""


def scene_names(mh: Meihao, scene: str, scenario: str = "") -> list[str]:
    """Every name the scene of an activity goes by, for opt-outs: the scene, and a scenario's name that stands for it.

    A scenario's name stands for its scene: an activity in the scene of its owner counts as
    the owner's name too, and one stored before scenes were normalised, under a scenario's
    name, counts as that scenario's scene. So an opt-out of a scene holds whatever name the
    activity or notice was sent under. (An activity a scenario sends in another of the nine
    scenes goes by that scene only.)
    """
    names = {scene}
    owner = mh.plugins.scenarios.get(scenario) if scenario else None
    if owner is not None and owner.scene == scene:
        names.add(owner.name)
    named = mh.plugins.scenarios.get(scene)
    if named is not None:
        names.add(named.scene)
    return sorted(names)


#: The longest text each field keeps (the columns' lengths; the description is free text within reason).
TEXT_LIMITS = {"title": 200, "venue": 200, "source": 120, "description": 10_000, "rrule": 500}
#: At most this many reminder points and channels per activity.
MAX_OFFSETS = 10
MAX_CHANNELS = 10
#: The most sign-ups one occurrence may take.
MAX_SIGNUP_CAPACITY = 100_000


def _check(mh: Meihao, values: dict[str, Any]) -> None:
    for name, most in TEXT_LIMITS.items():
        text = values.get(name) or ""
        if len(text) > most:
            raise InvalidInput(f"{name}: at most {most} characters, got {len(text)}", field=name)
        if "\x00" in text:
            raise InvalidInput(f"{name}: must not contain the NUL character", field=name)
    if not values["title"].strip():
        raise InvalidInput("title: must not be empty", field="title")
    if len(values["reminder_offsets"]) > MAX_OFFSETS:
        raise InvalidInput(f"reminder_offsets: at most {MAX_OFFSETS} reminder points", field="reminder_offsets")
    if len(values["channels"]) > MAX_CHANNELS:
        raise InvalidInput(f"channels: at most {MAX_CHANNELS} channels", field="channels")
    if values["scene"] not in known_scenes(mh):
        raise InvalidInput(f"scene: {values['scene']!r} is not a scene or an installed scenario", field="scene")
    if values["ends_at"] <= values["starts_at"]:
        raise InvalidInput("ends_at: must be after starts_at", field="ends_at")
    validate_rule(values["rrule"], values["lunar_month"], values["lunar_day"], values["holiday_policy"])
    offsets = values["reminder_offsets"]
    if any(not 0 <= o <= MAX_OFFSET_MINUTES for o in offsets) or len(set(offsets)) != len(offsets):
        raise InvalidInput("reminder_offsets: distinct minutes between 0 and 60 days", field="reminder_offsets")
    capacity = values.get("signup_capacity")
    if capacity is not None and not 1 <= capacity <= MAX_SIGNUP_CAPACITY:
        raise InvalidInput(f"signup_capacity: between 1 and {MAX_SIGNUP_CAPACITY}, or null for no limit", field="signup_capacity")
    channels = mh.plugins.channels_by_name
    for name in values["channels"]:
        if name not in channels:
            raise InvalidInput(f"channels: no channel {name!r} is installed ({', '.join(sorted(channels))})", field="channels")


#: From the coarsest recurrence to the finest.
FREQUENCY_ORDER = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY")
#: How far ahead an activity's load is counted: a year of occurrences.
LOAD_WINDOW = timedelta(days=366)


def _rule_parts(rrule: str) -> dict[str, str]:
    parts = {}
    for part in rrule.upper().removeprefix("RRULE:").split(";"):
        name, _, value = part.partition("=")
        parts[name.strip()] = value.strip()
    return parts


def _points_per_day(values: dict[str, Any], tz: str, start: datetime, end: datetime) -> tuple[Counter[date], Counter[date]]:
    """Occurrences per local day from ``start`` to ``end``, and reminder points (occurrence × offset, on the
    day the reminder fires, from ``start`` on) per day."""
    zone = ZoneInfo(tz)
    found = occurrences(values, tz, start, end)
    per_day: Counter[date] = Counter(o.starts_at.astimezone(zone).date() for o in found)
    points: Counter[date] = Counter(
        (o.starts_at - timedelta(minutes=offset)).astimezone(zone).date()
        for o in found
        for offset in values["reminder_offsets"]
        if o.starts_at - timedelta(minutes=offset) >= start
    )
    return per_day, points


async def check_load(mh: Meihao, values: dict[str, Any], community: dict[str, Any], activity_id: int | None = None) -> None:
    """Refuse (400 naming the field) an activity that would flood people with reminders.

    Recurrence no finer than ``MEIHAO_FINEST_RECURRENCE`` (daily by default), at most
    ``MEIHAO_MAX_OCCURRENCES_PER_DAY`` occurrences on a day, ``MEIHAO_MAX_REMINDER_POINTS_PER_ACTIVITY_PER_DAY``
    reminder points (occurrence × offset) on a day, and, with the community's other scheduled activities,
    ``MEIHAO_MAX_REMINDER_POINTS_PER_COMMUNITY_PER_DAY``; counted over the coming year.
    """
    s = mh.settings
    if values["rrule"]:
        parts = _rule_parts(values["rrule"])
        finest = s.finest_recurrence.upper()
        if FREQUENCY_ORDER.index(parts.get("FREQ", "YEARLY")) > FREQUENCY_ORDER.index(finest):
            raise InvalidInput(
                f"rrule: FREQ={parts['FREQ']} repeats more often than this installation allows ({finest} or less often; "
                "MEIHAO_FINEST_RECURRENCE)",
                field="rrule",
            )
        per_day = 1
        for name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            if parts.get(name):
                per_day *= len(parts[name].split(","))
        if per_day > s.max_occurrences_per_day:  # known before counting (and counting them could be slow)
            raise InvalidInput(f"rrule: {per_day} occurrences a day; at most {s.max_occurrences_per_day}", field="rrule")
    tz = community["timezone"]
    start = mh.clock.now()
    end = max(start, values["starts_at"]) + LOAD_WINDOW
    rows = {**values, "exdates": values.get("exdates") or []}
    occurrences_per_day, points = _points_per_day(rows, tz, start, end)
    if occurrences_per_day and max(occurrences_per_day.values()) > s.max_occurrences_per_day:
        day, n = max(occurrences_per_day.items(), key=lambda item: item[1])
        raise InvalidInput(f"rrule: {n} occurrences on {day}; at most {s.max_occurrences_per_day} a day", field="rrule")
    if points and max(points.values()) > s.max_reminder_points_per_activity_per_day:
        day, n = max(points.items(), key=lambda item: item[1])
        raise InvalidInput(
            f"reminder_offsets: {n} reminder points on {day}; at most {s.max_reminder_points_per_activity_per_day} a day per activity",
            field="reminder_offsets",
        )
    others = Activity.select(
        Activity.id, Activity.starts_at, Activity.ends_at, Activity.rrule, Activity.lunar_month, Activity.lunar_day,
        Activity.recurrence_until, Activity.exdates, Activity.holiday_policy, Activity.reminder_offsets,
    ).where(Activity.community == community["id"], Activity.status == "scheduled")
    if activity_id is not None:
        others = others.where(Activity.id != activity_id)
    total = Counter(points)
    for row in await others:
        for key in ("exdates", "reminder_offsets"):
            row[key] = json_value(row[key]) or []
        total.update(_points_per_day(row, tz, start, end)[1])
    busy = {day: n for day, n in total.items() if points.get(day) and n > s.max_reminder_points_per_community_per_day}
    if busy:
        day = min(busy)
        raise InvalidInput(
            f"reminder_offsets: the community would have {busy[day]} reminder points on {day}; "
            f"at most {s.max_reminder_points_per_community_per_day} a day",
            field="reminder_offsets",
        )


async def create_activity(mh: Meihao, slug: str, data: ActivityIn, *, scenario: str | None = None) -> dict[str, Any]:
    """Create an activity in community ``slug`` and plan its reminders.

    Its owner (who renders its reminders) is ``scenario``, else the scenario whose code calls
    this (inferred from the call stack: the loaded scenario plugin whose package holds the
    calling module), else the scenario named like ``data.scene``; see :func:`resolve_owner`.
    """
    if scenario is None:
        scenario = mh.plugins.calling_scenario()
    scene, owner = resolve_owner(mh, data.scene, scenario)
    community = await get_community(slug)
    tz = community["timezone"]
    audience = parse_audience(mh, data.audience)
    await check_members(audience, community["id"])
    now = mh.clock.now()
    values = {
        "scene": scene,
        "source": data.source,
        "title": data.title,
        "description": data.description,
        "venue": data.venue,
        "starts_at": _aware(data.starts_at, tz),
        "ends_at": _aware(data.ends_at, tz),
        "rrule": data.rrule.strip(),
        "lunar_month": data.lunar_month,
        "lunar_day": data.lunar_day,
        "recurrence_until": _aware(data.recurrence_until, tz),
        "holiday_policy": data.holiday_policy,
        "reminder_offsets": list(data.reminder_offsets),
        "channels": list(dict.fromkeys(data.channels)),
        "signups_open": data.signups_open,
        "signup_capacity": data.signup_capacity,
    }
    _check(mh, values)
    await check_load(mh, values, community)
    activity = Activity(
        community=community["id"],
        scenario=owner,
        **{k: v for k, v in values.items() if k not in ("reminder_offsets", "channels")},
        reminder_offsets=json.dumps(values["reminder_offsets"]),
        channels=json.dumps(values["channels"]),
        audience=msgspec.json.encode(audience).decode(),
        exdates="[]",
        status="scheduled",
        version=1,
        planned_until=now,
        created_at=now,
        updated_at=now,
    )
    await activity.save()
    await _plan(mh, activity.id)
    return await get_activity(activity.id)


async def get_activity(activity_id: int) -> dict[str, Any]:
    row = await Activity.select(
        Activity.all_columns(),
        Activity.community.slug.as_alias("community_slug"),
        Activity.community.timezone.as_alias("timezone"),
    ).where(Activity.id == activity_id).first()
    if row is None:
        raise NotFound(f"activity {activity_id} not found")
    return _decode(row)


async def activity_in_scope(activity_id: int, principal: Principal) -> dict[str, Any]:
    """:func:`get_activity`, or NotFound, answered exactly as for a missing activity, when it lies outside the
    communities the caller reaches (the API's routes and the console's pages)."""
    row = await get_activity(activity_id)
    if not principal.reaches_community(row["community"]):
        raise NotFound(f"activity {activity_id} not found")
    return row


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("audience", "reminder_offsets", "channels", "exdates"):
        row[key] = json_value(row[key])
    return row


async def list_activities(slug: str, *, include_cancelled: bool = False) -> list[dict[str, Any]]:
    community = await get_community(slug)
    query = Activity.select(
        Activity.all_columns(),
        Activity.community.slug.as_alias("community_slug"),
        Activity.community.timezone.as_alias("timezone"),
    ).where(Activity.community == community["id"], Activity.source.not_like("notice:%"))
    # Notices (meihao.notify) are messages to named people, not community events: never listed or in feeds.
    if not include_cancelled:
        query = query.where(Activity.status == "scheduled")
    return [_decode(r) for r in await query.order_by(Activity.starts_at)]


async def scheduled_activities_of(community_ids: list[int]) -> list[dict[str, Any]]:
    """The scheduled activities (notices left out, as :func:`list_activities`) of several communities at once, in one query."""
    if not community_ids:
        return []
    rows = await Activity.select(
        Activity.all_columns(),
        Activity.community.slug.as_alias("community_slug"),
        Activity.community.timezone.as_alias("timezone"),
    ).where(Activity.community.is_in(community_ids), Activity.source.not_like("notice:%"), Activity.status == "scheduled").order_by(Activity.starts_at)
    return [_decode(r) for r in rows]


async def invalidate(activity_id: int, *, up_to_version: int, occurrence: str | None = None) -> int:
    """Cancel reminder points and outbox rows not yet sent for older versions (or one occurrence)."""
    due_filter = [DueReminder.activity == activity_id, DueReminder.version <= up_to_version]
    if occurrence is not None:
        due_filter.append(DueReminder.occurrence == occurrence)
    due_ids = DueReminder.select(DueReminder.id).where(*due_filter)
    await DueReminder.update({DueReminder.status: "cancelled"}).where(*due_filter, DueReminder.status.is_in(["pending", "fanning"]))
    cancelled = await Reminder.update({Reminder.status: "cancelled"}).where(
        Reminder.activity == activity_id, Reminder.status == "pending", Reminder.due.is_in(due_ids)
    ).returning(Reminder.id)
    return len(cancelled)


async def update_activity(mh: Meihao, activity_id: int, patch: ActivityPatch) -> dict[str, Any]:
    """Reschedule or correct an activity: a new version whose reminders replace the unsent old ones."""
    current = await get_activity(activity_id)
    if current["status"] != "scheduled":
        raise InvalidInput("status: a cancelled activity cannot be changed", field="status")
    tz = current["timezone"]
    given = msgspec.structs.asdict(patch)
    values = {k: current[k] for k in (
        "scene", "title", "description", "venue", "starts_at", "ends_at", "rrule", "lunar_month", "lunar_day",
        "recurrence_until", "holiday_policy", "reminder_offsets", "channels", "signups_open", "signup_capacity",
    )}
    for key, value in given.items():
        if value is msgspec.UNSET or (value is None and key != "signup_capacity") or key == "audience":
            continue
        values[key] = _aware(value, tz) if key in ("starts_at", "ends_at", "recurrence_until") else value
    if patch.rrule:
        values["lunar_month"] = values["lunar_day"] = None
    if patch.lunar_month is not None:
        values["rrule"] = ""
    _check(mh, values)
    await check_load(mh, {**values, "exdates": current.get("exdates") or []}, {"id": current["community"], "timezone": tz}, activity_id)
    audience = parse_audience(mh, patch.audience if patch.audience is not None else current["audience"])
    if patch.audience is not None:
        await check_members(audience, current["community"])
    now = mh.clock.now()
    version = current["version"] + 1
    async with mh.db.transaction():
        await Activity.update(
            {
                **{getattr(Activity, k): v for k, v in values.items() if k not in ("scene", "reminder_offsets", "channels")},
                Activity.reminder_offsets: json.dumps(values["reminder_offsets"]),
                Activity.channels: json.dumps(values["channels"]),
                Activity.audience: msgspec.json.encode(audience).decode(),
                Activity.version: version,
                Activity.planned_until: now,
                Activity.updated_at: now,
            }
        ).where(Activity.id == activity_id)
        await invalidate(activity_id, up_to_version=version - 1)
        await move_signups(activity_id, values["starts_at"] - current["starts_at"], now)
    await _plan(mh, activity_id)
    return await get_activity(activity_id)


async def move_signups(activity_id: int, shift: timedelta, now: datetime) -> int:
    """Carry the sign-ups of the coming occurrences along when the start moves by ``shift``: an occurrence's
    key is its original start, so without this the residents would stay signed up for a time that no
    longer exists. Keys are moved in the direction of the shift (the last first when later), so one never
    lands on a key still to be moved. Returns how many occurrences moved."""
    if not shift:
        return 0
    keys = {r["occurrence"] for r in await ActivitySignup.select(ActivitySignup.occurrence).where(
        ActivitySignup.activity == activity_id, ActivitySignup.occurrence >= occurrence_key(now)).distinct()}
    for key in sorted(keys, reverse=shift > timedelta(0)):
        await ActivitySignup.update({ActivitySignup.occurrence: occurrence_key(occurrence_start(key) + shift)}).where(
            ActivitySignup.activity == activity_id, ActivitySignup.occurrence == key)
    return len(keys)


async def cancel_activity(mh: Meihao, activity_id: int) -> dict[str, Any]:
    """Cancel every coming occurrence; reminders not yet sent are cancelled."""
    current = await get_activity(activity_id)
    if current["status"] == "cancelled":
        return current
    async with mh.db.transaction():
        await Activity.update(
            {Activity.status: "cancelled", Activity.version: current["version"] + 1, Activity.updated_at: mh.clock.now()}
        ).where(Activity.id == activity_id)
        await invalidate(activity_id, up_to_version=current["version"] + 1)
    return await get_activity(activity_id)


async def cancel_occurrence(mh: Meihao, activity_id: int, key: str) -> dict[str, Any]:
    """Cancel one occurrence (by its key) of a recurring activity."""
    current = await get_activity(activity_id)
    # Keys are original starts: one the working calendar skips or moves today can still be
    # cancelled (a market day called off after a typhoon closed it), so check them unmoved.
    unmoved = {**current, "holiday_policy": "keep"}
    window = activity_occurrences(unmoved, current["starts_at"] - timedelta(days=1), datetime(2100, 1, 1, tzinfo=timezone.utc), limit=5000)
    if key not in {o["key"] for o in window}:
        raise NotFound(f"activity {activity_id} has no occurrence {key!r}")
    exdates = sorted(set(current["exdates"]) | {key})
    async with mh.db.transaction():
        await Activity.update({Activity.exdates: json.dumps(exdates), Activity.updated_at: mh.clock.now()}).where(Activity.id == activity_id)
        await invalidate(activity_id, up_to_version=current["version"], occurrence=key)
    return await get_activity(activity_id)


async def activity_calendar(mh: Meihao, activity: dict[str, Any]) -> WorkingCalendar:
    """The working calendar of the activity's community (its holidays and the street's overrides decide the holiday policy)."""
    return await working_calendar(mh, {"id": activity["community"], "timezone": activity["timezone"]})


def activity_occurrences(
    activity: dict[str, Any], start: datetime, end: datetime, limit: int = 100, *, calendar: WorkingCalendar | None = None
) -> list[dict[str, Any]]:
    """The occurrences of ``activity`` whose start lies in ``[start, end)``, holiday policy applied.

    Pass ``calendar=await working_calendar(mh, community)`` (the activity's community): the
    reminders follow that calendar. Without it the holidays are the pinned chinese-calendar
    package's, with no loaded years and no overrides.
    """
    found = occurrences(activity, activity["timezone"], start, end, calendar)[:limit]
    return [
        {"key": o.key, "starts_at": o.starts_at, "ends_at": o.ends_at, "moved_from": o.moved_from.isoformat() if o.moved_from else None}
        for o in found
    ]


async def community_of(activity: dict[str, Any]) -> dict[str, Any]:
    row = await Community.select().where(Community.id == activity["community"]).first()
    if row is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound("community not found")
    return row


def occurrence_start(key: str) -> datetime:
    """The original start an occurrence key names (UTC)."""
    return datetime.fromisoformat(key.replace("Z", "+00:00"))


def audience_of(activity: dict[str, Any]) -> AudienceSpec:
    return msgspec.convert(activity["audience"], AudienceSpec)
