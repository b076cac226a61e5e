"""Photos of market days (市集现场照片): the kernel's attachments on ``markets_day`` rows, for the record and the 公示.

A market day is the community's (no grid): every staff member of the community who reads markets sees its photos; who records
at the stalls (``markets.proceeds.record``) attaches them. A day of another community is the same 404 as a missing one.
"""

from __future__ import annotations

from typing import Any

from meihao import AttachmentOwner, CommunityInfo, Principal

from .common import _day_and_market


async def _day_in_community(principal: Principal, community: CommunityInfo, row_id: int) -> Any:
    day, _ = await _day_and_market(community, row_id)
    return day


#: ``/api/communities/{slug}/markets/days/{id}/attachments``: read with the markets, written by who records at the stalls.
DAY_PHOTOS = AttachmentOwner("markets", "days", _day_in_community, read="markets.market.read", write="markets.proceeds.record",
                             noun="market day")
