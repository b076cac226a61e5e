"""A small 松龄雅居 community for the elder_care tests, a meihao.testing.SceneWorld: two grids, elders, a volunteer, the grid team, a fake clock.

Grid A (雅居园一区) is the grid worker's (陈网格, ``grid_worker``), with its grid leader
(孙网格长, ``leader``) and a part-time worker (周兼职, ``part_time``); grid B (松龄苑) has its
own grid leader (吴网格长, ``leader_b``) and grid worker (吴网格, ``grid_worker_out``); 郑主任
is the community admin. The neighbouring community ``beiyuan`` has no elder_care. The visit
check runs at 08:30, so the tests travel to 08:30 (``y.at(2026, 3, 9, 8, 30)``).
"""

from __future__ import annotations

from datetime import date

import pytest_asyncio

from meihao.testing import SceneWorld

#: name: (grid, birth date, tags)
RESIDENTS = {
    "王秀英": ("A", date(1940, 3, 15), ["living_alone"]),
    "张伟": ("A", date(1956, 7, 1), []),
    "李娜": ("A", date(1990, 5, 20), ["volunteer"]),
    "刘建国": ("A", date(1970, 1, 9), []),
    "赵桂兰": ("B", date(1944, 11, 2), ["living_alone"]),
}


class Yajuyuan(SceneWorld):
    async def run_check(self):
        """The daily visit check, run now (by the fake clock); returns its counts (overdue, reminded, escalated)."""
        from meihao.scenarios.elder_care.jobs import check_visits

        return await check_visits(meihao=self.mh, community=self.community)


@pytest_asyncio.fixture
async def yajuyuan(meihao) -> Yajuyuan:
    return await Yajuyuan.build(
        meihao,
        "elder_care",
        slug="yajuyuan",
        name="雅居园社区",
        brand_name="松龄雅居",
        grids={"A": "雅居园一区", "B": "松龄苑"},
        residents={name: {"grid": grid, "birth_date": birth, "tags": tags} for name, (grid, birth, tags) in RESIDENTS.items()},
        staff={"leader": ("grid_leader", "A", "孙网格长"), "part_time": ("grid_part_time", "A", "周兼职"),
               "leader_b": ("grid_leader", "B", "吴网格长")},
    )
