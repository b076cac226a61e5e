"""A full story on the fake clock across working days, a weekend and National Day 2026 (1–7 October off, Saturday 10
October a make-up working day): an event before the holiday is due after it, the kernel's flags and escalations fire once,
a late department is supervised once, a whistle's clocks skip the holiday, and the month's figures come out as worked out here."""

from __future__ import annotations

from meihao.scenarios.governance.tables import Supervision
from meihao.testing import work_item_escalations

from .test_events import E, at, local


async def test_a_month_across_national_day(yinshan):
    w = yinshan
    # Wednesday 30 September 16:00: the last working afternoon before the holiday
    w.at(2026, 9, 30, 16, 0)
    async with w.client("grid_worker") as c:
        event = (await c.post(f"{E}/events", json={"grid_id": w.grids["A"], "source": "hotline", "category": "emergency",
                                                   "text": "银山花园2号楼地下室管道漏水，积水较深", "external_id": "12345-20260930-0031"})).json()
    assert at(event["dispatch_due_at"]) == local(2026, 9, 30, 17, 0)
    w.at(2026, 9, 30, 16, 30)
    async with w.client("leader") as c:
        await c.post(f"{E}/events/{event['id']}/register", json={})
        order = (await c.post(f"{E}/events/{event['id']}/dispatch", json={"department": "zhujian"})).json()["orders"][0]
    # 1 working hour: 16:30–17:30 on 30 September; 5 working days to the close: 8, 9, 10 (make-up Saturday), 12, 13 October
    assert (at(order["sign_due_at"]), at(order["resolve_due_at"])) == (local(2026, 9, 30, 17, 30), local(2026, 10, 13, 17, 30))
    # the whistle the same afternoon: sign by 17:30, contact by 8 October 16:30, report (攻坚克难哨, 5 working days) by 13 October
    async with w.client("community_admin") as c:
        whistle = (await c.post(f"{E}/whistles", json={"level": "tackle", "reason": "emergency", "title": "银山花园地下管网渗漏抢修",
                                                        "text": "地下室持续进水，需住建、城管联合处置", "departments": ["zhujian", "chengguan"],
                                                        "event_id": event["id"]})).json()
    assert whistle["grid_id"] == w.grids["A"]
    call = whistle["calls"][0]
    assert [at(call[k]) for k in ("sign_due_at", "contact_due_at", "report_due_at")] == [
        local(2026, 9, 30, 17, 30), local(2026, 10, 8, 16, 30), local(2026, 10, 13, 17, 30)]
    # 住建 signs both at 17:10; 城管 does not sign before the holiday
    w.at(2026, 9, 30, 17, 10)
    async with w.client("zhujian") as c:
        await c.post(f"{E}/orders/{order['id']}/sign")
        await c.post(f"{E}/calls/{call['id']}/sign")
    # during the holiday the supervision check finds 城管's call late once, and only once
    for day in (1, 3, 5):
        await w.fire_job("governance.supervise", at=w.at(2026, 10, day, 10, 0))
    assert sorted((s["kind"], s["clock"]) for s in await Supervision.select(Supervision.kind, Supervision.clock)) == [("call", "sign_off")]
    # the kernel's escalation levels of 城管's call, each reached at 17:30 (a close) and sent at the next opening: red at the
    # deadline (30 September), the grid leaders 1 working day later (8 October), the community's admins 3 (Saturday 10, the
    # make-up day; sent Monday 12) and the street 5 (Tuesday 13; sent Wednesday 14)
    levels = await work_item_escalations(await _call_item(whistle["calls"][1]["id"]))
    assert [(x["clock"], x["level"], at(x["notify_at"].isoformat())) for x in levels if x["clock"] == "sign_off"] == [
        ("sign_off", "red", local(2026, 10, 8, 8, 30)), ("sign_off", "grid_leader", local(2026, 10, 9, 8, 30)),
        ("sign_off", "community_admin", local(2026, 10, 12, 8, 30)), ("sign_off", "street_admin", local(2026, 10, 14, 8, 30))]
    # Thursday 8 October: back at work; 住建 contacts and reports, feeds the order back on Saturday 10 (make-up day)
    w.at(2026, 10, 8, 9, 0)
    async with w.client("zhujian") as c:
        await c.post(f"{E}/calls/{call['id']}/contact")
        await c.post(f"{E}/calls/{call['id']}/report", json={"kind": "on_site", "text": "已到现场关阀排水，更换破损管段"})
    w.at(2026, 10, 10, 11, 0)
    async with w.client("zhujian") as c:
        await c.post(f"{E}/orders/{order['id']}/feedback", json={"text": "管道已更换，地下室积水已排净"})
    async with w.client("grid_worker") as c:
        fed_back = (await c.get(f"{E}/events/{event['id']}")).json()
    assert at(fed_back["check_due_at"]) == local(2026, 10, 12, 17, 30)  # the next working day's close: Monday 12 (Sunday 11 off)
    w.at(2026, 10, 12, 9, 0)
    async with w.client("grid_worker") as c:
        await c.post(f"{E}/events/{event['id']}/check", json={"passed": True})
    async with w.client("leader") as c:
        closed = (await c.post(f"{E}/events/{event['id']}/close")).json()
    assert (closed["state"], closed["closed_on_time"], closed["handled_in_grid"]) == ("closed", True, False)
    async with w.client("community_admin") as c:
        await c.post(f"{E}/calls/{call['id']}/rate", json={"speed": 5, "quality": 5})
        september = (await c.get(f"{E}/figures", params={"month": "2026-09"})).json()
        ranking = (await c.get(f"{E}/figures/departments", params={"month": "2026-09"})).json()
    assert (september["events"], september["closed"], september["closed_on_time"], september["orders"], september["signed_on_time"],
            september["whistles_by_level"]) == (1, 1, 1, 1, 1, {"advance": 0, "tackle": 1})
    # 住建: order signed and fed back on time, call signed and reported on time: 4 of 4; 城管: 0 of 2
    assert [(r["department"], r["rank"], r["rating"]) for r in ranking] == [("zhujian", 1, 5.0), ("chengguan", 2, None)]


async def _call_item(call_id: int) -> int:
    from meihao.scenarios.governance.tables import WhistleCall

    return (await WhistleCall.select(WhistleCall.item).where(WhistleCall.id == call_id).first())["item"]
