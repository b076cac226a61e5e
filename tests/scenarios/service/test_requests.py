"""Requests through the API: 受理 → 分办 → 签收 → 办理 → 答复 → 回访 → 办结, deadlines by type, 退回, 延期, 重办, scope."""

from __future__ import annotations

from .conftest import BASE


async def receive(client, **body) -> dict:
    response = await client.post(f"{BASE}/requests", json={"channel": "visit", "type": "help", "text": "楼道灯坏了", **body})
    assert response.status_code == 201, response.text
    return response.json()


async def act(client, request_id: int, action: str, status: int = 201, **body) -> dict:
    response = await client.post(f"{BASE}/requests/{request_id}/actions", json={"action": action, **body})
    assert response.status_code == status, response.text
    return response.json()


def due(request: dict, clock: str) -> str | None:
    return next(c["due_at"] for c in request["clocks"] if c["name"] == clock)


async def test_a_request_walks_from_received_to_closed(hepan):
    w = hepan
    worker, leader = w.staff["grid_worker"]["id"], w.staff["leader"]["id"]
    async with w.client("grid_worker") as client:
        # Monday 30 Nov 09:00, a 求助 at the desk: 5 working days to the close of Monday 7 Dec.
        request = await receive(client, requester=w.residents["王秀英"]["id"], text="3号楼2单元楼道漏水，墙皮脱落")
    assert (request["state"], request["state_zh"], request["type_zh"], request["channel_zh"]) == ("received", "受理", "求助", "来访")
    assert (request["received_by"], request["assignee"], request["grid"], request["requester_name"]) == (
        worker, worker, w.grids["A"], "王秀英")
    assert due(request, "resolution") == "2026-12-07T09:30:00Z"  # 17:30 local
    assert due(request, "sign_off") is None  # starts at 分办
    async with w.client("community_admin") as admin:
        w.at(2026, 11, 30, 10, 0)
        request = await act(admin, request["id"], "dispatch", assignee=leader)
        assert (request["state"], request["assignee"]) == ("dispatched", leader)
        assert due(request, "sign_off") == "2026-11-30T04:00:00Z"  # 2 working hours: 12:00 local
    async with w.client("leader") as client:
        w.at(2026, 11, 30, 11, 0)
        request = await act(client, request["id"], "sign", expected="dispatched")
        # a second signer who saw it 分办 is told someone signed first
        await act(client, request["id"], "sign", status=409, expected="dispatched")
        request = await act(client, request["id"], "start")
        w.at(2026, 12, 2, 15, 0)
        request = await act(client, request["id"], "reply", reply="已联系物业维修，12月2日修复")
        assert (request["state_zh"], request["reply"]) == ("答复", "已联系物业维修，12月2日修复")
        request = (await client.post(f"{BASE}/requests/{request['id']}/callbacks",
                                     json={"result": "satisfied", "contacted": True, "resolved": True})).json()
        assert request["state"] == "visited"
        request = await act(client, request["id"], "close")
    assert (request["state"], request["state_zh"], request["flag"]) == ("closed", "办结", "met")
    assert [(c["name"], c["flag"]) for c in request["clocks"]] == [("sign_off", "met"), ("resolution", "met"), ("reopen", "waiting")]


async def test_deadlines_follow_the_type_and_12345(hepan):
    w = hepan
    async with w.client("community_admin") as client:
        # Monday 30 Nov 09:00; by the close of the n-th working day after.
        expected = {"consultation": "2026-12-01T09:30:00Z", "help": "2026-12-07T09:30:00Z", "suggestion": "2026-12-07T09:30:00Z",
                    "complaint": "2026-12-14T09:30:00Z", "report": "2026-12-14T09:30:00Z"}
        for kind, when in expected.items():
            assert due(await receive(client, type=kind), "resolution") == when, kind
        assert due(await receive(client, type="complaint", channel="hotline"), "resolution") == "2026-12-07T09:30:00Z"


async def test_simple_matters_are_closed_on_the_spot(hepan):
    async with hepan.client("grid_worker") as client:
        request = await receive(client, type="consultation", text="社区食堂几点开门？", settled_on_the_spot="已告知：每天11:00—13:00")
    assert (request["state"], request["reply"], request["flag"]) == ("closed", "已告知：每天11:00—13:00", "met")


