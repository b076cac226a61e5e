"""markets (市集): charity markets, the source's 睦邻善市公益市集 — market days, stalls, waiting lists, proceeds.

Each market is a recurring kernel activity (its days are the activity's occurrences, with the
holiday calendar applied); a second recurring activity starts at set-up time and reminds the
day's stallholders, who are read from the applications when the reminder falls due.
See docs/scenes/markets.md.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from meihao import Audience, CommunityInfo, ConsolePages, Meihao, Metric, NavLink, Permission, Principal, Scenario, hookimpl

from .jobs import JOBS
from .pages import PAGES
from .resident_pages import HANDLERS as RESIDENT_HANDLERS
from .routes import READ_PROCEEDS, MarketsController
from .schemas import MarketsSettings
from .services.days import next_day_fill
from .services.proceeds import proceeds_total_fen, this_year
from .services.reminders import render, stallholders
from .services.switching import resume, suspend

_COMMUNITY = ("community_admin",)
_GRID_TEAM = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="markets",
        title_zh="睦邻善市公益市集",
        title_en="Charity neighbourhood markets",
        scene="markets",
        version="1.0",
        settings=MarketsSettings,
        description="公益市集：固定周期的市集日、摊位申请与审批、候补递补、报名截止、善款登记与汇总、居民与摊主提醒",
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.scenarios.markets.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    from meihao import attachment_routes

    from .services.photos import DAY_PHOTOS

    return [MarketsController, attachment_routes(DAY_PHOTOS)]


@hookimpl
def meihao_console_pages() -> ConsolePages:
    # residents apply for a stall themselves, through their inbox link (/r/{token}/markets/stalls)
    return replace(PAGES, resident_handlers=RESIDENT_HANDLERS, resident_nav=[NavLink("申请市集摊位", "Apply for a market stall", "stalls")])


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("markets.market.read", "See markets, market days and partner merchants", (*_GRID_TEAM, "dispatched")),
        Permission("markets.market.manage", "Create, change and cancel markets and market days; register partner merchants", _COMMUNITY),
        Permission("markets.application.read", "See stall applications of residents in one's scope", _GRID_TEAM),
        # Residents apply through their grid team (front desk, grid worker); merchants through the community.
        Permission("markets.application.write", "Apply for a stall on a resident's behalf, or withdraw an application", _GRID_TEAM),
        Permission("markets.application.decide", "Approve or refuse stall applications", _COMMUNITY),
        Permission("markets.proceeds.record", "Record the charity proceeds of a stall", ("community_admin", "grid_leader", "grid_worker")),
        Permission("markets.proceeds.read", "See charity proceeds per market day, market and year", ("community_admin", "grid_leader")),
    ]


@hookimpl
def meihao_jobs() -> list[Any]:
    return list(JOBS)


@hookimpl
def meihao_audiences() -> list[Audience]:
    return [Audience("markets.stallholders", "市集摊主", "Stallholders of the market day", stallholders)]


@hookimpl
async def meihao_community_enabled(community: CommunityInfo, meihao: Meihao) -> None:
    await resume(meihao, community)


@hookimpl
async def meihao_community_disabled(community: CommunityInfo, meihao: Meihao) -> None:
    await suspend(meihao, community)


@hookimpl
def meihao_render_reminder(reminder: dict[str, Any], language: str) -> str | None:
    return render(reminder["activity"], language)


@hookimpl
async def meihao_demo_data(community: CommunityInfo, settings: MarketsSettings, seed: int, meihao: Meihao) -> None:
    from .demo import fill

    await fill(meihao, community, settings, seed)


@hookimpl
async def meihao_metrics(community: CommunityInfo, meihao: Meihao, principal: Principal) -> list[Metric]:
    filled, capacity = await next_day_fill(meihao, community)
    figures = [
        Metric("stalls_filled", "下次市集已定摊位", "Stalls filled on the next market day", filled),
        Metric("stall_capacity", "下次市集摊位数", "Stalls on the next market day", capacity),
    ]
    if principal.can(READ_PROCEEDS):  # the money is for those who may read the proceeds' routes
        proceeds = await proceeds_total_fen(community, this_year(meihao, community))
        figures.append(Metric("proceeds_this_year", "今年善款（元）", "Charity proceeds this year (yuan)", round(proceeds / 100, 2)))
    return figures


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    from .services import rights

    return await rights.resident_data(resident_id)


@hookimpl
async def meihao_erase_resident(resident_id: int) -> dict[str, int] | None:
    from .services import rights

    return await rights.erase_resident(resident_id)
