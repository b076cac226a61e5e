"""A small 华阳 "商居互融" community for the markets tests, a meihao.testing.SceneWorld: two grids, six residents, the grid team, a fake clock.

Grid A (华阳小区) is the grid worker's (陈网格, ``grid_worker``), grid B (澄波湖畔) another's
(吴网格, ``grid_worker_out``); 郑主任 is the community admin. The neighbouring community
``beiyuan`` has no market.
"""

from __future__ import annotations

from datetime import date

import pytest_asyncio

from meihao.testing import SceneWorld

RESIDENTS = {"王秀英": "A", "李建国": "A", "张伟": "A", "刘芳": "A", "赵丽": "B", "孙强": "B"}
MEN = {"李建国", "张伟", "孙强"}  # the rest are women: reminders address them so (尊敬的张伟叔叔, 尊敬的王秀英阿姨)


@pytest_asyncio.fixture
async def huayang(meihao) -> SceneWorld:
    return await SceneWorld.build(
        meihao,
        "markets",
        slug="huayang",
        name="华阳社区",
        brand_name="商居互融",
        grids={"A": "华阳小区", "B": "澄波湖畔"},
        residents={
            name: {"grid": grid, "birth_date": date(1975, 4, 1), "gender": "male" if name in MEN else "female"} for name, grid in RESIDENTS.items()
        },
    )
