"""elder_care (养老): the register of elders, welfare visits and their alerts, nursing-home volunteer visits.

The source's "松龄雅居" elder-service brand (雅居园社区) and the volunteers' visits to the
nursing home (新市镇敬老院); the rules are domain-rules.md §7 (社区养老 探访关爱).
See docs/scenes/elder_care.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from meihao import Audience, CommunityInfo, ConsolePages, Meihao, Metric, Permission, Principal, Scenario, hookimpl, scope_where
from meihao.tables import Resident

from .jobs import JOBS
from .pages import PAGES
from .routes import HANDLERS
from .schemas import CARE_LEVELS, ElderCareSettings
from .services import campaigns, common, metrics, occasions, register
from .tables import Elder

_READERS = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")
_WRITERS = ("community_admin", "grid_leader", "grid_worker")
_NOTES_READERS = ("community_admin", "grid_leader")


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="elder_care",
        title_zh="养老 · 探访关爱",
        title_en="Elder care and welfare visits",
        scene="elder_care",
        version="1.0",
        settings=ElderCareSettings,
        description="老人档案、分级探访计划与记录、超期提醒与上报、生日祝福、重阳敬老、志愿者慰问敬老院",
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.scenarios.elder_care.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    return list(HANDLERS)


@hookimpl
def meihao_console_pages() -> ConsolePages:
    return PAGES


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("elder_care.elder.read", "Read the register of elders, their visits and alerts (contacts masked)", _READERS),
        Permission("elder_care.elder.write", "Register elders, change care level, visitor and plan", _WRITERS),
        # Part-time grid workers visit too (the N of 2+1+N+X).
        Permission("elder_care.visit.record", "Record a welfare visit or contact", _READERS),
        # PIPL art. 28: what a visitor writes about an elder's health, money and carers is sensitive.
        Permission("elder_care.visit.notes.read", "Read visits' checklist findings and follow-up notes (sensitive; each read audited)", _NOTES_READERS),
        # So is the register's word on self-care, disability, 低保/特困 and the like, and its free-text notes.
        Permission("elder_care.elder.sensitive.read",
                   "Read elders' loss of self-care, disability grade, categories and register notes (sensitive; each read audited)", _NOTES_READERS),
        Permission("elder_care.nursing_home.manage", "Plan volunteer visits to a nursing home and their roster", _WRITERS),
    ]


@hookimpl
def meihao_jobs() -> list[Any]:
    return list(JOBS)


def _elders(community_id: int) -> Any:
    return Elder.select(Elder.resident).where(*scope_where(common.EVERYONE, community_id, Elder.resident), Elder.active.eq(True))


def _living_alone(community_id: int) -> Any:
    return _elders(community_id).where(Elder.living_alone.eq(True))


def _over_80(community_id: int, occurrence: str | None = None) -> Any:
    # 80 on the day of the occurrence being reminded of (its key is its start, UTC); a preview counts today.
    day = datetime.fromisoformat(occurrence.replace("Z", "+00:00")).date() if occurrence else date.today()
    born_by = common.years_before(day, 80)
    return _elders(community_id).where(
        Elder.resident.is_in(Resident.select(Resident.id).where(Resident.community == community_id, Resident.birth_date <= born_by))
    )


@hookimpl
def meihao_audiences() -> list[Audience]:
    return [
        Audience("elder_care.elders", "登记在册老人", "Elders on the register", _elders),
        Audience("elder_care.living_alone", "独居老人", "Elders living alone", _living_alone),
        Audience("elder_care.over_80", "80岁以上老人", "Elders aged 80 and over", _over_80),
    ]


@hookimpl
async def meihao_community_enabled(community: CommunityInfo, settings: ElderCareSettings, meihao: Meihao) -> None:
    await occasions.ensure_double_ninth(meihao, community, settings)
    await register.refresh_plans(meihao, community, settings)


@hookimpl
async def meihao_community_disabled(community: CommunityInfo, meihao: Meihao) -> None:
    await occasions.tear_down(meihao, community)


@hookimpl
async def meihao_demo_data(community: CommunityInfo, settings: ElderCareSettings, seed: int, meihao: Meihao) -> None:
    from .demo import fill

    await fill(meihao, community, settings, seed)


@hookimpl
async def meihao_metrics(community: CommunityInfo, meihao: Meihao, principal: Principal) -> list[Metric]:
    figures = await metrics.metrics(meihao, community, principal)
    result = [Metric("elders", "在册老人", "Elders on the register", figures["elders"])]
    for level, (zh, en) in CARE_LEVELS.items():
        result.append(Metric(f"elders_{level}", f"{zh}对象", f"Elders, {en} care level", figures[f"elders_{level}"]))
    result += [
        Metric("living_alone", "独居老人", "Elders living alone", figures["living_alone"]),
        Metric("visits_due_today", "今日应探访", "Visits due today", figures["visits_due_today"]),
        Metric("overdue", "探访超期", "Elders overdue for a visit", figures["overdue"]),
        Metric("special_difficulty", "特殊困难老人", "Elders in special difficulty", figures["special_difficulty"]),
        Metric("visited_this_month", "本月已探访", "Of them, visited this month", figures["visited_this_month"]),
    ]
    if figures["monthly_visit_rate"] is not None:  # nobody to count: no rate, rather than 0 %
        result.append(Metric("monthly_visit_rate", "月探访率（%）", "Monthly visit rate (%)", figures["monthly_visit_rate"]))
    running = await campaigns.running_figures(meihao, principal, community)
    if running is not None:  # only while a 加密探访 runs
        elders, visited = running
        result += [Metric("campaign_elders", "加密探访对象", "Extra-visit campaign: elders", elders),
                   Metric("campaign_visited", "加密探访已访", "Extra-visit campaign: visited", visited)]
        if elders:
            result.append(Metric("campaign_rate", "加密探访完成率（%）", "Extra-visit campaign: visited (%)", round(visited * 100 / elders, 1)))
    return result


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    from .services import rights

    return await rights.resident_data(resident_id)


@hookimpl
async def meihao_erase_resident(resident_id: int) -> dict[str, int] | None:
    from .services import rights

    return await rights.erase_resident(resident_id)
