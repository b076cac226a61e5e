"""A resident applies for a market stall herself, through her inbox link (/r/{token}/markets/stalls), in process, on both databases.

tests/browser/test_resident_stall.py opens the same page in Chromium at phone size.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html import unescape
from pathlib import Path

import pytest_asyncio

from meihao.access.tables import AuditLog
from meihao.reminders.tokens import make_token
from meihao.scenarios import markets
from meihao.scenarios.markets.tables import Application
from meihao.tables import Resident
from meihao.testing import ANONYMOUS, SceneWorld, make_page_client
from meihao.web.console import catalogues

API = "/api/communities/huayang/markets"


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    """华阳 (runs markets): 王秀英 and 李建国 in grid A, 赵丽 in grid B; a market of two stalls, days 14 March and 11 April 2026."""
    w = await SceneWorld.build(
        meihao, "markets", slug="huayang", name="华阳社区", grids={"A": "华阳小区", "B": "澄波湖畔"},
        residents={"王秀英": "A", "李建国": "A", "赵丽": "B"},
    )
    async with w.client("community_admin") as admin:
        created = await admin.post(f"{API}/markets", json={
            "name": "睦邻善市公益市集", "venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA",
            "first_day": "2026-03-01", "opens_at": "09:00", "closes_at": "11:30", "capacity": 2})
        assert created.status_code == 201, created.text
    w.days = [d["id"] for d in created.json()["next_days"][:2]]  # type: ignore[attr-defined]
    return w


def main_of(html: str) -> str:
    return re.search(r"<main[^>]*>(.*?)</main>", html, re.S).group(1)


def texts(html: str, css_class: str) -> list[str]:
    return [unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", t)).strip())
            for t in re.findall(rf'<(?:p|h3)[^>]* class="{css_class}"[^>]*>(.*?)</(?:p|h3)>', main_of(html), re.S)]


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


def h1(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r"<h1[^>]*>(.*?)</h1>", html)]


async def applications() -> list[tuple[int, int | None, str, str, str]]:
    rows = await Application.select(Application.market_day, Application.resident, Application.goods, Application.status,
                                    Application.reason).order_by(Application.id)
    return [(r["market_day"], r["resident"], r["goods"], r["status"], r["reason"]) for r in rows]


async def audit_rows() -> list[tuple[int | None, str, str]]:
    rows = await AuditLog.select(AuditLog.staff, AuditLog.actor, AuditLog.action, AuditLog.detail).where(
        AuditLog.action.like("markets.application.%")).order_by(AuditLog.id)
    return [(r["staff"], r["actor"], r["action"]) for r in rows]


async def test_a_resident_applies_through_her_link_as_herself_whatever_the_form_says(world):
    w = world
    wang, li = w.residents["王秀英"]["id"], w.residents["李建国"]["id"]
    first, second = w.days
    token = await make_token(w.mh, "resident", wang, "inbox")
    stalls = f"/r/{token}/markets/stalls"
    async with make_page_client(w.mh, ANONYMOUS) as client:
        page = await client.get(stalls)
        assert page.status_code == 200, page.text
        assert h1(page.text) == ["申请市集摊位"]
        assert '<span class="r-place">华阳社区</span>' in page.text
        assert texts(page.text, "r-when") == ["3月14日（周六）上午9点–上午11点半", "4月11日（周六）上午9点–上午11点半"]
        assert texts(page.text, "r-places") == ["已定摊位 0 / 2", "已定摊位 0 / 2"]
        assert texts(page.text, "r-muted")[:2] == ["报名截止：3月12日（周四）上午9点", "报名截止：4月9日（周四）上午9点"]
        assert "您还没有申请近期市集的摊位。" in page.text
        # the form names 李建国: the application is still 王秀英's, the link's resident
        done = await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": str(first),
                                                          "goods": "  手工编织  杯垫 ", "resident_id": str(li)})
        assert (done.status_code, done.headers["location"]) == (303, f"{stalls}?done=applied#mine")
        assert await applications() == [(first, wang, "手工编织 杯垫", "pending", "")]
        assert await audit_rows() == [(None, f"resident {wang} (inbox link)", "markets.application.create")]
        page = await client.get(f"{stalls}?done=applied")
        assert texts(page.text, "r-notice") == ["申请已提交。社区审批后会通知您。"]
        assert texts(page.text, "r-done") == ["您已申请这一天的摊位"]
        assert texts(page.text, "r-status") == ["待审批"]
        assert "货品：手工编织 杯垫" in page.text
        # a second application for the same day: 409, the message at that day, nothing written
        again = await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": str(first), "goods": "旧书"})
        assert again.status_code == 409
        assert texts(again.text, "r-alert") == ["您已经申请过这一天的摊位。"]
        # goods missing or too long: 400, the message at the field, the goods kept in the field
        empty = await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": str(second), "goods": "   "})
        assert (empty.status_code, texts(empty.text, "r-alert")) == (400, ["请写上您要卖什么，例如：手工编织杯垫。"])
        assert f'id="goods-{second}-error"' in empty.text and 'aria-invalid="true"' in empty.text
        long = await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": str(second), "goods": "书" * 201})
        assert (long.status_code, texts(long.text, "r-alert")) == (400, ["太长了：最多 200 个字。"])
        assert await applications() == [(first, wang, "手工编织 杯垫", "pending", "")]
        client.cookies.set("meihao_lang", "en")
        english = await client.get(stalls)
        assert (h1(english.text), texts(english.text, "r-status"), texts(english.text, "r-places")) == (
            ["Apply for a market stall"], ["Waiting for a decision"], ["0 of 2 stalls taken", "0 of 2 stalls taken"])
        client.cookies.delete("meihao_lang")
        # without the form's token: refused, nothing written
        refused = await client.post(f"{stalls}/apply", data={"day": str(second), "goods": "旧书"})
        assert (refused.status_code, h1(refused.text)) == (403, ["表单已过期"])
        assert len(await applications()) == 1


async def test_a_closed_day_is_refused(world):
    w = world
    wang = w.residents["王秀英"]["id"]
    first, second = w.days
    token = await make_token(w.mh, "resident", wang, "inbox")
    stalls = f"/r/{token}/markets/stalls"
    async with make_page_client(w.mh, ANONYMOUS) as client:
        page = await client.get(stalls)
        # applications for 14 March close on 12 March 09:00 (01:00 UTC): one second before, it is listed; at the deadline it is not
        w.clock.set(datetime(2026, 3, 12, 0, 59, 59, tzinfo=timezone.utc))
        assert texts((await client.get(stalls)).text, "r-when") == ["3月14日（周六）上午9点–上午11点半", "4月11日（周六）上午9点–上午11点半"]
        w.clock.set(datetime(2026, 3, 12, 1, 0, tzinfo=timezone.utc))
        assert texts((await client.get(stalls)).text, "r-when") == ["4月11日（周六）上午9点–上午11点半"]
        late = await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": str(first), "goods": "旧书"})
        assert (late.status_code, texts(late.text, "r-alert")) == (409, ["这一天的摊位申请已经截止。"])
        # a day that is not her community's (or none): the same answer
        nowhere = await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": "99999", "goods": "旧书"})
        assert (nowhere.status_code, texts(nowhere.text, "r-alert")) == (409, ["这一天的摊位申请已经截止。"])
        assert await applications() == []
        # the other day is still open
        ok = await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": str(second), "goods": "旧书"})
        assert ok.status_code == 303
        assert await applications() == [(second, wang, "旧书", "pending", "")]


async def test_she_withdraws_her_own_pending_application_and_no_one_elses(world):
    w = world
    wang, li, zhao = (w.residents[n]["id"] for n in ("王秀英", "李建国", "赵丽"))
    first, _ = w.days
    async with w.client("grid_worker") as worker:  # 李建国 applied through his grid worker
        li_app = (await worker.post(f"{API}/days/{first}/applications", json={"resident_id": li, "goods": "旧书义卖"})).json()["id"]
    token = await make_token(w.mh, "resident", wang, "inbox")
    stalls = f"/r/{token}/markets/stalls"
    async with make_page_client(w.mh, ANONYMOUS) as client:
        page = await client.get(stalls)
        assert "旧书义卖" not in page.text  # his application is not on her page
        await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": str(first), "goods": "多肉绿植"})
        mine = (await Application.select(Application.id).where(Application.resident == wang).first())["id"]
        # his application through her link: the "link not valid" page, his application untouched
        other = await client.post(f"{stalls}/{li_app}/withdraw", data={"_csrf_token": csrf(page.text)})
        assert (other.status_code, h1(other.text)) == (404, ["这个链接打不开"])
        done = await client.post(f"{stalls}/{mine}/withdraw", data={"_csrf_token": csrf(page.text)})
        assert (done.status_code, done.headers["location"]) == (303, f"{stalls}?done=withdrawn#mine")
        assert await applications() == [
            (first, li, "旧书义卖", "pending", ""),
            (first, wang, "多肉绿植", "cancelled", "居民通过消息链接撤回 withdrawn by the resident through her link"),
        ]
        assert await audit_rows() == [
            (w.staff["grid_worker"]["id"], "陈网格", "markets.application.create"),
            (None, f"resident {wang} (inbox link)", "markets.application.create"),
            (None, f"resident {wang} (inbox link)", "markets.application.cancel"),
        ]
        page = await client.get(f"{stalls}?done=withdrawn")
        assert texts(page.text, "r-notice") == ["申请已撤回。"]
        assert texts(page.text, "r-status") == ["已撤回"]
        # withdrawn: she may apply again for the same day
        again = await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": str(first), "goods": "多肉绿植"})
        assert again.status_code == 303
        # once decided, it is no longer hers to withdraw here
        async with w.client("community_admin") as admin:
            newest = (await Application.select(Application.id).where(Application.resident == wang, Application.status == "pending").first())["id"]
            assert (await admin.post(f"{API}/applications/{newest}/approve")).status_code == 200
        late = await client.post(f"{stalls}/{newest}/withdraw", data={"_csrf_token": csrf(page.text)})
        assert late.status_code == 409
        assert texts(late.text, "r-alert") == ["这份申请已不在等待审批，不能在这里撤回。请联系社区工作人员。"]
        assert (await Application.select(Application.status).where(Application.id == newest).first())["status"] == "approved"
    # 赵丽's link shows only hers: nothing
    async with make_page_client(w.mh, ANONYMOUS) as client:
        page = await client.get(f"/r/{await make_token(w.mh, 'resident', zhao, 'inbox')}/markets/stalls")
        assert texts(page.text, "r-status") == []


async def test_after_her_household_moved_to_another_grid_she_still_sees_and_withdraws_her_application(world):
    w = world
    wang = w.residents["王秀英"]["id"]
    first, second = w.days
    token = await make_token(w.mh, "resident", wang, "inbox")
    stalls = f"/r/{token}/markets/stalls"
    async with make_page_client(w.mh, ANONYMOUS) as client:
        page = await client.get(stalls)
        await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": str(first), "goods": "多肉绿植"})
        await Resident.update({Resident.grid: w.grids["B"]}).where(Resident.id == wang)  # the grid register moved her to 澄波湖畔
        page = await client.get(stalls)
        assert (page.status_code, texts(page.text, "r-status")) == (200, ["待审批"])
        mine = (await Application.select(Application.id).where(Application.resident == wang).first())["id"]
        done = await client.post(f"{stalls}/{mine}/withdraw", data={"_csrf_token": csrf(page.text)})
        assert done.status_code == 303
        # a new application is placed in her new grid
        assert (await client.post(f"{stalls}/apply", data={"_csrf_token": csrf(page.text), "day": str(second), "goods": "旧书"})).status_code == 303
    rows = await Application.select(Application.market_day, Application.grid, Application.status).where(Application.resident == wang).order_by(Application.id)
    assert [(r["market_day"], r["grid"], r["status"]) for r in rows] == [(first, w.grids["A"], "cancelled"), (second, w.grids["B"], "pending")]


async def test_her_inbox_links_to_the_page_only_where_the_community_runs_markets(world):
    w = world
    wang = w.residents["王秀英"]["id"]
    async with make_page_client(w.mh, ANONYMOUS) as client:
        token = await make_token(w.mh, "resident", wang, "inbox")
        inbox = await client.get(f"/r/inbox/{token}")
        assert f'<a class="r-button primary" href="/r/{token}/markets/stalls">申请市集摊位</a>' in inbox.text
        other = await make_token(w.mh, "resident", w.other_resident["id"], "inbox")
        assert "/markets/stalls" not in (await client.get(f"/r/inbox/{other}")).text
        assert (await client.get(f"/r/{other}/markets/stalls")).status_code == 404


def test_the_resident_page_is_translated():
    assert catalogues.untranslated(Path(markets.__file__).parent, also=[Path(catalogues.__file__).parent]) == {}

