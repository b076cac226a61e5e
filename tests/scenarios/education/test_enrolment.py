"""Enrolment: capacity and the waiting list, promotion on a cancellation, who may enrol whom, check-in and check-out."""

from __future__ import annotations

from tests.scenarios.education.conftest import BASE, at, enrol, plan


async def _list(w, session_id: int, who: str = "community_admin") -> list[tuple[str, str, int | None]]:
    async with w.client(who) as client:
        response = await client.get(f"{BASE}/sessions/{session_id}/enrolments")
    assert response.status_code == 200, response.text
    return [(e["name"], e["status"], e["waiting_place"]) for e in response.json()]


async def test_the_places_go_in_order_and_the_rest_wait_in_order(world):
    w = world
    s = await plan(w, capacity=2)
    assert s["capacity"] == 2 and (s["hours"], s["credits"]) == (4, 2)
    outcomes = [(await enrol(w, who, s["id"])).json()["status"] for who in ("grid_worker", "grid_worker_out", "leader")]
    assert outcomes == ["enrolled", "enrolled", "waiting"]
    part = await enrol(w, "community_admin", s["id"], {"staff_id": w.staff["part_time"]["id"]})
    assert (part.status_code, part.json()["status"], part.json()["waiting_place"]) == (201, "waiting", 2)
    assert await _list(w, s["id"]) == [("陈网格", "enrolled", None), ("吴网格", "enrolled", None), ("孙网格长", "waiting", 1),
                                       ("钱兼职", "waiting", 2)]
    async with w.client("grid_worker") as client:
        session = (await client.get(f"{BASE}/sessions/{s['id']}")).json()
    assert (session["enrolled"], session["waiting"]) == (2, 2)


