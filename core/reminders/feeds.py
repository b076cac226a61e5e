"""iCalendar feeds (RFC 5545, via icalendar): a community's public activities, and one resident's own.

Occurrences are written out one VEVENT each (holiday moves and cancelled occurrences make
an RRULE unreliable across calendar clients); each has a stable UID per occurrence, a
SEQUENCE that grows with rescheduling, and a URL back to the activity.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from icalendar import Calendar, Event
from piccolo.querystring import QueryString

from meihao.register.calendar import working_calendar
from meihao.register.communities import get_community
from meihao.register.tables import Resident
from meihao.reminders.activities import activity_occurrences, audience_of, list_activities
from meihao.reminders.audiences import resident_condition
from meihao.time.community import community_today
from meihao.time.wording import zh_join
from meihao.time.workcalendar import WorkingCalendar

if TYPE_CHECKING:
    from meihao.runtime import Meihao

PAST = timedelta(days=30)
AHEAD = timedelta(days=400)


def _calendar(name: str, timezone: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//meihao//reminders//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone)
    return calendar


def _add_events(mh: Meihao, calendar: Calendar, activity: dict[str, Any], now: datetime, working: WorkingCalendar) -> None:
    url = f"{mh.settings.base_url}/api/activities/{activity['id']}"
    for occurrence in activity_occurrences(activity, now - PAST, now + AHEAD, limit=500, calendar=working):
        event = Event()
        event.add("uid", f"activity-{activity['id']}-{occurrence['key']}@meihao")
        event.add("dtstamp", activity["updated_at"] or now)
        event.add("dtstart", occurrence["starts_at"])
        event.add("dtend", occurrence["ends_at"])
        event.add("summary", activity["title"])
        if activity["venue"]:
            event.add("location", activity["venue"])
        if activity["description"]:
            event.add("description", activity["description"])
        event.add("url", url)
        event.add("sequence", activity["version"])
        event.add("status", "CONFIRMED")
        event.add("categories", [activity["scene"]])
        calendar.add_component(event)


async def community_feed(mh: Meihao, slug: str) -> bytes:
    """Activities open to the whole community (audience ``everyone`` with no narrower filter)."""
    community = await get_community(slug)
    now = mh.clock.now()
    calendar = _calendar(zh_join(community["name"], "社区活动"), community["timezone"])
    working = await working_calendar(mh, community)
    for activity in await list_activities(slug):
        if audience_of(activity).is_everyone:
            _add_events(mh, calendar, activity, now, working)
    return calendar.to_ical()


async def _resident_activities(mh: Meihao, resident_id: int) -> tuple[Any, list[dict[str, Any]]]:
    """The resident's community and the activities whose audience includes them (checked in SQL, one activity at a time)."""
    resident = await Resident.select(Resident.id, Resident.name, Resident.community.slug.as_alias("slug")).where(
        Resident.id == resident_id
    ).first()
    if resident is None:
        from meihao.errors import NotFound

        raise NotFound("link not found")
    community = await get_community(resident["slug"])
    today = community_today(mh, community)
    mine = []
    for activity in await list_activities(resident["slug"]):
        condition = resident_condition(mh, audience_of(activity), community.id, today, activity_id=activity["id"])
        if condition is None:
            continue
        found = await mh.db.engine.run_querystring(
            QueryString('SELECT 1 AS hit FROM "meihao_resident" AS "r" WHERE "r"."id" = {} AND ({})', resident_id, condition)
        )
        if found:
            mine.append(activity)
    return community, mine


async def resident_feed(mh: Meihao, resident_id: int) -> bytes:
    """The activities whose audience includes this resident."""
    community, activities = await _resident_activities(mh, resident_id)
    now = mh.clock.now()
    calendar = _calendar(f"{community.name}·我的活动", community.timezone)
    working = await working_calendar(mh, community)
    for activity in activities:
        _add_events(mh, calendar, activity, now, working)
    return calendar.to_ical()


async def resident_events(mh: Meihao, resident_id: int, *, days: int = 30, limit: int = 10) -> list[dict[str, Any]]:
    """The resident's next occurrences (the same activities as their feed), soonest first:
    ``title``, ``venue``, ``starts_at`` and ``ends_at`` (in the community's time zone)."""
    from zoneinfo import ZoneInfo

    community, activities = await _resident_activities(mh, resident_id)
    now = mh.clock.now()
    working = await working_calendar(mh, community)
    zone = ZoneInfo(community.timezone)
    events = [
        {"title": a["title"], "venue": a["venue"], "starts_at": o["starts_at"].astimezone(zone), "ends_at": o["ends_at"].astimezone(zone)}
        for a in activities
        for o in activity_occurrences(a, now, now + timedelta(days=days), limit=limit, calendar=working)
    ]
    return sorted(events, key=lambda e: e["starts_at"])[:limit]
