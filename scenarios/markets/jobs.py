"""Scheduled jobs of the markets scenario: open the coming market days, close applications at their deadline."""

from __future__ import annotations

from datetime import datetime

from meihao import CommunityInfo, Job, Meihao

from .services.days import close_due_days, ensure_days
from .services.markets import active_market_ids


async def close_applications(meihao: Meihao, community: CommunityInfo, now: datetime) -> None:
    """Close applications of market days whose deadline has passed (and decide what is still pending)."""
    await close_due_days(meihao, community, now)


async def open_days(meihao: Meihao, community: CommunityInfo) -> None:
    """Open the market days of the coming weeks (``plan_days_ahead``) of every active market."""
    for market_id in await active_market_ids(community.id):
        await ensure_days(meihao, community, market_id)


JOBS = [
    # Every ten minutes: a deadline is met within ten minutes, and the API refuses late
    # applications by the clock anyway, so a late run lets nothing in.
    Job("markets.close_applications", close_applications, ("interval", {"minutes": 10}), per_community=True,
        description="Close stall applications of market days whose deadline passed", misfire_grace_time=None),
    Job("markets.open_days", open_days, ("cron", {"hour": 2, "minute": 40}), per_community=True,
        description="Open the coming market days for stall applications", misfire_grace_time=None),
]
