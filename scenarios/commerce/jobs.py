"""commerce's scheduled jobs: partners' contracts about to end are alerted; residents are reminded of their bookings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import CommunityInfo, Job, Meihao

from .services import bookings, ledger, partners


async def alert_contracts(meihao: Meihao, community: CommunityInfo) -> dict[str, Any]:
    return {"alerted": await partners.alert_expiring(meihao, community)}


async def remind_bookings(meihao: Meihao, community: CommunityInfo) -> dict[str, Any]:
    return {"reminded": await bookings.remind(meihao, community)}


async def quarterly_statement(meihao: Meihao, community: CommunityInfo) -> dict[str, Any]:
    published = await ledger.publish_due_statement(meihao, community)
    return {"published": None if published is None else f"{published.year}-Q{published.quarter}"}


JOBS = [
    Job("commerce.contracts", alert_contracts, ("cron", {"hour": 9, "minute": 0}), per_community=True,
        description="Alert the community's admins of partners' contracts ending within 30 days", misfire_grace_time=timedelta(hours=8)),
    # every quarter of an hour: a slot booked the evening before is still reminded in time
    Job("commerce.booking_reminders", remind_bookings, ("cron", {"minute": "*/15"}), per_community=True,
        description="Remind residents of their bookings the day before", misfire_grace_time=timedelta(minutes=30)),
    # daily at 09:00: the first run after a quarter's end closes its open months and publishes it; later runs find it published
    Job("commerce.quarterly_statement", quarterly_statement, ("cron", {"hour": 9, "minute": 0}), per_community=True,
        description="Publish the community enterprise's quarterly statement (季度公示) after the quarter's end",
        misfire_grace_time=timedelta(hours=8)),
]
