"""What the commerce services share: names, permissions, settings, the people alerted, masking, months."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from meihao import CommunityInfo, Principal, scenario_settings
from meihao.tables import StaffAssignment

from ..schemas import CommerceSettings

SCENARIO = "commerce"
#: The kernel, for jobs and figures over the whole community.
EVERYONE = Principal.system(SCENARIO)

OFFER_READ = "commerce.offer.read"
OFFER_MANAGE = "commerce.offer.manage"
BOOKING_WRITE = "commerce.booking.write"
LEDGER_READ = "commerce.ledger.read"
LEDGER_WRITE = "commerce.ledger.write"
COMPLAINT_WRITE = "commerce.complaint.write"

#: The grid-event intake of governance (docs/plugins.md "Hand-overs between scenes"); its data key is ``category``.
GOVERNANCE_EVENT = "governance.event"


async def settings_of(mh: Any, community: CommunityInfo) -> CommerceSettings:
    return await scenario_settings(mh, community.id, SCENARIO)  # type: ignore[return-value]


async def community_admins(community: CommunityInfo) -> list[int]:
    """The community's admins; without them, the street admins (someone must read an alert)."""
    for role, clause in (("community_admin", StaffAssignment.community == community.id), ("street_admin", None)):
        query = StaffAssignment.select(StaffAssignment.staff).where(StaffAssignment.role == role, StaffAssignment.staff.active.eq(True))
        if clause is not None:
            query = query.where(clause)
        staff = sorted({r["staff"] for r in await query})
        if staff:
            return staff
    return []


def mask_name(name: str) -> str:
    """王秀英 → 王*英, 张伟 → 张*: what a list of bookings shows of a resident."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    """The first and the last day of ``YYYY-MM``."""
    year, number = int(month[:4]), int(month[5:7])
    first = date(year, number, 1)
    following = date(year + (number == 12), number % 12 + 1, 1)
    return first, following - timedelta(days=1)


def quarter_months(year: int, quarter: int) -> list[str]:
    return [f"{year:04d}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)]
