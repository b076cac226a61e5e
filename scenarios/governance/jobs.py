"""governance's scheduled jobs, per community: the daily check of patrols, and 督办 of late departments."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from meihao import CommunityInfo, Job, Meihao

from .services import patrols, supervision

log = logging.getLogger("meihao.scenarios.governance")


async def check_patrols(meihao: Meihao, community: CommunityInfo) -> int:
    """Tell the grid leaders of yesterday's planned patrols with no log."""
    told = await patrols.check_patrols(meihao, community)
    log.info("%s: %d patrols without a log told", community.slug, told)
    return told


async def supervise(meihao: Meihao, community: CommunityInfo, now: datetime) -> int:
    """Put late departments' orders and whistle calls under supervision (督办)."""
    return await supervision.supervise(meihao, community, now)


JOBS = [
    # 08:30 local: the start of the working day, after the quiet hours.
    Job("governance.patrol_check", check_patrols, ("cron", {"hour": 8, "minute": 30}), per_community=True,
        description="Tell grid leaders of yesterday's patrols with no log", misfire_grace_time=timedelta(hours=8)),
    # Every 15 minutes: a one-hour sign-off is supervised within a quarter of an hour of being missed.
    Job("governance.supervise", supervise, ("interval", {"minutes": 15}), per_community=True,
        description="Supervise (督办) departments late on orders and whistles", misfire_grace_time=timedelta(minutes=30)),
]
