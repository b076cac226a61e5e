"""The full story, through the API with a fake clock: an elder becomes overdue, the visitor is reminded,
a visit is recorded and the alert stops; missing twice brings in the grid leader."""

from __future__ import annotations

from datetime import date

import pytest

from meihao.reminders.recipients import inbox
from meihao.testing import drain


async def register(client, resident_id: int, **fields) -> dict:
    response = await client.post("/api/communities/yajuyuan/elder_care/elders", json={"resident_id": resident_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def test_overdue_elder_is_reminded_once_then_a_visit_stops_it(yajuyuan):
    y = yajuyuan
    worker = y.staff["grid_worker"]["id"]
    async with y.client("grid_worker") as client:
        elder = await register(client, y.residents["王秀英"]["id"], visitor_staff_id=worker,
                               emergency_contact={"name": "王建国", "relation": "儿子", "phone": "13700001234"})
    # 86 and living alone: 高风险, visited at least weekly (domain-rules §7)
    assert elder["care_level"] == "high_risk" and elder["living_alone"] is True
    assert elder["plan"] == {
        "interval_days": 7, "follows_care_level": True, "starts_on": "2026-03-02", "last_contact_on": None,
        "next_due_on": "2026-03-09", "status": "ok", "missed_intervals": 0, "days_overdue": 0, "revisit_on": None,
    }
    assert elder["emergency_contact"]["phone"] == "137****1234"

    # on the due day the visit is due, not overdue: nobody is nagged yet
    y.at(2026, 3, 9, 8, 30)
    assert (await y.run_check()).overdue == 0
    async with y.client("grid_worker") as client:
        dashboard = {m["key"]: m["value"] for m in (await client.get("/api/communities/yajuyuan/dashboard")).json()}
    assert dashboard["visits_due_today"] == 1 and dashboard["overdue"] == 0

    # the day after: the visitor is reminded, once however often the check runs
    y.at(2026, 3, 10, 8, 30)
    result = await y.run_check()
    assert (result.overdue, result.reminded, result.escalated) == (1, 1, 0)
    assert (await y.run_check()).reminded == 0
    await drain(y.engine)
    messages = await inbox("staff", worker)
    assert len(messages) == 1
    assert "王秀英" in messages[0]["body"] and "3月9日" in messages[0]["body"] and "已8天" in messages[0]["body"] and "137" not in messages[0]["body"]
    assert messages[0]["body"] == (  # staff: the notice as written, not addressed
        "探访提醒：王秀英（高风险对象，每周至少探访一次）自3月2日纳入探访计划已8天，已逾期1天（最迟应于3月9日探访）。请尽快上门、电话或视频联系，并记录探访情况。")
    assert await inbox("staff", y.staff["leader"]["id"]) == []
    async with y.client("grid_worker") as client:
        alerts = (await client.get("/api/communities/yajuyuan/elder_care/alerts")).json()["items"]
        assert [(a["name"], a["level"], a["due_on"]) for a in alerts] == [("王秀英", "visitor", "2026-03-09")]

        # a phone call is a contact: the interval starts again and the alert ends
        y.at(2026, 3, 10, 15, 0)
        visit = await client.post(
            f"/api/communities/yajuyuan/elder_care/elders/{elder['id']}/visits",
            json={"method": "phone", "findings": {"health": {"status": "concern", "note": "膝盖疼"}, "needs_list": ["companionship"]},
                  "follow_up_needed": True, "follow_up_note": "联系家庭医生"},
        )
        assert visit.status_code == 201, visit.text
        assert visit.json()["visitor"] == {"kind": "staff", "id": worker, "name": "陈网格"}
        assert visit.json()["concerns"] == 1
        assert (await client.get("/api/communities/yajuyuan/elder_care/alerts")).json()["items"] == []
        again = (await client.get(f"/api/communities/yajuyuan/elder_care/elders/{elder['id']}")).json()
        assert again["plan"]["last_contact_on"] == "2026-03-10" and again["plan"]["next_due_on"] == "2026-03-17"
        assert again["plan"]["status"] == "ok"

    y.at(2026, 3, 11, 8, 30)
    assert (await y.run_check()).overdue == 0
    await drain(y.engine)
    assert len(await inbox("staff", worker)) == 1  # nothing new


async def test_three_days_overdue_escalates_a_high_risk_elder_to_the_grid_leader(yajuyuan):
    """Issue 16: escalation counts days past the due date per care level (高风险: 3, setting escalate_after_days_high_risk),
    not missed intervals: a weekly elder is not left two weeks before the grid leader hears of it."""
    y = yajuyuan
    async with y.client("community_admin") as client:
        elder = await register(client, y.residents["王秀英"]["id"], visitor_resident_id=y.residents["李娜"]["id"])
    assert elder["visitor"] == {"kind": "resident", "id": y.residents["李娜"]["id"], "name": "李娜"}

    y.at(2026, 3, 10, 8, 30)  # one day overdue: the volunteer is reminded
    first = await y.run_check()
    assert (first.reminded, first.escalated) == (1, 0)
    await drain(y.engine)
    y.at(2026, 3, 11, 8, 30)  # two days: not yet
    assert (await y.run_check()).escalated == 0
    y.at(2026, 3, 12, 8, 30)  # three days: the grid leader, once
    assert (await y.run_check()).escalated == 1
    assert (await y.run_check()).escalated == 0
    await drain(y.engine)
    volunteer = await inbox("resident", y.residents["李娜"]["id"])
    assert [m["body"] for m in volunteer] == [  # the volunteer is a resident: addressed and signed
        "尊敬的李女士：\n探访提醒：王秀英（高风险对象，每周至少探访一次）自3月2日纳入探访计划已8天，已逾期1天（最迟应于3月9日探访）。"
        "请尽快上门、电话或视频联系，并记录探访情况。\n——雅居园社区居民委员会",
    ]
    leader = await inbox("staff", y.staff["leader"]["id"])
    assert [m["body"] for m in leader] == [
        "探访超期上报：王秀英（高风险对象，每周至少探访一次）自3月2日纳入探访计划已10天，"
        "已逾期3天（最迟应于3月9日探访）；责任探访人：李娜。请督促落实。"
    ]
    # the other grid's leader hears nothing of it
    assert await inbox("staff", y.staff["leader_b"]["id"]) == []

    async with y.client("leader") as client:
        alerts = (await client.get("/api/communities/yajuyuan/elder_care/alerts")).json()["items"]
        assert sorted((a["level"], a["due_on"], a["missed_intervals"], a["days_overdue"]) for a in alerts) == [
            ("escalation", "2026-03-09", 1, 3), ("visitor", "2026-03-09", 1, 1),
        ]
        # the grid leader visits in person: every open alert ends
        y.at(2026, 3, 12, 10, 30)
        response = await client.post(f"/api/communities/yajuyuan/elder_care/elders/{elder['id']}/visits", json={"method": "home"})
        assert response.status_code == 201
        assert (await client.get("/api/communities/yajuyuan/elder_care/alerts")).json()["items"] == []


@pytest.mark.parametrize(
    ("care_level", "due_on", "day_before", "day_of"),
    [
        ("key", date(2026, 4, 1), date(2026, 4, 7), date(2026, 4, 8)),  # monthly: 7 days overdue (escalate_after_days_key)
        ("general", date(2026, 6, 1), date(2026, 6, 14), date(2026, 6, 15)),  # quarterly: 14 days (escalate_after_days_general)
    ],
)
async def test_escalation_waits_the_days_of_the_elders_tier(yajuyuan, care_level, due_on, day_before, day_of):
    y = yajuyuan
    async with y.client("community_admin") as client:
        elder = await register(client, y.residents["张伟"]["id"], care_level=care_level)
    assert elder["plan"]["next_due_on"] == due_on.isoformat()
    y.at(day_before.year, day_before.month, day_before.day, 8, 30)
    result = await y.run_check()
    assert (result.overdue, result.reminded, result.escalated) == (1, 1, 0)
    y.at(day_of.year, day_of.month, day_of.day, 8, 30)
    result = await y.run_check()
    assert (result.overdue, result.reminded, result.escalated) == (1, 0, 1)
    async with y.client("leader") as client:
        elder = (await client.get(f"/api/communities/yajuyuan/elder_care/elders/{elder['id']}")).json()
    assert (elder["plan"]["status"], elder["plan"]["missed_intervals"], elder["plan"]["days_overdue"]) == (
        "overdue", 1, (day_of - due_on).days)


async def test_an_elder_without_a_visitor_is_the_grid_workers(yajuyuan):
    y = yajuyuan
    async with y.client("community_admin") as client:
        await register(client, y.residents["张伟"]["id"], care_level="key")  # monthly
    y.at(2026, 4, 2, 8, 30)
    assert (await y.run_check()).reminded == 1
    await drain(y.engine)
    assert len(await inbox("staff", y.staff["grid_worker"]["id"])) == 1


async def test_a_notice_not_yet_delivered_is_withdrawn_when_the_visit_comes_first(yajuyuan):
    y = yajuyuan
    async with y.client("grid_worker") as client:
        elder = await register(client, y.residents["王秀英"]["id"], visitor_staff_id=y.staff["grid_worker"]["id"])
        y.at(2026, 3, 10, 6, 0)  # inside quiet hours: the notice waits
        assert (await y.run_check()).reminded == 1
        assert (await drain(y.engine)).deferred == 1
        y.at(2026, 3, 10, 7, 0)
        await client.post(f"/api/communities/yajuyuan/elder_care/elders/{elder['id']}/visits", json={"method": "video"})
    y.at(2026, 3, 10, 8, 0)
    await drain(y.engine)
    assert await inbox("staff", y.staff["grid_worker"]["id"]) == []


async def test_a_general_elder_is_visited_quarterly_and_told_how_long_overdue(yajuyuan):
    """每季度, not 每91天; the overdue notice says by how many days (issue 16)."""
    y = yajuyuan
    worker = y.staff["grid_worker"]["id"]
    async with y.client("grid_worker") as client:
        elder = await register(client, y.residents["张伟"]["id"], visitor_staff_id=worker)
    assert (elder["care_level"], elder["plan"]["interval_days"], elder["plan"]["next_due_on"]) == ("general", 91, "2026-06-01")
    y.at(2026, 6, 1, 8, 30)  # the due day: nothing yet
    assert (await y.run_check()).overdue == 0
    y.at(2026, 6, 3, 8, 30)
    assert (await y.run_check()).reminded == 1
    await drain(y.engine)
    assert [m["body"] for m in await inbox("staff", worker)] == [
        "探访提醒：张伟（一般对象，每季度至少探访一次）自3月2日纳入探访计划已93天，已逾期2天（最迟应于6月1日探访）。请尽快上门、电话或视频联系，并记录探访情况。"
    ]
