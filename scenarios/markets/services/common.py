"""What the other service modules share: the scene's settings, transactions, and the lookups of residents, markets and market days."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, InvalidInput, NotFound, Principal, scenario_settings, transaction

from ..schemas import MarketsSettings
from ..tables import Market, MarketDay

# Every function that reads records with people in them takes the caller (a ``Principal``) and
# scopes its SQL, so that a record outside the caller's scope is "not found" like a missing one.
# Writes are audited inside their own transaction.


SCENE = "markets"
#: Statuses that hold or wait for a stall: a second one for the same applicant and day is refused.
LIVE = ("pending", "approved", "waitlisted")


async def settings_of(mh: Any, community: CommunityInfo) -> MarketsSettings:
    return await scenario_settings(mh, community.id, SCENE)  # type: ignore[return-value]


def _tx(mh: Any, *, day: int | None = None) -> Any:
    """A write transaction; with ``day``, decisions on that market day's stalls take turns (meihao.transaction's lock)."""
    return transaction(mh, lock=("markets.day", day) if day is not None else None)


#: The kernel itself, for work on the whole community (a merchant's contact may live in any grid of it).
EVERYONE = Principal.system("markets")


def _non_negative(value: int | None, field: str, low: int = 0, high: int = 10_000) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInput(f"{field}: must be between {low} and {high}", field=field)


async def _market_row(community: CommunityInfo, market_id: int) -> dict[str, Any]:
    row = await Market.select().where(Market.id == market_id, Market.community == community.id).first()
    if row is None:
        raise NotFound(f"market {market_id} not found")
    return row


async def _day_and_market(community: CommunityInfo, day_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    day = await MarketDay.select().where(MarketDay.id == day_id, MarketDay.community == community.id).first()
    if day is None:
        raise NotFound(f"market day {day_id} not found")
    market = await Market.select().where(Market.id == day["market"]).first()
    return day, market

