"""governance's figures for a month: events closed, on time and inside the grid (小事不出网格), orders signed on time,
whistles, the 三率 from call-backs, and the departments' ranking. The definitions and their sources are in
docs/scenes/governance.md.

Everything is counted in SQL within the caller's scope (``event_scope``, ``order_scope``, the calls'
scope; the kernel's ``item_scope`` for the 三率): grouped counts per grid or department, added up here.
The 三率 (响应率, 解决率, 满意率, 综合成绩) are the kernel's (``work_item_rates``) over the orders'
call-backs: a closed event is called back on the order that resolved it, so the rates group by the
order's grid and department.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from meihao import CommunityInfo, Meihao, Principal, community_today, work_item_rates
from meihao.tables import Department, Grid

from ..schemas import DepartmentFigures, GovernanceFigures, GridFigures
from ..tables import Event, Order, Whistle, WhistleCall
from .common import ORDERS, SCENARIO, event_scope, order_scope, whistle_scope

RATE_KEYS = ("response_rate", "resolution_rate", "satisfaction_rate", "score")


def month_bounds(community: CommunityInfo, month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return (datetime.combine(first, time(0), tzinfo=community.tz), datetime.combine(following, time(0), tzinfo=community.tz))


def this_month(mh: Meihao, community: CommunityInfo) -> str:
    return community_today(mh, community).strftime("%Y-%m")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def _event_counts(principal: Principal, community: CommunityInfo, start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    """Per grid: the month's events (dismissed ones left out), closed, closed on time, closed inside the grid."""
    rows = await Event.select(Event.grid, Event.state, Event.handled_in_grid, Event.closed_on_time, Count(Event.id).as_alias("n")).where(
        *event_scope(principal, community), Event.reported_at >= start, Event.reported_at < end, Event.state != "dismissed",
    ).group_by(Event.grid, Event.state, Event.handled_in_grid, Event.closed_on_time)
    grids: dict[int, dict[str, int]] = {}
    for r in rows:
        g = grids.setdefault(r["grid"], {"events": 0, "closed": 0, "closed_on_time": 0, "closed_in_grid": 0})
        g["events"] += r["n"]
        if r["state"] == "closed":
            g["closed"] += r["n"]
            g["closed_on_time"] += r["n"] if r["closed_on_time"] else 0
            g["closed_in_grid"] += r["n"] if r["handled_in_grid"] else 0
    return grids


async def _order_counts(principal: Principal, community: CommunityInfo, start: datetime, end: datetime, key: Any
                        ) -> dict[Any, dict[str, int]]:
    """Per ``key`` (``Order.grid`` or ``Order.department``): the month's orders, signed (on time), fed back (on time)."""
    base = [*order_scope(principal, community), Order.dispatched_at >= start, Order.dispatched_at < end]
    found: dict[Any, dict[str, int]] = {}
    for name, extra in (("orders", []), ("signed", [Order.signed_at.is_not_null()]), ("signed_on_time", [Order.signed_at <= Order.sign_due_at]),
                        ("fed_back", [Order.fed_back_at.is_not_null()]), ("fed_back_on_time", [Order.fed_back_at <= Order.resolve_due_at])):
        for r in await Order.select(key.as_alias("key"), Count(Order.id).as_alias("n")).where(*base, *extra).group_by(key):
            found.setdefault(r["key"], {"orders": 0, "signed": 0, "signed_on_time": 0, "fed_back": 0, "fed_back_on_time": 0})[name] = r["n"]
    return found


async def _rates(mh: Meihao, principal: Principal, community: CommunityInfo, start: datetime, end: datetime, by: str | None
                 ) -> dict[Any, dict[str, Any]]:
    rows = await work_item_rates(mh, principal, since=start, until=end, scenario=SCENARIO, workflow=ORDERS.name, communities=[community], by=by)
    return {r["key"]: r for r in rows}


