"""A year of the grid academy on the fake clock: attendance per role, the quarterly reminders to those behind, the year-end report.

The community sets the part-time grid workers' year to 16 学时 / 8 学分; everyone else has the default 32 / 16.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import pytest_asyncio

from meihao import Principal
from meihao.reminders.tables import InboxMessage
from meihao.scenarios.education.schemas import EnrolIn
from meihao.scenarios.education.services import sessions
from meihao.scenarios.education.services.common import behind
from meihao.testing import SceneWorld
from tests.scenarios.education.conftest import BASE, at, plan

SYSTEM = Principal.system()
JOB = "education.remind_behind"


@pytest.mark.parametrize(("hours", "credits", "month", "expected"), [
    (8, 4, 4, False), (7, 4, 4, True), (8, 3, 4, True),  # 1 April: 3 months of 12 gone, 8 学时 and 4 学分 due
    (0, 0, 1, False),  # 1 January: nothing due yet
    (24, 12, 10, False), (23, 12, 10, True), (24, 11, 10, True),  # 1 October: 9 months gone
    (30, 15, 12, False), (29, 15, 12, True), (30, 14, 12, True),  # 1 December: 29⅓ 学时 and 14⅔ 学分 due
])
def test_behind_is_fewer_hours_or_credits_than_the_months_gone_ask(hours, credits, month, expected):
    assert behind(hours, credits, 32, 16, month) is expected


@pytest_asyncio.fixture
async def year(meihao) -> SceneWorld:
    from tests.scenarios.education.conftest import world as build  # the same world with the part-timers' own requirement

    w = await build.__wrapped__(meihao)
    async with w.client("community_admin") as admin:
        response = await admin.put("/api/communities/yinshan/scenarios/education",
                                   json={"settings": {"role_hours": {"grid_part_time": 16}, "role_credits": {"grid_part_time": 8}}})
        assert response.status_code == 200, response.text
        safety = await admin.post(f"{BASE}/courses", json={"title": "安全生产实训", "kind": "elective", "hours": 6, "credits": 3})
    w.courses["safety"] = safety.json()["id"]
    return w


async def attend(w: SceneWorld, session: dict, *keys: str) -> None:
    """Enrol, check in at the start and out at the end (the clock moves to the session's end)."""
    ids = [(await sessions.enrol(w.mh, SYSTEM, w.community, session["id"], EnrolIn(staff_id=w.staff[k]["id"]))).id for k in keys]
    w.travel_to(datetime.fromisoformat(session["starts_at"]))
    for i in ids:
        await sessions.check_in(w.mh, SYSTEM, w.community, i)
    w.travel_to(datetime.fromisoformat(session["ends_at"]))
    for i in ids:
        await sessions.check_out(w.mh, SYSTEM, w.community, i)


async def fire(w: SceneWorld, when: datetime) -> int:
    """Run the reminder job at ``when`` (local); how many were reminded (the notices it sent)."""
    from meihao.reminders.tables import Activity

    def count() -> object:
        return Activity.count().where(Activity.source.like("notice:education.behind:%"))

    before = await count()
    run = await w.fire_job(JOB, at=when)
    assert run is not None and run["outcome"] == "success", run
    return await count() - before


async def _reminded(w: SceneWorld) -> list[tuple[int, str]]:
    rows = await InboxMessage.select(InboxMessage.recipient_id, InboxMessage.body).where(InboxMessage.recipient_kind == "staff")
    return sorted((r["recipient_id"], r["body"]) for r in rows if "学时" in r["body"] and "进度落后" in r["body"])


async def test_a_year_of_credits_per_role_reminded_each_quarter_and_reported_at_the_end(year):
    w = year
    s = w.staff
    who = {s[k]["id"]: k for k in s}
    # Q1: 陈网格 two required sessions (8 学时), 孙网格长 and 钱兼职 one (4 学时)
    first, second = await plan(w, starts=at(2026, 3, 14, 9)), await plan(w, starts=at(2026, 3, 21, 9))
    await attend(w, first, "grid_worker", "leader", "part_time")
    await attend(w, second, "grid_worker")

    assert await fire(w, datetime(2026, 3, 31, 9)) == 0  # not a reminder month
    assert await fire(w, datetime(2026, 4, 1, 9)) == 3
    await w.drain()
    assert [(who[i], body) for i, body in await _reminded(w)] == [
        ("community_admin", "郑主任：今年您已修0学时、0学分，全年要求32学时、16学分，进度落后了。请在网格学院报名近期的课程。"),
        ("grid_worker_out", "吴网格：今年您已修0学时、0学分，全年要求32学时、16学分，进度落后了。请在网格学院报名近期的课程。"),
        ("leader", "孙网格长：今年您已修4学时、2学分，全年要求32学时、16学分，进度落后了。请在网格学院报名近期的课程。"),
    ]  # 陈网格 has the 8 学时 of a quarter; 钱兼职 the 4 of a part-timer's quarter
    assert await fire(w, datetime(2026, 4, 1, 15)) == 0  # once a quarter (a second run that day)
    assert await fire(w, datetime(2026, 4, 2, 9)) == 0  # the first working day only

    # Q2: a practice day at the industrial park's base
    practice = await plan(w, "safety", at(2026, 5, 9, 9), hours=6, venue="base")
    await attend(w, practice, "leader", "grid_worker_out", "part_time")
    assert await fire(w, datetime(2026, 7, 1, 9)) == 4  # 6 months gone: 16 / 8 due; 钱兼职 has 10 / 5 of the 8 / 4 due

    # Q3: National Day; the reminder waits for the first working day (8 October 2026)
    assert await fire(w, datetime(2026, 10, 1, 9)) == 0
    assert await fire(w, datetime(2026, 10, 8, 9)) == 5

    # Q4: two more required sessions; 钱兼职 reaches the part-timers' 16 学时 / 8 学分
    await attend(w, await plan(w, starts=at(2026, 11, 14, 9)), "grid_worker", "part_time")
    await attend(w, await plan(w, starts=at(2026, 11, 21, 9)), "part_time")
    assert await fire(w, datetime(2026, 12, 1, 9)) == 4  # 钱兼职 is not behind any more

    w.travel_to(at(2027, 1, 4, 9))
    async with w.client("community_admin") as admin:
        report = (await admin.get(f"{BASE}/report", params={"year": 2026})).json()
        csv = (await admin.get(f"{BASE}/report.csv", params={"year": 2026})).text
        record = await admin.get(f"{BASE}/learners/{s['part_time']['id']}", params={"year": 2026})
    assert [(r["name"], r["role"], r["grid"], r["hours"], r["credits"], r["required_hours"], r["required_credits"], r["met"])
            for r in report["people"]] == [
        ("郑主任", "community_admin", "", 0, 0, 32, 16, False),
        ("孙网格长", "grid_leader", "一网格", 10, 5, 32, 16, False),
        ("陈网格", "grid_worker", "一网格", 12, 6, 32, 16, False),
        ("吴网格", "grid_worker", "二网格", 6, 3, 32, 16, False),
        ("钱兼职", "grid_part_time", "一网格", 18, 9, 16, 8, True),
    ]
    assert [(g["key"], g["people"], g["met"], g["hours"], g["credits"]) for g in report["by_role"]] == [
        ("community_admin", 1, 0, 0, 0), ("grid_leader", 1, 0, 10, 5), ("grid_worker", 2, 0, 18, 9), ("grid_part_time", 1, 1, 18, 9)]
    assert [(g["label"], g["people"], g["met"], g["hours"], g["credits"]) for g in report["by_community"]] == [("银山社区", 5, 1, 46, 23)]
    assert csv.splitlines()[0] == "\ufeff姓名,岗位,社区,网格,学时,学分,应修学时,应修学分,是否达标"
    assert csv.splitlines()[5] == "钱兼职,兼职网格员,银山社区,一网格,18,9,16,8,达标"
    body = record.json()
    assert (body["hours"], body["credits"], body["met"], body["on_track"]) == (18, 9, True, True)
    assert [(e["course"], e["venue"], e["day"], e["hours"]) for e in body["sessions"]] == [
        ("网格员履职基础", "银山社区网格学院主课堂", "2026-03-14", 4), ("安全生产实训", "银山工业园实训基地", "2026-05-09", 6),
        ("网格员履职基础", "银山社区网格学院主课堂", "2026-11-14", 4), ("网格员履职基础", "银山社区网格学院主课堂", "2026-11-21", 4)]


async def test_a_grid_worker_sees_their_own_record_and_row_and_nobody_elses(world):
    w = world
    me, other = w.staff["grid_worker"]["id"], w.staff["leader"]["id"]
    async with w.client("grid_worker") as worker:
        own = await worker.get(f"{BASE}/learners/{me}")
        theirs = await worker.get(f"{BASE}/learners/{other}")
        nobody = await worker.get(f"{BASE}/learners/987654")
        report = await worker.get(f"{BASE}/report")
    assert (own.status_code, own.json()["name"], own.json()["required_hours"]) == (200, "陈网格", 32)
    assert (theirs.status_code, theirs.json()["detail"]) == (404, f"learner {other} not found")
    assert (nobody.status_code, nobody.json()["detail"]) == (404, "learner 987654 not found")
    assert [r["name"] for r in report.json()["people"]] == ["陈网格"] and report.json()["by_role"] == [
        {"key": "grid_worker", "label": "专职网格员", "people": 1, "met": 0, "hours": 0, "credits": 0}]
    for role in ("community_admin", "street_admin"):
        async with w.client(role) as client:
            assert (await client.get(f"{BASE}/learners/{other}")).status_code == 200
            assert len((await client.get(f"{BASE}/report")).json()["people"]) == 5
