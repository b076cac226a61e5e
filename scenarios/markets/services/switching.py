"""The scenario switched off and on for a community: markets suspended and resumed with their activities."""

from __future__ import annotations

from typing import Any

from meihao import ActivityIn, CommunityInfo, cancel_activity, cancel_occurrence, create_activity, get_activity

from ..tables import Market, MarketDay
from .common import SCENE, settings_of
from .days import cancel_moved_days_activities, original_stall_key, own_activities


async def suspend(mh: Any, community: CommunityInfo) -> None:
    """The community switched markets off: its markets stop reminding (their activities are cancelled); records stay."""
    for market in await Market.select().where(Market.community == community.id, Market.status == "active"):
        await cancel_activity(mh, market["activity"])
        await cancel_activity(mh, market["stall_activity"])
        await cancel_moved_days_activities(mh, market["id"], mh.clock.now())
        await Market.update({Market.status: "suspended"}).where(Market.id == market["id"])


async def resume(mh: Any, community: CommunityInfo) -> None:
    """The community switched markets on again: suspended markets get their activities back (same days, same keys)."""
    settings = await settings_of(mh, community)
    for market in await Market.select().where(Market.community == community.id, Market.status == "suspended"):
        old = await get_activity(market["activity"])
        old_stalls = await get_activity(market["stall_activity"])
        ids = []
        for activity, offsets in ((old, [settings.community_reminder_minutes]), (old_stalls, [settings.stallholder_reminder_minutes])):
            created = await create_activity(mh, community.slug, ActivityIn(
                scene=SCENE, title=activity["title"], description=activity["description"], venue=activity["venue"],
                starts_at=activity["starts_at"], ends_at=activity["ends_at"], rrule=activity["rrule"],
                recurrence_until=activity["recurrence_until"], holiday_policy=activity["holiday_policy"],
                audience=activity["audience"], reminder_offsets=offsets, channels=list(settings.channels), source=activity["source"],
            ))
            ids.append(created["id"])
        await Market.update({Market.status: "active", Market.activity: ids[0], Market.stall_activity: ids[1]}).where(Market.id == market["id"])
        for day in await MarketDay.select(MarketDay.id, MarketDay.occurrence, MarketDay.stall_occurrence).where(
            MarketDay.market == market["id"], MarketDay.status == "cancelled", MarketDay.moved_from.is_null(), MarketDay.starts_at > mh.clock.now()
        ):  # days called off stay off
            await cancel_occurrence(mh, ids[0], day["occurrence"])
            await cancel_occurrence(mh, ids[1], day["stall_occurrence"])
        current = {**market, "activity": ids[0], "stall_activity": ids[1]}
        for day in await MarketDay.select().where(
            MarketDay.market == market["id"], MarketDay.moved_from.is_not_null(), MarketDay.starts_at > mh.clock.now()
        ):  # days moved off an adjusted working weekend day: the original date stays off, the moved one gets new activities
            await cancel_occurrence(mh, ids[0], day["occurrence"])
            await cancel_occurrence(mh, ids[1], original_stall_key(day, market["setup_minutes"]))
            if day["status"] != "cancelled":
                own, own_stall = await own_activities(mh, community, current, day["starts_at"])
                await MarketDay.update({MarketDay.own_activity: own, MarketDay.own_stall_activity: own_stall}).where(MarketDay.id == day["id"])
