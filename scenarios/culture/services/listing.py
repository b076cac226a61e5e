"""The shows list of the console (演出场次): its filter (year, month, venue, state, genre), counts per value, matching shows and
export rows, all in the caller's scope exactly like ``GET …/culture/shows`` (a grid worker counts their own grid's shows only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from meihao import CommunityInfo, InvalidInput, Principal, scope_where

from ..schemas import ShowOut
from ..tables import Show
from .shows import PLACED_BY, SHOW_COLUMNS, _show_out

#: A show's state as a worker reads it: held and waiting for its record, coming, held and recorded, cancelled.
STATES = ("to_record", "scheduled", "delivered", "cancelled")
#: The most shows one list shows (a street's year has a few hundred at most).
LIMIT = 500


@dataclass(frozen=True)
class ShowFilter:
    year: int
    month: int | None = None
    venue_id: int | None = None
    state: str | None = None
    genre: str | None = None

    def __post_init__(self) -> None:
        if self.state is not None and self.state not in STATES:
            raise InvalidInput(f"status: one of {', '.join(STATES)}", field="status")

    def where(self, principal: Principal, community: CommunityInfo, now: datetime, *, skip: str = "") -> list[Any]:
        where = [*scope_where(principal, community, PLACED_BY)]
        if self.month is not None and skip != "month":
            where.extend(_month(self.year, self.month))
        else:
            where.extend([Show.day >= date(self.year, 1, 1), Show.day <= date(self.year, 12, 31)])
        if self.venue_id is not None and skip != "venue":
            where.append(Show.venue == self.venue_id)
        if self.genre is not None and skip != "genre":
            where.append(Show.play.genre == self.genre)
        if self.state is not None and skip != "status":
            where.extend(_state(self.state, now))
        return where


def _month(year: int, month: int) -> list[Any]:
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return [Show.day >= date(year, month, 1), Show.day < end]


def _state(state: str, now: datetime) -> list[Any]:
    return {
        "to_record": [Show.status == "scheduled", Show.starts_at <= now],
        "scheduled": [Show.status == "scheduled", Show.starts_at > now],
        "delivered": [Show.status == "delivered"],
        "cancelled": [Show.status == "cancelled"],
    }[state]


async def facet_counts(principal: Principal, community: CommunityInfo, filters: ShowFilter, now: datetime) -> dict[str, dict[Any, Any]]:
    """Per facet, each value's count under the rest of the filter, counted in SQL; venues and genres with their names."""
    counts: dict[str, dict[Any, Any]] = {}
    rest = filters.where(principal, community, now, skip="month")
    counts["month"] = {m: await Show.count().where(*rest, *_month(filters.year, m)) for m in range(1, 13)}
    rest = filters.where(principal, community, now, skip="status")
    counts["status"] = {s: await Show.count().where(*rest, *_state(s, now)) for s in STATES}
    rows = await Show.select(Show.venue.as_alias("value"), Show.venue.name.as_alias("name"), Count(Show.id).as_alias("n")).where(
        *filters.where(principal, community, now, skip="venue")).group_by(Show.venue, Show.venue.name)
    counts["venue"] = {r["value"]: (r["name"], r["n"]) for r in sorted(rows, key=lambda r: (r["name"], r["value"]))}
    rows = await Show.select(Show.play.genre.as_alias("value"), Count(Show.id).as_alias("n")).where(
        *filters.where(principal, community, now, skip="genre")).group_by(Show.play.genre)
    counts["genre"] = {r["value"]: r["n"] for r in sorted(rows, key=lambda r: r["value"])}
    return counts


async def matching(principal: Principal, community: CommunityInfo, filters: ShowFilter, now: datetime) -> list[ShowOut]:
    rows = await Show.select(*SHOW_COLUMNS).where(*filters.where(principal, community, now)).order_by(Show.starts_at).order_by(
        Show.id).limit(LIMIT)
    return [_show_out(r) for r in rows]


HEADER = ["id", "day", "starts_at", "venue", "troupe", "genre", "play", "state", "attendance", "satisfaction", "subsidy", "confirmed_by"]


async def export_rows(principal: Principal, community: CommunityInfo, filters: ShowFilter, now: datetime) -> AsyncIterator[list[Any]]:
    """The header, then every show the filter matches (no personal data: a show's record names no resident)."""
    yield HEADER
    for s in await matching(principal, community, filters, now):
        state = "to_record" if s.status == "scheduled" and s.starts_at <= now else s.status
        yield [
            s.id, s.day.isoformat(), s.starts_at.astimezone(community.tz).strftime("%Y-%m-%d %H:%M"), s.venue, s.troupe, s.genre, s.play, state,
            "" if s.attendance is None else s.attendance, s.satisfaction, s.subsidy, s.confirmed_by,
        ]
