"""三强化's other legs through the API: a household taken off monitoring (with a reason), the quarterly joint meetings
(departments, households discussed, minutes, decisions as work items, the quarter's plan and its reminder job) and the
discipline office's problem list (问题清单: recorded by the street, rectified by the community, closed or sent back,
its deadline a setting and overdue flagged).

荷畔 (conftest): 王秀英's household in grid A (陈网格), 张伟's in grid B (吴网格), monitored from Monday 30 Nov 2026;
the clock then stands on Tuesday 1 Dec 2026, 10:00.
"""

from __future__ import annotations

import pytest_asyncio

from meihao.reminders.recipients import inbox

from .conftest import BASE, at
from .test_assistance import A, monitored

MEETINGS = f"{A}/meetings"
PROBLEMS = f"{BASE}/inspection/problems"


@pytest_asyncio.fixture
async def w(hepan):
    w = hepan
    w.ids = await monitored(w)
    w.at(2026, 12, 1, 10, 0)
    return w


def meeting(w, **extra) -> dict:
    return {"held_on": "2026-12-01", "departments": ["住建", "民政", "残联"], "households": [w.ids["王秀英"], w.ids["张伟"]],
            "minutes": "研究王秀英户危房改造和张伟户医疗救助。", "decisions": [
                {"text": "住建部门12月内完成王秀英户房屋鉴定", "assignee": w.staff["grid_worker"]["id"]},
                {"text": "张伟户纳入医疗救助，民政审核"}], **extra}


async def test_a_household_is_taken_off_monitoring_with_a_reason(w):
    hid = w.ids["王秀英"]
    async with w.client("grid_worker") as worker:
        refused = await worker.post(f"{A}/households/{hid}/end", json={"reason": "风险消除"})
    assert refused.status_code == 403  # the team reads; only the community's admins decide
    async with w.client("community_admin") as admin:
        empty = await admin.post(f"{A}/households/{hid}/end", json={"reason": "  "})
        long = await admin.post(f"{A}/households/{hid}/end", json={"reason": "因" * 501})
        missing = await admin.post(f"{A}/households/987654/end", json={"reason": "风险消除"})
        ended = await admin.post(f"{A}/households/{hid}/end", json={"reason": "风险消除，经评议公示"})
        again = await admin.post(f"{A}/households/{hid}/end", json={"reason": "风险消除"})
        now = [h["id"] for h in (await admin.get(f"{A}/households")).json()]
        gone = (await admin.get(f"{A}/households", params={"ended": "true"})).json()
        visit = await admin.post(f"{A}/households/{hid}/visits", json={"checks": {}})
        back = await admin.post(f"{A}/households", json={"household": w.residents["王秀英"]["household_id"], "category": "突发严重困难户",
                                                         "helper": w.staff["grid_worker"]["id"]})
    assert (empty.status_code, empty.json()["field"]) == (400, "reason")
    assert (long.status_code, long.json()["field"]) == (400, "reason")
    assert missing.status_code == 404
    assert ended.status_code == 200, ended.text
    assert (ended.json()["active"], ended.json()["ended_on"], ended.json()["end_reason"]) == (False, "2026-12-01", "风险消除，经评议公示")
    assert (again.status_code, again.json()["field"]) == (409, "household")
    assert now == [w.ids["张伟"]]
    assert [(h["id"], h["end_reason"]) for h in gone] == [(hid, "风险消除，经评议公示")]
    assert visit.status_code == 409  # no visit to a household no longer monitored
    assert back.status_code == 201 and back.json()["id"] != hid  # it may be monitored again later, as a new record


async def test_ending_another_grids_household_is_a_404_for_a_grid_leader_too(w):
    # the grid leader of grid A cannot manage at all (403); the street's admin can end grid B's
    async with w.client("leader") as leader:
        assert (await leader.post(f"{A}/households/{w.ids['张伟']}/end", json={"reason": "搬离"})).status_code == 403
    async with w.client("street_admin") as street:
        assert (await street.post(f"{A}/households/{w.ids['张伟']}/end", json={"reason": "搬离本社区"})).status_code == 200


