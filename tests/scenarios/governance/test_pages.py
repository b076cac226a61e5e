"""The grid events page of the console: scoped like the API, with counts per state, category and grid; the catalogue is complete."""

from __future__ import annotations

import re
from pathlib import Path

from meihao.scenarios import governance
from meihao.testing import make_page_client
from meihao.web.console import catalogues

from .test_events import E, _report

PAGE = "/c/yinshan/governance/events"
SCENE_FOLDER = Path(governance.__file__).parent
CONSOLE = Path(catalogues.__file__).parent


def texts(html: str) -> list[str]:
    return re.findall(r'<div class="gv-text"><a href="[^"]*">([^<]*)</a></div>', html)


async def test_each_viewer_sees_the_events_they_reach(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    await _report(w)
    noise = await _report(w, text="5号楼夜间装修噪音扰民", category="construction")
    await _report(w, "grid_worker_out", "B", text="银山新村垃圾桶满溢", category="environment")
    async with w.client("leader") as c:
        await c.post(f"{E}/events/{noise['id']}/register", json={})
        await c.post(f"{E}/events/{noise['id']}/dispatch", json={"department": "zhujian"})
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:
        html = (await page.get(PAGE)).text
        assert texts(html) == ["5号楼夜间装修噪音扰民", "银山花园北门占道经营，影响通行"]
        assert "2 件事件" in html and "施工管理" in html and "已派遣" in html
        chosen = (await page.get(PAGE, params={"state": "dispatched"})).text
        assert texts(chosen) == ["5号楼夜间装修噪音扰民"]
        bad = await page.get(PAGE, params={"grid": "x"})
        assert bad.status_code == 400
    async with make_page_client(w.mh, w.staff["zhujian"]["id"]) as page:
        assert texts((await page.get(PAGE)).text) == ["5号楼夜间装修噪音扰民"]
    async with make_page_client(w.mh, w.staff["chengguan"]["id"]) as page:
        assert texts((await page.get(PAGE)).text) == []
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as page:
        assert len(texts((await page.get(PAGE)).text)) == 3
    async with make_page_client(w.mh, w.staff["zhujian"]["id"]) as page:  # a community without the scene: the 404 page
        assert (await page.get("/c/beiyuan/governance/events")).status_code == 404


def test_the_catalogue_is_complete():
    assert catalogues.untranslated(SCENE_FOLDER, also=[CONSOLE]) == {}
    assert catalogues.untranslatable(SCENE_FOLDER) == {}
