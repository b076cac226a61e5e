"""督办 of late departments (once per clock), and a hand-built month's figures, grids' figures, 三率 and department ranking,
with the numbers worked out here."""

from __future__ import annotations

from meihao.scenarios.governance.tables import Supervision

from .test_events import E, _report


async def _through(w, event: dict, dispatch: dict, handler: str, sign_at: tuple, feedback_at: tuple) -> dict:
    async with w.client("leader") as c:
        await c.post(f"{E}/events/{event['id']}/register", json={})
        order = (await c.post(f"{E}/events/{event['id']}/dispatch", json=dispatch)).json()["orders"][-1]
    w.at(*sign_at)
    async with w.client(handler) as c:
        assert (await c.post(f"{E}/orders/{order['id']}/sign")).status_code == 200
    w.at(*feedback_at)
    async with w.client(handler) as c:
        await c.post(f"{E}/orders/{order['id']}/feedback", json={"text": "已处理"})
    async with w.client("grid_worker") as c:
        await c.post(f"{E}/events/{event['id']}/check", json={"passed": True})
    async with w.client("leader") as c:
        return (await c.post(f"{E}/events/{event['id']}/close")).json()


async def test_a_month_of_events_whistles_and_supervision(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    late_sign = await _report(w)
    in_grid = await _report(w, category="environment", text="2号楼楼道堆放杂物")
    dismissed = await _report(w, text="重复上报")
    await _report(w, text="银山花园南门共享单车乱停")  # still open at the end of the month
    async with w.client("leader") as c:
        await c.post(f"{E}/events/{dismissed['id']}/dismiss", json={"reason": "与上一条重复"})
        await c.post(f"{E}/events/{late_sign['id']}/register", json={})
        order = (await c.post(f"{E}/events/{late_sign['id']}/dispatch", json={"department": "chengguan"})).json()["orders"][0]
    async with w.client("community_admin") as c:
        whistle = (await c.post(f"{E}/whistles", json={"level": "advance", "reason": "beyond_power", "title": "银山花园地下管网渗漏",
                                                        "text": "多户反映地下室渗水", "departments": ["zhujian"], "grid_id": w.grids["A"]})).json()
    call = whistle["calls"][0]
    # 10:00 both sign-offs fall due; the 10:15 check supervises each once, the 10:30 one adds nothing
    await w.fire_job("governance.supervise", at=w.at(2026, 11, 30, 9, 45))
    assert await Supervision.count() == 0
    await w.fire_job("governance.supervise", at=w.at(2026, 11, 30, 10, 15))
    await w.fire_job("governance.supervise", at=w.at(2026, 11, 30, 10, 30))
    assert sorted((s["kind"], s["record"], s["clock"]) for s in await Supervision.select(Supervision.kind, Supervision.record, Supervision.clock)) == [
        ("call", call["id"], "sign_off"), ("order", order["id"], "sign_off")]
    await w.drain()
    async with w.client("community_admin") as c:
        bodies = sorted(m["body"] for m in (await c.get("/api/me/inbox")).json() if m["body"].startswith(("区住建局", "街道城管中队")))
    assert bodies == ["区住建局未按时签收吹哨「银山花园地下管网渗漏」（应于11月30日（周一）上午10点前），已列入督办。",
                      "街道城管中队未按时签收派单「银山花园北门占道经营，影响通行」（应于11月30日（周一）上午10点前），已列入督办。"]
    # the late department's own staff are told too (both of 城管's), and only of their department's lateness
    for who in ("chengguan", "chengguan2"):
        async with w.client(who) as c:
            assert [m["body"] for m in (await c.get("/api/me/inbox")).json() if m["body"].endswith("已列入督办。")] == [
                "街道城管中队未按时签收派单「银山花园北门占道经营，影响通行」（应于11月30日（周一）上午10点前），已列入督办。"]
    w.at(2026, 11, 30, 10, 40)
    async with w.client("chengguan") as c:
        await c.post(f"{E}/orders/{order['id']}/sign")
    w.at(2026, 11, 30, 11, 0)
    closed = await _through(w, in_grid, {"assignee_id": w.staff["dispatched"]["id"]}, "dispatched", (2026, 11, 30, 11, 30), (2026, 11, 30, 15, 0))
    assert (closed["handled_in_grid"], closed["closed_on_time"]) == (True, True)
    w.at(2026, 11, 30, 15, 30)
    async with w.client("zhujian") as c:
        await c.post(f"{E}/calls/{call['id']}/sign")
        await c.post(f"{E}/calls/{call['id']}/report", json={"kind": "on_site", "text": "已到场排查渗漏点"})
    async with w.client("community_admin") as c:
        await c.post(f"{E}/calls/{call['id']}/rate", json={"speed": 4, "quality": 5})
    w.at(2026, 12, 2, 15, 0)
    async with w.client("chengguan") as c:
        await c.post(f"{E}/orders/{order['id']}/feedback", json={"text": "已劝离摊贩"})
    async with w.client("grid_worker") as c:
        await c.post(f"{E}/events/{late_sign['id']}/check", json={"passed": True})
    async with w.client("leader") as c:
        await c.post(f"{E}/events/{late_sign['id']}/close")
    async with w.client("community_admin") as c:
        figures = (await c.get(f"{E}/figures", params={"month": "2026-11"})).json()
        ranking = (await c.get(f"{E}/figures/departments", params={"month": "2026-11"})).json()
        december = (await c.get(f"{E}/figures", params={"month": "2026-12"})).json()
        bad = await c.get(f"{E}/figures", params={"month": "2026-13"})
    # 3 events (the dismissed one left out), 2 closed, both fed back on time, 1 inside the grid;
    # 2 orders, the grid's signed on time and 城管's 40 minutes late; 1 whistle
    assert figures == {
        "month": "2026-11", "events": 3, "closed": 2, "closed_on_time": 2, "closed_in_grid": 1, "orders": 2, "signed_on_time": 1,
        "closed_rate": 0.6667, "closed_on_time_rate": 0.6667, "in_grid_share": 0.5, "signed_on_time_rate": 0.5,
        "whistles": 1, "whistles_by_level": {"advance": 1, "tackle": 0},
        # no call-back yet: the kernel's 三率 have nothing to divide by (test_callbacks_feed_the_three_rates)
        "callbacks": 0, "response_rate": None, "resolution_rate": None, "satisfaction_rate": None, "score": None,
    }
    assert (december["events"], december["closed_rate"], bad.status_code, bad.json()["field"]) == (0, None, 400, "month")
    # each met one of its two clocks (0.5); 住建 rated (4 + 5) / 2 = 4.5 goes first
    assert [(r["rank"], r["department"], r["orders"], r["signed_on_time"], r["fed_back_on_time"], r["calls"], r["calls_signed_on_time"],
             r["calls_reported_on_time"], r["rating"]) for r in ranking] == [
        (1, "zhujian", 0, 0, 0, 1, 0, 1, 4.5), (2, "chengguan", 1, 0, 1, 0, 0, 0, None)]
    async with w.client("leader") as c:
        assert (await c.get(f"{E}/figures")).status_code == 403


async def test_callbacks_feed_the_three_rates(yinshan):
    """Call-backs (回访) of closed events count in the kernel's 三率 of the orders that resolved them, per department and grid."""
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    to_department = await _report(w)
    in_grid = await _report(w, category="environment", text="2号楼楼道堆放杂物")
    still_open = await _report(w, text="银山花园南门共享单车乱停")
    other_grid = await _report(w, "grid_worker_out", "B", text="银山新村垃圾桶满溢", category="environment")
    await _through(w, to_department, {"department": "chengguan"}, "chengguan", (2026, 11, 30, 9, 30), (2026, 11, 30, 14, 0))
    await _through(w, in_grid, {"assignee_id": w.staff["dispatched"]["id"]}, "dispatched", (2026, 11, 30, 9, 40), (2026, 11, 30, 15, 0))
    path = f"{E}/events/{{}}/callbacks"
    w.at(2026, 12, 1, 10, 0)  # called back the next month: counted in the month the order was dispatched
    async with w.client("leader") as c:
        assert (await c.post(path.format(still_open["id"]), json={"result": "satisfied", "contacted": True, "resolved": True})).status_code == 409
        # another grid's event: the same 404 as a missing one
        answer = {"result": "satisfied", "contacted": True, "resolved": True}
        hidden = await c.post(path.format(other_grid["id"]), json=answer)
        missing = await c.post(path.format(999), json=answer)
        assert (hidden.status_code, missing.status_code) == (404, 404)
        assert hidden.json() | {"detail": ""} == missing.json() | {"detail": ""}
        assert (hidden.json()["detail"], missing.json()["detail"]) == (f"event {other_grid['id']} not found", "event 999 not found")
        no_answers = await c.post(path.format(in_grid["id"]), json={"result": "satisfied"})
        assert (no_answers.status_code, no_answers.json()["field"]) == (400, "contacted")
        first = await c.post(path.format(to_department["id"]), json={"result": "satisfied", "contacted": True, "resolved": True})
        assert first.status_code == 201 and (first.json()["result"], first.json()["by"]) == ("satisfied", "孙网格长")
        # unreachable first, then reached: only the latest counts
        await c.post(path.format(in_grid["id"]), json={"result": "unreachable"})
        await c.post(path.format(in_grid["id"]), json={"result": "basically_satisfied", "contacted": True, "resolved": False, "note": "还有点堆放"})
    async with w.client("grid_worker") as c:
        assert (await c.post(path.format(in_grid["id"]), json={"result": "unreachable"})).status_code == 403
    async with w.client("community_admin") as c:
        november = (await c.get(f"{E}/figures", params={"month": "2026-11"})).json()
        december = (await c.get(f"{E}/figures", params={"month": "2026-12"})).json()
        grids = (await c.get(f"{E}/figures/grids", params={"month": "2026-11"})).json()
        ranking = (await c.get(f"{E}/figures/departments", params={"month": "2026-11"})).json()
    # 2 valid call-backs, both contacted (1.0), 1 resolved (0.5), (1 + 0.9 × 1) / 2 = 0.95 satisfied,
    # score 100 × (0.1 × 1.0 + 0.5 × 0.5 + 0.4 × 0.95) = 73.0
    assert {k: november[k] for k in ("callbacks", "response_rate", "resolution_rate", "satisfaction_rate", "score")} == {
        "callbacks": 2, "response_rate": 1.0, "resolution_rate": 0.5, "satisfaction_rate": 0.95, "score": 73.0}
    assert (november["events"], november["closed"], november["closed_in_grid"], december["callbacks"], december["score"]) == (4, 2, 1, 0, None)
    # grid A: 3 events (2 closed, 1 inside the grid), 2 orders both signed within the hour; grid B: 1 event, no order
    assert grids == [
        {"grid_id": w.grids["A"], "name": "银山花园", "events": 3, "closed": 2, "closed_on_time": 2, "closed_in_grid": 1, "orders": 2,
         "signed_on_time": 2, "closed_rate": 0.6667, "in_grid_share": 0.5, "callbacks": 2, "response_rate": 1.0, "resolution_rate": 0.5,
         "satisfaction_rate": 0.95, "score": 73.0},
        {"grid_id": w.grids["B"], "name": "银山新村", "events": 1, "closed": 0, "closed_on_time": 0, "closed_in_grid": 0, "orders": 0,
         "signed_on_time": 0, "closed_rate": 0.0, "in_grid_share": None, "callbacks": 0, "response_rate": None, "resolution_rate": None,
         "satisfaction_rate": None, "score": None}]
    # 城管's one order: signed and fed back on time, called back satisfied: every rate 1.0, score 100
    assert [(r["department"], r["rank"], r["orders"], r["callbacks"], r["response_rate"], r["resolution_rate"], r["satisfaction_rate"], r["score"])
            for r in ranking] == [("chengguan", 1, 1, 1, 1.0, 1.0, 1.0, 100.0)]
    async with w.client("chengguan") as c:
        assert (await c.get(f"{E}/figures/grids")).status_code == 403
