"""health's scheduled jobs: missed follow-ups become tracing tasks; family-doctor renewals are reminded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import CommunityInfo, Job, Meihao

from .services import contracts, tracing


async def trace_missed(meihao: Meihao, community: CommunityInfo) -> dict[str, Any]:
    return {"opened": await tracing.open_missed(meihao, community)}


async def remind_renewals(meihao: Meihao, community: CommunityInfo) -> dict[str, Any]:
    return {"reminded": await contracts.remind_renewals(meihao, community)}


JOBS = [
    # 08:30 local: the opening of the default working day.
    Job("health.trace_missed", trace_missed, ("cron", {"hour": 8, "minute": 30}), per_community=True,
        description="Turn missed chronic-disease follow-ups into tracing tasks for the grid workers", misfire_grace_time=timedelta(hours=8)),
    Job("health.renewals", remind_renewals, ("cron", {"hour": 9, "minute": 0}), per_community=True,
        description="Remind residents and doctor teams of family-doctor contracts ending within 30 days",
        misfire_grace_time=timedelta(hours=8)),
]
