"""A 银山-like community with the grid academy for its tests, a meihao.testing.SceneWorld on a fake clock.

Grid A (一网格): 陈网格 (``grid_worker``), 孙网格长 (``leader``), 钱兼职 (``part_time``); grid B: 吴网格
(``grid_worker_out``). Residents: 王秀英 (female, born 17 May 1960) in grid A, 张伟 in grid B, 李娜 (born 2
March 1966: 60 on the world's first day) in grid A. Venues: 银山社区网格学院主课堂 (40 places) and 银山工业园实训基地
(outdoor, 20); courses: 网格员履职基础 (required, 4 学时 / 2 学分, staff) and 老年人智能手机课 (elective, 2 / 0,
residents 60+). The clock starts on Monday 2 March 2026, 08:00 in Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio

from meihao.testing import SceneWorld

SH = ZoneInfo("Asia/Shanghai")
BASE = "/api/communities/yinshan/education"


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    w = await SceneWorld.build(
        meihao, "education", slug="yinshan", name="银山社区", grids={"A": "一网格", "B": "二网格"},
        residents={"王秀英": {"grid": "A", "gender": "female", "birth_date": date(1960, 5, 17)},
                   "张伟": {"grid": "B", "gender": "male"},
                   "李娜": {"grid": "A", "gender": "female", "birth_date": date(1966, 3, 2)}},
        staff={"leader": ("grid_leader", "A", "孙网格长"), "part_time": ("grid_part_time", "A", "钱兼职")},
    )
    async with w.client("community_admin") as admin:
        main = await admin.post(f"{BASE}/venues", json={"name": "银山社区网格学院主课堂", "kind": "main", "capacity": 40,
                                                         "facilities": ["投影", "音响"]})
        assert main.status_code == 201, main.text
        base = await admin.post(f"{BASE}/venues", json={"name": "银山工业园实训基地", "kind": "outdoor", "host": "industrial_park",
                                                         "capacity": 20})
        required = await admin.post(f"{BASE}/courses", json={"title": "网格员履职基础", "kind": "required", "hours": 4, "credits": 2})
        phones = await admin.post(f"{BASE}/courses", json={"title": "老年人智能手机课", "kind": "elective", "hours": 2, "credits": 0,
                                                           "learners": "residents", "min_age": 60})
        assert required.status_code == phones.status_code == 201, phones.text
    w.venues = {"main": main.json()["id"], "base": base.json()["id"]}  # type: ignore[attr-defined]
    w.courses = {"required": required.json()["id"], "phones": phones.json()["id"]}  # type: ignore[attr-defined]
    return w


async def plan(w: Any, course: str = "required", starts: datetime | None = None, *, hours: int = 3, capacity: int | None = None,
               venue: str = "main") -> dict[str, Any]:
    """A session planned by the community's admin through the API (default: Saturday 14 March 2026, 09:00-12:00)."""
    starts = starts or at(2026, 3, 14, 9)
    body: dict[str, Any] = {"course_id": w.courses[course], "venue_id": w.venues[venue], "starts_at": starts.isoformat(),
                            "ends_at": starts.replace(hour=starts.hour + hours).isoformat()}
    if capacity is not None:
        body["capacity"] = capacity
    async with w.client("community_admin") as admin:
        response = await admin.post(f"{BASE}/sessions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def enrol(w: Any, who: str, session_id: int, body: dict[str, Any] | None = None) -> Any:
    async with w.client(who) as client:
        return await client.post(f"{BASE}/sessions/{session_id}/enrolments", json=body or {})
