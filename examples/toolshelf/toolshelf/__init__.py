"""toolshelf (共享工具架): a community's shared tool shelf — tools lent to residents, due in working days, reminders.

A complete third-party meihao scene, kept outside meihao's tree and installed from its own
folder exactly as an outside author's plugin would be. It uses only meihao's public API.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from meihao import Audience, CommunityInfo, Job, Meihao, Metric, Permission, Scenario, community_today, hookimpl

from . import demo, jobs, services
from .routes import LoanController, ToolController
from .settings import ToolshelfSettings

__version__ = "0.1.0"

_TEAM = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="toolshelf",
        title_zh="共享工具架",
        title_en="Shared tool shelf",
        scene="neighbourhood",
        version=__version__,
        settings=ToolshelfSettings,
        description="社区共享工具：登记工具、借出与归还、按工作日计算归还日、到期与逾期提醒",
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["toolshelf.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    return [ToolController, LoanController]


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission(services.READ, "See the shelf and the loans of residents in one's scope", _TEAM),
        Permission(services.LEND, "Lend tools to residents in one's scope and take them back", _TEAM),
        Permission(services.MANAGE, "Put tools on the shelf", ("community_admin",)),
    ]


@hookimpl
def meihao_jobs() -> list[Job]:
    return [
        Job(
            id="toolshelf.remind_borrowers",
            func=jobs.remind_borrowers,
            trigger=("cron", {"hour": 9, "minute": 0}),
            per_community=True,
            description="Remind borrowers the working day before a loan is due, and each day it is overdue",
        )
    ]


def _overdue(community_id: int, today: date) -> Any:
    return services.overdue_borrowers(community_id, today)


@hookimpl
def meihao_audiences() -> list[Audience]:
    return [Audience("toolshelf.overdue", "工具逾期未还的居民", "Residents with an overdue tool", _overdue)]


@hookimpl
async def meihao_demo_data(community: CommunityInfo, seed: int, meihao: Meihao) -> None:
    await demo.fill(meihao, community, seed)


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    return await services.resident_data(resident_id)


# No meihao_erase_resident: a loan holds no text about the person (the tool, the dates). The kernel
# anonymises the resident's row, so the loans stay counted and name nobody.


@hookimpl
async def meihao_metrics(community: CommunityInfo, meihao: Meihao) -> list[Metric]:
    figures = await services.figures(community, community_today(meihao, community))
    return [
        Metric("tools", "在架工具", "Tools on the shelf", figures["tools"]),
        Metric("on_loan", "借出中", "On loan", figures["on_loan"]),
        Metric("overdue", "逾期未还", "Overdue", figures["overdue"]),
    ]
