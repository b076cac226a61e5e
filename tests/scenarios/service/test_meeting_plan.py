"""三强化's quarterly joint meeting planned ahead as a kernel activity (issue 13: "quarterly joint meetings (住建, 民政, 残联)
as activities with minutes and actions"): the community's admins and the staff invited (a department's staff) are
reminded a day and two hours before; the record, once held, names the activity, and the quarter lists the plan.

荷畔 (conftest): 郑主任 (``community_admin``) and 李书记 (``admin2``) lead the community; 陈网格 is grid A's worker; a 住建
department staff member 赵住建 is made here. The clock stands on Tuesday 1 Dec 2026, 10:00 (Shanghai).
"""

from __future__ import annotations

import re

import pytest_asyncio

from meihao.register.tables import Department
from meihao.reminders.recipients import inbox

from .conftest import at
from .test_assistance import A

MEETINGS = f"{A}/meetings"
PLANNED = f"{A}/meetings/planned"


@pytest_asyncio.fixture
async def w(hepan):
    w = hepan
    await Department.insert(Department(code="housing", name="住建", kind="department"))
    w.dept = await w.factories.staff("department_staff", department="housing", username="zhao-zhujian", name="赵住建")
    w.at(2026, 12, 1, 10, 0)
    return w


def plan(w, **extra) -> dict:
    return {"starts_at": "2026-12-10T09:00:00+08:00", "ends_at": "2026-12-10T11:00:00+08:00", "venue": "荷畔社区党群服务中心三楼会议室",
            "departments": ["住建", "民政", "残联"], "staff": [w.dept["id"]], **extra}


async def test_a_planned_meeting_reminds_the_admins_and_the_invited_department_staff_a_day_and_two_hours_before(w):
    admin, admin2, worker = w.staff["community_admin"]["id"], w.staff["admin2"]["id"], w.staff["grid_worker"]["id"]
    async with w.client("community_admin") as client:
        made = await client.post(PLANNED, json=plan(w))
    assert made.status_code == 201, made.text
    p = made.json()
    assert (p["title"], p["venue"], p["departments"], p["staff"], p["meeting"]) == (
        "2026年第4季度帮扶工作专题会议", "荷畔社区党群服务中心三楼会议室", ["住建", "民政", "残联"], sorted([admin, admin2, w.dept["id"]]), None)
    await w.drain(at(2026, 12, 9, 8, 59))  # a minute before a day ahead: nothing yet
    assert [await inbox("staff", s) for s in (admin, admin2, w.dept["id"])] == [[], [], []]
    await w.drain(at(2026, 12, 9, 9, 0))
    got = {s: [m["body"] for m in await inbox("staff", s)] for s in (admin, admin2, w.dept["id"], worker)}
    text = "2026年第4季度帮扶工作专题会议将于12月10日（周四）上午9点在荷畔社区党群服务中心三楼会议室举行，欢迎参加。"
    assert got == {admin: [text], admin2: [text], w.dept["id"]: [text], worker: []}
    await w.drain(at(2026, 12, 10, 7, 0))  # two hours before, but inside the community's quiet hours (until 07:30): held
    assert len(await inbox("staff", w.dept["id"])) == 1
    await w.drain(at(2026, 12, 10, 7, 30))
    assert len(await inbox("staff", w.dept["id"])) == 2
    assert len(await inbox("staff", worker)) == 0


async def test_the_record_names_the_planned_meeting_once_and_the_quarter_lists_the_plan(w):
    async with w.client("community_admin") as client:
        activity = (await client.post(PLANNED, json=plan(w))).json()["activity"]
        before = (await client.get(MEETINGS)).json()
        held = {"held_on": "2026-12-01", "departments": ["住建", "民政"], "minutes": "研究危房改造。", "activity": activity}
        recorded = await client.post(MEETINGS, json=held)
        again = await client.post(MEETINGS, json=held)
        unknown = await client.post(MEETINGS, json={**held, "activity": 987654})
        after = (await client.get(MEETINGS)).json()
        q3 = (await client.get(MEETINGS, params={"quarter": "2026-Q3"})).json()
    assert [(x["activity"], x["meeting"]) for x in before["planned_meetings"]] == [(activity, None)]
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["activity"] == activity
    assert (again.status_code, again.json()["field"]) == (409, "activity")
    assert (unknown.status_code, unknown.json()["field"]) == (404, "activity")
    assert [(x["activity"], x["meeting"]) for x in after["planned_meetings"]] == [(activity, recorded.json()["id"])]
    assert q3["planned_meetings"] == []  # planned for December: Q4's only


