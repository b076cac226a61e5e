"""service's scheduled job: the morning digest to the 首席接访员 on duty."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import CommunityInfo, Job, Meihao

from .services import desk


async def morning_digest(meihao: Meihao, community: CommunityInfo) -> dict[str, Any] | None:
    """What is open, due today and overdue, to today's 首席接访员 (working days only)."""
    return await desk.morning_digest(meihao, community)


JOBS = [
    # 08:30 local: the opening of the default working day.
    Job("service.morning_digest", morning_digest, ("cron", {"hour": 8, "minute": 30}), per_community=True,
        description="Tell the chief receptionist on duty what requests are open, due today and overdue",
        misfire_grace_time=timedelta(hours=8)),
]
