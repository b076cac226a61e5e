"""The markets applications list (申请列表) with the console's list kit, in process: counts per market day and status
scoped like the API (literal numbers per role), saved views, CSV/Excel export of what is shown, bulk approve/refuse of
every pending application a filter matches (confirmation count, capacity kept by the service, per-row results), bad filters."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import pytest_asyncio
from openpyxl import load_workbook

from meihao.access.tables import AuditLog
from meihao.scenarios.markets.tables import Application
from meihao.testing import SceneWorld, form_token, make_page_client

API = "/api/communities/huayang/markets"
LIST = "/c/huayang/markets/applications"


def facet(page: str, name: str) -> dict[str, int]:
    """A facet's values with their counts."""
    found = re.search(rf'<nav class="facet" aria-labelledby="facet-{name}">(.*?)</nav>', page, re.S)
    if found is None:
        return {}
    return {label: int(n) for label, n in re.findall(r'>([^<>]+?) <span class="count">(\d+)</span>', found.group(1))}


def applicants(page: str) -> list[str]:
    return re.findall(r'<div class="item-head">\s*<h3>(.*?)</h3>', page)


async def statuses() -> dict[str, str]:
    rows = await Application.select(Application.resident.name.as_alias("name"), Application.status).order_by(Application.id)
    return {r["name"]: r["status"] for r in rows}


@pytest_asyncio.fixture
async def market(meihao) -> dict:
    """华阳: grid A (陈网格) 王秀英 李建国 张伟 刘芳, grid B (吴网格) 赵丽 孙强; a market of two stalls a day. For 14 March:
    王秀英, 李建国, 张伟 (A) and 赵丽 (B) apply, in that order; for 11 April: 刘芳 (A) and 孙强 (B). All pending."""
    w = await SceneWorld.build(
        meihao, "markets", slug="huayang", name="华阳社区", grids={"A": "华阳小区", "B": "澄波湖畔"},
        residents={name: {"grid": grid, "birth_date": date(1975, 4, 1)} for name, grid in
                   {"王秀英": "A", "李建国": "A", "张伟": "A", "刘芳": "A", "赵丽": "B", "孙强": "B"}.items()},
    )
    r = w.residents
    async with w.client("community_admin") as admin, w.client("grid_worker") as worker, w.client("grid_worker_out") as worker_b:
        created = await admin.post(f"{API}/markets", json={
            "name": "睦邻善市", "venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA",
            "first_day": "2026-03-01", "opens_at": "09:00", "closes_at": "11:30", "capacity": 2})
        assert created.status_code == 201, created.text
        march, april = (d["id"] for d in created.json()["next_days"][:2])
        ids = {}
        for name, day, client in (("王秀英", march, worker), ("李建国", march, worker), ("张伟", march, worker), ("赵丽", march, worker_b),
                                  ("刘芳", april, worker), ("孙强", april, worker_b)):
            answer = await client.post(f"{API}/days/{day}/applications", json={"resident_id": r[name]["id"], "goods": f"{name}的手工"})
            assert answer.status_code == 201, answer.text
            ids[name] = answer.json()["id"]
    return {"w": w, "march": march, "april": april, "ids": ids}


async def test_counts_per_day_and_status_are_scoped_like_the_api(market):
    w, march, april = market["w"], market["march"], market["april"]
    expected = {
        "community_admin": ({"2026-03-14 睦邻善市": 4, "2026-04-11 睦邻善市": 2}, {"待审批": 6, "全部状态": 6}, "6 份申请"),
        "grid_worker": ({"2026-03-14 睦邻善市": 3, "2026-04-11 睦邻善市": 1}, {"待审批": 4, "全部状态": 4}, "4 份申请"),
        "grid_worker_out": ({"2026-03-14 睦邻善市": 1, "2026-04-11 睦邻善市": 1}, {"待审批": 2, "全部状态": 2}, "2 份申请"),
    }
    for who, (days, states, heading) in expected.items():
        async with make_page_client(w.mh, w.staff[who]["id"]) as client:
            page = await client.get(LIST)
            assert page.status_code == 200
            assert (facet(page.text, "day"), facet(page.text, "status")) == (days, states), who
            assert f'<h2 id="results-h">{heading}</h2>' in page.text
    async with w.client("community_admin") as api:
        assert (await api.post(f"{API}/applications/{market['ids']['王秀英']}/approve")).json()["status"] == "approved"
        assert (await api.post(f"{API}/applications/{market['ids']['孙强']}/refuse", json={"reason": "同类摊位已满"})).status_code == 200
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as client:
        # the day chosen: the status counts are that day's; the day counts keep to the status (pending by default)
        page = await client.get(f"{LIST}?day={march}")
        assert facet(page.text, "status") == {"待审批": 2, "已通过": 1, "全部状态": 3}
        assert facet(page.text, "day") == {"2026-03-14 睦邻善市": 2, "2026-04-11 睦邻善市": 1}
        assert applicants(page.text) == ["李建国", "张伟"]
        every = await client.get(f"{LIST}?day={march}&status=all")
        assert applicants(every.text) == ["王秀英", "李建国", "张伟"]
        assert facet(every.text, "day") == {"2026-03-14 睦邻善市": 3, "2026-04-11 睦邻善市": 1}
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as client:
        page = await client.get(f"{LIST}?status=all")
        assert facet(page.text, "status") == {"待审批": 1, "未通过": 1, "全部状态": 2}
        assert applicants(page.text) == ["赵丽", "孙强"]
        assert facet((await client.get(f"{LIST}?day={april}&status=refused")).text, "day") == {"2026-04-11 睦邻善市": 1}