async def test_planning_is_refused_field_by_field_and_for_those_who_may_not(w):
    async with w.client("community_admin") as client:
        cases = {
            "starts_at": [plan(w, starts_at="2026-12-01T10:00:00+08:00", ends_at="2026-12-01T11:00:00+08:00"),  # now: not ahead
                          plan(w, starts_at="2026-12-10T09:00:00", ends_at="2026-12-10T11:00:00")],  # no offset
            "ends_at": [plan(w, ends_at="2026-12-10T09:00:00+08:00"), plan(w, ends_at="2026-12-10T21:01:00+08:00")],
            "departments": [plan(w, departments=[" "]), plan(w, departments=["住建", "住建"])],
            "venue": [plan(w, venue="")],
        }
        for field, bodies in cases.items():
            for body in bodies:
                answer = await client.post(PLANNED, json=body)
                assert (answer.status_code, answer.json().get("field")) == (400, field), (body, answer.text)
        a_minute_ahead = await client.post(PLANNED, json=plan(w, starts_at="2026-12-01T10:01:00+08:00", ends_at="2026-12-01T22:01:00+08:00"))
        nobody = await client.post(PLANNED, json=plan(w, staff=[987654]))
        other = await w.factories.staff("community_admin", community="beiyuan", username="beiyuan-admin", name="北院主任")
        outsider = await client.post(PLANNED, json=plan(w, staff=[other["id"]]))
    assert a_minute_ahead.status_code == 201, a_minute_ahead.text  # and twelve hours long exactly
    assert (nobody.status_code, nobody.json()["field"]) == (404, "staff")
    assert (outsider.status_code, outsider.json()["field"]) == (404, "staff")  # another community's admin is not invited
    async with w.client("grid_worker") as worker:
        assert (await worker.post(PLANNED, json=plan(w))).status_code == 403
    async with w.client("leader") as leader:
        assert (await leader.post(PLANNED, json=plan(w))).status_code == 403


async def test_a_meeting_is_planned_from_the_page_then_recorded_from_its_plan(w):
    from meihao.testing import form_token, make_page_client

    pages = "/c/hepan/service/assistance/meetings"
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert (await worker.get(pages)).status_code == 403
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(pages)
        assert "安排会议" in page.text and "本季度还没有安排会议。" in page.text and "住建 · 赵住建" in page.text
        token = await form_token(admin, pages)
        form = {"day": "2026-12-10", "start": "09:00", "end": "11:00", "venue": "荷畔社区党群服务中心三楼会议室",
                "departments": ["住建", "民政"], "staff": [str(w.dept["id"])], "_csrf_token": token}
        late = await admin.post(f"{pages}/plan", data={**form, "end": "08:00"})
        assert (late.status_code, "结束时间要晚于开始时间，最长12小时。" in late.text, 'id="p-end" name="end" type="time" value="08:00" aria-invalid="true"' in late.text) == (400, True, True)
        nowhere = await admin.post(f"{pages}/plan", data={**form, "venue": ""})
        assert (nowhere.status_code, "请填写开会地点（不超过200字）。" in nowhere.text) == (400, True)
        planned = await admin.post(f"{pages}/plan", data=form)
        assert (planned.status_code, planned.headers["location"]) == (303, f"{pages}?done=planned#planned-h")
        listed = await admin.get(f"{pages}?done=planned")
        assert "会议已安排：参会人员将在会前一天和会前两小时收到提醒。" in listed.text
        assert "12月10日（周四）上午9点" in listed.text and "3人，会前一天和会前两小时提醒" in listed.text
        activity = int(re.search(r"meetings/new\?activity=(\d+)", listed.text).group(1))
        new = await admin.get(f"{pages}/new", params={"activity": activity})
        # the plan's day and departments filled in (recorded once held: here the clock stays on the 1st, so typed over)
        assert f'name="activity" value="{activity}"' in new.text and 'max="2026-12-01" value="2026-12-10"' in new.text
        token = await form_token(admin, f"{pages}/new")
        recorded = await admin.post(f"{pages}/new", data={"activity": str(activity), "held_on": "2026-12-01", "departments": ["住建"],
                                                          "minutes": "研究危房改造。", "_csrf_token": token})
        assert recorded.status_code == 303, recorded.text
        after = await admin.get(pages)
        assert "已记录：查看会议记录" in after.text and f"meetings/new?activity={activity}" not in after.text
        missing = await admin.get(f"{pages}/new", params={"activity": activity})
        assert missing.status_code == 404  # recorded already: no second form
