"""The console pages: courses and sessions, a session's list with check-in and check-out, one's own enrolment, the credit report.

Scoped like the API: a grid worker's report is their own row; a resident learner outside the viewer's grids is not listed.
"""

from __future__ import annotations

import re
from pathlib import Path

from meihao.scenarios import education
from meihao.testing import form_token, make_page_client
from meihao.web.console import catalogues

from .conftest import at, enrol, plan

SCENE_FOLDER = Path(education.__file__).parent
CONSOLE = Path(catalogues.__file__).parent
C = "/c/yinshan/education"


def rows(html: str) -> list[tuple[str, ...]]:
    return [tuple(" ".join(part.split()) for part in row) for row in re.findall(
        r'<span class="ed-name">([^<]*)</span>\s*<span class="ed-facts">(.*?)</span>', html, re.S)]


async def test_the_sessions_page_lists_coming_sessions_courses_and_the_venues_use(world):
    w = world
    s = await plan(w, capacity=1)
    await enrol(w, "grid_worker", s["id"])
    await enrol(w, "leader", s["id"])
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:
        html = (await page.get(f"{C}/sessions")).text
    assert re.findall(r'class="ed-name" href="([^"]*)">([^<]*)</a>', html) == [(f"{C}/sessions/{s['id']}", "网格员履职基础")]
    assert "已报1人，共1个名额 · 候补1人" in html
    assert re.findall(r'<tr><td class="stack-head">([^<]*)</td><td[^>]*>([^<]*)</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>', html) == [
        ("网格员履职基础", "必修", "4", "2"), ("老年人智能手机课", "选修", "2", "0"),
        ("银山社区网格学院主课堂", "主课堂", "1", "0"), ("银山工业园实训基地", "户外实践基地", "0", "0")]


async def test_the_leader_checks_learners_in_and_out_from_the_list(world):
    w = world
    s = await plan(w)
    worker = (await enrol(w, "grid_worker", s["id"])).json()
    await enrol(w, "leader", s["id"], {"resident_id": w.residents["王秀英"]["id"]})
    w.travel_to(at(2026, 3, 14, 8, 45))
    path = f"{C}/sessions/{s['id']}"
    async with make_page_client(w.mh, w.staff["leader"]["id"]) as page:
        html = (await page.get(path)).text
        assert rows(html) == [("陈网格", "已报名"), ("王秀英", "已报名 · 居民")]
        assert html.count(">签到<span") == 2
        token = await form_token(page, path)
        done = await page.post(f"{path}/enrolments/{worker['id']}/check-in", data={"_csrf_token": token}, follow_redirects=False)
        assert (done.status_code, done.headers["location"]) == (303, f"{path}?done=in#list")
        html = (await page.get(f"{path}?done=in")).text
        assert "已签到。" in html and rows(html)[0] == ("陈网格", "已报名 · 08:45签到")
        again = await page.post(f"{path}/enrolments/{worker['id']}/check-in", data={"_csrf_token": token}, follow_redirects=False)
        assert again.headers["location"] == f"{path}?problem=attendance#list"
        w.travel_to(at(2026, 3, 14, 12, 0))
        await page.post(f"{path}/enrolments/{worker['id']}/check-out", data={"_csrf_token": token})
        html = (await page.get(path)).text
        assert rows(html)[0] == ("陈网格", "已报名 · 08:45签到 · 12:00签退") and "已参训" in html
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as page:  # grid B: no resident of grid A, no buttons
        html = (await page.get(path)).text
        assert rows(html) == [("陈网格", "已报名 · 08:45签到 · 12:00签退")] and ">签到<span" not in html


async def test_a_grid_worker_enrols_and_cancels_on_the_page(world):
    w = world
    s = await plan(w, capacity=1)
    await enrol(w, "leader", s["id"])
    path = f"{C}/sessions/{s['id']}"
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:
        html = (await page.get(path)).text
        assert "报名候补" in html
        token = await form_token(page, path)
        await page.post(f"{path}/enrol", data={"_csrf_token": token})
        html = (await page.get(path)).text
        assert "您已在名单上：候补。" in html and rows(html)[1] == ("陈网格", "候补第1位")
        mine = re.search(r'/c/yinshan/education/enrolments/(\d+)/cancel', html).group(1)
        await page.post(f"{C}/enrolments/{mine}/cancel", data={"_csrf_token": token})
        assert rows((await page.get(path)).text)[1] == ("陈网格", "已取消")


async def test_the_report_page_is_the_whole_community_for_its_admin_and_ones_own_year_for_a_grid_worker(world):
    w = world
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as page:
        html = (await page.get(f"{C}/report")).text
        assert [r[0] for r in rows(html)] == ["郑主任", "孙网格长", "陈网格", "吴网格", "钱兼职"]
        assert "按岗位" in html and "每个岗位每年应修32学时、16学分" in html
        csv = await page.get(f"{C}/report.csv")
        assert csv.text.splitlines()[3] == "陈网格,专职网格员,银山社区,一网格,0,0,32,16,未达标"
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:
        html = (await page.get(f"{C}/report")).text
        assert rows(html) == [("陈网格", "专职网格员 · 一网格")] and "按岗位" not in html and "我的学时" in html


def test_the_catalogue_is_complete():
    assert catalogues.untranslated(SCENE_FOLDER, also=[CONSOLE]) == {}
    assert catalogues.untranslatable(SCENE_FOLDER) == {}


async def test_the_street_page_is_for_those_who_manage_the_community(world):
    w = world
    s = await plan(w, capacity=2)
    await enrol(w, "grid_worker", s["id"])
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as page:
        html = (await page.get(f"{C}/street")).text
        assert "各社区统计" in html and "您管理的、已设网格学院培训场地的社区。" in html
        cells = [" ".join(c.split()) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html.split("<tbody>")[1], re.S)]
        assert cells == ['<a href="/c/yinshan/education/report?year=2026">银山社区</a>', "2", "2", "0", "1", "0", "1", "0", "—", "0", "0", "5", "0",
                         "0.0%", "合计", "2", "2", "0", "1", "0", "1", "0", "—", "0", "0", "5", "0", "0.0%"]
        csv = await page.get(f"{C}/street.csv")
        assert csv.content.decode("utf-8-sig").splitlines()[1] == "银山社区,2,2,0,1,0,1,0,—,0,0,5,0,0.0%"
    for who in ("leader", "grid_worker"):
        async with make_page_client(w.mh, w.staff[who]["id"]) as page:
            assert (await page.get(f"{C}/street")).status_code == 403
            assert "各社区统计" not in (await page.get(f"{C}/report")).text  # not in their menu
