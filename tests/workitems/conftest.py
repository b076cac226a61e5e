"""A community with two grids and its whole chain of staff, two workflows and a fake clock, for the work-item tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio

from meihao import (
    CommunityInfo,
    DeadlineClock,
    Duration,
    FakeClock,
    Permission,
    Principal,
    Scenario,
    Transition,
    Workflow,
    get_community,
    hookimpl,
)
from meihao.access.principals import principal_for
from meihao.runtime import Meihao
from meihao.testing import Factories

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A moment on the community's wall clock (Asia/Shanghai)."""
    return datetime(y, m, d, hh, mm, tzinfo=SH)


class DeskPlugin:
    """A throwaway scenario that owns the test items (their notices go out under its scene)."""

    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario(name="desk", title_zh="服务台", title_en="Desk", scene="service", version="1.0")

    @hookimpl
    def meihao_permissions(self) -> list[Permission]:
        return [Permission("desk.close", "Close a request after the reply", roles=("community_admin",))]


#: A front-desk request, as the service scene will have it: 受理 → 分办 → 签收 → 办理 → 答复 → 办结,
#: with 退回 (reason required), waiting for the resident (the clocks pause) and closing on the spot.
REQUESTS = Workflow(
    scenario="desk",
    name="request",
    initial="received",
    transitions=(
        Transition("received", "dispatched"),
        Transition("received", "closed"),
        Transition("dispatched", "signed"),
        Transition("dispatched", "returned", reason=True),
        Transition("returned", "dispatched"),
        Transition("signed", "in_progress"),
        Transition("in_progress", "waiting"),
        Transition("waiting", "in_progress"),
        Transition("in_progress", "replied"),
        Transition("replied", "closed", permission="desk.close"),
    ),
    pause=("waiting",),
    final=("closed",),
    clocks=(
        DeadlineClock("sign_off", Duration(working_hours=2), stops_in=("signed",)),
        DeadlineClock("first_response", Duration(working_days=1), stops_in=("in_progress",)),
        DeadlineClock("resolution", Duration(working_days=5, by_close=True), stops_in=("replied",),
                      by_kind={"consultation": Duration(working_days=1, by_close=True)}),
    ),
)

#: A follow-up with one clock, for the escalation stories.
FOLLOW_UPS = Workflow(
    scenario="desk",
    name="follow_up",
    initial="open",
    transitions=(Transition("open", "waiting"), Transition("waiting", "open"), Transition("open", "done")),
    pause=("waiting",),
    final=("done",),
    clocks=(DeadlineClock("resolution", Duration(working_days=5, by_close=True)),),
)


@dataclass
class Desk:
    mh: Meihao
    clock: FakeClock
    community: CommunityInfo
    grid_a: int
    grid_b: int
    staff: dict[str, dict[str, Any]]
    principals: dict[str, Principal]


async def build_desk(mh: Meihao, start: datetime) -> Desk:
    clock = FakeClock(start)
    mh.clock = clock
    factories = Factories(mh)
    await factories.community("hepan", name="荷畔社区")
    grid_a = (await factories.grid("hepan", code="A"))["id"]
    grid_b = (await factories.grid("hepan", code="B"))["id"]
    other = await factories.place()  # a neighbouring community: its admin must see none of hepan's items
    from meihao.register.tables import Department

    await Department.insert(Department(code="zhifa", name="综合执法队"))
    staff = {
        "street": await factories.staff("street_admin", name="街道管理员"),
        "admin": await factories.staff("community_admin", community="hepan", name="社区书记"),
        "leader_a": await factories.staff("grid_leader", grid_id=grid_a, name="网格长甲"),
        "worker_a": await factories.staff("grid_worker", grid_id=grid_a, name="网格员甲"),
        "worker_a2": await factories.staff("grid_part_time", grid_id=grid_a, name="兼职网格员甲"),
        "leader_b": await factories.staff("grid_leader", grid_id=grid_b, name="网格长乙"),
        "worker_b": await factories.staff("grid_worker", grid_id=grid_b, name="网格员乙"),
        "department": await factories.staff("department_staff", department="zhifa", name="执法队员"),
        "other_admin": await factories.staff("community_admin", community=other["community"], name="外社区书记"),
    }
    principals = {key: await principal_for(mh, row) for key, row in staff.items()}
    return Desk(mh, clock, await get_community("hepan"), grid_a, grid_b, staff, principals)


@pytest_asyncio.fixture
async def make_desk(make_meihao):
    async def make(start: datetime, **settings: Any) -> Desk:
        mh = await make_meihao(plugins=[("desk", DeskPlugin())], **settings)
        return await build_desk(mh, start)

    return make
