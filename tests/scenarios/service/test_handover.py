"""A request the community cannot solve becomes a grid event in governance in one step (转为网格事件/吹哨), keeping the link.

荷畔 (conftest) with governance switched on too (except where a test says otherwise). 陈网格 receives
王秀英's complaint about a collapsed road in grid A on Monday 30 Nov 2026 09:00 and, at 10:00,
turns it into a grid event: the event (发现, source 服务站转来, its ``external_id`` the request) and the
request's move to 已转网格事件 with the link are saved together, through the kernel's hand-over.
"""

from __future__ import annotations

import re

from meihao.access.tables import AuditLog
from meihao.register.community_scenarios import enable
from meihao.scenarios.governance.tables import Event
from meihao.testing import form_token, make_page_client

from .conftest import BASE

GOV = "/api/communities/hepan/governance"
PAGES = "/c/hepan/service"
TEXT = "幸福路3号楼北侧路面塌陷一米多宽，晚上有电动车差点掉进去"


async def _request(w, who: str = "grid_worker", **body) -> dict:
    async with w.client(who) as client:
        made = await client.post(f"{BASE}/requests", json={"channel": "visit", "type": "complaint", "text": TEXT,
                                                           "requester": w.residents["王秀英"]["id"], **body})
    assert made.status_code == 201, made.text
    return made.json()


async def test_a_request_becomes_a_grid_event_with_links_both_ways(hepan):
    w = hepan
    await enable(w.mh, "hepan", "governance", {})
    request = await _request(w)
    w.at(2026, 11, 30, 10, 0)
    async with w.client("grid_worker") as client:
        handed = await client.post(f"{BASE}/requests/{request['id']}/hand-over",
                                   json={"reason": "道路塌陷需市政部门维修", "place": "幸福路3号楼北侧", "expected": "received"})
        assert handed.status_code == 201, handed.text
        got = handed.json()
        event_id = (await Event.select(Event.id).first())["id"]
        assert (got["state"], got["state_zh"], got["handed_to"], got["handed_path"]) == (
            "handed_over", "已转网格事件", f"governance.event:{event_id}", f"/governance/events/{event_id}")
        event = (await client.get(f"{GOV}/events/{event_id}")).json()
        assert (event["source"], event["external_id"], event["state"], event["grid_id"], event["category"], event["place"], event["text"]) == (
            "service_desk", f"service.request:{request['id']}", "reported", w.grids["A"], "other_event", "幸福路3号楼北侧", TEXT)
        # a second hand-over of the same request: 409, still one event
        again = await client.post(f"{BASE}/requests/{request['id']}/hand-over", json={"reason": "再转一次"})
        assert again.status_code == 409 and "handed over already (governance.event:" in again.json()["detail"]
        assert await Event.count() == 1
        # the resolution clock still runs; the desk answers the requester when governance has dealt with it
        w.at(2026, 12, 3, 15, 0)
        replied = await client.post(f"{BASE}/requests/{request['id']}/actions",
                                    json={"action": "reply", "reply": "市政已回填修复路面", "expected": "handed_over"})
        assert (replied.status_code, replied.json()["state"], replied.json()["handed_to"]) == (201, "replied", f"governance.event:{event_id}")
    audit = await AuditLog.select(AuditLog.action, AuditLog.target_id).where(AuditLog.action == "handover")
    assert audit == [{"action": "handover", "target_id": f"governance.event:{event_id}"}]


async def test_a_category_is_taken_and_a_wrong_one_is_refused_with_nothing_saved(hepan):
    w = hepan
    await enable(w.mh, "hepan", "governance", {})
    request = await _request(w)
    async with w.client("grid_worker") as client:
        wrong = await client.post(f"{BASE}/requests/{request['id']}/hand-over", json={"reason": "需城管执法", "category": "no_such"})
        assert (wrong.status_code, "'no_such' is not a category" in wrong.json()["detail"]) == (400, True)
        assert await Event.count() == 0
        right = await client.post(f"{BASE}/requests/{request['id']}/hand-over", json={"reason": "需城管执法", "category": "other_event"})
        assert right.status_code == 201, right.text


