"""education (教育): the grid academy (网格学院) of 银山 and its "1+N" venues — courses, sessions, enrolment, attendance, credits.

One main classroom and N indoor rooms and outdoor practice bases (the source: 9 and 3); required and elective
courses whose sessions are kernel activities; enrolment with capacity and a waiting list; check-in and check-out;
each staff member's yearly 学时 and 学分 against their role's requirement (default 32 / 16, the Fujian rule of
domain-rules.md §6), reminded quarterly when behind. See docs/scenes/education.md.
"""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, ConsolePages, Meihao, Metric, Permission, Principal, Scenario, hookimpl

from .jobs import JOBS
from .routes import HANDLERS
from .schemas import EducationSettings
from .services import records
from .services.common import ATTENDANCE, ENROL, MANAGE, READ, REPORT

_TEAM = ("community_admin", "grid_leader", "grid_worker", "grid_part_time", "dispatched")


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="education",
        title_zh="网格学院",
        title_en="Grid academy",
        scene="education",
        version="1.0",
        settings=EducationSettings,
        description="网格学院“1+N”培训阵地：课程（必修、选修，学时学分）、课次、报名与候补、签到签退、学时学分年度统计与进度提醒",
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.scenarios.education.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    return list(HANDLERS)


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission(READ, "See the venues, courses and sessions, enrol oneself, see one's own record", _TEAM),
        Permission(MANAGE, "Set up the venues and courses, plan and cancel sessions", ("community_admin",)),
        Permission(ENROL, "Enrol colleagues and residents in scope, cancel their enrolments", ("community_admin", "grid_leader")),
        Permission(ATTENDANCE, "Check learners in and out of a session", ("community_admin", "grid_leader")),
        Permission(REPORT, "Read every learner's record and the community's credit report", ("community_admin",)),
    ]


@hookimpl
def meihao_jobs() -> list[Any]:
    return list(JOBS)


@hookimpl
async def meihao_demo_data(community: CommunityInfo, settings: EducationSettings, seed: int, meihao: Meihao) -> None:
    from .demo import fill

    await fill(meihao, community, settings, seed)


@hookimpl
async def meihao_metrics(community: CommunityInfo, meihao: Meihao, principal: Principal) -> list[Metric]:
    f = await records.figures(meihao, principal, community)
    result = [
        Metric("sessions", "今年已开课次", "Sessions held this year", f["sessions"]),
        Metric("learners", "今年参训人数", "Learners this year", f["learners"]),
        Metric("hours", "今年累计学时", "Training hours this year", f["hours"]),
        Metric("staff_on_track", "学时进度达标人数", "Staff on track", f["on_track"]),
    ]
    if f["on_track_share"] is not None:
        result.append(Metric("on_track_share", "学时进度达标率", "Share of staff on track", f["on_track_share"]))
    for venue in f["venues"]:
        result.append(Metric(f"venue_{venue.venue_id}_sessions", f"{venue.name}·课次", f"{venue.name}: sessions", venue.sessions))
    return result


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    from .services import rights

    return await rights.resident_data(resident_id)


@hookimpl
async def meihao_erase_resident(resident_id: int) -> dict[str, int] | None:
    from .services import rights

    return await rights.erase_resident(resident_id)


@hookimpl
def meihao_console_pages() -> ConsolePages:
    from .pages import PAGES

    return PAGES
