"""The year's figures of the shows in the caller's scope: delivered, audience, venues covered, subsidy, satisfaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from meihao import CommunityInfo, Principal, community_now, fen_to_yuan, scope_where

from ..schemas import SummaryOut
from ..tables import Place, Show, Venue
from . import shows, venues
from .common import VILLAGE_KINDS, rate, settings_of

SATISFACTION_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}


def this_year(mh: Any, community: CommunityInfo) -> int:
    return community_now(mh, community).year


async def summary(mh: Any, community: CommunityInfo, year: int, principal: Principal) -> SummaryOut:
    """The year's figures: shows delivered, audience reached, venues covered ("一村一年一场戏"), subsidy, satisfaction."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    scope = [*scope_where(principal, community, shows.PLACED_BY), Show.day >= first, Show.day <= last]
    delivered = await Show.select(
        Show.venue, Show.venue.place.as_alias("place"), Show.attendance, Show.subsidy_fen, Show.satisfaction, Show.sample_size,
        Show.satisfied_count, Show.basically_count,
    ).where(*scope, Show.status == "delivered")
    villages = [r["id"] for r in await Place.select(Place.id).where(Place.community == community.id, Place.kind.is_in(list(VILLAGE_KINDS)))]
    per_place: dict[int, int] = {}
    for s in delivered:
        if s["place"] in villages:
            per_place[s["place"]] = per_place.get(s["place"], 0) + 1
    venue_count = await Venue.count().where(*scope_where(principal, community, venues.PLACED_BY))
    settings = await settings_of(mh, community)
    per_venue: dict[int, int] = {}
    for s in delivered:
        per_venue[s["venue"]] = per_venue.get(s["venue"], 0) + 1
    covered = sum(1 for n in per_place.values() if n >= settings.shows_per_village_per_year)
    sampled = sum(s["sample_size"] or 0 for s in delivered)
    content = sum((s["satisfied_count"] or 0) + (s["basically_count"] or 0) for s in delivered)
    return SummaryOut(
        year=year,
        shows_delivered=len(delivered),
        audience_reached=sum(s["attendance"] or 0 for s in delivered),
        shows_scheduled=await Show.count().where(*scope, Show.status == "scheduled"),
        venues=venue_count,
        venues_covered=sum(1 for n in per_venue.values() if n >= settings.shows_per_venue_per_year),
        subsidy=fen_to_yuan(sum(s["subsidy_fen"] for s in delivered)),
        **{key: sum(1 for s in delivered if s["satisfaction"] == key) for key in SATISFACTION_ZH},
        villages=len(villages),
        villages_covered=covered,
        village_coverage=rate(covered, len(villages)),
        programme="戏曲进乡村" if villages else "戏曲进社区",
        sampled=sampled,
        satisfaction_rate=rate(content, sampled),
    )
