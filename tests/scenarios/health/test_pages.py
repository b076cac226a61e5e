"""The follow-ups page of the console: scoped and worded like the API (grid staff: status and date, no condition);
the catalogue is complete."""

from __future__ import annotations

import re
from pathlib import Path

from meihao.scenarios import health
from meihao.testing import make_page_client
from meihao.web.console import catalogues

from .conftest import BASE
from .test_patients import register

PAGE = "/c/hepan/health/follow-ups"
SCENE_FOLDER = Path(health.__file__).parent
CONSOLE = Path(catalogues.__file__).parent


def rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<(?:span|a) class="hl-name"[^>]*>([^<]*)</(?:span|a)>\s*<span class="hl-facts">([^<]*)</span>', html)


async def test_each_viewer_sees_the_patients_they_reach_and_the_team_their_condition(world):
    w = world
    async with w.client("doctor") as doctor:
        wang = await register(doctor, w, "王建国")
        await doctor.post(f"{BASE}/patients/{wang['id']}/follow-ups", json={"systolic": 150, "diastolic": 85})
        await register(doctor, w, "张伟", "diabetes")
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:
        html = (await page.get(PAGE)).text
        assert rows(html) == [("王建国", "待随访 · 应随访 2026-03-16")]
        main = html.split("<main", 1)[1].split("</main>", 1)[0]
        assert "1 名管理对象" in main and "高血压" not in main and "150/" not in main, main
        assert rows((await page.get(PAGE, params={"status": "referred"})).text) == []
        assert (await page.get(PAGE, params={"status": "x"})).status_code == 400
    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:
        assert rows((await page.get(PAGE)).text) == [("张伟", "待随访 · 应随访 2026-03-02 · 2型糖尿病"),
                                                     ("王建国", "待随访 · 应随访 2026-03-16 · 高血压")]
    w.travel_to(__import__("datetime").datetime(2026, 3, 17, 9, 0, tzinfo=w.community.tz))
    await w.fire_job("health.trace_missed", at=__import__("datetime").datetime(2026, 3, 17, 8, 30, tzinfo=w.community.tz))
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:
        html = (await page.get(PAGE)).text
        assert rows(html) == [("王建国", "已逾期 · 应随访 2026-03-16"), ("请提醒王先生去看医生", "待提醒")]
    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:  # a community without the scene: the 404 page
        assert (await page.get("/c/beiyuan/health/follow-ups")).status_code == 404


def test_the_catalogue_is_complete():
    assert catalogues.untranslated(SCENE_FOLDER, also=[CONSOLE]) == {}
    assert catalogues.untranslatable(SCENE_FOLDER) == {}
