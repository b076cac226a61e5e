"""A small 松龄雅居 community for the elder_care tests: two grids, elders, a volunteer, the grid team, a fake clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import pytest_asyncio

from meihao import CommunityInfo, FakeClock, get_community
from meihao.reminders.engine import ReminderEngine
from meihao.testing import Factories, make_client

#: Monday 2 March 2026, 08:00 in Shanghai.
START = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)


@dataclass
class Yajuyuan:
    mh: Any
    clock: FakeClock
    engine: ReminderEngine
    factories: Factories
    community: CommunityInfo
    grid_a: int
    grid_b: int
    residents: dict[str, dict[str, Any]] = field(default_factory=dict)
    staff: dict[str, dict[str, Any]] = field(default_factory=dict)

    def client(self, who: str | None = None):
        """An in-process client as one of the staff (a street admin by default)."""
        return make_client(self.mh, self.staff[who]["id"] if who else None)

    def at(self, year: int, month: int, day: int, hour: int = 8, minute: int = 30) -> datetime:
        from zoneinfo import ZoneInfo

        moment = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))
        self.clock.set(moment)
        return moment

    async def run_check(self) -> Any:
        from meihao.scenarios.elder_care.jobs import check_visits

        return await check_visits(meihao=self.mh, community=self.community)


async def build(mh: Any) -> Yajuyuan:
    clock = FakeClock(START)
    mh.clock = clock
    f = Factories(mh)
    await f.community("yajuyuan", name="雅居园社区", brand_name="松龄雅居")
    community = await get_community("yajuyuan")  # the CommunityInfo that hooks and jobs receive
    grid_a = await f.grid("yajuyuan", code="A", name="雅居园一区")
    grid_b = await f.grid("yajuyuan", code="B", name="松龄苑")
    world = Yajuyuan(mh, clock, ReminderEngine(mh), f, community, grid_a["id"], grid_b["id"])
    people = {
        # name: (grid, birth date, tags)
        "王秀英": (grid_a, date(1940, 3, 15), ["living_alone"]),
        "张伟": (grid_a, date(1956, 7, 1), []),
        "李娜": (grid_a, date(1990, 5, 20), ["volunteer"]),
        "刘建国": (grid_a, date(1970, 1, 9), []),
        "赵桂兰": (grid_b, date(1944, 11, 2), ["living_alone"]),
    }
    for name, (grid, birth, tags) in people.items():
        building = await f.building(grid["id"])
        household = await f.household(building["id"])
        world.residents[name] = await f.resident(household["id"], name=name, birth_date=birth, tags=tags, phone="13912345678")
    world.staff["worker"] = await f.staff("grid_worker", grid_id=grid_a["id"], name="陈网格")
    world.staff["leader"] = await f.staff("grid_leader", grid_id=grid_a["id"], name="孙网格长")
    world.staff["part_time"] = await f.staff("grid_part_time", grid_id=grid_a["id"], name="周兼职")
    world.staff["leader_b"] = await f.staff("grid_leader", grid_id=grid_b["id"], name="吴网格长")
    world.staff["admin"] = await f.staff("community_admin", community="yajuyuan", name="郑主任")
    async with make_client(mh) as client:
        response = await client.put("/api/communities/yajuyuan/scenarios/elder_care", json={"settings": {}})
        assert response.status_code == 200, response.text
    return world


@pytest_asyncio.fixture
async def yajuyuan(meihao) -> Yajuyuan:
    return await build(meihao)