async def test_return_needs_a_reason_within_two_working_days_and_goes_back_to_the_first_receiver(hepan):
    w = hepan
    async with w.client("grid_worker") as client:
        first = await receive(client)
        second = await receive(client)
        for r in (first, second):
            await act(client, r["id"], "dispatch", assignee=w.staff["leader"]["id"])
    async with w.client("leader") as client:
        error = await act(client, first["id"], "return", status=400)
        assert error["field"] == "reason"
        # dispatched Monday 09:00: returnable until Wednesday 2 Dec 09:00 (2 working days), not a minute later
        w.at(2026, 12, 2, 9, 0)
        back = await act(client, first["id"], "return", reason="不属本网格，应为二网格")
        assert (back["state_zh"], back["assignee"]) == ("退回", w.staff["grid_worker"]["id"])
        w.at(2026, 12, 2, 9, 1)
        late = await act(client, second["id"], "return", status=409, reason="不属本网格")
        assert "within 2 working days" in late["detail"]


async def test_one_extension_of_at_most_ten_working_days(hepan):
    w = hepan
    async with w.client("community_admin") as client:
        request = await receive(client, type="complaint", channel="hotline")
        too_long = await client.post(f"{BASE}/requests/{request['id']}/extension", json={"working_days": 11, "reason": "需鉴定"})
        assert too_long.status_code == 400 and too_long.json()["field"] == "working_days"
        extended = await client.post(f"{BASE}/requests/{request['id']}/extension", json={"working_days": 10, "reason": "需住建部门鉴定"})
        assert extended.status_code == 201, extended.text
        # 7 Dec + 10 working days = 21 Dec
        assert due(extended.json(), "resolution") == "2026-12-21T09:30:00Z"
        again = await client.post(f"{BASE}/requests/{request['id']}/extension", json={"working_days": 1, "reason": "再延"})
        assert again.status_code == 409


async def test_reopened_after_an_unsatisfied_call_back_gets_a_new_deadline(hepan):
    w = hepan
    async with w.client("leader") as client:
        request = await receive(client)
        await act(client, request["id"], "dispatch", assignee=w.staff["leader"]["id"])
        for step in ("sign", "start"):
            await act(client, request["id"], step)
        await act(client, request["id"], "reply", reply="已处理")
        visited = (await client.post(f"{BASE}/requests/{request['id']}/callbacks",
                                     json={"result": "unsatisfied", "contacted": True, "resolved": False, "note": "仍在漏水"})).json()
        assert visited["state"] == "visited"
        await act(client, request["id"], "reopen", status=400)  # a reason is required
        reopened = await act(client, request["id"], "reopen", reason="回访不满意：仍在漏水")
    assert reopened["state_zh"] == "重办"
    assert due(reopened, "reopen") == "2026-12-07T09:30:00Z"


async def test_a_grid_worker_sees_only_their_grids_requests(hepan):
    w = hepan
    async with w.client("grid_worker") as a:
        mine = await receive(a, requester=w.residents["王秀英"]["id"])
    async with w.client("grid_worker_out") as b:
        theirs = await receive(b, requester=w.residents["张伟"]["id"])
        listed = (await b.get(f"{BASE}/requests")).json()
        assert [r["id"] for r in listed["items"]] == [theirs["id"]] and listed["total"] == 1
        hidden = await b.get(f"{BASE}/requests/{mine['id']}")
        missing = await b.get(f"{BASE}/requests/999999")
        assert (hidden.status_code, missing.status_code) == (404, 404)
        assert hidden.json()["detail"].replace(str(mine["id"]), "N") == missing.json()["detail"].replace("999999", "N")
        # nor can they receive one for a resident of grid A
        refused = await b.post(f"{BASE}/requests", json={"channel": "visit", "type": "help", "text": "x",
                                                        "requester": w.residents["王秀英"]["id"]})
        assert (refused.status_code, refused.json()["field"]) == (404, "requester")
    async with w.client("community_admin") as admin:
        assert (await admin.get(f"{BASE}/requests")).json()["total"] == 2


async def test_bad_input_names_the_field(hepan):
    async with hepan.client("community_admin") as client:
        for body, field in (({"channel": "fax", "type": "help", "text": "x"}, "channel"),
                            ({"channel": "visit", "type": "help", "text": "   "}, "text"),
                            ({"channel": "visit", "type": "help", "text": "x", "grid": 999999}, "grid")):
            response = await client.post(f"{BASE}/requests", json=body)
            assert response.status_code in (400, 404) and response.json().get("field") == field, (body, response.text)
