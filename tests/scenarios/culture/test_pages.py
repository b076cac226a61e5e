"""The culture scene's console pages, in process: the tour plan, the shows, recording a show, the card and the queue."""

from __future__ import annotations

import re
from pathlib import Path

from meihao.access.principals import principal_for
from meihao.access.tables import AuditLog
from meihao.scenarios import culture
from meihao.scenarios.culture.pages import PAGES
from meihao.scenarios.culture.tables import Show
from meihao.testing import form_token, make_page_client
from meihao.web.console import catalogues

from .test_story import setting_the_stage

API = "/api/communities/chengguan/culture"
PAGES_AT = "/c/chengguan/culture"
SCENE_FOLDER = Path(culture.__file__).parent
CONSOLE = Path(catalogues.__file__).parent


async def two_shows(w) -> dict:
    """吕剧《李二嫂改嫁》 on 7 March at the square (grid A, serving B) and 《小姑贤》 on 10 March at the hall (grid C)."""
    async with w.client("community_admin") as admin:
        stage = await setting_the_stage(w, admin)
        plays = stage["troupe"]["repertoire"]
        plan = stage["plan"]["id"]
        square = await admin.post(f"{API}/plans/{plan}/shows", json={
            "venue_id": stage["square"]["id"], "troupe_id": stage["troupe"]["id"], "play_id": plays[0]["id"],
            "starts_at": "2026-03-07T19:00:00", "elders_first": True})
        hall = await admin.post(f"{API}/plans/{plan}/shows", json={
            "venue_id": stage["hall"]["id"], "troupe_id": stage["troupe"]["id"], "play_id": plays[1]["id"], "starts_at": "2026-03-10T14:30:00"})
        assert square.status_code == hall.status_code == 201
    return {"square": square.json()["id"], "hall": hall.json()["id"]}


def h3s(html: str) -> list[str]:
    """The h3 headings of the items (shows), not those of the list's filters (facets)."""
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h3(?! id=\"facet-)[^>]*>(.*?)</h3>", html, re.S)]


def h2s(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S)]


def field_errors(html: str) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>(.*?)</p>', html)


