"""The grid's closed loop over HTTP: report, register, dispatch, sign, feed back, check, close; 退单 and 返工; who may do what."""

from __future__ import annotations

from datetime import datetime

from .conftest import SHANGHAI

E = "/api/communities/yinshan/governance"


def local(*parts: int) -> str:
    return datetime(*parts, tzinfo=SHANGHAI).isoformat()


def at(value: str | None) -> str | None:
    """An answer's time in Shanghai, as 2026-11-30T10:00:00+08:00."""
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(SHANGHAI).isoformat()


async def _report(w, who: str = "grid_worker", grid: str = "A", **extra) -> dict:
    async with w.client(who) as c:
        r = await c.post(f"{E}/events", json={"grid_id": w.grids[grid], "category": "street_order", "text": "银山花园北门占道经营，影响通行",
                                               "place": "北门", **extra})
        assert r.status_code == 201, r.text
        return r.json()


async def test_the_closed_loop_to_a_department(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)  # Monday
    event = await _report(w)
    assert (event["state"], event["category_name"], event["reported_by"], event["checker_id"]) == (
        "reported", "街面秩序", "陈网格", w.staff["grid_worker"]["id"])
    assert at(event["dispatch_due_at"]) == local(2026, 11, 30, 10, 0)  # 立案派遣 within 1 working hour
    w.at(2026, 11, 30, 9, 20)
    async with w.client("leader") as c:
        assert (await c.post(f"{E}/events/{event['id']}/register", json={})).json()["state"] == "registered"
        r = await c.post(f"{E}/events/{event['id']}/dispatch", json={"department": "chengguan"})
        assert r.status_code == 200, r.text
    order = r.json()["orders"][0]
    assert (r.json()["state"], order["state"], order["department_name"]) == ("dispatched", "dispatched", "街道城管中队")
    assert at(order["sign_due_at"]) == local(2026, 11, 30, 10, 20)
    assert at(order["resolve_due_at"]) == local(2026, 12, 7, 17, 30)  # 5 working days, to the close
    w.at(2026, 11, 30, 9, 50)
    async with w.client("chengguan") as c:
        r = await c.post(f"{E}/orders/{order['id']}/sign")
        assert (r.status_code, r.json()["state"], r.json()["signed_by"]) == (200, "signed", "钱城管")
    async with w.client("chengguan2") as c:
        late = await c.post(f"{E}/orders/{order['id']}/sign")
        assert (late.status_code, late.json()["detail"]) == (409, f"state: order {order['id']} is 'signed' now by 钱城管, not 'dispatched'")
    async with w.client("grid_worker") as c:
        assert (await c.get(f"{E}/events/{event['id']}")).json()["state"] == "processing"
    w.at(2026, 12, 2, 15, 0)
    async with w.client("chengguan") as c:
        r = await c.post(f"{E}/orders/{order['id']}/feedback", json={"text": "已劝离摊贩，恢复通行"})
        assert r.json()["state"] == "fed_back"
    async with w.client("grid_worker") as c:
        fed_back = (await c.get(f"{E}/events/{event['id']}")).json()
    assert (fed_back["state"], at(fed_back["check_due_at"])) == ("fed_back", local(2026, 12, 3, 17, 30))
    # the check is the reporter's: another grid's worker does not see it, the grid leader may not do it
    async with w.client("grid_worker_out") as c:
        hidden = await c.post(f"{E}/events/{event['id']}/check", json={"passed": True})
        assert (hidden.status_code, hidden.json()["detail"]) == (404, f"event {event['id']} not found")
    async with w.client("leader") as c:
        refused = await c.post(f"{E}/events/{event['id']}/check", json={"passed": True})
        assert (refused.status_code, refused.json()["detail"]) == (403, "the check (核查) is done by the grid worker who reported the event")
    async with w.client("grid_worker") as c:
        assert (await c.post(f"{E}/events/{event['id']}/check", json={"passed": True})).json()["state"] == "checked"
    async with w.client("leader") as c:
        closed = (await c.post(f"{E}/events/{event['id']}/close")).json()
    assert (closed["state"], closed["handled_in_grid"], closed["closed_on_time"], closed["orders"][0]["state"]) == (
        "closed", False, True, "accepted")