async def test_a_cancelled_place_goes_to_the_first_one_waiting_who_is_told(world):
    w = world
    s = await plan(w, capacity=1)
    mine = (await enrol(w, "grid_worker", s["id"])).json()
    await enrol(w, "leader", s["id"])
    await enrol(w, "part_time", s["id"])
    async with w.client("grid_worker") as client:
        cancelled = await client.post(f"{BASE}/enrolments/{mine['id']}/cancel")
        again = await client.post(f"{BASE}/enrolments/{mine['id']}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert again.status_code == 409
    assert await _list(w, s["id"]) == [("孙网格长", "enrolled", None), ("钱兼职", "waiting", 1), ("陈网格", "cancelled", None)]
    await w.drain()
    from meihao.reminders.tables import InboxMessage

    told = await InboxMessage.select(InboxMessage.recipient_id, InboxMessage.body).where(InboxMessage.recipient_kind == "staff")
    assert [(m["recipient_id"], m["body"]) for m in told if "候补" in m["body"]] == [
        (w.staff["leader"]["id"], "您候补的“网格员履职基础”有了空位，已为您报上名：3月14日（周六）上午9点，银山社区网格学院主课堂。如不能参加，请及时取消。")]


async def test_a_waiting_learner_who_cancels_moves_nobody_up(world):
    w = world
    s = await plan(w, capacity=1)
    await enrol(w, "grid_worker", s["id"])
    waiting = (await enrol(w, "leader", s["id"])).json()
    await enrol(w, "part_time", s["id"])
    async with w.client("leader") as client:
        assert (await client.post(f"{BASE}/enrolments/{waiting['id']}/cancel")).status_code == 200
    assert await _list(w, s["id"]) == [("陈网格", "enrolled", None), ("钱兼职", "waiting", 1), ("孙网格长", "cancelled", None)]


async def test_once_per_learner_and_only_before_the_start(world):
    w = world
    s = await plan(w)
    assert (await enrol(w, "grid_worker", s["id"])).status_code == 201
    twice = await enrol(w, "grid_worker", s["id"])
    assert (twice.status_code, twice.json()["detail"]) == (409, "staff_id: 陈网格 is on this session already")
    w.travel_to(at(2026, 3, 14, 8, 59))
    assert (await enrol(w, "leader", s["id"])).status_code == 201
    w.travel_to(at(2026, 3, 14, 9, 0))
    late = await enrol(w, "part_time", s["id"])
    assert (late.status_code, late.json()["detail"]) == (409, f"status: session {s['id']} has started; enrolment is closed")


async def test_only_enrol_and_its_holders_enrol_others_and_residents_in_their_scope(world):
    w = world
    s = await plan(w, "phones")
    colleague = await enrol(w, "grid_worker", (await plan(w))["id"], {"staff_id": w.staff["part_time"]["id"]})
    assert colleague.status_code == 403
    wang = await enrol(w, "leader", s["id"], {"resident_id": w.residents["王秀英"]["id"]})
    assert (wang.status_code, wang.json()["name"], wang.json()["learner"]) == (201, "王秀英", "resident")
    outside = await enrol(w, "leader", s["id"], {"resident_id": w.residents["张伟"]["id"]})  # grid B: as if nobody
    assert (outside.status_code, outside.json()["detail"]) == (404, f"resident_id: resident {w.residents['张伟']['id']} not found")
    staff_on_residents = await enrol(w, "grid_worker", s["id"])
    assert (staff_on_residents.status_code, staff_on_residents.json()["detail"]) == (400, "staff_id: the course is for residents")
    # the leader's list shows their grid's residents; the grid worker of grid B sees no resident of grid A
    assert await _list(w, s["id"], "leader") == [("王秀英", "enrolled", None)]
    assert await _list(w, s["id"], "grid_worker_out") == []


async def test_the_age_of_a_residents_course_is_counted_on_the_day_of_enrolment(world):
    w = world
    s = await plan(w, "phones")
    # 李娜 turns 60 on 2 March 2026, the world's first day; 王秀英 is 65
    li = await enrol(w, "community_admin", s["id"], {"resident_id": w.residents["李娜"]["id"]})
    assert li.status_code == 201, li.text
    w.travel_to(at(2026, 3, 1, 12))
    s2 = await plan(w, "phones", at(2026, 3, 21, 9))
    young = await enrol(w, "community_admin", s2["id"], {"resident_id": w.residents["李娜"]["id"]})
    assert (young.status_code, young.json()["detail"]) == (400, "resident_id: the course is for residents of 60 and over")


async def test_check_in_opens_30_minutes_before_and_closes_at_the_end_and_check_out_follows(world):
    w = world
    s = await plan(w)  # 14 March, 09:00-12:00
    e = (await enrol(w, "grid_worker", s["id"])).json()
    waiting = await plan(w, capacity=1, starts=at(2026, 3, 14, 9))
    await enrol(w, "grid_worker", waiting["id"])
    late = (await enrol(w, "leader", waiting["id"])).json()
    async with w.client("leader") as leader:
        assert (await leader.post(f"{BASE}/enrolments/{e['id']}/check-out")).status_code == 409  # not checked in
        w.travel_to(at(2026, 3, 14, 8, 29))
        early = await leader.post(f"{BASE}/enrolments/{e['id']}/check-in")
        assert (early.status_code, early.json()["detail"]) == (
            409, "checked_in_at: check-in is open from 30 minutes before the start to the end")
        w.travel_to(at(2026, 3, 14, 8, 30))
        checked = await leader.post(f"{BASE}/enrolments/{e['id']}/check-in")
        assert (checked.status_code, checked.json()["checked_in_at"]) == (200, "2026-03-14T00:30:00Z")
        assert (await leader.post(f"{BASE}/enrolments/{e['id']}/check-in")).status_code == 409
        assert (await leader.post(f"{BASE}/enrolments/{late['id']}/check-in")).json()["detail"] == "status: 孙网格长 is 候补, not enrolled"
        w.travel_to(at(2026, 3, 14, 12, 0))
        out = await leader.post(f"{BASE}/enrolments/{e['id']}/check-out")
        assert (out.status_code, out.json()["attended"]) == (200, True)
    async with w.client("grid_worker") as worker:  # the grid worker has no education.attendance.record
        assert (await worker.post(f"{BASE}/enrolments/{e['id']}/check-in")).status_code == 403


async def test_check_in_at_the_end_is_on_time_and_a_minute_later_is_not(world):
    w = world
    s = await plan(w)
    a = (await enrol(w, "grid_worker", s["id"])).json()
    b = (await enrol(w, "part_time", s["id"])).json()
    async with w.client("leader") as leader:
        w.travel_to(at(2026, 3, 14, 12, 0))
        assert (await leader.post(f"{BASE}/enrolments/{a['id']}/check-in")).status_code == 200
        w.travel_to(at(2026, 3, 14, 12, 1))
        assert (await leader.post(f"{BASE}/enrolments/{b['id']}/check-in")).status_code == 409


async def test_a_session_is_planned_ahead_within_the_venue_and_for_a_course_that_has_learners(world):
    w = world
    async with w.client("community_admin") as admin:
        body = {"course_id": w.courses["required"], "venue_id": w.venues["base"], "starts_at": "2026-03-20T14:00:00",
                "ends_at": "2026-03-20T17:00:00"}
        assert (await admin.post(f"{BASE}/sessions", json={**body, "capacity": 20})).status_code == 201
        over = await admin.post(f"{BASE}/sessions", json={**body, "capacity": 21})
        assert (over.status_code, over.json()["detail"]) == (400, "capacity: the venue 银山工业园实训基地 holds 20")
        past = await admin.post(f"{BASE}/sessions", json={**body, "starts_at": "2026-03-02T07:00:00", "ends_at": "2026-03-02T09:00:00"})
        assert (past.status_code, past.json()["detail"]) == (400, "starts_at: a session is planned ahead, not in the past")
        second_main = await admin.post(f"{BASE}/venues", json={"name": "另一个主课堂", "kind": "main", "capacity": 30})
        assert second_main.status_code == 409
        nobody = await admin.post(f"{BASE}/courses", json={"title": "执法规范", "kind": "elective", "hours": 2, "credits": 1,
                                                            "roles": ["dispatched"]})
        lonely = await admin.post(f"{BASE}/sessions", json={**body, "course_id": nobody.json()["id"]})
        assert (lonely.status_code, lonely.json()["detail"]) == (
            409, "course_id: nobody in the community holds the course's roles (下沉力量); assign them first")


async def test_a_cancelled_session_takes_no_enrolment_and_its_activity_is_cancelled(world):
    w = world
    s = await plan(w)
    async with w.client("community_admin") as admin:
        cancelled = await admin.post(f"{BASE}/sessions/{s['id']}/cancel", json={"reason": "讲师临时有事"})
        assert cancelled.json()["status"] == "cancelled"
        activity = await admin.get(f"/api/activities/{s['activity_id']}")
    assert activity.json()["status"] == "cancelled"
    late = await enrol(w, "grid_worker", s["id"])
    assert (late.status_code, late.json()["detail"]) == (409, f"status: session {s['id']} is cancelled")