def figures(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="value">(.*?)</span><span class="label">(.*?)</span>', html)


async def show_row(show_id: int) -> tuple:
    row = await Show.select(Show.status, Show.attendance, Show.satisfaction, Show.confirmed_by, Show.subsidy_fen, Show.recorded_by).where(
        Show.id == show_id).first()
    return tuple(row.values())


async def test_the_plan_and_the_shows_are_scoped_like_the_api(chengguan):
    w = chengguan
    await two_shows(w)
    expected = {
        "community_admin": (["吕剧《李二嫂改嫁》", "吕剧《小姑贤》"], "2"),
        "grid_worker": (["吕剧《李二嫂改嫁》"], "1"),
        "leader_c": (["吕剧《小姑贤》"], "1"),
        # the square serves grid B too, but a show is placed by its venue's own grid (A), as in the API
        "grid_worker_out": ([], "0"),
    }
    for who, (titles, count) in expected.items():
        async with make_page_client(w.mh, w.staff[who]["id"]) as client:
            plan = await client.get(f"{PAGES_AT}/plan")
            assert plan.status_code == 200
            assert h3s(plan.text) == titles
            assert re.findall(r'<td>2026年春季戏曲进乡村 <span class="badge tone-ok">当前</span><br><small>采购包 JY-XQ-2026-01</small></td><td>2026-03-01 – 2026-04-30</td><td>(\d+)</td><td>(\d+)</td>',
                              plan.text) == [(count, "0")]
            shows = await client.get(f"{PAGES_AT}/shows")
            assert h3s(shows.text) == titles
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(f"{PAGES_AT}/plan")
        assert figures(page.text) == [("0", "2026年已演出"), ("0", "2026年观众人次"), ("2", "即将演出"), ("0", "待录入记录"), ("0 / 2", "今年已送戏的场地")]
        assert re.findall(r'<p class="item-sub">(2026-03-\d\d \d\d:\d\d) · (.*?)</p>', page.text) == [
            ("2026-03-07 19:00", "城关老街文化广场"), ("2026-03-10 14:30", "南关社区综合文化服务中心")]
        assert (await admin.get(PAGES_AT)).status_code == 200
        admin.cookies.set("meihao_lang", "en")
        english = await admin.get(f"{PAGES_AT}/plan")
        assert re.findall(r"<h1>(.*?)</h1>", english.text) == ["Opera to the villages: tour plan"]
        assert h3s(english.text) == ["吕剧: 李二嫂改嫁", "吕剧: 小姑贤"]
        assert (await admin.get("/c/beiyuan/culture/plan")).status_code == 404


async def test_a_grid_worker_records_a_show_with_the_api_service(chengguan):
    w = chengguan
    ids = await two_shows(w)
    w.at(2026, 3, 8, 9, 0)
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        shows = await worker.get(f"{PAGES_AT}/shows")
        assert [h for h in h2s(shows.text) if h.endswith(")")][:1] == ["已演出，待录入记录 (1)"]
        assert f'href="{PAGES_AT}/shows/{ids["square"]}#record"' in shows.text
        page = await worker.get(f"{PAGES_AT}/shows/{ids['square']}")
        assert '<h2 id="record-title">录入演出记录</h2>' in page.text
        token = await form_token(worker, f"{PAGES_AT}/shows/{ids['square']}")
        saved = await worker.post(f"{PAGES_AT}/shows/{ids['square']}/record", data={
            "attendance": "230", "satisfaction": "satisfied", "confirmed_by": "刘书记", "feedback": "老人们很爱看", "subsidy": "", "_csrf_token": token})
        assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGES_AT}/shows/{ids['square']}?done=recorded")
        assert await show_row(ids["square"]) == ("delivered", 230, "satisfied", "刘书记", 0, "陈网格")
        shown = await worker.get(saved.headers["location"])
        assert "演出记录已保存，谢谢！" in shown.text
        assert re.findall(r"<dt>观众人数</dt><dd>(.*?)</dd>", shown.text) == ["230"]
        assert re.findall(r"<dt>群众满意度</dt><dd>(.*?)</dd>", shown.text) == ["满意"]
        assert '<h2 id="record-title">更正演出记录</h2>' in shown.text
        # entering it again corrects it, the subsidy too
        await worker.post(f"{PAGES_AT}/shows/{ids['square']}/record", data={
            "attendance": "240", "satisfaction": "basically_satisfied", "confirmed_by": "刘书记", "subsidy": "4800.50", "_csrf_token": token})
        assert await show_row(ids["square"]) == ("delivered", 240, "basically_satisfied", "刘书记", 480050, "陈网格")
    async with w.client("community_admin") as api:
        summary = (await api.get(f"{API}/summary")).json()
        assert (summary["shows_delivered"], summary["audience_reached"]) == (1, 240)


async def test_a_wrong_record_comes_back_with_its_fields_and_writes_nothing(chengguan):
    w = chengguan
    ids = await two_shows(w)
    w.at(2026, 3, 8, 9, 0)
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        token = await form_token(admin, f"{PAGES_AT}/shows/{ids['square']}")
        audits = await AuditLog.count()
        cases = [
            ({"attendance": ""}, ["请填写观众人数：0 到 100000 之间的整数。"]),
            ({"attendance": "two hundred"}, ["请填写观众人数：0 到 100000 之间的整数。"]),
            ({"attendance": "-3"}, ["请填写观众人数：0 到 100000 之间的整数。"]),
            ({"attendance": "100001"}, ["请填写观众人数：0 到 100000 之间的整数。"]),
            ({"attendance": "200", "satisfaction": "great"}, ["请选择其中一项。"]),
            ({"attendance": "200", "subsidy": "12.345"}, ["请填写补贴金额（元），例如 5000 或 4800.50；不变可不填。"]),
            ({"attendance": "200", "confirmed_by": "刘" * 65}, ["最多 64 个字。"]),
            ({"attendance": "200", "feedback": "好" * 201}, ["最多 200 个字。"]),
        ]
        for data, errors in cases:
            page = await admin.post(f"{PAGES_AT}/shows/{ids['square']}/record", data={**data, "_csrf_token": token})
            assert (page.status_code, field_errors(page.text)) == (400, errors), data
            assert "请检查下面标出的内容：尚未保存。" in page.text
        assert 'name="attendance" type="text" value="200"' in page.text  # what was typed is kept
        not_yet = await admin.post(f"{PAGES_AT}/shows/{ids['hall']}/record", data={"attendance": "80", "_csrf_token": token})
        assert (not_yet.status_code, field_errors(not_yet.text)) == (400, ["演出还没有开始：请在演出结束后录入。"])
        assert await show_row(ids["square"]) == ("scheduled", None, "", "", 0, "")
        assert await show_row(ids["hall"]) == ("scheduled", None, "", "", 0, "")
        assert await AuditLog.count() == audits


