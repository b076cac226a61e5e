"""education's scheduled job: the quarterly reminder to the staff behind on their yearly 学时 and 学分."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import CommunityInfo, Job, Meihao

from .services import records


async def remind_behind(meihao: Meihao, community: CommunityInfo) -> dict[str, Any]:
    return {"reminded": await records.remind_behind(meihao, community)}


JOBS = [
    # Daily at 09:00 local; it acts on the first working day of each reminder month only (settings.reminder_months),
    # and each person is told once a month (the notice's key).
    Job("education.remind_behind", remind_behind, ("cron", {"hour": 9, "minute": 0}), per_community=True,
        description="Remind the staff behind on their yearly training hours and credits (quarterly)", misfire_grace_time=timedelta(hours=8)),
]
