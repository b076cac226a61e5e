"""culture (文化): opera to the villages, the source's 戏曲进乡村 — troupes, venues, tour plans, shows and their records.

Each show is a kernel activity whose audience is the residents of the venue's grids (with
"elders first", an earlier one for its elders); the morning after, the organiser is asked
for the attendance count. The rules are domain-rules.md §8. See docs/scenes/culture.md.
"""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, ConsolePages, Meihao, Metric, Permission, Principal, Scenario, attachment_routes, hookimpl

from .jobs import JOBS
from .pages import PAGES
from .routes import CultureController
from .schemas import CultureSettings, CultureStreetSettings
from .services.figures import summary, this_year
from .services.reminders import render
from .services.switching import resume, suspend
from .street_routes import STREET_HANDLERS

_GRID_TEAM = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="culture",
        title_zh="戏曲进乡村",
        title_en="Opera to the villages",
        scene="culture",
        version="1.0",
        settings=CultureSettings,
        street_settings=CultureStreetSettings,
        description="戏曲进乡村：剧团与剧目、演出场地与网格、巡演计划与场次、观众提醒、演出记录（观众人数、满意度、村委确认、补贴）",
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.scenarios.culture.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    from .services.photos import SHOW_PHOTOS

    return [CultureController, attachment_routes(SHOW_PHOTOS)]


@hookimpl
def meihao_street_route_handlers() -> list[Any]:
    return list(STREET_HANDLERS)


@hookimpl
def meihao_console_pages() -> ConsolePages:
    return PAGES


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("culture.read", "See troupes, venues, tour plans and the shows at venues in one's scope", (*_GRID_TEAM, "dispatched")),
        Permission("culture.manage", "Register troupes and venues, plan tours, schedule, move and cancel shows", ("community_admin",)),
        Permission("culture.show.record", "Record a show's attendance, feedback and confirmation", ("community_admin", "grid_leader", "grid_worker")),
    ]


@hookimpl
def meihao_jobs() -> list[Any]:
    return list(JOBS)


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
async def meihao_demo_data(community: CommunityInfo, settings: CultureSettings, seed: int, meihao: Meihao) -> None:
    from .demo import fill

    await fill(meihao, community, settings, seed)


@hookimpl
async def meihao_metrics(community: CommunityInfo, meihao: Meihao, principal: Principal) -> list[Metric]:
    figures = await summary(meihao, community, this_year(meihao, community), principal)
    return [
        Metric("shows_delivered", "今年已演出场次", "Shows delivered this year", figures.shows_delivered),
        Metric("audience_reached", "今年观众人次", "Audience reached this year", figures.audience_reached),
        Metric("venues_covered", "今年已演出的场地", "Venues with a show this year", figures.venues_covered),
    ]


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    from .services import rights

    return await rights.resident_data(resident_id)


@hookimpl
async def meihao_erase_resident(resident_id: int) -> dict[str, int] | None:
    from .services import rights

    return await rights.erase_resident(resident_id)
