"""A small 城关 "老街坊" community for the culture tests, a meihao.testing.SceneWorld: three grids, young and old residents, the grid team, a fake clock.

Grid A (城关老街) is the grid worker's (陈网格, ``grid_worker``), grid B (北关小区) another's
(吴网格, ``grid_worker_out``), grid C (南关小区) has its grid leader (吴网格长, ``leader_c``);
郑主任 is the community admin. The neighbouring community ``beiyuan`` has no culture.
"""

from __future__ import annotations

from datetime import date

import pytest_asyncio

from meihao.testing import SceneWorld

#: name: (grid, birth date)
RESIDENTS = {
    "王秀英": ("A", date(1946, 3, 15)),  # elder
    "李建国": ("A", date(1985, 7, 1)),
    "张桂兰": ("B", date(1950, 11, 2)),  # elder
    "刘洋": ("B", date(1992, 5, 20)),
    "赵大爷": ("C", date(1944, 1, 9)),  # elder, another grid
}
MEN = {"李建国", "刘洋", "赵大爷"}  # the rest are women: reminders address them so (尊敬的王奶奶, 尊敬的刘先生)


@pytest_asyncio.fixture
async def chengguan(meihao) -> SceneWorld:
    return await SceneWorld.build(
        meihao,
        "culture",
        slug="chengguan",
        name="城关社区",
        brand_name="老街坊",
        grids={"A": "城关老街", "B": "北关小区", "C": "南关小区"},
        residents={
            name: {"grid": grid, "birth_date": birth, "gender": "male" if name in MEN else "female"} for name, (grid, birth) in RESIDENTS.items()
        },
        staff={"leader_c": ("grid_leader", "C", "吴网格长")},
    )
