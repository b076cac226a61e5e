"""neighbourhood's scheduled job: passed motions whose notice period ended become resolutions."""

from __future__ import annotations

from datetime import timedelta

from meihao import CommunityInfo, Job, Meihao

from .services import council


async def resolve(meihao: Meihao, community: CommunityInfo) -> dict[str, int]:
    return {"resolved": await council.resolve_due(meihao, community)}


JOBS = [
    Job("neighbourhood.resolve", resolve, ("cron", {"hour": 0, "minute": 10}), per_community=True,
        description="Record passed motions whose notice period (公示) has ended as resolutions",
        misfire_grace_time=timedelta(hours=23)),
]