async def test_a_department_returns_an_order_with_a_reason_and_sees_only_its_own(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    event = await _report(w, category="construction", text="银山新村3号楼外墙施工无围挡")
    async with w.client("community_admin") as c:
        await c.post(f"{E}/events/{event['id']}/register", json={})
        order = (await c.post(f"{E}/events/{event['id']}/dispatch", json={"department": "zhujian"})).json()["orders"][0]
    async with w.client("chengguan") as c:  # not sent to 城管 yet: as if missing
        assert (await c.get(f"{E}/events/{event['id']}")).status_code == 404
        assert (await c.get(f"{E}/orders/{order['id']}")).status_code == 404
    async with w.client("zhujian") as c:
        empty = await c.post(f"{E}/orders/{order['id']}/return", json={"reason": ""})
        assert (empty.status_code, empty.json()["field"]) == (400, "reason")
        r = await c.post(f"{E}/orders/{order['id']}/return", json={"reason": "围挡属城管执法范围，非住建职责"})
        assert (r.status_code, r.json()["state"], r.json()["return_reason"]) == (200, "returned", "围挡属城管执法范围，非住建职责")
    async with w.client("community_admin") as c:
        again = (await c.get(f"{E}/events/{event['id']}")).json()
        assert again["state"] == "registered"
        r = await c.post(f"{E}/events/{event['id']}/dispatch", json={"department": "chengguan"})
        assert [(o["department"], o["state"]) for o in r.json()["orders"]] == [("zhujian", "returned"), ("chengguan", "dispatched")]
    async with w.client("chengguan") as c:
        seen = (await c.get(f"{E}/events/{event['id']}")).json()
        assert [o["department"] for o in seen["orders"]] == ["chengguan"]
    async with w.client("zhujian") as c:  # the returned order stays theirs to read
        assert [o["department"] for o in (await c.get(f"{E}/events/{event['id']}")).json()["orders"]] == ["zhujian"]
    async with w.client("leader") as c:  # the grid's leader sees the department's order and may not sign it
        refused = await c.post(f"{E}/orders/{order['id'] + 1}/sign")
        assert (refused.status_code, refused.json()["detail"]) == (403, f"order {order['id'] + 1} is for the department 街道城管中队; its staff sign and handle it")


async def test_small_matters_stay_in_the_grid_with_a_rework(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    event = await _report(w, category="environment", text="2号楼楼道堆放杂物")
    async with w.client("leader") as c:
        await c.post(f"{E}/events/{event['id']}/register", json={})
        nobody = await c.post(f"{E}/events/{event['id']}/dispatch", json={"assignee_id": w.staff["grid_worker_out"]["id"]})
        assert (nobody.status_code, nobody.json()["field"]) == (404, "assignee_id")
        both = await c.post(f"{E}/events/{event['id']}/dispatch", json={"assignee_id": w.staff["dispatched"]["id"], "department": "zhifa"})
        assert (both.status_code, both.json()["field"]) == (400, "department")
        order = (await c.post(f"{E}/events/{event['id']}/dispatch", json={"assignee_id": w.staff["dispatched"]["id"]})).json()["orders"][0]
    async with w.client("dispatched") as c:
        await c.post(f"{E}/orders/{order['id']}/sign")
        await c.post(f"{E}/orders/{order['id']}/feedback", json={"text": "已通知住户清理"})
    async with w.client("grid_worker") as c:
        no_reason = await c.post(f"{E}/events/{event['id']}/check", json={"passed": False})
        assert (no_reason.status_code, no_reason.json()["field"]) == (400, "reason")
        back = (await c.post(f"{E}/events/{event['id']}/check", json={"passed": False, "reason": "杂物仍未清走"})).json()
        assert (back["state"], back["orders"][0]["state"], back["orders"][0]["reworks"]) == ("processing", "signed", 1)
    w.at(2026, 12, 1, 10, 0)
    async with w.client("dispatched") as c:
        await c.post(f"{E}/orders/{order['id']}/feedback", json={"text": "已清理完毕"})
    async with w.client("grid_worker") as c:
        await c.post(f"{E}/events/{event['id']}/check", json={"passed": True})
    async with w.client("leader") as c:
        closed = (await c.post(f"{E}/events/{event['id']}/close")).json()
    assert (closed["handled_in_grid"], closed["closed_on_time"], closed["orders"][0]["feedback"]) == (True, True, "已清理完毕")
    assert at(closed["orders"][0]["fed_back_at"]) == local(2026, 11, 30, 9, 0)  # the first feedback counts for the deadline


async def test_dismissed_events_need_a_reason_and_bad_input_names_the_field(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    async with w.client("grid_worker") as c:
        bad = await c.post(f"{E}/events", json={"grid_id": w.grids["A"], "category": "noise", "text": "噪音"})
        assert (bad.status_code, bad.json()["field"]) == (400, "category")
        outside = await c.post(f"{E}/events", json={"grid_id": w.grids["B"], "category": "environment", "text": "垃圾满溢"})
        assert (outside.status_code, outside.json()["detail"]) == (404, f"grid_id: grid {w.grids['B']} not found")
    event = await _report(w)
    async with w.client("leader") as c:
        assert (await c.post(f"{E}/events/{event['id']}/dismiss", json={"reason": ""})).status_code == 400
        r = await c.post(f"{E}/events/{event['id']}/dismiss", json={"reason": "与昨日上报事件重复"})
        assert (r.json()["state"], r.json()["dismiss_reason"]) == ("dismissed", "与昨日上报事件重复")
        closed = await c.post(f"{E}/events/{event['id']}/register", json={})
        assert closed.status_code == 409


async def test_lists_are_scoped(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    in_a = await _report(w)
    in_b = await _report(w, "grid_worker_out", "B", text="银山新村垃圾桶满溢", category="environment")
    async with w.client("community_admin") as c:
        for event, department in ((in_a, "chengguan"), (in_b, "zhujian")):
            await c.post(f"{E}/events/{event['id']}/register", json={})
            await c.post(f"{E}/events/{event['id']}/dispatch", json={"department": department})
    expected = {
        "community_admin": ([in_b["id"], in_a["id"]], 2), "leader": ([in_a["id"]], 1), "grid_worker": ([in_a["id"]], 1),
        "grid_worker_out": ([in_b["id"]], 1), "dispatched": ([in_a["id"]], 1), "chengguan": ([in_a["id"]], 1), "zhujian": ([in_b["id"]], 1),
    }
    for who, (ids, orders) in expected.items():
        async with w.client(who) as c:
            events = (await c.get(f"{E}/events")).json()
            assert ([e["id"] for e in events["items"]], events["total"]) == (ids, len(ids)), who
            assert (await c.get(f"{E}/orders")).json()["total"] == orders, who