@pytest.mark.parametrize(("query", "message"), [
    ("day=abc", "day: must be a whole number"),
    ("day=0", "day: must be between 1 and 2147483647"),
    ("status=done", "status: one of all, pending, approved, waitlisted, refused, cancelled"),
])
async def test_a_bad_filter_is_a_400_page_naming_the_field(market, query, message):
    w = market["w"]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as client:
        for path in (LIST, f"{LIST}/export.csv", f"{LIST}/bulk"):
            page = await client.get(f"{path}?{query}&action=approve")
            assert page.status_code == 400, path
            assert f'<p class="alert">{message}</p>' in page.text


async def test_bulk_approval_takes_exactly_the_pending_matches_and_the_service_keeps_to_capacity(market):
    w, march = market["w"], market["march"]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as client:
        confirm = await client.get(f"{LIST}/bulk?day={march}&action=approve")
        assert confirm.status_code == 200
        assert "有 4 份待审批申请符合筛选条件。全部通过吗？" in confirm.text
        assert '<input type="hidden" name="expected" value="4">' in confirm.text
        assert await statuses() == dict.fromkeys(["王秀英", "李建国", "张伟", "赵丽", "刘芳", "孙强"], "pending")  # nothing yet
        token = await form_token(client, LIST)
        unsigned = await client.post(f"{LIST}/bulk", data={"day": str(march), "action": "approve", "expected": "4"})
        assert unsigned.status_code == 403
        stale = await client.post(f"{LIST}/bulk", data={"day": str(march), "action": "approve", "expected": "5", "_csrf_token": token})
        assert stale.status_code == 409
        assert "现在是 4 条，不是 5 条" in stale.text
        assert set((await statuses()).values()) == {"pending"}
        done = await client.post(f"{LIST}/bulk", data={"day": str(march), "action": "approve", "expected": "4", "_csrf_token": token})
        assert done.status_code == 200
        assert "已处理 4 份申请。" in done.text
        outcomes = re.findall(r'<strong>(.*?)</strong> · .*?: <span class="badge[^"]*">(.*?)</span>', done.text)
        assert outcomes == [("王秀英", "已通过"), ("李建国", "已通过"), ("张伟", "进入候补（当天摊位已满）"), ("赵丽", "进入候补（当天摊位已满）")]
        assert await statuses() == {"王秀英": "approved", "李建国": "approved", "张伟": "waitlisted", "赵丽": "waitlisted",
                                    "刘芳": "pending", "孙强": "pending"}
        audited = await AuditLog.count().where(AuditLog.action == "markets.application.approve")
        assert audited == 4
        # nothing pending is left on that day: nothing to confirm
        again = await client.get(f"{LIST}/bulk?day={march}&action=approve")
        assert "有 0 份待审批申请" in again.text and "没有符合筛选条件的记录，无需处理。" in again.text
        assert 'name="expected"' not in again.text
        # a filter on another status touches no pending application
        assert "有 0 份待审批申请" in (await client.get(f"{LIST}/bulk?status=approved&action=approve")).text


