"""A 荷畔 community with the service scene for its tests, a meihao.testing.SceneWorld: two grids, the grid team, a fake clock.

Grid A (荷畔一网格) is 陈网格's (``grid_worker``) with its grid leader 孙网格长 (``leader``);
grid B (荷畔二网格) is 吴网格's (``grid_worker_out``); 郑主任 (``community_admin``) and 李书记
(``admin2``) are the community's leaders who take turns as 首席接访员. The neighbouring
community ``beiyuan`` has no service scene. Residents: 王秀英 in grid A, 张伟 in grid B.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest_asyncio

from meihao.testing import SceneWorld

SH = ZoneInfo("Asia/Shanghai")
BASE = "/api/communities/hepan/service"


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest_asyncio.fixture
async def hepan(meihao) -> SceneWorld:
    return await SceneWorld.build(
        meihao,
        "service",
        grids={"A": "荷畔一网格", "B": "荷畔二网格"},
        staff={"leader": ("grid_leader", "A", "孙网格长"), "admin2": ("community_admin", None, "李书记")},
        start=at(2026, 11, 30, 9, 0),
    )
