"""What the other service modules share: the scene's settings and local time, transactions, and the lookups of residents, markets and market days."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from meihao import InvalidInput, NotFound, Principal, scenario_settings, transaction
from meihao.tables import Community, Resident

from ..schemas import MarketsSettings
from ..tables import Market, MarketDay

# Every function that reads records with people in them takes the caller (a ``Principal``) and
# scopes its SQL, so that a record outside the caller's scope is "not found" like a missing one.
# Writes are audited inside their own transaction.


SCENE = "markets"
#: Statuses that hold or wait for a stall: a second one for the same applicant and day is refused.
LIVE = ("pending", "approved", "waitlisted")


async def settings_of(mh: Any, community: dict[str, Any]) -> MarketsSettings:
    return await scenario_settings(mh, community["id"], SCENE)  # type: ignore[return-value]


def local_now(mh: Any, community: dict[str, Any]) -> datetime:
    return mh.clock.now().astimezone(ZoneInfo(community["timezone"]))


def _tx(mh: Any, *, day: int | None = None) -> Any:
    """A write transaction; with ``day``, decisions on that market day's stalls take turns (meihao.transaction's lock)."""
    return transaction(mh, lock=("markets.day", day) if day is not None else None)


async def _resident_in_community(resident_id: int, community: dict[str, Any], field: str, principal: Principal | None = None) -> dict[str, Any]:
    clauses = [Resident.id == resident_id, Resident.community == community["id"]]
    if principal is not None:
        clauses += principal.residents_where()
    row = await Resident.select(Resident.id, Resident.name, Resident.grid).where(*clauses).first()
    if row is None:
        raise NotFound(f"{field}: resident {resident_id} not found", field=field)
    return row


def _non_negative(value: int | None, field: str, low: int = 0, high: int = 10_000) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInput(f"{field}: must be between {low} and {high}", field=field)


async def _market_row(community: dict[str, Any], market_id: int) -> dict[str, Any]:
    row = await Market.select().where(Market.id == market_id, Market.community == community["id"]).first()
    if row is None:
        raise NotFound(f"market {market_id} not found")
    return row


async def _day_and_market(community: dict[str, Any], day_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    day = await MarketDay.select().where(MarketDay.id == day_id, MarketDay.community == community["id"]).first()
    if day is None:
        raise NotFound(f"market day {day_id} not found")
    market = await Market.select().where(Market.id == day["market"]).first()
    return day, market


async def _slug(community_id: int) -> str:
    row = await Community.select(Community.slug).where(Community.id == community_id).first()
    return row["slug"]
