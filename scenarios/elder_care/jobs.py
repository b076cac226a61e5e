"""elder_care's scheduled jobs: the daily overdue-visit check and birthday greetings, per community."""

from __future__ import annotations

import logging
from datetime import timedelta

from meihao import CommunityInfo, Job, Meihao

from .services import alerts, campaigns, occasions

log = logging.getLogger("meihao.scenarios.elder_care")


async def check_visits(meihao: Meihao, community: CommunityInfo) -> alerts.CheckResult:
    """Remind visitors of elders not visited or contacted within their plan's interval; escalate repeated misses."""
    result = await alerts.check_visits(meihao, community)
    log.info("%s: %d overdue, %d reminded, %d escalated", community.slug, result.overdue, result.reminded, result.escalated)
    return result


async def birthday_greetings(meihao: Meihao, community: CommunityInfo) -> int:
    """Greet registered elders on their birthday, and tell their visitor."""
    return await occasions.birthday_greetings(meihao, community)


async def check_campaigns(meihao: Meihao, community: CommunityInfo) -> dict[str, int]:
    """加密探访: tell the visitors when a campaign starts, remind them of elders not visited before it ends."""
    told = await campaigns.check_campaigns(meihao, community)
    log.info("%s: campaigns: %d told of a start, %d reminded", community.slug, told["started"], told["reminded"])
    return told


JOBS = [
    # 08:30 local: after the quiet hours (default till 07:30), at the start of the working day.
    Job("elder_care.visit_check", check_visits, ("cron", {"hour": 8, "minute": 30}), per_community=True,
        description="Remind visitors of overdue welfare visits; escalate to the grid leader", misfire_grace_time=timedelta(hours=8)),
    Job("elder_care.birthday_greetings", birthday_greetings, ("cron", {"hour": 8, "minute": 0}), per_community=True,
        description="Birthday greetings to registered elders", misfire_grace_time=timedelta(hours=10)),
    Job("elder_care.campaign_check", check_campaigns, ("cron", {"hour": 8, "minute": 30}), per_community=True,
        description="加密探访: tell visitors a campaign started; remind them of elders not visited before it ends",
        misfire_grace_time=timedelta(hours=8)),
]
