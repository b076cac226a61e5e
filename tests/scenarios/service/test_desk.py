"""12345 intake (idempotent on the platform's number), the 首席接访员 roster and its morning digest, the scene's figures."""

from __future__ import annotations

from meihao.reminders.recipients import inbox

from .conftest import BASE, at
from .test_requests import act, receive


async def test_a_12345_order_is_taken_once_with_the_platforms_deadline(hepan):
    w = hepan
    order = {"external_id": "BJ12345-20261130-0007", "type": "complaint", "text": "小区东门夜间施工噪音扰民", "grid": w.grids["A"]}
    async with w.client("community_admin") as client:
        first = await client.post(f"{BASE}/hotline-orders", json=order)
        again = await client.post(f"{BASE}/hotline-orders", json={**order, "text": "重复推送"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"] and again.json()["text"] == "小区东门夜间施工噪音扰民"
        body = first.json()
        assert (body["channel_zh"], body["external_id"], body["type_zh"]) == ("12345转办", "BJ12345-20261130-0007", "投诉")
        # 12345 default: 5 working days from Monday 30 Nov → the close of Monday 7 Dec
        assert next(c["due_at"] for c in body["clocks"] if c["name"] == "resolution") == "2026-12-07T09:30:00Z"
        # the platform's own limit: 3 working days → Thursday 3 Dec
        own = await client.post(f"{BASE}/hotline-orders", json={**order, "external_id": "BJ12345-20261130-0008", "working_days": 3})
        assert next(c["due_at"] for c in own.json()["clocks"] if c["name"] == "resolution") == "2026-12-03T09:30:00Z"
        assert (await client.get(f"{BASE}/requests")).json()["total"] == 2
        bad = await client.post(f"{BASE}/hotline-orders", json={**order, "external_id": "  "})
        assert (bad.status_code, bad.json()["field"]) == (400, "external_id")
    async with w.client("grid_worker") as client:  # intake is the community's integration, not a grid worker's
        assert (await client.post(f"{BASE}/hotline-orders", json={**order, "external_id": "X-1"})).status_code == 403


async def test_the_duty_roster_and_the_morning_digest(hepan):
    w = hepan
    admin, admin2 = w.staff["community_admin"]["id"], w.staff["admin2"]["id"]
    async with w.client("community_admin") as client:
        assert (await client.put(f"{BASE}/duty", json={"day": "2026-12-01", "staff": admin2})).status_code == 200
        refused = await client.put(f"{BASE}/duty", json={"day": "2026-12-02", "staff": w.staff["grid_worker"]["id"]})
        assert (refused.status_code, refused.json()["field"]) == (404, "staff")  # leaders only
        roster = (await client.get(f"{BASE}/duty", params={"since": "2026-12-01", "until": "2026-12-31"})).json()
        assert roster == [{"day": "2026-12-01", "staff": admin2, "staff_name": "李书记"}]
        # Monday 30 Nov 09:00: a 咨询 due the close of Tuesday, a 求助 due next Monday, and one closed on the spot
        consultation = await receive(client, type="consultation", text="医保卡怎么办理？")
        await receive(client, type="help", text="电梯停运，老人下不了楼")
        await receive(client, type="consultation", text="垃圾分类时间？", settled_on_the_spot="已告知")
    # Tuesday 08:30: the 咨询 is due today, nothing is late yet; 李书记 is on duty
    await w.fire_job("service.morning_digest", at=at(2026, 12, 1, 8, 30))
    await w.drain()
    assert [m["body"] for m in await inbox("staff", admin2)] == ["12月1日诉求待办：在办2件，今日到期1件，已超期0件。"]
    assert await inbox("staff", admin) == []
    # a second run the same morning sends nothing new
    await w.fire_job("service.morning_digest", at=at(2026, 12, 1, 9, 0))
    await w.drain()
    assert len(await inbox("staff", admin2)) == 1
    # Wednesday: nobody on the roster, so the community's admins; the 咨询 is now overdue
    await w.fire_job("service.morning_digest", at=at(2026, 12, 2, 8, 30))
    await w.drain()
    for person in (admin, admin2):
        assert (await inbox("staff", person))[0]["body"] == "12月2日诉求待办：在办2件，今日到期0件，已超期1件。"
    # Saturday: no digest
    await w.fire_job("service.morning_digest", at=at(2026, 12, 5, 8, 30))
    await w.drain()
    assert len(await inbox("staff", admin)) == 1
    async with w.client("community_admin") as client:
        dashboard = {m["key"]: m["value"] for m in (await client.get("/api/communities/hepan/dashboard")).json()
                     if m["scenario"] == "service"}
    assert (dashboard["open"], dashboard["due_today"], dashboard["overdue"]) == (2, 0, 1)
    assert consultation["id"]  # received Monday, still open


async def test_this_months_rates_on_the_dashboard(hepan):
    w = hepan
    async with w.client("community_admin") as client:
        done = await receive(client, type="help", text="楼道堆物")
        await act(client, done["id"], "dispatch", assignee=w.staff["community_admin"]["id"])
        for step in ("sign", "start"):
            await act(client, done["id"], step)
        await act(client, done["id"], "reply", reply="已清理")
        await client.post(f"{BASE}/requests/{done['id']}/callbacks", json={"result": "basically_satisfied", "contacted": True,
                                                                          "resolved": True})
        await act(client, done["id"], "close")
        figures = {m["key"]: m["value"] for m in (await client.get("/api/communities/hepan/dashboard")).json() if m["scenario"] == "service"}
    # one valid call-back: 响应 1, 解决 1, 满意 0.9; 综合 100 × (0.1 + 0.5 + 0.36) = 96
    assert (figures["response_rate"], figures["resolution_rate"], figures["satisfaction_rate"], figures["on_time_rate"],
            figures["score"]) == (1.0, 1.0, 0.9, 1.0, 96.0)


async def test_the_same_12345_order_pushed_twice_at_once_makes_one_request(hepan):
    import asyncio

    w = hepan
    order = {"external_id": "BJ12345-20261130-0100", "type": "help", "text": "楼道堆放杂物堵塞通道", "grid": w.grids["A"]}
    async with w.client("community_admin") as one, w.client("community_admin") as two:
        first, second = await asyncio.gather(one.post(f"{BASE}/hotline-orders", json=order), two.post(f"{BASE}/hotline-orders", json=order))
        assert sorted((first.status_code, second.status_code)) == [200, 201], (first.text, second.text)
        assert first.json()["id"] == second.json()["id"]
        assert (await one.get(f"{BASE}/requests")).json()["total"] == 1


async def test_the_rates_by_type_and_by_grid_in_scope(hepan):
    w = hepan
    async with w.client("community_admin") as client:
        requests = [await receive(client, type=kind, requester=w.residents[who]["id"])
                    for kind, who in (("help", "王秀英"), ("complaint", "王秀英"), ("help", "张伟"))]
        for request, result in zip(requests, ("satisfied", "unsatisfied", "basically_satisfied"), strict=True):
            await act(client, request["id"], "dispatch", assignee=w.staff["community_admin"]["id"])
            for step in ("sign", "start"):
                await act(client, request["id"], step)
            await act(client, request["id"], "reply", reply="已处理")
            await client.post(f"{BASE}/requests/{request['id']}/callbacks",
                              json={"result": result, "contacted": True, "resolved": result != "unsatisfied"})
        by_kind = (await client.get(f"{BASE}/rates", params={"since": "2026-11-01", "until": "2026-11-30", "by": "kind"})).json()
        # complaint: 1 valid, unresolved, unsatisfied → 10 + 0 + 0; help: 2 valid, both resolved, (1 + 0.9) / 2 = 0.95 → 10 + 50 + 38
        assert [(r["key"], r["label"], r["valid"], r["resolution_rate"], r["satisfaction_rate"], r["score"]) for r in by_kind] == [
            ("complaint", "投诉", 1, 0.0, 0.0, 10.0), ("help", "求助", 2, 1.0, 0.95, 98.0)]
        bad = await client.get(f"{BASE}/rates", params={"since": "2026-11-01", "until": "2026-11-30", "by": "weekday"})
        assert (bad.status_code, bad.json()["field"]) == (400, "by")
        december = (await client.get(f"{BASE}/rates", params={"since": "2026-12-01", "until": "2026-12-31"})).json()
        assert december == []
    async with w.client("grid_worker_out") as client:  # grid B: only 张伟's
        by_grid = (await client.get(f"{BASE}/rates", params={"since": "2026-11-01", "until": "2026-11-30", "by": "grid"})).json()
    assert [(r["key"], r["label"], r["items"], r["satisfaction_rate"]) for r in by_grid] == [(str(w.grids["B"]), "荷畔二网格", 1, 0.9)]


async def test_the_rates_refuse_days_out_of_range_with_the_field(hepan):
    async with hepan.client("community_admin") as client:
        for params, field in (({"since": "2026-12-01", "until": "2026-11-30"}, "until"),
                              ({"since": "2026-01-01", "until": "2027-01-03"}, "until"),
                              ({"since": "9999-12-30", "until": "9999-12-31"}, "since"),
                              ({"since": "1999-12-31", "until": "2000-01-31"}, "since")):
            response = await client.get(f"{BASE}/rates", params=params)
            assert (response.status_code, response.json()["field"]) == (400, field), params
        edge = await client.get(f"{BASE}/rates", params={"since": "2026-01-01", "until": "2027-01-02"})  # 366 days: accepted
        assert (edge.status_code, edge.json()) == (200, [])