async def test_a_show_outside_ones_area_is_the_404_page(chengguan):
    w = chengguan
    ids = await two_shows(w)
    w.at(2026, 3, 8, 9, 0)
    async with make_page_client(w.mh, w.staff["leader_c"]["id"]) as leader_c:
        token = await form_token(leader_c, f"{PAGES_AT}/shows")
        hidden = await leader_c.get(f"{PAGES_AT}/shows/{ids['square']}")
        missing = await leader_c.get(f"{PAGES_AT}/shows/999999")
        assert hidden.status_code == missing.status_code == 404
        assert "<h1>找不到页面</h1>" in hidden.text
        posted = await leader_c.post(f"{PAGES_AT}/shows/{ids['square']}/record", data={"attendance": "1", "_csrf_token": token})
        assert posted.status_code == 404
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as worker_b:  # grid B's worker
        token = await form_token(worker_b, f"{PAGES_AT}/shows")
        assert (await worker_b.post(f"{PAGES_AT}/shows/{ids['square']}/record", data={"attendance": "1", "_csrf_token": token})).status_code == 404
    assert await show_row(ids["square"]) == ("scheduled", None, "", "", 0, "")


async def test_card_and_queue(chengguan):
    w = chengguan
    ids = await two_shows(w)
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        overview = await admin.get("/overview/chengguan/scenes")  # the scene panels of the overview
        assert ("03-07 19:00", "下一场演出") in figures(overview.text) and ("0", "待录入演出记录") in figures(overview.text)
    worker = await principal_for(w.mh, w.staff["grid_worker"])
    leader_c = await principal_for(w.mh, w.staff["leader_c"])
    admin_p = await principal_for(w.mh, w.staff["community_admin"])
    assert await PAGES.queue(w.mh, worker) == []
    w.at(2026, 3, 8, 9, 0)
    items = await PAGES.queue(w.mh, worker)
    assert [(i.title_zh, i.urgency, i.href, i.community) for i in items] == [
        ("录入演出记录：《李二嫂改嫁》，03月07日在城关老街文化广场", "red", f"{PAGES_AT}/shows/{ids['square']}", "chengguan")]
    assert await PAGES.queue(w.mh, leader_c) == []
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        assert ("1", "待录入演出记录") in figures((await admin.get("/overview/chengguan/scenes")).text)
    w.at(2026, 3, 11, 9, 0)
    assert len(await PAGES.queue(w.mh, admin_p)) == 2
    async with w.client("grid_worker") as api:
        assert (await api.put(f"{API}/shows/{ids['square']}/record", json={"attendance": 100})).status_code == 200
    assert [i.href for i in await PAGES.queue(w.mh, admin_p)] == [f"{PAGES_AT}/shows/{ids['hall']}"]
    assert await PAGES.queue(w.mh, worker) == []


def test_the_catalogue_is_complete():
    assert catalogues.untranslated(SCENE_FOLDER, also=[CONSOLE]) == {}
    assert catalogues.untranslatable(SCENE_FOLDER) == {}
