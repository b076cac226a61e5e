"""commerce's figures: bookings and people served (scoped to the viewer), income and 公益投入 (for ledger readers),
this month and this year in the community's calendar."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from meihao import CommunityInfo, Principal, community_today, scope_where

from ..tables import Booking, LedgerEntry
from .common import LEDGER_READ, month_of


def _start(day: date, community: CommunityInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=community.tz)


async def _served(principal: Principal, community: CommunityInfo, since: datetime, until: datetime) -> dict[str, int]:
    """Of the slots starting in [since, until): the bookings not cancelled, those marked served (the resident came: 人次), the
    residents served (人数), and those marked no_show."""
    rows = await Booking.select(Booking.resident, Booking.status).where(
        Booking.status != "cancelled", Booking.slot.starts_at >= since, Booking.slot.starts_at < until,
        *scope_where(principal, community, Booking.resident))
    came = [r for r in rows if r["status"] == "served"]
    return {"bookings": len(rows), "visits": len(came), "served": len({r["resident"] for r in came}),
            "no_show": sum(r["status"] == "no_show" for r in rows)}


async def figures(mh: Any, principal: Principal, community: CommunityInfo) -> dict[str, Any]:
    today = community_today(mh, community)
    month_start = _start(today.replace(day=1), community)
    following = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    month_end = _start(following, community)
    year_start, year_end = _start(date(today.year, 1, 1), community), _start(date(today.year + 1, 1, 1), community)
    f: dict[str, Any] = {}
    for period, (since, until) in (("month", (month_start, month_end)), ("year", (year_start, year_end))):
        for key, value in (await _served(principal, community, since, until)).items():
            f[f"{key}_{period}"] = value
    if principal.can(LEDGER_READ):
        rows = await LedgerEntry.select(LedgerEntry.month, LedgerEntry.kind, LedgerEntry.amount_fen).where(
            LedgerEntry.community == community.id, LedgerEntry.month.like(f"{today.year:04d}-%"), LedgerEntry.kind != "cost")
        this_month = month_of(today)
        for kind in ("income", "public_good"):
            f[f"{kind}_year_fen"] = sum(r["amount_fen"] for r in rows if r["kind"] == kind)
            f[f"{kind}_month_fen"] = sum(r["amount_fen"] for r in rows if r["kind"] == kind and r["month"] == this_month)
    return f
