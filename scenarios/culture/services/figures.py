"""The year's figures of the shows in the caller's scope: delivered, audience, venues covered, subsidy, satisfaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from meihao import Principal, fen_to_yuan

from ..tables import Show, Venue
from .common import local_now, settings_of
from .shows import _show_scope
from .venues import _venue_scope

SATISFACTION_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}


def this_year(mh: Any, community: dict[str, Any]) -> int:
    return local_now(mh, community).year


async def summary(mh: Any, community: dict[str, Any], year: int, principal: Principal) -> dict[str, Any]:
    """The year's figures: shows delivered, audience reached, venues covered ("一村一年一场戏"), subsidy, satisfaction."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    scope = [*_show_scope(community, principal), Show.day >= first, Show.day <= last]
    delivered = await Show.select(Show.venue, Show.attendance, Show.subsidy_fen, Show.satisfaction).where(*scope, Show.status == "delivered")
    venues = await Venue.count().where(*_venue_scope(community, principal))
    settings = await settings_of(mh, community)
    per_venue: dict[int, int] = {}
    for s in delivered:
        per_venue[s["venue"]] = per_venue.get(s["venue"], 0) + 1
    return {
        "year": year,
        "shows_delivered": len(delivered),
        "audience_reached": sum(s["attendance"] or 0 for s in delivered),
        "shows_scheduled": await Show.count().where(*scope, Show.status == "scheduled"),
        "venues": venues,
        "venues_covered": sum(1 for n in per_venue.values() if n >= settings.shows_per_venue_per_year),
        "subsidy": fen_to_yuan(sum(s["subsidy_fen"] for s in delivered)),
        **{key: sum(1 for s in delivered if s["satisfaction"] == key) for key in SATISFACTION_ZH},
    }