async def test_a_joint_meeting_with_its_decisions_and_the_quarters_plan(w):
    async with w.client("community_admin") as admin:
        before = (await admin.get(MEETINGS)).json()
        made = await admin.post(MEETINGS, json=meeting(w))
        assert made.status_code == 201, made.text
        m = made.json()
        plan = (await admin.get(MEETINGS)).json()
        other = (await admin.get(MEETINGS, params={"quarter": "2026-Q3"})).json()
        bad_quarter = await admin.get(MEETINGS, params={"quarter": "2026-Q5"})
    assert (before["quarter"], before["planned"], before["held"], before["ends_on"], before["meetings"]) == ("2026-Q4", 1, 0, "2026-12-31", [])
    assert (m["quarter"], m["title"], m["departments"], m["households"]) == (
        "2026-Q4", "2026年第4季度帮扶工作专题会议", ["住建", "民政", "残联"], sorted([w.ids["王秀英"], w.ids["张伟"]]))
    first, second = m["decisions"]
    assert (first["assignee_name"], first["state"], first["due_at"], first["flag"]) == ("陈网格", "open", "2026-12-15T09:30:00Z", "green")
    assert (second["assignee"], second["item"], second["state"]) == (None, None, "")  # for the record
    assert m["recorded_by_name"] == w.staff["community_admin"]["name"]
    assert (plan["held"], [x["id"] for x in plan["meetings"]]) == (1, [m["id"]])
    assert (other["quarter"], other["held"], other["ends_on"]) == ("2026-Q3", 0, "2026-09-30")
    assert (bad_quarter.status_code, bad_quarter.json()["field"]) == (400, "quarter")
    async with w.client("grid_worker") as worker:  # the decision is the worker's work item; the meetings are the leaders'
        assert (await worker.get(MEETINGS)).status_code == 403
        assert (await worker.post(f"{A}/meeting-actions/{first['item']}/done", json={"note": "已鉴定"})).status_code == 403
    async with w.client("community_admin") as admin:
        empty = await admin.post(f"{A}/meeting-actions/{first['item']}/done", json={"note": ""})
        done = await admin.post(f"{A}/meeting-actions/{first['item']}/done", json={"note": "已完成鉴定，C级"})
        twice = await admin.post(f"{A}/meeting-actions/{first['item']}/done", json={"note": "again"})
        request_item = await admin.post(f"{A}/meeting-actions/987654/done", json={"note": "x"})
        after = (await admin.get(f"{MEETINGS}/{m['id']}")).json()
    assert (empty.status_code, empty.json()["field"]) == (400, "note")
    assert (done.status_code, done.json()) == (200, {"state": "done"})
    assert twice.status_code == 409 and request_item.status_code == 404
    assert (after["decisions"][0]["state"], after["decisions"][0]["flag"]) == ("done", "met")


async def test_a_meeting_is_refused_field_by_field(w):
    async with w.client("community_admin") as admin:
        cases = {
            "nobody came": meeting(w, departments=[" "]),
            "tomorrow": meeting(w, held_on="2026-12-02"),
            "93 days ago": meeting(w, held_on="2026-08-30"),
            "no minutes": meeting(w, minutes=" "),
            "another community's household": meeting(w, households=[987654]),
            "a decision to an outsider": meeting(w, decisions=[{"text": "做", "assignee": 987654}]),
            "a decision with nobody and no text": meeting(w, decisions=[{"text": "", "assignee": w.staff["grid_worker"]["id"]}]),
        }
        answers = {name: await admin.post(MEETINGS, json=body) for name, body in cases.items()}
        edge = await admin.post(MEETINGS, json=meeting(w, held_on="2026-08-31", decisions=[], title="三季度补开"))  # 92 days ago
    assert {name: (a.status_code, a.json()["field"]) for name, a in answers.items()} == {
        "nobody came": (400, "departments"), "tomorrow": (400, "held_on"), "93 days ago": (400, "held_on"), "no minutes": (400, "minutes"),
        "another community's household": (404, "households"), "a decision to an outsider": (404, "decisions.0.assignee"),
        "a decision with nobody and no text": (400, "decisions.0.text")}
    assert (edge.status_code, edge.json()["quarter"], edge.json()["title"]) == (201, "2026-Q3", "三季度补开")


