"""The markets scene's console pages, in process: market days, deciding applications, the waiting list, proceeds, card and queue."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest_asyncio

from meihao.access.principals import principal_for
from meihao.access.tables import AuditLog
from meihao.scenarios import markets
from meihao.scenarios.markets.pages import PAGES, _back
from meihao.scenarios.markets.tables import Application, Proceeds
from meihao.testing import SceneWorld, form_token, make_page_client
from meihao.web.console import catalogues

API = "/api/communities/huayang/markets"
PAGES_AT = "/c/huayang/markets"
SCENE_FOLDER = Path(markets.__file__).parent
CONSOLE = Path(catalogues.__file__).parent


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    """华阳: grid A (陈网格, the grid worker), grid B (吴网格; 孙网格长 its grid leader), 郑主任 the community admin."""
    return await SceneWorld.build(
        meihao, "markets", slug="huayang", name="华阳社区", grids={"A": "华阳小区", "B": "澄波湖畔"},
        residents={name: {"grid": grid, "birth_date": date(1975, 4, 1)} for name, grid in
                   {"王秀英": "A", "李建国": "A", "张伟": "A", "赵丽": "B"}.items()},
        staff={"leader_b": ("grid_leader", "B", "孙网格长")},
    )


async def market_with_applications(w: SceneWorld) -> dict:
    """A market of two stalls (days 14 March and 11 April); four applications for 14 March, all pending."""
    r = w.residents
    async with w.client("community_admin") as admin, w.client("grid_worker") as worker, w.client("grid_worker_out") as worker_b:
        created = await admin.post(f"{API}/markets", json={
            "name": "睦邻善市公益市集", "venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA",
            "first_day": "2026-03-01", "opens_at": "09:00", "closes_at": "11:30", "capacity": 2})
        assert created.status_code == 201, created.text
        day_id = created.json()["next_days"][0]["id"]
        ids = {}
        for name, goods in (("王秀英", "手工编织杯垫"), ("李建国", "旧书义卖"), ("张伟", "多肉绿植")):
            ids[name] = (await worker.post(f"{API}/days/{day_id}/applications", json={"resident_id": r[name]["id"], "goods": goods})).json()["id"]
        ids["赵丽"] = (await worker_b.post(f"{API}/days/{day_id}/applications", json={"resident_id": r["赵丽"]["id"], "goods": "自制酱菜"})).json()["id"]
    return {"market": created.json(), "day_id": day_id, "ids": ids}


def h2s(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S)]


def h3s(html: str) -> list[str]:
    """The h3 headings of the items (applicants), not those of the list's filters (facets)."""
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h3(?! id=\"facet-)[^>]*>(.*?)</h3>", html, re.S)]


def field_errors(html: str) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>(.*?)</p>', html)


