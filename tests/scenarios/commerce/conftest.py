"""A 华阳-like community with the commerce scene for its tests, a meihao.testing.SceneWorld on a fake clock.

Grid A (一网格): 陈网格 (``grid_worker``); grid B: ``grid_worker_out``. Residents: 王秀英 and 李桂兰 in grid A, 张伟 in B.
The community's admin 赵主任 (``admin``) reads alerts. The clock starts on Monday 2 March 2026, 09:00 in Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest_asyncio

from meihao.testing import SceneWorld

SH = ZoneInfo("Asia/Shanghai")
BASE = "/api/communities/huayang/commerce"


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


async def build(mh) -> SceneWorld:
    return await SceneWorld.build(
        mh, "commerce", slug="huayang", name="华阳社区", brand_name="商居互融",
        residents={"王秀英": "A", "李桂兰": "A", "张伟": "B"},
        start=at(2026, 3, 2, 9, 0),
    )


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    return await build(meihao)
