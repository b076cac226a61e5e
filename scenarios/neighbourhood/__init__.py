"""neighbourhood (邻里): the community's self-governance — 家门口议事厅, 美好生活设计委员会, 闻韶夜话, 邻里节.

"群众事，群众议": motions (议题) with seconders (附议) and the party organisation's review, meetings
with their agenda sent ahead and reminders, attendance, votes against each body's quorum and
majority, results on notice and then resolutions; evening talks whose matters become motions in one
step; the festival's events with sign-ups and volunteer shifts recorded through the kernel's
volunteering. Rules: domain-rules.md §5. See docs/scenes/neighbourhood.md.
"""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, Meihao, Metric, Permission, Scenario, hookimpl

from .jobs import JOBS
from .routes import HANDLERS
from .schemas import NeighbourhoodSettings
from .services import figures

_TEAM = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="neighbourhood",
        title_zh="邻里 · 群众自治",
        title_en="Neighbourhood self-governance",
        scene="neighbourhood",
        version="1.0",
        settings=NeighbourhoodSettings,
        description="家门口议事厅、美好生活设计委员会、闻韶夜话、邻里节：议题附议、党组织审核、会议表决、公示与决议",
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.scenarios.neighbourhood.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    return list(HANDLERS)


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("neighbourhood.read", "Read bodies, members, motions in scope, meetings and the festival", _TEAM),
        Permission("neighbourhood.motion.write", "Take residents' motions and seconds, and note what is raised at evening talks", _TEAM),
        # The community's party organisation reviews motions (党组织审核).
        Permission("neighbourhood.motion.review", "Review seconded motions for the party organisation", ("community_admin",)),
        Permission("neighbourhood.meeting.manage", "Keep bodies and members; schedule meetings, sign members in, record votes, count, minutes",
                   ("community_admin",)),
        Permission("neighbourhood.festival.manage", "Plan the neighbourhood festival's events", ("community_admin",)),
        Permission("neighbourhood.festival.signup", "Sign residents up for festival events and record volunteers' shifts", _TEAM),
    ]


@hookimpl
def meihao_console_pages() -> Any:
    from dataclasses import replace

    from meihao import NavLink

    from .pages import PAGES
    from .resident_pages import HANDLERS as RESIDENT_HANDLERS

    return replace(PAGES, resident_handlers=RESIDENT_HANDLERS, resident_nav=[NavLink("提议和附议", "Propose and second", "motions")])


@hookimpl
def meihao_jobs() -> list[Any]:
    return list(JOBS)


@hookimpl
async def meihao_demo_data(community: CommunityInfo, settings: NeighbourhoodSettings, seed: int, meihao: Meihao) -> None:
    from .demo import fill

    await fill(meihao, community, settings, seed)


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    from .services import rights

    return await rights.resident_data(resident_id)


@hookimpl
async def meihao_erase_resident(resident_id: int) -> dict[str, int] | None:
    from .services import rights

    return await rights.erase_resident(resident_id)


@hookimpl
async def meihao_metrics(community: CommunityInfo, meihao: Meihao) -> list[Metric]:
    f = await figures.figures(meihao, community)
    result = [
        Metric("motions_raised", "议题总数", "Motions raised", f["raised"]),
        Metric("motions_passed", "通过议题", "Motions passed", f["passed"]),
        Metric("motions_resolved", "形成决议", "Motions resolved", f["resolved"]),
        Metric("motions_carried_out", "决议已落实", "Motions carried out", f["carried_out"]),
        Metric("meetings_this_month", "本月议事会议", "Meetings held this month", f["meetings"]),
        Metric("festival_participants", "邻里节报名", "Festival participants", f["festival"]),
    ]
    if f["attendance_rate"] is not None:
        result.append(Metric("attendance_rate", "本月到会率", "Attendance rate this month", f["attendance_rate"]))
    return result
