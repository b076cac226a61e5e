"""service's console pages in process, on SQLite and PostgreSQL: the queue, a request and its steps, the roster, the 三率.

荷畔 (conftest): grid A is 陈网格's with 孙网格长 its leader, grid B 吴网格's; 郑主任 and 李书记 lead the
community. Three requests: 路灯 (grid A, a 咨询 received Friday 27 Nov 09:00: due Monday 30 Nov 17:30),
居住证 (grid A, a 咨询 received Monday 30 Nov 09:00: due Tuesday 1 Dec 17:30) and 漏水 (grid B, a 求助
received Monday 30 Nov 09:00: due Monday 7 Dec 17:30). The pages are read on Tuesday 1 Dec 10:00:
路灯 is overdue, 居住证 due today (and past its yellow flag), 漏水 neither.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest_asyncio

from meihao.scenarios import service
from meihao.testing import form_token, make_page_client
from meihao.web.console import catalogues

from .conftest import BASE as API

SCENE = Path(service.__file__).parent
KERNEL_CONSOLE = Path(catalogues.__file__).parent
PAGES = "/c/hepan/service"


def h1(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)]


def listed(html: str) -> list[str]:
    """The requests' texts on the queue page, in order."""
    return re.findall(r'class="sv-text" href="[^"]+">([^<]+)</a>', html)


def flags(html: str) -> list[str]:
    return re.findall(r'class="badge tone-\w+ sv-flag">([^<]+)</span>', html)


def facet_counts(html: str) -> list[tuple[str, str]]:
    """(label, count) of the filters, as shown."""
    return re.findall(r'<li><a href="[^"]+"[^>]*>([^<]+?) <span class="count">(\d+)</span></a></li>', html)


@pytest_asyncio.fixture
async def w(hepan):
    w = hepan
    w.requests = {}
    async with w.client("community_admin") as admin:
        for key, when, body in (
            ("路灯", (2026, 11, 27, 9, 0), {"type": "consultation", "text": "小区东门路灯不亮", "grid": w.grids["A"]}),
            ("居住证", (2026, 11, 30, 9, 0), {"type": "consultation", "text": "咨询居住证办理需要哪些材料", "grid": w.grids["A"]}),
            ("漏水", (2026, 11, 30, 9, 0), {"type": "help", "text": "3号楼2单元楼道漏水", "grid": w.grids["B"]}),
        ):
            w.at(*when)
            made = await admin.post(f"{API}/requests", json={"channel": "visit", **body})
            assert made.status_code == 201, made.text
            w.requests[key] = made.json()["id"]
    w.at(2026, 12, 1, 10, 0)
    return w


async def test_the_queue_flags_and_counts_in_the_viewers_scope(w):
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(f"{PAGES}/requests")
        root = await admin.get(PAGES)
        red = await admin.get(f"{PAGES}/requests?due=red")
        today = await admin.get(f"{PAGES}/requests?due=today")
        yellow = await admin.get(f"{PAGES}/requests?due=yellow")
        received = await admin.get(f"{PAGES}/requests?state=received")
        wrong = await admin.get(f"{PAGES}/requests?due=tomorrow")
    assert (page.status_code, h1(page.text), root.status_code) == (200, ["居民诉求"], 200)
    # newest first (漏水 was received after 居住证 in the same minute)
    assert listed(page.text) == ["3号楼2单元楼道漏水", "咨询居住证办理需要哪些材料", "小区东门路灯不亮"] == listed(root.text)
    assert flags(page.text) == ["今天到期", "逾期"]
    assert "在办3件 · 今天到期1件 · 逾期1件" in page.text
    # the moments as a worker reads them, in Chinese (no ISO dates)
    assert "答复期限：12月1日（周二）下午5点半" in page.text and "受理于11月27日（周五）上午9点" in page.text
    assert "2026-12-01" not in page.text
    assert facet_counts(page.text) == [("逾期", "1"), ("即将到期", "1"), ("今天到期", "1"), ("受理", "3")]
    assert listed(red.text) == ["小区东门路灯不亮"]
    assert listed(today.text) == ["咨询居住证办理需要哪些材料"]
    assert listed(yellow.text) == ["咨询居住证办理需要哪些材料"]
    assert listed(received.text) == ["3号楼2单元楼道漏水", "咨询居住证办理需要哪些材料", "小区东门路灯不亮"]
    assert wrong.status_code == 400

    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        mine = await worker.get(f"{PAGES}/requests")
    assert listed(mine.text) == ["咨询居住证办理需要哪些材料", "小区东门路灯不亮"]
    assert "在办2件 · 今天到期1件 · 逾期1件" in mine.text
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as other:
        theirs = await other.get(f"{PAGES}/requests")
        none_today = await other.get(f"{PAGES}/requests?due=today")
    assert (listed(theirs.text), flags(theirs.text)) == (["3号楼2单元楼道漏水"], [])
    assert (listed(none_today.text), "没有符合条件的诉求。" in none_today.text) == ([], True)


