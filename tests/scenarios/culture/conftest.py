"""A small 城关 "老街坊" community for the culture tests: three grids, young and old residents, the grid team, a fake clock."""

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
class Chengguan:
    mh: Any
    clock: FakeClock
    engine: ReminderEngine
    factories: Factories
    community: CommunityInfo
    grids: dict[str, int] = field(default_factory=dict)
    residents: dict[str, dict[str, Any]] = field(default_factory=dict)
    staff: dict[str, dict[str, Any]] = field(default_factory=dict)

    def client(self, who: str | None = None):
        """An in-process client as one of the staff (a street admin by default)."""
        return make_client(self.mh, self.staff[who]["id"] if who else None)

    def at(self, year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
        moment = datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
        self.clock.set(moment)
        return moment


async def build(mh: Any) -> Chengguan:
    clock = FakeClock(START)
    mh.clock = clock
    f = Factories(mh)
    await f.community("chengguan", name="城关社区", brand_name="老街坊")
    community = await get_community("chengguan")  # the CommunityInfo that hooks and jobs receive
    world = Chengguan(mh, clock, ReminderEngine(mh), f, community)
    for code, name in (("A", "城关老街"), ("B", "北关小区"), ("C", "南关小区")):
        world.grids[code] = (await f.grid("chengguan", code=code, name=name))["id"]
    people = {
        # name: (grid, birth date)
        "王秀英": ("A", date(1946, 3, 15)),  # elder
        "李建国": ("A", date(1985, 7, 1)),
        "张桂兰": ("B", date(1950, 11, 2)),  # elder
        "刘洋": ("B", date(1992, 5, 20)),
        "赵大爷": ("C", date(1944, 1, 9)),  # elder, another grid
    }
    for name, (grid, birth) in people.items():
        building = await f.building(world.grids[grid])
        household = await f.household(building["id"])
        world.residents[name] = await f.resident(household["id"], name=name, birth_date=birth, phone="13912345678")
    world.staff["admin"] = await f.staff("community_admin", community="chengguan", name="郑主任")
    world.staff["worker"] = await f.staff("grid_worker", grid_id=world.grids["A"], name="陈网格")
    world.staff["leader_c"] = await f.staff("grid_leader", grid_id=world.grids["C"], name="吴网格长")
    async with make_client(mh) as client:
        response = await client.put("/api/communities/chengguan/scenarios/culture", json={"settings": {}})
        assert response.status_code == 200, response.text
    return world


@pytest_asyncio.fixture
async def chengguan(meihao) -> Chengguan:
    return await build(meihao)
