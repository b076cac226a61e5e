"""The full story on the fake clock, across working days, a weekend and 国庆: a 12345 complaint received
before National Day is due after it; the yellow and red flags and the chain fire once each, in working hours."""

from __future__ import annotations

from meihao.reminders.recipients import inbox

from .conftest import BASE, at
from .test_requests import act


def clock(request: dict, name: str) -> dict:
    return next(c for c in request["clocks"] if c["name"] == name)


async def test_a_request_before_national_day_is_due_after_it_and_each_flag_fires_once(hepan):
    w = hepan
    worker, leader, admin = w.staff["grid_worker"]["id"], w.staff["leader"]["id"], w.staff["community_admin"]["id"]
    # Wednesday 30 Sep 2026, 16:00: a 12345 transfer, 5 working days. 1–7 Oct are off (国庆),
    # Sat 10 Oct is a make-up working day: 8, 9, 10, 12, 13 Oct, due at the close of Tuesday 13 Oct.
    w.travel_to(at(2026, 9, 30, 16, 0))
    async with w.client("community_admin") as client:
        order = await client.post(f"{BASE}/hotline-orders", json={
            "external_id": "12345-20260930-0188", "type": "complaint", "grid": w.grids["A"],
            "text": "3号楼电梯频繁停运，老人上下楼困难，物业不处理"})
        assert order.status_code == 201, order.text
        request = order.json()
        assert clock(request, "resolution")["due_at"] == "2026-10-13T09:30:00Z"  # 17:30 local
        request = await act(client, request["id"], "dispatch", assignee=worker)
        # signing: 2 working hours from 16:00 Wednesday → 1.5 h that day, then 0.5 h after the holiday: Thu 8 Oct 09:00
        assert clock(request, "sign_off")["due_at"] == "2026-10-08T01:00:00Z"

    # during the holiday nothing fires (the check runs, nothing is due)
    await w.fire_job("meihao.workitems.check", at=at(2026, 10, 5, 10, 0))
    await w.drain()
    assert await inbox("staff", worker) == []

    # Thursday 8 Oct 09:05: the sign-off is past due → red to the assignee, once
    await w.fire_job("meihao.workitems.check", at=at(2026, 10, 8, 9, 5))
    await w.fire_job("meihao.workitems.check", at=at(2026, 10, 8, 9, 10))
    await w.drain()
    first = await inbox("staff", worker)
    assert len(first) == 1
    async with w.client("grid_worker") as client:
        w.travel_to(at(2026, 10, 8, 9, 30))
        request = await act(client, request["id"], "sign", expected="dispatched")
        assert clock(request, "sign_off")["flag"] == "met_late"
        request = await act(client, request["id"], "start")

    # Monday 12 Oct 17:30 = one working day before the deadline (the make-up Saturday counts): yellow, once
    await w.fire_job("meihao.workitems.check", at=at(2026, 10, 12, 17, 35))
    await w.fire_job("meihao.workitems.check", at=at(2026, 10, 13, 8, 40))
    await w.drain()
    assert len(await inbox("staff", worker)) == 2
    async with w.client("grid_worker") as client:
        listed = (await client.get(f"{BASE}/requests", params={"flag": "yellow"})).json()
        assert [r["id"] for r in listed["items"]] == [request["id"]] and listed["items"][0]["flag"] == "yellow"

    # not answered by Tuesday's close: red on Wednesday morning, then the grid leader a working day later
    await w.fire_job("meihao.workitems.check", at=at(2026, 10, 14, 8, 35))
    await w.drain()
    assert len(await inbox("staff", worker)) == 3
    assert await inbox("staff", leader) == []
    await w.fire_job("meihao.workitems.check", at=at(2026, 10, 14, 17, 40))  # after the close: waits
    await w.drain()
    assert await inbox("staff", leader) == []
    await w.fire_job("meihao.workitems.check", at=at(2026, 10, 15, 8, 35))
    await w.fire_job("meihao.workitems.check", at=at(2026, 10, 15, 9, 35))
    await w.drain()
    assert len(await inbox("staff", leader)) == 1  # the grid leader joins, once
    assert len(await inbox("staff", worker)) == 4  # and the worker is told again with them
    async with w.client("community_admin") as client:
        overdue = (await client.get(f"{BASE}/requests", params={"flag": "red"})).json()
        assert overdue["total"] == 1
        figures = {m["key"]: m["value"] for m in (await client.get("/api/communities/hepan/dashboard")).json() if m["scenario"] == "service"}
        assert (figures["open"], figures["overdue"]) == (1, 1)

    # answered Thursday 15 Oct, called back, closed: late, and the month's on-time rate says so
    async with w.client("grid_worker") as client:
        w.travel_to(at(2026, 10, 15, 15, 0))
        request = await act(client, request["id"], "reply", reply="已约谈物业，电梯维保单位10月15日完成检修")
        assert clock(request, "resolution")["flag"] == "met_late"
    async with w.client("leader") as client:
        await client.post(f"{BASE}/requests/{request['id']}/callbacks", json={"result": "basically_satisfied", "contacted": True,
                                                                            "resolved": True})
        request = await act(client, request["id"], "close")
    assert request["state_zh"] == "办结"
    # nothing more fires for a closed request
    await w.fire_job("meihao.workitems.check", at=at(2026, 10, 20, 9, 0))
    await w.drain()
    assert (len(await inbox("staff", worker)), len(await inbox("staff", leader)), len(await inbox("staff", admin))) == (4, 1, 0)
    told = [m["body"].split("。")[0] for m in await inbox("staff", worker)]  # newest first
    assert told == [
        "督办：「3号楼电梯频繁停运，老人上下楼困难，物业不处理」已超过办结时限（10月13日（周二）下午5点半），已逾期2天，已报网格长，请尽快办理",
        "红牌：「3号楼电梯频繁停运，老人上下楼困难，物业不处理」已超过办结时限（10月13日（周二）下午5点半），已逾期1天，请尽快办理",
        "黄牌预警：「3号楼电梯频繁停运，老人上下楼困难，物业不处理」的办结时限是10月13日（周二）下午5点半，即将到期，请抓紧办理",
        "红牌：「3号楼电梯频繁停运，老人上下楼困难，物业不处理」已超过签收时限（10月8日（周四）上午9点），请尽快办理",
    ]
