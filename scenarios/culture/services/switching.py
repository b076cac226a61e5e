"""Switching the scenario off and on: coming shows stop reminding, and get their reminders back."""

from __future__ import annotations

from typing import Any

from meihao import ActivityIn, CommunityInfo, cancel_activity, create_activity

from ..tables import Show, VenueGrid
from .common import LEVELS_ZH, SCENE, settings_of
from .shows import SHOW_COLUMNS


async def suspend(mh: Any, community: CommunityInfo) -> None:
    """The community switched culture off: coming shows stop reminding (their activities are cancelled); records stay."""
    now = mh.clock.now()
    for show in await Show.select(Show.id, Show.activity, Show.elders_activity).where(
        Show.community == community.id, Show.status == "scheduled", Show.starts_at > now
    ):
        for activity_id in (show["activity"], show["elders_activity"]):
            if activity_id:
                await cancel_activity(mh, activity_id)
        await Show.update({Show.status: "suspended"}).where(Show.id == show["id"])


async def resume(mh: Any, community: CommunityInfo) -> None:
    """The community switched culture on again: suspended shows still ahead get their reminders back."""
    settings = await settings_of(mh, community)
    now = mh.clock.now()
    for show in await Show.select(*SHOW_COLUMNS).where(Show.community == community.id, Show.status == "suspended"):
        if show["starts_at"] <= now:
            await Show.update({Show.status: "scheduled"}).where(Show.id == show["id"])  # held or not: the record says
            continue
        grids = [g["grid"] for g in await VenueGrid.select(VenueGrid.grid).where(VenueGrid.venue == show["venue"])]
        title = f"戏曲进乡村·{show['play_genre']}《{show['play_title']}》"
        description = f"{show['troupe_name']}（{LEVELS_ZH.get(show['troupe_level'], '')}）演出{show['play_genre']}《{show['play_title']}》"
        common = dict(scene=SCENE, title=title, description=description, starts_at=show["starts_at"], ends_at=show["ends_at"],
                      venue=show["venue_name"], channels=list(settings.channels))
        activity = await create_activity(mh, community.slug, ActivityIn(
            audience={"grids": grids}, source=f"culture.show:{show['id']}",
            reminder_offsets=sorted({settings.remind_day_before_minutes, settings.remind_on_day_minutes}, reverse=True), **common))
        elders = None
        if show["elders_first"]:
            elders = await create_activity(mh, community.slug, ActivityIn(
                audience={"grids": grids, "min_age": settings.elder_age}, source=f"culture.show_elders:{show['id']}",
                reminder_offsets=[settings.elders_first_minutes], **common))
        await Show.update({Show.status: "scheduled", Show.activity: activity["id"], Show.elders_activity: elders["id"] if elders else None}).where(
            Show.id == show["id"])
