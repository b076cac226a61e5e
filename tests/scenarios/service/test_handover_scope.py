"""gov4: a grid worker holding a request of another grid (the desk handed it to them) cannot turn it into a grid event
there: a grid event is reported by the grid's own team or the community's desk. They see the request and its grid, so
this is not the 404 of a hidden row (that stays for a request they do not reach: test_handover.py) but a 403 naming the
grid; the page offers no button and says why, and a forced form is answered at the form."""

from __future__ import annotations

from meihao.register.community_scenarios import enable
from meihao.scenarios.governance.tables import Event
from meihao.testing import form_token, make_page_client

from .conftest import BASE
from .test_handover import TEXT

NOTE = "这件诉求所在的网格不归您负责：该网格的网格事件由本网格的网格员或社区服务站上报。请联系服务站将其转为网格事件，或把诉求退回。"


async def _grid_b_request_held_by_grid_a_worker(w) -> int:
    await enable(w.mh, "hepan", "governance", {})
    async with w.client("community_admin") as c:
        made = await c.post(f"{BASE}/requests", json={"channel": "visit", "type": "complaint", "text": TEXT, "grid": w.grids["B"]})
        rid = made.json()["id"]
        sent = await c.post(f"{BASE}/requests/{rid}/actions", json={"action": "dispatch", "assignee": w.staff["grid_worker"]["id"]})
        assert sent.status_code == 201, sent.text
    async with w.client("grid_worker") as c:
        assert (await c.post(f"{BASE}/requests/{rid}/actions", json={"action": "sign"})).status_code == 201
    return rid


async def test_the_api_answers_403_naming_the_grid_and_saves_nothing(hepan):
    w = hepan
    rid = await _grid_b_request_held_by_grid_a_worker(w)
    async with w.client("grid_worker") as c:
        refused = await c.post(f"{BASE}/requests/{rid}/hand-over", json={"reason": "道路塌陷"})
        assert (refused.status_code, refused.json()) == (403, {
            "status_code": 403, "field": "grid",
            "detail": "grid: 荷畔二网格 is not one of your grids; a grid event there is reported by its grid team or by the community's "
                      "service desk: ask the desk to hand the matter over, or hand it back"})
        assert (await c.get(f"{BASE}/requests/{rid}")).json()["state"] == "signed"  # nothing moved
    assert await Event.count() == 0
    async with w.client("community_admin") as c:  # the desk hands it over
        assert (await c.post(f"{BASE}/requests/{rid}/hand-over", json={"reason": "道路塌陷"})).status_code == 201
    assert await Event.count() == 1


async def test_the_page_says_why_instead_of_a_button_and_a_forced_form_is_answered_there(hepan):
    w = hepan
    rid = await _grid_b_request_held_by_grid_a_worker(w)
    path = f"/c/hepan/service/requests/{rid}"
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        page = await worker.get(path)
        assert page.status_code == 200 and "转为网格事件/吹哨" not in page.text
        assert f'<p class="hint" id="handover-elsewhere">{NOTE}</p>' in page.text
        forced = await worker.post(path, data={"action": "handover", "reason": "道路塌陷", "expected": "signed",
                                               "_csrf_token": await form_token(worker, path)})
        assert forced.status_code == 403 and f'<p class="alert" role="alert">{NOTE}</p>' in forced.text
        assert "找不到页面" not in forced.text
    assert await Event.count() == 0
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:  # the desk is offered the button
        assert "转为网格事件/吹哨" in (await admin.get(path)).text
