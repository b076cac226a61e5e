"""Charity proceeds: recorded per stall, summed per market day, market and year within the caller's scope."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from meihao import CommunityInfo, Conflict, Principal, audit, community_now, fen_to_yuan, yuan_to_fen

from ..schemas import CommunityProceedsOut, DayTotal, MarketProceedsOut, MarketTotal, ProceedsOut
from ..tables import Proceeds
from .applications import _application_row
from .common import _day_and_market, _market_row, _tx, settings_of


async def record_proceeds(
    mh: Any, community: CommunityInfo, application_id: int, amount: Decimal, note: str, principal: Principal
) -> ProceedsOut:
    """The charity proceeds of one stall on its market day (recording again corrects the amount)."""
    settings = await settings_of(mh, community)
    # the cap catches a typo (setting max_proceeds_per_stall_yuan)
    fen = yuan_to_fen(amount, "amount", most_yuan=settings.max_proceeds_per_stall_yuan)
    row = await _application_row(community, application_id, principal)
    if row["status"] != "approved":
        raise Conflict(f"status: application {application_id} is {row['status']}; proceeds are recorded for approved stalls", field="status")
    day, _ = await _day_and_market(community, row["market_day"])
    now = mh.clock.now()
    if day["status"] == "cancelled" or day["starts_at"] > now:
        raise Conflict("amount: proceeds are recorded once the market day has begun", field="amount")
    async with _tx(mh):
        existing = await Proceeds.select(Proceeds.id, Proceeds.amount_fen).where(Proceeds.application == application_id).first()
        if existing is None:
            await Proceeds.insert(Proceeds(
                community=community.id, market=row["market"], market_day=row["market_day"], application=application_id,
                grid=row["grid"], amount_fen=fen, note=note.strip(), recorded_by=principal.name, recorded_at=now,
            ))
        else:
            await Proceeds.update({Proceeds.amount_fen: fen, Proceeds.note: note.strip(), Proceeds.recorded_by: principal.name,
                                   Proceeds.recorded_at: now}).where(Proceeds.id == existing["id"])
        await audit(principal, "markets.proceeds.record", "markets.application", application_id, community_id=community.id,
                    detail={"amount_fen": fen, "before_fen": existing["amount_fen"] if existing else None})
    saved = await Proceeds.select().where(Proceeds.application == application_id).first()
    return ProceedsOut(
        application_id=application_id, market_day_id=saved["market_day"], amount=fen_to_yuan(saved["amount_fen"]),
        note=saved["note"], recorded_by=saved["recorded_by"], recorded_at=saved["recorded_at"],
    )


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def this_year(mh: Any, community: CommunityInfo) -> int:
    return community_now(mh, community).year


async def market_proceeds(mh: Any, community: CommunityInfo, market_id: int, year: int, principal: Principal) -> MarketProceedsOut:
    """Proceeds of one market per market day of ``year`` (local dates), summed in SQL."""
    await _market_row(community, market_id)
    rows = await _sums(
        "p.market_day AS market_day, d.day AS day, COUNT(*) AS stalls, SUM(p.amount_fen) AS fen",
        "p.market = {}", [market_id], "p.market_day, d.day ORDER BY d.day", community, year, principal,
    )
    return MarketProceedsOut(
        market_id=market_id,
        year=year,
        days=[DayTotal(market_day_id=r["market_day"], day=_as_date(r["day"]), stalls=r["stalls"], amount=fen_to_yuan(r["fen"])) for r in rows],
        total=fen_to_yuan(sum(r["fen"] or 0 for r in rows)),
    )


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def _sums(
    columns: str, condition: str, args: list[Any], group: str, community: CommunityInfo, year: int, principal: Principal
) -> list[dict[str, Any]]:
    """Grouped sums of proceeds in one statement, for market days of ``year`` and the caller's scope."""
    first, last = _year_bounds(year)
    query = (
        f"SELECT {columns} FROM markets_proceeds AS p JOIN markets_market AS m ON m.id = p.market "
        "JOIN markets_day AS d ON d.id = p.market_day WHERE p.community = {} AND d.day >= {} AND d.day <= {} AND " + condition + " "
    )
    values: list[Any] = [community.id, first, last, *args]
    scope = _grid_scope_sql(principal)
    if scope is not None:
        query += "AND " + scope[0] + " "
        values += scope[1]
    return await Proceeds.raw(query + "GROUP BY " + group, *values)


async def community_proceeds(mh: Any, community: CommunityInfo, year: int, principal: Principal) -> CommunityProceedsOut:
    """Proceeds of every market of the community in ``year``, per market and in all."""
    rows = await _sums(
        "p.market AS market, m.name AS name, COUNT(DISTINCT p.market_day) AS days, COUNT(*) AS stalls, SUM(p.amount_fen) AS fen",
        "1 = 1", [], "p.market, m.name ORDER BY p.market", community, year, principal,
    )
    return CommunityProceedsOut(
        year=year,
        markets=[MarketTotal(market_id=r["market"], name=r["name"], days=r["days"], stalls=r["stalls"], amount=fen_to_yuan(r["fen"])) for r in rows],
        total=fen_to_yuan(sum(r["fen"] or 0 for r in rows)),
    )


def _grid_scope_sql(principal: Principal) -> tuple[str, list[Any]] | None:
    """The caller's scope over ``p.community``/``p.grid`` as raw SQL (for the grouped sum)."""
    if principal.street:
        return None
    parts, args = [], []
    if principal.community_ids:
        parts.append("p.community IN (" + ", ".join("{}" for _ in principal.community_ids) + ")")
        args += sorted(principal.community_ids)
    if principal.grid_ids:
        parts.append("p.grid IN (" + ", ".join("{}" for _ in principal.grid_ids) + ")")
        args += sorted(principal.grid_ids)
    if not parts:
        return "1 = 0", []
    return "(" + " OR ".join(parts) + ")", args


async def proceeds_total_fen(community: CommunityInfo, year: int) -> int:
    rows = await _sums("SUM(p.amount_fen) AS fen", "1 = 1", [], "p.community", community, year, Principal.system())
    return (rows[0]["fen"] if rows else 0) or 0
