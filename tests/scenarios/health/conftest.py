"""A 雅居园-like community with the health scene for its tests, a meihao.testing.SceneWorld on a fake clock.

Grid A (一网格): 陈网格 (``grid_worker``) and 孙网格长 (``leader``); grid B: 吴网格 (``grid_worker_out``).
The doctor team 家医一队 has 刘医生 (``doctor``, sent down from the health centre to grids A and B);
``doctor2`` (周医生) is of the same kind but on no team. Residents: 王建国 (male, 46) and 李秀兰 (female, 68)
in grid A, 张伟 (male, 66) in grid B, 赵小军 (male, 35 on 2 March 2026) in grid A.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest_asyncio

from meihao.register.tables import Department
from meihao.testing import SceneWorld

SH = ZoneInfo("Asia/Shanghai")
BASE = "/api/communities/hepan/health"


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    w = await SceneWorld.build(
        meihao, "health", grids={"A": "一网格", "B": "二网格"},
        residents={"王建国": {"grid": "A", "gender": "male", "birth_date": date(1980, 3, 10)},
                   "李秀兰": {"grid": "A", "gender": "female", "birth_date": date(1958, 6, 1)},
                   "张伟": {"grid": "B", "gender": "male", "birth_date": date(1960, 1, 20)},
                   "赵小军": {"grid": "A", "gender": "male", "birth_date": date(1991, 3, 2)}},
        staff={"leader": ("grid_leader", "A", "孙网格长")},
        start=at(2026, 3, 2, 9, 0),
    )
    await Department.insert(Department(code="health", name="社区卫生服务中心", kind="health"))
    f = w.factories
    w.staff["doctor"] = await f.staff("dispatched", grid_id=w.grids["A"], department="health", name="刘医生")
    w.staff["doctor2"] = await f.staff("dispatched", grid_id=w.grids["A"], department="health", name="周医生")
    async with w.client("street_admin") as street:  # 刘医生 serves both grids
        more = await street.post(f"/api/staff/{w.staff['doctor']['id']}/assignments",
                                 json={"role": "dispatched", "grid_id": w.grids["B"], "department": "health"})
        assert more.status_code == 201, more.text
    async with w.client("community_admin") as admin:
        team = await admin.post(f"{BASE}/teams", json={"name": "家医一队", "provider": "济阳街道社区卫生服务中心",
                                                       "members": [w.staff["doctor"]["id"]]})
        assert team.status_code == 201, team.text
        w.team = team.json()["id"]
    return w
