"""service's scheduled job: the morning digest to the 首席接访员 on duty."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import CommunityInfo, Job, Meihao

from .services import desk, hotline, supervision


async def morning_digest(meihao: Meihao, community: CommunityInfo) -> dict[str, Any] | None:
    """What is open, due today and overdue, to today's 首席接访员 (working days only)."""
    return await desk.morning_digest(meihao, community)


async def hotline_replies(meihao: Meihao) -> dict[str, int]:
    """Post the 12345 answers and closings due to the platform's webhook (retries included)."""
    return await hotline.deliver(meihao)


async def joint_meeting_reminder(meihao: Meihao, community: CommunityInfo) -> dict[str, Any] | None:
    """Near the quarter's end, remind the community's admins of the joint meeting(s) not yet held (once a quarter)."""
    return await supervision.meeting_reminder(meihao, community)


JOBS = [
    Job("service.hotline_replies", hotline_replies, ("interval", {"minutes": 1}),
        description="Post the answers and closings of 12345 work orders back to the platform"),
    # 08:30 local: the opening of the default working day.
    Job("service.morning_digest", morning_digest, ("cron", {"hour": 8, "minute": 30}), per_community=True,
        description="Tell the chief receptionist on duty what requests are open, due today and overdue",
        misfire_grace_time=timedelta(hours=8)),
    Job("service.joint_meeting_reminder", joint_meeting_reminder, ("cron", {"hour": 9, "minute": 0}), per_community=True,
        description="Remind the community's admins of the quarter's joint meeting on the monitored households when it is due",
        misfire_grace_time=timedelta(hours=8)),
]