async def test_a_request_outside_the_scope_is_the_missing_page(w):
    leak = w.requests["漏水"]
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        page = await worker.get(f"{PAGES}/requests/{leak}")
        missing = await worker.get(f"{PAGES}/requests/999999")
        token = await form_token(worker)
        posted = await worker.post(f"{PAGES}/requests/{leak}", data={"action": "dispatch", "assignee": str(w.staff["grid_worker"]["id"]),
                                                                      "_csrf_token": token})
    assert (page.status_code, missing.status_code, posted.status_code) == (404, 404, 404)
    assert h1(page.text) == h1(missing.text) == ["找不到页面"]
    assert "漏水" not in page.text + posted.text
    async with w.client("community_admin") as admin:
        assert (await admin.get(f"{API}/requests/{leak}")).json()["state"] == "received"


async def test_a_request_goes_from_received_to_closed_on_its_page(w):
    rid = w.requests["居住证"]
    leader = w.staff["leader"]["id"]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(f"{PAGES}/requests/{rid}")
        assert (page.status_code, h1(page.text)) == (200, [f"诉求 {rid} 受理 今天到期"])
        assert 'name="action" value="dispatch"' in page.text and 'value="sign"' not in page.text
        assert "11月30日（周一）上午9点</span> 郑主任 受理了诉求 — 来访受理" in page.text
        token = await form_token(admin, f"{PAGES}/requests/{rid}")
        nobody = await admin.post(f"{PAGES}/requests/{rid}", data={"action": "dispatch", "expected": "received", "_csrf_token": token})
        assert (nobody.status_code, "请选择交给谁。" in nobody.text) == (400, True)
        done = await admin.post(f"{PAGES}/requests/{rid}", data={"action": "dispatch", "assignee": str(leader), "expected": "received",
                                                                 "_csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, f"{PAGES}/requests/{rid}?done=dispatched")
        after = await admin.get(done.headers["location"])
        assert "操作成功：诉求现处于“分办”环节。" in after.text and "郑主任 分办给孙网格长</li>" in after.text

    async with make_page_client(w.mh, leader) as client:
        token = await form_token(client, f"{PAGES}/requests/{rid}")
        back = await client.post(f"{PAGES}/requests/{rid}", data={"action": "return", "reason": " ", "expected": "dispatched", "_csrf_token": token})
        assert (back.status_code, "请说明理由。" in back.text) == (400, True)
        signed = await client.post(f"{PAGES}/requests/{rid}", data={"action": "sign", "expected": "dispatched", "_csrf_token": token})
        assert signed.status_code == 303
        # a second tap on the page still showing 分办: someone signed first
        again = await client.post(f"{PAGES}/requests/{rid}", data={"action": "sign", "expected": "dispatched", "_csrf_token": token})
        assert (again.status_code, "已被他人先行处理" in again.text) == (409, True)
        await client.post(f"{PAGES}/requests/{rid}", data={"action": "start", "expected": "signed", "_csrf_token": token})
        too_long = await client.post(f"{PAGES}/requests/{rid}", data={"action": "extend", "working_days": "11", "reason": "需核实材料",
                                                                      "_csrf_token": token})
        assert (too_long.status_code, "延期为1至10个工作日。" in too_long.text) == (400, True)
        extended = await client.post(f"{PAGES}/requests/{rid}", data={"action": "extend", "working_days": "1", "reason": "需核实材料",
                                                                      "_csrf_token": token})
        assert extended.headers["location"] == f"{PAGES}/requests/{rid}?done=extended"
        shown = await client.get(extended.headers["location"])
        assert "期限已延长。" in shown.text and "答复期限：12月2日（周三）下午5点半" in shown.text
        no_reply = await client.post(f"{PAGES}/requests/{rid}", data={"action": "reply", "reply": "", "expected": "in_progress",
                                                                      "_csrf_token": token})
        assert no_reply.status_code == 400
        await client.post(f"{PAGES}/requests/{rid}", data={"action": "reply", "reply": "已告知需带身份证、租房合同", "expected": "in_progress",
                                                           "_csrf_token": token})
        called = await client.post(f"{PAGES}/requests/{rid}", data={"action": "callback", "result": "basically_satisfied", "resolved": "yes",
                                                                    "_csrf_token": token})
        assert called.headers["location"] == f"{PAGES}/requests/{rid}?done=visited"
        closed = await client.post(f"{PAGES}/requests/{rid}", data={"action": "close", "expected": "visited", "_csrf_token": token})
        final = await client.get(closed.headers["location"])
    assert "操作成功：诉求现处于“办结”环节。" in final.text and 'name="action"' not in final.text
    assert "基本满意" in final.text and "已告知需带身份证、租房合同" in final.text
    async with w.client("community_admin") as admin:
        body = (await admin.get(f"{API}/requests/{rid}")).json()
    assert (body["state"], [c["extensions"] for c in body["clocks"]]) == ("closed", [0, 1, 0])


async def test_a_grid_worker_cannot_call_back_or_close(w):
    rid = w.requests["路灯"]
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        page = await worker.get(f"{PAGES}/requests/{rid}")
        token = await form_token(worker, f"{PAGES}/requests/{rid}")
        refused = await worker.post(f"{PAGES}/requests/{rid}", data={"action": "callback", "result": "satisfied", "_csrf_token": token})
        no_token = await worker.post(f"{PAGES}/requests/{rid}", data={"action": "dispatch", "assignee": "1"})
    assert page.status_code == 200 and 'value="dispatch"' in page.text
    assert refused.status_code == 403
    assert no_token.status_code == 403


async def test_receiving_a_request_on_the_page(w):
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        form = await worker.get(f"{PAGES}/requests/new")
        assert (form.status_code, h1(form.text)) == (200, ["受理诉求"])
        token = await form_token(worker, f"{PAGES}/requests/new")
        empty = await worker.post(f"{PAGES}/requests/new", data={"channel": "phone", "type": "help", "text": "  ", "_csrf_token": token})
        assert (empty.status_code, "请填写居民诉求内容（不超过2000字）。" in empty.text) == (400, True)
        made = await worker.post(f"{PAGES}/requests/new", data={"channel": "phone", "type": "help", "text": "楼下餐馆油烟扰民",
                                                                "grid": str(w.grids["A"]), "_csrf_token": token})
        assert made.status_code == 303
        shown = await worker.get(made.headers["location"])
        settled = await worker.post(f"{PAGES}/requests/new", data={"channel": "visit", "type": "consultation", "text": "问社区食堂开放时间",
                                                                   "settled": "已告知每天11点至13点", "_csrf_token": token})
        closed = await worker.get(settled.headers["location"])
    assert "楼下餐馆油烟扰民" in shown.text and "求助 · 电话" in shown.text and "答复期限：12月8日（周二）下午5点半" in shown.text
    assert h1(closed.text)[0].endswith("办结") and "已告知每天11点至13点" in closed.text


async def test_the_roster_of_the_week(w):
    admin_id, second = w.staff["community_admin"]["id"], w.staff["admin2"]["id"]
    async with w.client("community_admin") as api:
        for day, who in (("2026-11-30", admin_id), ("2026-12-01", second)):
            assert (await api.put(f"{API}/duty", json={"day": day, "staff": who})).status_code == 200
    async with make_page_client(w.mh, admin_id) as admin:
        page = await admin.get(f"{PAGES}/duty")
        token = await form_token(admin, f"{PAGES}/duty")
        changed = await admin.post(f"{PAGES}/duty", data={"day": "2026-12-02", "staff": str(second), "_csrf_token": token})
        after = await admin.get(changed.headers["location"])
        following = await admin.get(f"{PAGES}/duty?week=2026-12-09")
    assert (page.status_code, h1(page.text)) == (200, ["首席接访员值班表"])
    days = re.findall(r'<span class="sv-date">([^<]+).*?<span class="sv-who">([^<]+)</span>', page.text, re.S)
    assert [(d.strip(), who) for d, who in days] == [
        ("11月30日（周一）", "郑主任"), ("12月1日（周二）", "李书记"), ("12月2日（周三）", "未排班，由社区负责人接访"),
        ("12月3日（周四）", "未排班，由社区负责人接访"), ("12月4日（周五）", "未排班，由社区负责人接访"), ("12月5日（周六）", "休息"),
        ("12月6日（周日）", "休息"),
    ]
    assert changed.headers["location"] == f"{PAGES}/duty?week=2026-12-02"
    assert "12月2日（周三）</span>\n    <span class=\"sv-who\">李书记" in after.text
    assert "12月7日（周一）" in following.text
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        seen = await worker.get(f"{PAGES}/duty")
        token = await form_token(worker, f"{PAGES}/duty")
        refused = await worker.post(f"{PAGES}/duty", data={"day": "2026-12-03", "staff": str(second), "_csrf_token": token})
    assert seen.status_code == 200 and "sv-duty-form" not in seen.text and refused.status_code == 403


async def test_the_months_rates(w):
    """November's three: 居住证 called back 满意, 漏水 基本满意 (both closed in time), 路灯 open past its deadline.
    响应率 = 解决率 = 2 contacted and resolved / 2 valid = 100 %; 满意率 = (1 + 0.9 × 1) / 2 = 95 %; 按期办结率 = 2 closed
    in time / (2 closed + 1 open past due) = 66.7 %; score = 100 × (0.1 × 1 + 0.5 × 1 + 0.4 × 0.95) = 98.0."""
    leader = w.staff["leader"]["id"]
    async with w.client("community_admin") as admin:
        for key, result in (("居住证", "satisfied"), ("漏水", "basically_satisfied")):
            rid = w.requests[key]
            await admin.post(f"{API}/requests/{rid}/actions", json={"action": "dispatch", "assignee": leader})
            for action in ("sign", "start"):
                assert (await admin.post(f"{API}/requests/{rid}/actions", json={"action": action})).status_code == 201
            await admin.post(f"{API}/requests/{rid}/actions", json={"action": "reply", "reply": "已处理"})
            await admin.post(f"{API}/requests/{rid}/callbacks", json={"result": result, "contacted": True, "resolved": True})
            await admin.post(f"{API}/requests/{rid}/actions", json={"action": "close"})
        api = (await admin.get(f"{API}/rates", params={"since": "2026-11-01", "until": "2026-11-30"})).json()[0]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        november = await admin.get(f"{PAGES}/rates?month=2026-11")
        bad = await admin.get(f"{PAGES}/rates?month=2026-13")
    values = re.findall(r'<span class="value">([^<]+)</span><span class="label">([^<]+)</span>', november.text)
    assert (november.status_code, h1(november.text)) == (200, ["月度三率"])
    assert "2026年11月" in november.text and bad.status_code == 400
    assert api["items"] == 3 and api["closed"] == 2
    assert values == [("100.0%", "响应率"), ("100.0%", "解决率"), ("95.0%", "满意率"), ("66.7%", "按期办结率"), ("98.0", "综合成绩")]


async def test_the_english_pages_and_the_catalogue(w):
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        admin.cookies.set("meihao_lang", "en")
        page = await admin.get(f"{PAGES}/requests")
    assert h1(page.text) == ["Residents' requests"] and "Answer by Tue 1 Dec 17:30" in page.text
    assert catalogues.untranslated(SCENE, also=[KERNEL_CONSOLE]) == {}