def _rate_fields(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return {"callbacks": row.get("valid", 0), **{k: row.get(k) for k in RATE_KEYS}}


async def figures(mh: Meihao, principal: Principal, community: CommunityInfo, month: str) -> GovernanceFigures:
    """The month's cohort: events reported in it (dismissed ones left out), orders dispatched in it, whistles blown in it."""
    start, end = month_bounds(community, month)
    grids = await _event_counts(principal, community, start, end)
    events, closed, on_time, in_grid = (sum(g[k] for g in grids.values()) for k in ("events", "closed", "closed_on_time", "closed_in_grid"))
    orders = await _order_counts(principal, community, start, end, Order.community)
    order_total = orders.get(community.id, {"orders": 0, "signed_on_time": 0})
    by_level = {"advance": 0, "tackle": 0}
    for r in await Whistle.select(Whistle.level, Count(Whistle.id).as_alias("n")).where(
            *whistle_scope(principal, community), Whistle.blown_at >= start, Whistle.blown_at < end).group_by(Whistle.level):
        by_level[r["level"]] = r["n"]
    rates = await _rates(mh, principal, community, start, end, None)
    return GovernanceFigures(
        month=month, events=events, closed=closed, closed_on_time=on_time, closed_in_grid=in_grid, orders=order_total["orders"],
        signed_on_time=order_total["signed_on_time"], closed_rate=_share(closed, events), closed_on_time_rate=_share(on_time, events),
        in_grid_share=_share(in_grid, closed), signed_on_time_rate=_share(order_total["signed_on_time"], order_total["orders"]),
        whistles=sum(by_level.values()), whistles_by_level=by_level, **_rate_fields(rates.get("")),
    )


async def grid_figures(mh: Meihao, principal: Principal, community: CommunityInfo, month: str) -> list[GridFigures]:
    """The month's figures per grid of the caller's scope that had an event or an order, in the grids' order."""
    start, end = month_bounds(community, month)
    events = await _event_counts(principal, community, start, end)
    orders = await _order_counts(principal, community, start, end, Order.grid)
    rates = await _rates(mh, principal, community, start, end, "grid")
    ids = sorted(set(events) | set(orders))
    grids = {g["id"]: g for g in await Grid.select(Grid.id, Grid.code, Grid.name).where(Grid.id.is_in(ids or [0]))}
    out = []
    for gid in sorted(ids, key=lambda g: (grids[g]["code"], g)):
        e = events.get(gid, {"events": 0, "closed": 0, "closed_on_time": 0, "closed_in_grid": 0})
        o = orders.get(gid, {"orders": 0, "signed_on_time": 0})
        out.append(GridFigures(
            grid_id=gid, name=grids[gid]["name"], **e, orders=o["orders"], signed_on_time=o["signed_on_time"],
            closed_rate=_share(e["closed"], e["events"]), in_grid_share=_share(e["closed_in_grid"], e["closed"]), **_rate_fields(rates.get(gid))))
    return out


async def department_ranking(mh: Meihao, principal: Principal, community: CommunityInfo, month: str) -> list[DepartmentFigures]:
    """Each department sent an order or summoned by a whistle in the month: its on-time counts, its average rating and its 三率.

    Ranked by the share of its clocks met on time (orders signed and fed back, calls signed and reported),
    then by the community's rating, then by code."""
    from .whistles import _call_scope

    start, end = month_bounds(community, month)
    empty = {"orders": 0, "signed": 0, "signed_on_time": 0, "fed_back": 0, "fed_back_on_time": 0}
    rows: dict[int, dict[str, Any]] = {d: {**empty, **o} for d, o in (await _order_counts(principal, community, start, end, Order.department)).items()
                                       if d is not None}
    calls = [*_call_scope(principal, community), WhistleCall.whistle.blown_at >= start, WhistleCall.whistle.blown_at < end]
    for name, extra in (("calls", []), ("calls_signed_on_time", [WhistleCall.signed_at <= WhistleCall.sign_due_at]),
                        ("calls_reported_on_time", [WhistleCall.reported_at <= WhistleCall.report_due_at])):
        for r in await WhistleCall.select(WhistleCall.department, Count(WhistleCall.id).as_alias("n")).where(*calls, *extra).group_by(
                WhistleCall.department):
            rows.setdefault(r["department"], {**empty})[name] = r["n"]
    ratings = {r["department"]: r for r in await WhistleCall.select(
        WhistleCall.department, Count(WhistleCall.speed_rating).as_alias("n"), Sum(WhistleCall.speed_rating).as_alias("speed"),
        Sum(WhistleCall.quality_rating).as_alias("quality")).where(*calls, WhistleCall.speed_rating.is_not_null()).group_by(WhistleCall.department)}
    rates = await _rates(mh, principal, community, start, end, "department")
    names = {d["id"]: (d["code"], d["name"]) for d in await Department.select(Department.id, Department.code, Department.name).where(
        Department.id.is_in(list(rows) or [0]))}

    def counts(r: dict[str, Any]) -> dict[str, int]:
        return {k: r.get(k, 0) for k in (*empty, "calls", "calls_signed_on_time", "calls_reported_on_time")}

    def score(r: dict[str, int]) -> float:
        met = r["signed_on_time"] + r["fed_back_on_time"] + r["calls_signed_on_time"] + r["calls_reported_on_time"]
        return met / (2 * r["orders"] + 2 * r["calls"])

    def rating(department: int) -> float | None:
        r = ratings.get(department)
        return round((int(r["speed"]) + int(r["quality"])) / (2 * r["n"]), 2) if r and r["n"] else None

    table = {d: counts(r) for d, r in rows.items()}
    ordered = sorted(table, key=lambda d: (-score(table[d]), -(rating(d) or 0), names[d][0]))
    return [DepartmentFigures(department=names[d][0], name=names[d][1], rank=n, rating=rating(d), **table[d], **_rate_fields(rates.get(d)))
            for n, d in enumerate(ordered, start=1)]
