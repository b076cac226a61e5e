"""service (服务): the front desk — residents' requests (诉求) from 受理 to 办结, 12345 transfers, the 首席接访员 duty roster.

The source's "民有所呼，我有所应": whoever receives a request owns it (首接负责制), deadlines
by type in working days on the community's calendar, call-backs and the 三率 (kernel work
items and call-backs). Rules: domain-rules.md §1. See docs/scenes/service.md.
"""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, Meihao, Metric, Permission, Principal, Scenario, hookimpl

from .jobs import JOBS
from .routes import HANDLERS
from .schemas import ServiceSettings
from .services import assistance, desk

_TEAM = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")
_LEADERS = ("community_admin", "grid_leader")


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="service",
        title_zh="服务 · 接诉即办",
        title_en="Service desk and residents' requests",
        scene="service",
        version="1.0",
        settings=ServiceSettings,
        description="首席接访员值班、居民诉求受理分办、限时办结、12345转办、回访与三率",
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.scenarios.service.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    return list(HANDLERS)


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("service.request.read", "Read residents' requests in scope, their deadlines and call-backs", _TEAM),
        # Part-time grid workers receive requests too (网格员上报).
        Permission("service.request.write", "Receive requests and move them through 分办, 签收, 办理, 答复, 退回, 延期", _TEAM),
        Permission("service.callback.record", "Call requesters back (回访) and close or reopen their requests", _LEADERS),
        Permission("service.hotline.intake", "Take 12345 work orders from the city hotline platform", ("community_admin",)),
        Permission("service.duty.manage", "Keep the duty roster of 首席接访员", ("community_admin",)),
        Permission("service.assistance.read", "Read the monitored households (三强化), their visits and the month's plan", _TEAM),
        Permission("service.assistance.visit", "Record helpers' monthly visits and rectify the problems they found", _TEAM),
        Permission("service.assistance.manage", "Put households under monitoring, name their helpers, take them off monitoring",
                   ("community_admin",)),
        Permission("service.meeting.read", "Read the quarterly joint meetings (三强化), their minutes and decisions", ("community_admin",)),
        Permission("service.meeting.manage", "Record the quarterly joint meetings and their decisions carried out", ("community_admin",)),
        # The discipline office (纪工委) works at the street: its supervisors hold street accounts (every permission).
        Permission("service.inspection.read", "Read the discipline office's problem list (问题清单) of the community", ("community_admin",)),
        Permission("service.inspection.record", "Record the discipline office's problems found, close (销号) or send back rectifications"),
        Permission("service.inspection.rectify", "Rectify the discipline office's problems (整改)", ("community_admin",)),
    ]


@hookimpl
def meihao_console_pages() -> Any:
    from .pages import PAGES

    return PAGES


@hookimpl
def meihao_jobs() -> list[Any]:
    return list(JOBS)


@hookimpl
async def meihao_demo_data(community: CommunityInfo, settings: ServiceSettings, seed: int, meihao: Meihao) -> None:
    from .demo import fill

    await fill(meihao, community, settings, seed)


@hookimpl
async def meihao_metrics(community: CommunityInfo, meihao: Meihao, principal: Principal) -> list[Metric]:
    f = await desk.figures(meihao, principal, community)
    result = [
        Metric("open", "在办诉求", "Open requests", f["open"]),
        Metric("due_today", "今日到期", "Requests due today", f["due_today"]),
        Metric("overdue", "已超期", "Overdue requests", f["overdue"]),
    ]
    for key, zh, en in (("response_rate", "本月响应率", "Response rate this month"),
                        ("resolution_rate", "本月解决率", "Resolution rate this month"),
                        ("satisfaction_rate", "本月满意率", "Satisfaction rate this month"),
                        ("on_time_rate", "本月按期办结率", "On-time closure rate this month")):
        if f[key] is not None:
            result.append(Metric(key, zh, en, f[key]))
    if f["score"] is not None:
        result.append(Metric("score", "本月综合成绩", "Composite score this month", f["score"]))
    month = await assistance.plan(meihao, principal, community, assistance.month_of(meihao.clock.now(), community))
    if month.coverage is not None:  # only where households are monitored
        result.append(Metric("visit_coverage", "本月走访覆盖率", "Assistance visits this month (share of households)", month.coverage))
        result.append(Metric("open_problems", "走访问题待整改", "Problems found by visits, not yet rectified",
                             await assistance.open_problems(meihao, community)))
    return result