async def test_the_reminder_goes_out_once_from_15_days_before_the_quarters_end(w):
    from meihao.scenarios.service.services.supervision import meeting_reminder

    admin, admin2 = w.staff["community_admin"]["id"], w.staff["admin2"]["id"]
    await w.fire_job("service.joint_meeting_reminder", at=at(2026, 12, 15, 9, 0))  # 16 days left: nothing
    await w.drain()
    assert await inbox("staff", admin) == []
    await w.fire_job("service.joint_meeting_reminder", at=at(2026, 12, 16, 9, 0))  # 15 days left
    await w.fire_job("service.joint_meeting_reminder", at=at(2026, 12, 17, 9, 0))  # once a quarter
    await w.drain()
    body = "第4季度帮扶工作专题会议（住建、民政、残联等）应开1次，已开0次，12月31日前召开。"
    assert [m["body"] for m in await inbox("staff", admin)] == [body]
    assert [m["body"] for m in await inbox("staff", admin2)] == [body]
    w.at(2026, 12, 17, 9, 0)
    again = await meeting_reminder(w.mh, w.community)
    assert (again["quarter"], again["held"], again["sent"], sorted(again["staff"])) == ("2026-Q4", 0, False, sorted([admin, admin2]))
    w.at(2026, 12, 19, 9, 0)
    assert await meeting_reminder(w.mh, w.community) is None  # a Saturday
    w.at(2026, 12, 18, 10, 0)
    async with w.client("community_admin") as client:
        assert (await client.post(MEETINGS, json=meeting(w, held_on="2026-12-18"))).status_code == 201
    w.at(2026, 12, 21, 9, 0)
    assert await meeting_reminder(w.mh, w.community) is None  # held


