"""A small world for toolshelf's tests: a community with the shelf on, two grids, a resident in each,
a grid worker in the first, three tools; the clock at Monday 2026-03-02 09:00 (Asia/Shanghai)."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

import toolshelf
from meihao import FakeClock
from meihao.testing import Factories, make_client

MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
BASE = "/api/communities/hepan/toolshelf"


@pytest.fixture
async def world(make_meihao):
    mh = await make_meihao(plugins=[("toolshelf", toolshelf)])
    mh.clock = FakeClock(MONDAY)
    f = Factories(mh)
    await f.community("hepan", name="河畔社区")
    home, other = await f.place("hepan"), await f.place("hepan")
    wang = await f.resident(home["household_id"], name="王秀英")
    li = await f.resident(other["household_id"], name="李桂兰")
    worker = await f.staff("grid_worker", grid_id=home["grid_id"], name="张网格")
    tools = {}
    async with make_client(mh) as admin:
        answer = await admin.put("/api/communities/hepan/scenarios/toolshelf", json={"settings": {}})
        assert answer.status_code == 200, answer.text
        for name in ("电钻", "人字梯", "缝纫机"):
            made = await admin.post(f"{BASE}/tools/", json={"name": name})
            assert made.status_code == 201, made.text
            tools[name] = made.json()["id"]
    return SimpleNamespace(mh=mh, factories=f, wang=wang, li=li, worker=worker, tools=tools)
