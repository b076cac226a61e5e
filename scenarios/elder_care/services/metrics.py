"""elder_care's figures: the dashboard's (elders by care level, living alone, visits due and overdue) and the 月探访率
(monthly visit rate) with its report by grid."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from meihao import CommunityInfo, InvalidInput, Principal, community_today, scope_where
from meihao.tables import Grid

from ..schemas import CARE_LEVELS, ElderCareSettings, MonthlyGridOut, MonthlyReportOut
from ..tables import Elder, Visit
from .common import count_if, settings_of, special_difficulty_where


async def metrics(mh: Any, community: CommunityInfo, principal: Principal) -> dict[str, Any]:
    """The figures of the elders ``principal`` reaches in ``community`` (a grid worker: their grid's), counted in SQL."""
    today = community_today(mh, community)
    settings = await settings_of(mh, community)
    figures: dict[str, Any] = {f"elders_{level}": Elder.care_level == level for level in CARE_LEVELS}
    figures["living_alone"] = Elder.living_alone.eq(True)
    figures["visits_due_today"] = Elder.next_due_on == today
    figures["overdue"] = Elder.next_due_on < today
    figures["special_difficulty"] = special_difficulty_where(settings)
    start, end = month_bounds(today.year, today.month)
    figures["visited_this_month"] = special_difficulty_where(settings) & Elder.id.is_in(_visits_between(community, start, end))
    row = await Elder.select(
        Count(Elder.id, alias="elders"),
        *(count_if(condition, name) for name, condition in figures.items()),
    ).where(*scope_where(principal, community, Elder.resident), Elder.active.eq(True)).first()
    result = {"elders": row["elders"], **{name: int(row[name] or 0) for name in figures}}
    result["monthly_visit_rate"] = rate(result["visited_this_month"], result["special_difficulty"])
    return result


async def month_rate(mh: Any, principal: Principal, community: CommunityInfo) -> tuple[float | None, bool]:
    """This month's 月探访率 in the caller's scope and whether it meets the target: :func:`monthly_report`'s ``rate`` and
    ``met_target`` for the current month, counted in one query (the dashboard card's; the report adds the grids and methods)."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    start, end = month_bounds(today.year, today.month)
    row = await Elder.select(
        Count(Elder.id, alias="special"), count_if(Elder.id.is_in(_visits_between(community, start, end)), "visited"),
    ).where(*_special(principal, community, settings)).first()
    overall = rate(int(row["visited"] or 0), row["special"])
    return overall, overall is not None and overall >= settings.monthly_visit_target_percent


def rate(visited: int, of: int) -> float | None:
    """Percent with one decimal; None with nobody to count."""
    return round(100 * visited / of, 1) if of else None


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first day of the month and of the next."""
    return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)


def _special(principal: Principal, community: CommunityInfo, settings: ElderCareSettings) -> list[Any]:
    return [*scope_where(principal, community, Elder.resident), Elder.active.eq(True), special_difficulty_where(settings)]


def _visits_between(community: CommunityInfo, start: date, end: date) -> Any:
    tz = community.tz
    return Visit.select(Visit.elder).where(
        Visit.visited_at >= datetime.combine(start, datetime.min.time(), tzinfo=tz),
        Visit.visited_at < datetime.combine(end, datetime.min.time(), tzinfo=tz),
    )


async def monthly_report(mh: Any, principal: Principal, community: CommunityInfo, month: str | None = None) -> MonthlyReportOut:
    """The 月探访率 of ``month`` (``YYYY-MM``, default this month) in the caller's scope, overall and per grid.

    Elders in special difficulty are those on the register now (active); visited means any visit or contact
    (home, phone, video: the national guidance counts 电话视频 too) dated in the month, in the community's time."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    if month is None:
        year, number = today.year, today.month
    else:
        try:
            year, number = (int(part) for part in month.split("-"))
            date(year, number, 1)
        except ValueError as err:
            raise InvalidInput("month: YYYY-MM, e.g. 2026-03", field="month") from err
        if not 2000 <= year <= 2199:
            raise InvalidInput("month: YYYY-MM, e.g. 2026-03", field="month")
    start, end = month_bounds(year, number)
    grid = Elder.resident.grid
    totals = {r["grid"]: r["n"] for r in await Elder.select(grid.as_alias("grid"), Count(Elder.id).as_alias("n")).where(
        *_special(principal, community, settings)).group_by(grid)}
    visited = {r["grid"]: r["n"] for r in await Elder.select(grid.as_alias("grid"), Count(Elder.id).as_alias("n")).where(
        *_special(principal, community, settings), Elder.id.is_in(_visits_between(community, start, end))).group_by(grid)}
    names = {r["id"]: r["name"] for r in await Grid.select(Grid.id, Grid.name).where(Grid.community == community.id)}
    order = {r["id"]: i for i, r in enumerate(await Grid.select(Grid.id).where(Grid.community == community.id).order_by(Grid.code))}
    by_grid = [
        MonthlyGridOut(grid_id=g, grid=names.get(g, ""), special_difficulty=n, visited=visited.get(g, 0), rate=rate(visited.get(g, 0), n))
        for g, n in sorted(totals.items(), key=lambda item: order.get(item[0], 0))
    ]
    methods = {r["method"]: r["n"] for r in await Visit.select(Visit.method, Count(Visit.id).as_alias("n")).where(
        *scope_where(principal, community, Visit.elder.resident),
        Visit.visited_at >= datetime.combine(start, datetime.min.time(), tzinfo=community.tz),
        Visit.visited_at < datetime.combine(end, datetime.min.time(), tzinfo=community.tz),
    ).group_by(Visit.method)}
    total, seen = sum(totals.values()), sum(visited.values())
    overall = rate(seen, total)
    return MonthlyReportOut(
        month=f"{year:04d}-{number:02d}", special_difficulty=total, visited=seen, rate=overall,
        target_percent=settings.monthly_visit_target_percent,
        met_target=overall is not None and overall >= settings.monthly_visit_target_percent,
        by_grid=by_grid, visits_by_method={m: methods.get(m, 0) for m in ("home", "phone", "video")},
    )
