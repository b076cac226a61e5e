"""The applications list of the console (申请列表): its filter, counts per market day and status, matching ids and export rows,
all in the caller's scope exactly like ``GET …/days/{id}/applications`` (a grid worker counts their own grid's only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from meihao import CommunityInfo, Principal, scope_where

from ..tables import Application
from .applications import PLACED_BY

STATUSES = ("pending", "approved", "waitlisted", "refused", "cancelled")


@dataclass(frozen=True)
class ApplicationFilter:
    """Applications of ``days`` (the coming market days the list shows), of one of them (``day_id``) and in ``status`` (None: any)."""

    days: tuple[int, ...]
    day_id: int | None = None
    status: str | None = None

    def where(self, principal: Principal, community: CommunityInfo, *, skip: str = "") -> list[Any]:
        days = [d for d in self.days if self.day_id is None or skip == "day" or d == self.day_id]
        where = [*scope_where(principal, community, PLACED_BY), Application.market_day.is_in(days or [0])]
        if self.status is not None and skip != "status":
            where.append(Application.status == self.status)
        return where


async def counts_by(principal: Principal, community: CommunityInfo, filters: ApplicationFilter, column: str) -> dict[Any, int]:
    """How many applications each value of ``column`` (``market_day`` or ``status``) has under the rest of the filter, in SQL."""
    group = getattr(Application, column)
    rows = await Application.select(group.as_alias("value"), Count(Application.id).as_alias("n")).where(
        *filters.where(principal, community, skip="day" if column == "market_day" else "status")
    ).group_by(group)
    return {r["value"]: r["n"] for r in rows}


async def count(principal: Principal, community: CommunityInfo, filters: ApplicationFilter) -> int:
    return await Application.count().where(*filters.where(principal, community))


async def matching_ids(principal: Principal, community: CommunityInfo, filters: ApplicationFilter) -> list[int]:
    """The applications the filter matches now, oldest application first (the order a bulk decision takes them in)."""
    rows = await Application.select(Application.id).where(*filters.where(principal, community)).order_by(
        Application.applied_at).order_by(Application.id)
    return [r["id"] for r in rows]


HEADER = ["id", "market", "day", "applicant", "applicant_kind", "goods", "status", "applied_at", "decided_at"]


async def export_rows(principal: Principal, community: CommunityInfo, filters: ApplicationFilter) -> AsyncIterator[list[Any]]:
    """The header, then one row per matching application (names as shown; no phone, no ID card), by day then application."""
    yield HEADER
    rows = await Application.select(
        Application.id, Application.market.name.as_alias("market"), Application.market_day.day.as_alias("day"),
        Application.resident.name.as_alias("resident_name"), Application.merchant.name.as_alias("merchant_name"),
        Application.merchant, Application.goods, Application.status, Application.applied_at, Application.decided_at,
    ).where(*filters.where(principal, community)).order_by(Application.market_day.starts_at).order_by(Application.applied_at).order_by(
        Application.id)
    for r in rows:
        yield [
            r["id"], r["market"], r["day"].isoformat(), r["resident_name"] or r["merchant_name"] or "",
            "merchant" if r["merchant"] else "resident", r["goods"], r["status"],
            _stamp(r["applied_at"], community), _stamp(r["decided_at"], community),
        ]


def _stamp(value: Any, community: CommunityInfo) -> str:
    return value.astimezone(community.tz).strftime("%Y-%m-%d %H:%M") if value is not None else ""
