"""governance's figures for a month: events closed, on time and inside the grid (小事不出网格), orders signed on time,
whistles, and the departments' ranking. The definitions and their sources are in docs/scenes/governance.md."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from meihao import CommunityInfo, Meihao, community_today
from meihao.tables import Department

from ..schemas import DepartmentFigures, GovernanceFigures
from ..tables import Event, Order, Whistle, WhistleCall


def month_bounds(community: CommunityInfo, month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return (datetime.combine(first, time(0), tzinfo=community.tz), datetime.combine(following, time(0), tzinfo=community.tz))


def this_month(mh: Meihao, community: CommunityInfo) -> str:
    return community_today(mh, community).strftime("%Y-%m")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _on_time(done: datetime | None, due: datetime | None) -> bool:
    return done is not None and due is not None and done <= due


async def figures(mh: Meihao, community: CommunityInfo, month: str) -> GovernanceFigures:
    """The month's cohort: events reported in it (dismissed ones left out), orders dispatched in it, whistles blown in it."""
    start, end = month_bounds(community, month)
    events = await Event.select(Event.state, Event.handled_in_grid, Event.closed_on_time).where(
        Event.community == community.id, Event.reported_at >= start, Event.reported_at < end, Event.state != "dismissed")
    closed = [e for e in events if e["state"] == "closed"]
    orders = await Order.select(Order.signed_at, Order.sign_due_at).where(
        Order.community == community.id, Order.dispatched_at >= start, Order.dispatched_at < end)
    signed_on_time = sum(_on_time(o["signed_at"], o["sign_due_at"]) for o in orders)
    whistles = await Whistle.select(Whistle.level).where(Whistle.community == community.id, Whistle.blown_at >= start, Whistle.blown_at < end)
    by_level = {"advance": 0, "tackle": 0}
    for w in whistles:
        by_level[w["level"]] = by_level.get(w["level"], 0) + 1
    on_time = sum(1 for e in closed if e["closed_on_time"])
    in_grid = sum(1 for e in closed if e["handled_in_grid"])
    return GovernanceFigures(
        month=month, events=len(events), closed=len(closed), closed_on_time=on_time, closed_in_grid=in_grid, orders=len(orders),
        signed_on_time=signed_on_time, closed_rate=_share(len(closed), len(events)), closed_on_time_rate=_share(on_time, len(events)),
        in_grid_share=_share(in_grid, len(closed)), signed_on_time_rate=_share(signed_on_time, len(orders)),
        whistles=len(whistles), whistles_by_level=by_level,
    )


async def department_ranking(mh: Meihao, community: CommunityInfo, month: str) -> list[DepartmentFigures]:
    """Each department sent an order or summoned by a whistle in the month: its on-time counts and its average rating.

    Ranked by the share of its clocks met on time (orders signed and fed back, calls signed and reported),
    then by the community's rating, then by code."""
    start, end = month_bounds(community, month)
    names = {d["id"]: (d["code"], d["name"]) for d in await Department.select(Department.id, Department.code, Department.name)}
    rows: dict[int, dict[str, Any]] = {}

    def row(department: int) -> dict[str, Any]:
        return rows.setdefault(department, {"orders": 0, "signed": 0, "signed_on_time": 0, "fed_back": 0, "fed_back_on_time": 0,
                                            "calls": 0, "calls_signed_on_time": 0, "calls_reported_on_time": 0, "ratings": []})

    for o in await Order.select(Order.department, Order.signed_at, Order.sign_due_at, Order.fed_back_at, Order.resolve_due_at).where(
            Order.community == community.id, Order.department.is_not_null(), Order.dispatched_at >= start, Order.dispatched_at < end):
        r = row(o["department"])
        r["orders"] += 1
        r["signed"] += o["signed_at"] is not None
        r["signed_on_time"] += _on_time(o["signed_at"], o["sign_due_at"])
        r["fed_back"] += o["fed_back_at"] is not None
        r["fed_back_on_time"] += _on_time(o["fed_back_at"], o["resolve_due_at"])
    for c in await WhistleCall.select(WhistleCall.department, WhistleCall.signed_at, WhistleCall.sign_due_at, WhistleCall.reported_at,
                                      WhistleCall.report_due_at, WhistleCall.speed_rating, WhistleCall.quality_rating).where(
            WhistleCall.community == community.id, WhistleCall.whistle.blown_at >= start, WhistleCall.whistle.blown_at < end):
        r = row(c["department"])
        r["calls"] += 1
        r["calls_signed_on_time"] += _on_time(c["signed_at"], c["sign_due_at"])
        r["calls_reported_on_time"] += _on_time(c["reported_at"], c["report_due_at"])
        if c["speed_rating"] is not None:
            r["ratings"].append((c["speed_rating"] + c["quality_rating"]) / 2)

    def score(r: dict[str, Any]) -> float:
        met = r["signed_on_time"] + r["fed_back_on_time"] + r["calls_signed_on_time"] + r["calls_reported_on_time"]
        return met / (2 * r["orders"] + 2 * r["calls"])

    def rating(r: dict[str, Any]) -> float | None:
        return round(sum(r["ratings"]) / len(r["ratings"]), 2) if r["ratings"] else None

    ordered = sorted(rows.items(), key=lambda kv: (-score(kv[1]), -(rating(kv[1]) or 0), names[kv[0]][0]))
    return [DepartmentFigures(department=names[d][0], name=names[d][1], rank=n, rating=rating(r),
                              **{k: v for k, v in r.items() if k != "ratings"}) for n, (d, r) in enumerate(ordered, start=1)]