def figures(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="value">(.*?)</span><span class="label">(.*?)</span>', html)


async def statuses(ids: dict[str, int]) -> dict[str, tuple[str, str]]:
    rows = {a["id"]: (a["status"], a["reason"]) for a in await Application.select(Application.id, Application.status, Application.reason)}
    return {name: rows[i] for name, i in ids.items()}


async def test_market_days_show_their_state_and_stalls(world):
    w = world
    setup = await market_with_applications(w)
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(f"{PAGES_AT}/days")
        assert page.status_code == 200
        assert h2s(page.text) == ["2026-03-14 09:00", "2026-04-11 09:00"]
        assert page.text.count("正在接受申请") == 2
        assert re.findall(r"<dt>已定摊位</dt><dd>(.*?)</dd>", page.text) == ["0 / 2", "0 / 2"]
        assert re.findall(r"<dt>待审批</dt><dd>(.*?)</dd>", page.text) == ['<strong class="warn-text">4</strong>', "0"]
        assert re.findall(r"<dt>报名截止</dt><dd>(.*?)</dd>", page.text) == ["2026-03-12 09:00", "2026-04-09 09:00"]
        assert (await admin.get(f"{PAGES_AT}")).status_code == 200  # the scene's first page, from the overview's link
        one = await admin.get(f"{PAGES_AT}/days/{setup['day_id']}")
        assert h3s(one.text) == ["王秀英", "李建国", "张伟", "赵丽"]
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as worker_b:
        one = await worker_b.get(f"{PAGES_AT}/days/{setup['day_id']}")
        assert h3s(one.text) == ["赵丽"]  # the applications of their own grid only
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        elsewhere = await admin.get("/c/beiyuan/markets/days")  # the neighbouring community runs no market
        assert elsewhere.status_code == 404 and "<h1>找不到页面</h1>" in elsewhere.text


async def test_applications_to_decide_are_scoped_like_the_api(world):
    w = world
    await market_with_applications(w)
    expected = {"community_admin": ["王秀英", "李建国", "张伟", "赵丽"], "grid_worker": ["王秀英", "李建国", "张伟"], "grid_worker_out": ["赵丽"]}
    for who, names in expected.items():
        async with make_page_client(w.mh, w.staff[who]["id"]) as client:
            page = await client.get(f"{PAGES_AT}/applications")
            assert page.status_code == 200
            assert h3s(page.text) == names
            assert [h for h in h2s(page.text) if h.startswith("2026")] == ["2026-03-14 睦邻善市公益市集"]  # the days (beside the list's tools)
            # only the community's admins decide: the grid workers see no buttons
            assert page.text.count(">通过</button>") == (4 if who == "community_admin" else 0)
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        admin.cookies.set("meihao_lang", "en")
        english = await admin.get(f"{PAGES_AT}/applications")
        assert re.findall(r"<h1>(.*?)</h1>", english.text) == ["Applications to decide"]
        assert english.text.count(">Approve</button>") == 4 and "Stalls taken 0 of 2 · applications close 2026-03-12 09:00" in english.text


async def test_approve_and_refuse_from_the_page_change_exactly_that_application(world):
    w = world
    setup = await market_with_applications(w)
    ids = setup["ids"]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        token = await form_token(admin, f"{PAGES_AT}/applications")
        done = await admin.post(f"{PAGES_AT}/applications/{ids['王秀英']}/approve", data={"_csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, f"{PAGES_AT}/applications?done=approved")
        assert await statuses(ids) == {"王秀英": ("approved", ""), "李建国": ("pending", ""), "张伟": ("pending", ""), "赵丽": ("pending", "")}
        assert "已通过：申请人获得摊位，并会收到通知。" in (await admin.get(done.headers["location"])).text

        # a refusal needs its reason: the form comes back at that application, and nothing is written
        audits = await AuditLog.count()
        empty = await admin.post(f"{PAGES_AT}/applications/{ids['李建国']}/refuse", data={"reason": "  ", "_csrf_token": token})
        assert empty.status_code == 400
        assert field_errors(empty.text) == ["请说明不通过的原因：申请人会收到这条说明。"]
        assert f'id="reason-{ids["李建国"]}" name="reason" maxlength="500" value="" aria-invalid="true"' in empty.text
        assert await statuses(ids) == {"王秀英": ("approved", ""), "李建国": ("pending", ""), "张伟": ("pending", ""), "赵丽": ("pending", "")}
        assert await AuditLog.count() == audits

        refused = await admin.post(f"{PAGES_AT}/applications/{ids['李建国']}/refuse", data={"reason": "同类商品摊位已满", "_csrf_token": token})
        assert (refused.status_code, refused.headers["location"]) == (303, f"{PAGES_AT}/applications?done=refused")
        assert await statuses(ids) == {
            "王秀英": ("approved", ""), "李建国": ("refused", "同类商品摊位已满"), "张伟": ("pending", ""), "赵丽": ("pending", "")}

        # the second stall, then the day is full: the next one goes to the waiting list
        await admin.post(f"{PAGES_AT}/applications/{ids['赵丽']}/approve", data={"_csrf_token": token})
        full = await admin.post(f"{PAGES_AT}/applications/{ids['张伟']}/approve", data={"_csrf_token": token, "next": "/queue"})
        assert (full.status_code, full.headers["location"]) == (303, "/queue")
        assert await statuses(ids) == {
            "王秀英": ("approved", ""), "李建国": ("refused", "同类商品摊位已满"), "张伟": ("waitlisted", ""), "赵丽": ("approved", "")}
        waiting = await admin.get(f"{PAGES_AT}/waiting")
        assert re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td></tr>", waiting.text) == [("1", "张伟", "多肉绿植")]
        assert h3s((await admin.get(f"{PAGES_AT}/applications")).text) == []

        # deciding twice: the page says so and changes nothing
        again = await admin.post(f"{PAGES_AT}/applications/{ids['王秀英']}/approve", data={"_csrf_token": token})
        assert again.status_code == 409
        assert re.findall(r'<p class="alert" role="alert">(.*?)</p>', again.text) == ["这份申请已经处理过，或者市集已经开始；下面是最新的名单。"]
        bad_next = await admin.post(f"{PAGES_AT}/applications/{ids['张伟']}/refuse",
                                    data={"reason": "候补过多", "next": "//evil.example/", "_csrf_token": token})
        assert bad_next.headers["location"] == f"{PAGES_AT}/applications?done=refused"  # only local paths


async def test_deciding_needs_the_permission_and_the_scope(world):
    w = world
    setup = await market_with_applications(w)
    ids = setup["ids"]
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        token = await form_token(worker, f"{PAGES_AT}/applications")
        denied = await worker.post(f"{PAGES_AT}/applications/{ids['王秀英']}/approve", data={"_csrf_token": token})
        assert denied.status_code == 403 and "<h1>无权访问</h1>" in denied.text
        # recording proceeds for another grid's stall: the same page as for one that does not exist
        hidden = await worker.post(f"{PAGES_AT}/applications/{ids['赵丽']}/proceeds", data={"amount": "10", "_csrf_token": token})
        missing = await worker.post(f"{PAGES_AT}/applications/999999/proceeds", data={"amount": "10", "_csrf_token": token})
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text.replace(f"/{ids['赵丽']}/", "/N/") == missing.text.replace("/999999/", "/N/")
        no_token = await worker.post(f"{PAGES_AT}/applications/{ids['王秀英']}/proceeds", data={"amount": "10"})
        assert no_token.status_code == 403 and "表单已过期" in no_token.text
    assert await statuses(ids) == {"王秀英": ("pending", ""), "李建国": ("pending", ""), "张伟": ("pending", ""), "赵丽": ("pending", "")}
    assert await Proceeds.count() == 0


async def test_proceeds_are_recorded_on_the_day_page_and_totalled_per_role(world):
    w = world
    setup = await market_with_applications(w)
    ids = setup["ids"]
    async with w.client("community_admin") as api:
        for name in ("王秀英", "赵丽"):
            assert (await api.post(f"{API}/applications/{ids[name]}/approve")).json()["status"] == "approved"
    day_page = f"{PAGES_AT}/days/{setup['day_id']}"
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        token = await form_token(worker, day_page)
        early = await worker.post(f"{PAGES_AT}/applications/{ids['王秀英']}/proceeds", data={"amount": "120.50", "_csrf_token": token})
        assert (early.status_code, field_errors(early.text)) == (400, ["市集开始后才能登记善款。"])
        w.at(2026, 3, 14, 12, 0)
        for amount in ("abc", "-5", "12.345", "２０", "100001"):
            bad = await worker.post(f"{PAGES_AT}/applications/{ids['王秀英']}/proceeds", data={"amount": amount, "_csrf_token": token})
            assert bad.status_code == 400, amount
            assert field_errors(bad.text) == (["金额超出一个摊位的合理范围，请核对。"] if amount == "100001" else ["请填写金额（元），例如 120 或 85.50。"])
            assert f'value="{amount}"' in bad.text
        assert await Proceeds.count() == 0
        saved = await worker.post(f"{PAGES_AT}/applications/{ids['王秀英']}/proceeds", data={"amount": "120.50", "_csrf_token": token})
        assert (saved.status_code, saved.headers["location"]) == (303, f"{day_page}?done=proceeds#a{ids['王秀英']}")
        shown = await worker.get(f"{day_page}?done=proceeds")
        assert "善款已登记。" in shown.text and "善款：¥120.50" in shown.text
        assert (await worker.get(f"{PAGES_AT}/proceeds")).status_code == 403  # reading the totals is the community's and grid leaders'
    async with w.client("community_admin") as api:
        assert (await api.put(f"{API}/applications/{ids['赵丽']}/proceeds", json={"amount": "80"})).status_code == 200
    assert sorted((p["application"], p["amount_fen"]) for p in await Proceeds.select()) == sorted([(ids["王秀英"], 12050), (ids["赵丽"], 8000)])

    totals = {"community_admin": ("200.50", [("1", "2", "200.50")]), "leader_b": ("80.00", [("1", "1", "80.00")])}
    for who, (total, per_market) in totals.items():
        async with make_page_client(w.mh, w.staff[who]["id"]) as client:
            page = await client.get(f"{PAGES_AT}/proceeds")
            assert page.status_code == 200
            assert figures(page.text)[0] == (total, "2026年善款（元）")
            assert re.findall(r"<tr><td>睦邻善市公益市集</td><td>(\d+)</td><td>(\d+)</td><td class=\"num\">(.*?)</td></tr>", page.text) == per_market
            assert re.findall(r">2026-03-14</a></td><td>(\d+)</td><td class=\"num\">(.*?)</td>", page.text) == [(per_market[0][1], total)]
            last_year = await client.get(f"{PAGES_AT}/proceeds?year=2025")
            assert figures(last_year.text)[0] == ("0.00", "2025年善款（元）")


async def test_card_and_queue(world):
    w = world
    setup = await market_with_applications(w)
    ids = setup["ids"]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        panels = await admin.get("/overview/huayang/scenes")  # the overview's scene panels
        assert ("03-14", "下次市集") in figures(panels.text) and ("4", "待审批申请") in figures(panels.text)
        assert f'href="{PAGES_AT}/days">睦邻善市</a>' in panels.text
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert ("3", "待审批申请") in figures((await worker.get("/overview/huayang/scenes")).text)

    admin = await principal_for(w.mh, w.staff["community_admin"])
    worker = await principal_for(w.mh, w.staff["grid_worker"])
    leader_b = await principal_for(w.mh, w.staff["leader_b"])
    items = await PAGES.queue(w.mh, admin)
    assert [(i.title_zh, i.urgency, i.href, i.action) for i in items] == [
        (f"审批摊位申请：{name}（{goods}），03月14日市集", "yellow", f"{PAGES_AT}/applications", ("通过", "Approve", f"applications/{ids[name]}/approve"))
        for name, goods in (("王秀英", "手工编织杯垫"), ("李建国", "旧书义卖"), ("张伟", "多肉绿植"), ("赵丽", "自制酱菜"))
    ]
    assert items[0].due.isoformat() == "2026-03-12T01:00:00+00:00"  # undecided ones are decided in order at the close
    assert await PAGES.queue(w.mh, worker) == []  # a grid worker does not decide
    assert await PAGES.overdue(w.mh, admin) == []  # the overview's red part: none of the four yellow ones

    async with w.client("community_admin") as api:
        for name in ("王秀英", "赵丽"):
            await api.post(f"{API}/applications/{ids[name]}/approve")
        w.at(2026, 3, 14, 12, 0)
        await api.put(f"{API}/applications/{ids['王秀英']}/proceeds", json={"amount": "50"})
    assert [(i.title_zh, i.urgency, i.href) for i in await PAGES.queue(w.mh, admin)] == [
        ("登记善款：睦邻善市公益市集（03月14日），1个摊位未登记", "red", f"{PAGES_AT}/days/{setup['day_id']}")]
    assert [(i.title_zh, i.urgency, i.href, i.due.isoformat()) for i in await PAGES.overdue(w.mh, admin)] == [
        ("登记善款：睦邻善市公益市集（03月14日），1个摊位未登记", "red", f"{PAGES_AT}/days/{setup['day_id']}", "2026-03-14T03:30:00+00:00")]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as page:
        assert "登记善款：睦邻善市公益市集（03月14日），1个摊位未登记" in (await page.get("/")).text  # overdue, on the overview
    assert [i.title_en for i in await PAGES.queue(w.mh, leader_b)] == ["Record proceeds: 睦邻善市公益市集 (14 Mar), 1 stalls without proceeds"]
    assert [i.title_en for i in await PAGES.overdue(w.mh, leader_b)] == ["Record proceeds: 睦邻善市公益市集 (14 Mar), 1 stalls without proceeds"]
    assert await PAGES.queue(w.mh, worker) == []  # 王秀英's stall, in their grid, is recorded
    assert await PAGES.overdue(w.mh, worker) == []

    async with w.client("street_admin") as street:
        assert (await street.delete("/api/communities/huayang/scenarios/markets")).status_code in (200, 204)
    assert await PAGES.queue(w.mh, admin) == []  # switched off: nothing of it in anyone's queue


def test_one_tap_actions_go_back_to_local_paths_only():
    assert _back({"next": "/queue"}, "/fallback") == "/queue"
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/", "", "/queue\nSet-Cookie: x=1"):
        assert _back({"next": target}, "/fallback") == "/fallback", target


def test_the_catalogue_is_complete():
    assert catalogues.untranslated(SCENE_FOLDER, also=[CONSOLE]) == {}
    assert catalogues.untranslatable(SCENE_FOLDER) == {}
