"""commerce's scheduled jobs: partners' contracts about to end are alerted; residents are reminded of their bookings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import CommunityInfo, Job, Meihao

from .services import bookings, partners


async def alert_contracts(meihao: Meihao, community: CommunityInfo) -> dict[str, Any]:
    return {"alerted": await partners.alert_expiring(meihao, community)}


async def remind_bookings(meihao: Meihao, community: CommunityInfo) -> dict[str, Any]:
    return {"reminded": await bookings.remind(meihao, community)}


JOBS = [
    Job("commerce.contracts", alert_contracts, ("cron", {"hour": 9, "minute": 0}), per_community=True,
        description="Alert the community's admins of partners' contracts ending within 30 days", misfire_grace_time=timedelta(hours=8)),
    # every quarter of an hour: a slot booked the evening before is still reminded in time
    Job("commerce.booking_reminders", remind_bookings, ("cron", {"minute": "*/15"}), per_community=True,
        description="Remind residents of their bookings the day before", misfire_grace_time=timedelta(minutes=30)),
]
