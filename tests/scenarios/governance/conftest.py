"""银山 "善智理" for the governance tests, a meihao.testing.SceneWorld: two grids, the grid team, three departments, a fake clock.

Grid A (银山花园) is 陈网格's (``grid_worker``) with 孙网格长 (``leader``) and 执法队员 周队员
(``dispatched``, department ``zhifa``); grid B (银山新村) is 吴网格's (``grid_worker_out``).
Departments: 城管 (``chengguan``: 钱城管 and 冯城管), 住建 (``zhujian``: 严住建), 执法 (``zhifa``).
The neighbouring community ``beiyuan`` has no governance.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest_asyncio

from meihao.tables import Department
from meihao.testing import SceneWorld

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEPARTMENTS = {"chengguan": "街道城管中队", "zhujian": "区住建局", "zhifa": "综合行政执法队"}
STAFF = {"chengguan": ("chengguan", "钱城管"), "chengguan2": ("chengguan", "冯城管"), "zhujian": ("zhujian", "严住建")}


@pytest_asyncio.fixture
async def yinshan(meihao) -> SceneWorld:
    for code, name in DEPARTMENTS.items():
        await Department.insert(Department(code=code, name=name, kind="department"))
    world = await SceneWorld.build(
        meihao, "governance", slug="yinshan", name="银山社区", brand_name="善智理",
        grids={"A": "银山花园", "B": "银山新村"},
        staff={"leader": ("grid_leader", "A", "孙网格长")},
        start=datetime(2026, 11, 30, 8, 0, tzinfo=SHANGHAI),
    )
    f = world.factories
    for key, (department, name) in STAFF.items():
        world.staff[key] = await f.staff("department_staff", department=department, name=name)
    world.staff["dispatched"] = await f.staff("dispatched", grid_id=world.grids["A"], department="zhifa", name="周队员")
    return world
