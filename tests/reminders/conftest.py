"""A small community with residents in two grids, and a fake clock, for the reminder tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import pytest_asyncio

from meihao import CommunityInfo, get_community
from meihao.reminders.engine import ReminderEngine
from meihao.reminders.policy import DeliveryPolicy
from meihao.runtime import Meihao
from meihao.testing import Factories
from meihao.time.clock import FakeClock

#: Monday 2 March 2026, 08:00 in Shanghai.
START = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)


@dataclass
class Street:
    mh: Meihao
    clock: FakeClock
    engine: ReminderEngine
    factories: Factories
    community: CommunityInfo
    grid_a: int
    grid_b: int
    residents: dict[str, dict[str, Any]]


async def build_street(mh: Meihao) -> Street:
    clock = FakeClock(START)
    mh.clock = clock
    factories = Factories(mh)
    await factories.community("hepan", name="荷畔社区")
    community = await get_community("hepan")  # the CommunityInfo hooks, jobs and routes receive
    grid_a = await factories.grid("hepan", code="A")
    grid_b = await factories.grid("hepan", code="B")
    residents: dict[str, dict[str, Any]] = {}
    for grid, names in ((grid_a, ["王秀英", "李建国", "Anna"]), (grid_b, ["张伟", "刘芳"])):
        building = await factories.building(grid["id"])
        for name in names:
            household = await factories.household(building["id"])
            birth = date(1950, 1, 1) if name in ("王秀英", "张伟") else date(1990, 6, 1)
            tags = ["elder"] if birth.year < 1960 else []
            gender = "male" if name in ("李建国", "张伟") else "female"  # reminders address them so: 尊敬的张爷爷, 尊敬的王奶奶
            residents[name] = await factories.resident(household["id"], name=name, birth_date=birth, gender=gender, tags=tags, phone="13912345678")
    from meihao.tables import Resident

    await Resident.update({Resident.preferred_language: "en"}).where(Resident.id == residents["Anna"]["id"])
    # A neighbouring community whose residents must never be reached.
    other = await factories.place()
    await factories.resident(other["household_id"], name="外人")
    engine = ReminderEngine(mh, DeliveryPolicy(batch_size=2))
    return Street(mh, clock, engine, factories, community, grid_a["id"], grid_b["id"], residents)


@pytest_asyncio.fixture
async def street(meihao) -> Street:
    return await build_street(meihao)
