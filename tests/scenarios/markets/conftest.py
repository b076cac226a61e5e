"""A small 华阳 "商居互融" community for the markets tests: two grids, residents, a partner merchant, the grid team, a fake clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio

from meihao import CommunityInfo, FakeClock, get_community
from meihao.reminders.engine import ReminderEngine
from meihao.testing import Factories, make_client

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Monday 2 March 2026, 08:00 in Shanghai.
START = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)


@dataclass
class Huayang:
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

    def at(self, year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
        moment = datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
        self.clock.set(moment)
        return moment


async def build(mh: Any) -> Huayang:
    clock = FakeClock(START)
    mh.clock = clock
    f = Factories(mh)
    await f.community("huayang", name="华阳社区", brand_name="商居互融")
    community = await get_community("huayang")  # the CommunityInfo that hooks and jobs receive
    grid_a = await f.grid("huayang", code="A", name="华阳小区")
    grid_b = await f.grid("huayang", code="B", name="澄波湖畔")
    world = Huayang(mh, clock, ReminderEngine(mh), f, community, grid_a["id"], grid_b["id"])
    people = {
        "王秀英": grid_a, "李建国": grid_a, "张伟": grid_a, "刘芳": grid_a,  # grid A
        "赵丽": grid_b, "孙强": grid_b,  # grid B
    }
    for name, grid in people.items():
        building = await f.building(grid["id"])
        household = await f.household(building["id"])
        world.residents[name] = await f.resident(household["id"], name=name, birth_date=date(1975, 4, 1), phone="13912345678")
    world.staff["worker"] = await f.staff("grid_worker", grid_id=grid_a["id"], name="陈网格")
    world.staff["worker_b"] = await f.staff("grid_worker", grid_id=grid_b["id"], name="吴网格")
    world.staff["admin"] = await f.staff("community_admin", community="huayang", name="郑主任")
    async with make_client(mh) as client:
        response = await client.put("/api/communities/huayang/scenarios/markets", json={"settings": {}})
        assert response.status_code == 200, response.text
    return world


@pytest_asyncio.fixture
async def huayang(meihao) -> Huayang:
    return await build(meihao)
