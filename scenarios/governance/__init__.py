"""governance (治理): grid events on their closed loop, orders to departments (派单), whistles (吹哨报到), patrols.

The source's "街乡吹哨、部门报到" and the grid's closed loop (数字城管: 发现 → 立案 → 派遣 → 处置 →
反馈 → 核查 → 结案); the rules are domain-rules.md §1 (吹哨报到) and §2 (网格化管理).
See docs/scenes/governance.md.
"""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, Meihao, Metric, Permission, Principal, Scenario, hookimpl

from .jobs import JOBS
from .pages import PAGES
from .routes import HANDLERS
from .schemas import GovernanceSettings
from .services import metrics, patrols

_TEAM = ("community_admin", "grid_leader", "grid_worker", "grid_part_time", "dispatched")


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="governance",
        title_zh="治理 · 吹哨派单",
        title_en="Governance: whistles and dispatch",
        scene="governance",
        version="1.0",
        settings=GovernanceSettings,
        description="网格事件闭环（发现、立案、派遣、处置、反馈、核查、结案）、部门派单与退单、吹哨报到、网格巡查",
        # 部门工作人员 see the orders and whistles sent to their department, in every community.
        departments=True,
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.scenarios.governance.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    return list(HANDLERS)


@hookimpl
def meihao_console_pages() -> Any:
    return PAGES


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("governance.event.read", "Read grid events and orders in one's scope", (*_TEAM, "department_staff")),
        Permission("governance.event.report", "Report a grid event (上报)", _TEAM),
        # 立案, 不予立案, 派遣, 结案: the community's command (its admins) and the grid leaders.
        Permission("governance.event.dispatch", "Register, dismiss, dispatch and close grid events", ("community_admin", "grid_leader")),
        # 核查: the grid worker who reported the event (checked in the service).
        Permission("governance.event.check", "Check the feedback on an event one reported (核查)", _TEAM),
        # 签收, 退单, 反馈: the department's staff, or the grid team member the order was handed to.
        Permission("governance.order.handle", "Sign, return and feed back orders sent to oneself or one's department",
                   ("grid_leader", "grid_worker", "grid_part_time", "dispatched", "department_staff")),
        # 现场照片: whoever reports, handles or checks an event attaches photos (the event's scope decides which events).
        Permission("governance.event.photo", "Attach photos to grid events one reaches, and remove them", (*_TEAM, "department_staff")),
        Permission("governance.whistle.read", "Read whistles and the departments' answers", (*_TEAM, "department_staff")),
        # 吹哨: the community's leadership (班子成员, 书记/主任).
        Permission("governance.whistle.blow", "Blow a whistle: summon departments (吹哨)", ("community_admin",)),
        Permission("governance.whistle.answer", "Sign, contact and report on a whistle for one's department (报到)", ("department_staff",)),
        Permission("governance.whistle.rate", "Rate a department's answer to a whistle", ("community_admin",)),
        Permission("governance.patrol.read", "Read patrol plans and logs of one's grids", ("community_admin", "grid_leader", "grid_worker", "grid_part_time")),
        Permission("governance.patrol.record", "Log one's own patrol", ("grid_leader", "grid_worker", "grid_part_time")),
        Permission("governance.patrol.plan", "Plan who patrols a grid and how often", ("community_admin", "grid_leader")),
        # The figures count the whole community: its admins (and the street).
        Permission("governance.figures.read", "Read the community's governance figures and the departments' ranking", ("community_admin",)),
    ]


@hookimpl
def meihao_intakes() -> list[Any]:
    from .intake import INTAKES

    return INTAKES


@hookimpl
def meihao_jobs() -> list[Any]:
    return list(JOBS)


@hookimpl
async def meihao_community_enabled(community: CommunityInfo, settings: GovernanceSettings, meihao: Meihao) -> None:
    await patrols.ensure_default_plans(meihao, community, settings)


@hookimpl
async def meihao_demo_data(community: CommunityInfo, settings: GovernanceSettings, seed: int, meihao: Meihao) -> None:
    from .demo import fill

    await fill(meihao, community, settings, seed)


@hookimpl
async def meihao_metrics(community: CommunityInfo, meihao: Meihao, principal: Principal) -> list[Metric]:
    if not principal.can("governance.figures.read"):
        return []
    month = await metrics.figures(meihao, principal, community, metrics.this_month(meihao, community))
    result = [Metric("events", "本月网格事件", "Grid events this month", month.events)]
    # a share with nothing to divide by is left out, not shown as 0
    for key, zh, en, share in (("closed_rate", "结案率（%）", "Closed (%)", month.closed_rate),
                               ("closed_on_time_rate", "按期结案率（%）", "Closed on time (%)", month.closed_on_time_rate),
                               ("in_grid_share", "小事不出网格（%）", "Closed inside the grid (%)", month.in_grid_share),
                               ("signed_on_time_rate", "及时签收率（%）", "Signed on time (%)", month.signed_on_time_rate),
                               ("satisfaction_rate", "满意率（%）", "Satisfied (%)", month.satisfaction_rate)):
        if share is not None:
            result.append(Metric(key, zh, en, round(share * 100, 1)))
    result.append(Metric("whistles", "本月吹哨", "Whistles this month", month.whistles))
    return result