async def test_bulk_refusal_needs_a_reason_and_a_grid_worker_may_not_decide(market):
    w, april = market["w"], market["april"]
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert (await worker.get(f"{LIST}/bulk?day={april}&action=approve")).status_code == 403
        page = await worker.get(LIST)
        assert f'action="{LIST}/bulk"' not in page.text
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as client:
        missing = await client.get(f"{LIST}/bulk?day={april}&action=refuse&reason=+")
        assert missing.status_code == 400
        assert 'aria-invalid="true"' in missing.text and 'name="expected"' not in missing.text
        confirm = await client.get(f"{LIST}/bulk?day={april}&action=refuse&reason=本期摊位已满")
        assert "有 2 份待审批申请符合筛选条件。全部不通过吗？" in confirm.text
        token = await form_token(client, LIST)
        empty = await client.post(f"{LIST}/bulk", data={"day": str(april), "action": "refuse", "reason": "", "expected": "2", "_csrf_token": token})
        assert empty.status_code == 400
        assert set((await statuses()).values()) == {"pending"}
        done = await client.post(f"{LIST}/bulk", data={"day": str(april), "action": "refuse", "reason": "本期摊位已满", "expected": "2",
                                                      "_csrf_token": token})
        assert done.status_code == 200 and "已处理 2 份申请。" in done.text
        assert await statuses() == {"王秀英": "pending", "李建国": "pending", "张伟": "pending", "赵丽": "pending", "刘芳": "refused", "孙强": "refused"}
        reasons = await Application.select(Application.reason).where(Application.status == "refused")
        assert [r["reason"] for r in reasons] == ["本期摊位已满", "本期摊位已满"]
        assert (await client.get(f"{LIST}/bulk?action=close")).status_code == 400


async def test_export_is_what_the_list_shows_in_the_viewers_scope(market):
    w, march = market["w"], market["march"]
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as client:
        page = await client.get(f"{LIST}?status=all")
        assert f'href="{LIST}/export.csv?status=all"' in page.text
        exported = await client.get(f"{LIST}/export.csv?status=all")
        assert exported.status_code == 200
        assert exported.headers["content-type"] == "text/csv; charset=utf-8"
        assert exported.content.startswith(b"\xef\xbb\xbf")
        lines = exported.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "id,market,day,applicant,applicant_kind,goods,status,applied_at,decided_at"
        assert [line.split(",")[2:7] for line in lines[1:]] == [
            ["2026-03-14", "王秀英", "resident", "王秀英的手工", "pending"],
            ["2026-03-14", "李建国", "resident", "李建国的手工", "pending"],
            ["2026-03-14", "张伟", "resident", "张伟的手工", "pending"],
            ["2026-04-11", "刘芳", "resident", "刘芳的手工", "pending"],
        ]
        book = await client.get(f"{LIST}/export.xlsx?day={march}")
        assert book.status_code == 200
        sheet = load_workbook(io.BytesIO(book.content)).active
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        assert cells[0][:4] == ["id", "market", "day", "applicant"]
        assert [r[3] for r in cells[1:]] == ["王秀英", "李建国", "张伟"]
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as client:
        lines = (await client.get(f"{LIST}/export.csv?status=all")).content.decode("utf-8-sig").splitlines()
        assert [line.split(",")[3] for line in lines[1:]] == ["赵丽", "孙强"]
    audits = await AuditLog.select(AuditLog.detail).where(AuditLog.action == "markets.application.export")
    assert len(audits) == 3


async def test_a_saved_view_of_the_applications_is_the_staff_members_own(market):
    w, march = market["w"], market["march"]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as client:
        token = await form_token(client, LIST)
        saved = await client.post(f"{LIST}/views", data={"view_name": "三月待审", "day": str(march), "status": "pending", "_csrf_token": token})
        assert (saved.status_code, saved.headers["location"]) == (303, f"{LIST}?day={march}&status=pending")
        page = await client.get(LIST)
        assert f'<a href="{LIST}?day={march}&amp;status=pending">三月待审</a>' in page.text
        bad = await client.post(f"{LIST}/views", data={"view_name": "坏的", "status": "done", "_csrf_token": token})
        assert bad.status_code == 400
        view_id = int(re.search(rf'action="{LIST}/views/(\d+)/delete"', page.text).group(1))
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as other:
        assert "三月待审" not in (await other.get(LIST)).text
        token = await form_token(other, LIST)
        assert (await other.post(f"{LIST}/views/{view_id}/delete", data={"_csrf_token": token})).status_code == 404
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as client:
        token = await form_token(client, LIST)
        deleted = await client.post(f"{LIST}/views/{view_id}/delete", data={"_csrf_token": token})
        assert (deleted.status_code, deleted.headers["location"]) == (303, LIST)
        assert "三月待审" not in (await client.get(LIST)).text