async def test_the_event_and_the_request_are_saved_together_or_not_at_all(hepan):
    w = hepan
    await enable(w.mh, "hepan", "governance", {})
    request = await _request(w)
    async with w.client("grid_worker") as client:
        # the event is made first; the request's move then fails (it is not 分办 as the caller thought): neither is kept
        stale = await client.post(f"{BASE}/requests/{request['id']}/hand-over", json={"reason": "道路塌陷", "expected": "dispatched"})
        assert stale.status_code == 409, stale.text
        assert await Event.count() == 0
        after = (await client.get(f"{BASE}/requests/{request['id']}")).json()
    assert (after["state"], after["handed_to"]) == ("received", "")
    assert await AuditLog.count().where(AuditLog.action == "handover") == 0


async def test_governance_off_is_409_with_a_clear_message(hepan):
    w = hepan
    request = await _request(w)
    async with w.client("grid_worker") as client:
        refused = await client.post(f"{BASE}/requests/{request['id']}/hand-over", json={"reason": "道路塌陷"})
        after = (await client.get(f"{BASE}/requests/{request['id']}")).json()
    assert refused.status_code == 409
    assert refused.json()["detail"] == ("governance (治理 · 吹哨派单) is not switched on in 荷畔社区 (hepan): the request cannot become "
                                        "a grid event there; handle it at the desk")
    assert (after["state"], after["handed_to"]) == ("received", "")


async def test_out_of_scope_missing_and_gridless_requests(hepan):
    w = hepan
    await enable(w.mh, "hepan", "governance", {})
    request = await _request(w)
    async with w.client("community_admin") as admin:
        gridless = (await admin.post(f"{BASE}/requests", json={"channel": "phone", "type": "complaint", "text": "匿名反映有人占道经营"})).json()
        no_grid = await admin.post(f"{BASE}/requests/{gridless['id']}/hand-over", json={"reason": "需城管执法"})
        empty_reason = await admin.post(f"{BASE}/requests/{request['id']}/hand-over", json={"reason": "  "})
    assert (no_grid.status_code, no_grid.json()["detail"]) == (400, "grid: a grid event needs the grid it happens in; give the matter a grid first")
    assert (empty_reason.status_code, empty_reason.json()["detail"]) == (400, "reason: must not be empty")
    async with w.client("grid_worker_out") as outsider:  # grid B's worker: grid A's request is not theirs
        out = await outsider.post(f"{BASE}/requests/{request['id']}/hand-over", json={"reason": "道路塌陷"})
        missing = await outsider.post(f"{BASE}/requests/999999/hand-over", json={"reason": "道路塌陷"})
    assert (out.status_code, missing.status_code) == (404, 404)
    assert out.json()["detail"] == f"request {request['id']} not found"
    assert await Event.count() == 0


async def test_the_button_shows_only_where_governance_is_on_and_the_page_links_the_event(hepan):
    w = hepan
    request = await _request(w)
    page_path = f"{PAGES}/requests/{request['id']}"
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        off = await worker.get(page_path)
        assert off.status_code == 200 and "转为网格事件/吹哨" not in off.text
        await enable(w.mh, "hepan", "governance", {})
        on = await worker.get(page_path)
        assert on.text.count("转为网格事件/吹哨") == 2  # the summary and the button
        token = await form_token(worker, page_path)
        empty = await worker.post(page_path, data={"action": "handover", "reason": " ", "expected": "received", "_csrf_token": token})
        assert (empty.status_code, "请说明理由。" in empty.text) == (400, True)
        done = await worker.post(page_path, data={"action": "handover", "reason": "道路塌陷需市政维修", "place": "幸福路3号楼北侧",
                                                  "expected": "received", "_csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, f"{page_path}?done=handed_over")
        after = await worker.get(done.headers["location"])
    event_id = (await Event.select(Event.id).first())["id"]
    assert "操作成功：诉求现处于“已转网格事件”环节。" in after.text
    assert re.search(rf'<a class="sv-link" href="/c/hepan/governance/events/{event_id}">网格事件{event_id}号</a>', after.text)
    assert "陈网格 转为网格事件 — 转为网格事件：道路塌陷需市政维修" in after.text
    assert "转为网格事件/吹哨" not in after.text
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        event_page = await worker.get(f"/c/hepan/governance/events/{event_id}")
    assert f'服务站转来 · <a href="/c/hepan/service/requests/{request["id"]}">诉求{request["id"]}号</a>' in event_page.text