async def test_the_problem_list_deadline_overdue_rectified_and_closed(w):
    body = {"category": "户档案整理", "text": "王秀英户档案未更新11月走访记录", "household": w.ids["王秀英"]}
    async with w.client("community_admin") as admin:
        refused = await admin.post(PROBLEMS, json=body)  # the community does not write its own inspection
    assert refused.status_code == 403
    async with w.client("street_admin") as street:
        wrong = await street.post(PROBLEMS, json={**body, "category": "卫生"})
        elsewhere = await street.post(PROBLEMS, json={**body, "household": 987654})
        future = await street.post(PROBLEMS, json={**body, "found_on": "2026-12-02"})
        old = await street.post(PROBLEMS, json={**body, "found_on": "2026-10-30"})  # 32 days ago
        made = await street.post(PROBLEMS, json=body)
        policy = await street.post(PROBLEMS, json={"category": "政策落实", "text": "公益岗位安置名单未公示", "found_on": "2026-10-31"})
    assert (wrong.status_code, wrong.json()["field"]) == (400, "category")
    assert (elsewhere.status_code, elsewhere.json()["field"]) == (404, "household")
    assert (future.status_code, future.json()["field"]) == (400, "found_on")
    assert (old.status_code, old.json()["field"]) == (400, "found_on")
    assert made.status_code == 201 and policy.status_code == 201, policy.text
    p = made.json()
    # 15 working days from Tuesday 1 Dec: to the close of Tuesday 22 Dec
    assert (p["state"], p["due_at"], p["flag"], p["found_on"], p["found_by_name"]) == (
        "open", "2026-12-22T09:30:00Z", "green", "2026-12-01", w.staff["street_admin"]["name"])
    async with w.client("grid_worker") as worker:
        assert (await worker.get(PROBLEMS)).status_code == 403  # grid staff do not read the discipline office's list
    w.at(2026, 12, 22, 17, 29)
    async with w.client("community_admin") as admin:
        listed = (await admin.get(PROBLEMS)).json()
    assert [(x["text"], x["flag"]) for x in listed] == [("公益岗位安置名单未公示", "yellow"), ("王秀英户档案未更新11月走访记录", "yellow")]
    w.at(2026, 12, 22, 17, 30)
    async with w.client("community_admin") as admin:
        late = (await admin.get(f"{PROBLEMS}", params={"status": "open"})).json()
        bad_state = await admin.get(PROBLEMS, params={"status": "late"})
        empty = await admin.post(f"{PROBLEMS}/{p['id']}/rectify", json={"note": " "})
        fixed = await admin.post(f"{PROBLEMS}/{p['id']}/rectify", json={"note": "已补录11月走访记录"})
        own_close = await admin.post(f"{PROBLEMS}/{p['id']}/close")
    assert [x["flag"] for x in late] == ["red", "red"]
    assert (bad_state.status_code, bad_state.json()["field"]) == (400, "status")
    assert (empty.status_code, empty.json()["field"]) == (400, "note")
    assert (fixed.status_code, fixed.json()["state"], fixed.json()["flag"], fixed.json()["rectification"]) == (
        200, "rectified", "paused", "已补录11月走访记录")
    assert own_close.status_code == 403  # 销号 is the supervisor's
    async with w.client("street_admin") as street:
        no_reason = await street.post(f"{PROBLEMS}/{p['id']}/return", json={"note": ""})
        back = await street.post(f"{PROBLEMS}/{p['id']}/return", json={"note": "12月记录仍缺"})
        early_close = await street.post(f"{PROBLEMS}/{p['id']}/close")
    assert (no_reason.status_code, no_reason.json()["field"]) == (400, "note")
    assert (back.status_code, back.json()["state"], back.json()["flag"]) == (200, "open", "red")
    assert (early_close.status_code, early_close.json()["field"]) == (400, "state")  # not rectified again yet
    w.at(2026, 12, 23, 9, 0)
    async with w.client("community_admin") as admin:
        await admin.post(f"{PROBLEMS}/{p['id']}/rectify", json={"note": "12月记录已补齐"})
    async with w.client("street_admin") as street:
        closed = await street.post(f"{PROBLEMS}/{p['id']}/close")
        twice = await street.post(f"{PROBLEMS}/{p['id']}/close")
        gone = await street.post(f"{PROBLEMS}/987654/close")
    assert (closed.status_code, closed.json()["state"], closed.json()["flag"], closed.json()["rectification"]) == (
        200, "closed", "met_late", "12月记录已补齐")
    assert twice.status_code == 409 and gone.status_code == 404
    async with w.client("community_admin") as admin:
        assert [x["state"] for x in (await admin.get(PROBLEMS, params={"status": "closed"})).json()] == ["closed"]


async def test_the_deadline_is_the_setting(w):
    async with w.client("street_admin") as street:
        changed = await street.put(f"/api/communities/{w.slug}/scenarios/service", json={"settings": {"inspection_rectify_working_days": 1}})
        assert changed.status_code == 200, changed.text
        made = await street.post(PROBLEMS, json={"category": "政策落实", "text": "低保名单未公示"})
        zero = await street.put(f"/api/communities/{w.slug}/scenarios/service", json={"settings": {"inspection_rectify_working_days": 0}})
    assert made.json()["due_at"] == "2026-12-02T09:30:00Z"  # the close of Wednesday 2 Dec
    assert zero.status_code == 400
