"""改期: a session moves to a new time with a reason; the kernel's reminders move with it (the old ones cancelled), and
everyone on it is told once per reschedule."""

from __future__ import annotations

from meihao.reminders.tables import DueReminder, InboxMessage, Reminder
from tests.scenarios.education.conftest import BASE, at, enrol, plan


async def _move(w, session_id: int, starts, ends, reason: str = "主讲老师临时出差", who: str = "community_admin"):
    async with w.client(who) as client:
        return await client.post(f"{BASE}/sessions/{session_id}/reschedule",
                                 json={"starts_at": starts.isoformat(), "ends_at": ends.isoformat(), "reason": reason})


async def test_a_reschedule_moves_the_session_tells_everyone_on_it_once_and_moves_the_reminders(world):
    w = world
    s = await plan(w, capacity=1)  # Saturday 14 March, 09:00-12:00, reminded a day before
    await enrol(w, "grid_worker", s["id"])
    await enrol(w, "leader", s["id"])  # waiting
    w.travel_to(at(2026, 3, 13, 8))
    await w.drain()  # the reminder of 13 March 09:00 is planned
    planned = await DueReminder.select(DueReminder.version, DueReminder.due_at, DueReminder.status).where(
        DueReminder.activity == s["activity_id"])
    assert [(d["version"], d["due_at"].isoformat(), d["status"]) for d in planned] == [(1, "2026-03-13T01:00:00+00:00", "pending")]
    moved = await _move(w, s["id"], at(2026, 3, 21, 14), at(2026, 3, 21, 17))
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["starts_at"], body["ends_at"], body["day"]) == ("2026-03-21T06:00:00Z", "2026-03-21T09:00:00Z", "2026-03-21")
    assert (body["rescheduled_from"], body["reschedule_reason"], body["reschedules"]) == ("2026-03-14T01:00:00Z", "主讲老师临时出差", 1)
    await w.drain()
    await w.drain()
    told = await InboxMessage.select(InboxMessage.recipient_id, InboxMessage.body).where(
        InboxMessage.recipient_kind == "staff", InboxMessage.body.like("%改期%")).order_by(InboxMessage.recipient_id)
    text = ("您报名的“网格员履职基础”改期了：原定3月14日（周六）上午9点，改到3月21日（周六）下午2点，银山社区网格学院主课堂。"
            "原因：主讲老师临时出差。如不能参加，请及时取消报名。")
    assert sorted((m["recipient_id"], m["body"]) for m in told) == sorted(
        [(w.staff["grid_worker"]["id"], text), (w.staff["leader"]["id"], text)])
    dues = await DueReminder.select(DueReminder.version, DueReminder.due_at, DueReminder.status).where(
        DueReminder.activity == s["activity_id"]).order_by(DueReminder.version)
    assert [(d["version"], d["status"]) for d in dues if d["version"] == 1] == [(1, "cancelled")]
    assert [(d["version"], d["due_at"].isoformat()) for d in dues if d["version"] == 2] in ([], [(2, "2026-03-20T06:00:00+00:00")])
    w.travel_to(at(2026, 3, 13, 9))
    await w.drain()
    assert await Reminder.count().where(Reminder.activity == s["activity_id"]) == 0  # the old time reminds nobody
    w.travel_to(at(2026, 3, 20, 14))
    await w.drain()
    await w.drain()
    mine = await Reminder.select(Reminder.status).where(Reminder.activity == s["activity_id"],
                                                        Reminder.recipient_id == w.staff["grid_worker"]["id"])
    assert [r["status"] for r in mine] == ["sent"]
    # a second reschedule is a second notice (its own key), nobody on the session is told twice of one move
    w.travel_to(at(2026, 3, 20, 15))
    again = await _move(w, s["id"], at(2026, 3, 28, 9), at(2026, 3, 28, 12), "场地检修")
    assert (again.status_code, again.json()["reschedules"], again.json()["rescheduled_from"]) == (200, 2, "2026-03-21T06:00:00Z")
    await w.drain()
    assert await InboxMessage.count().where(InboxMessage.recipient_id == w.staff["grid_worker"]["id"],
                                            InboxMessage.recipient_kind == "staff", InboxMessage.body.like("%改期%")) == 2


async def test_a_resident_on_the_session_is_told_and_a_cancelled_learner_is_not(world):
    w = world
    s = await plan(w, "phones", at(2026, 3, 14, 14), hours=2)
    wang = await enrol(w, "leader", s["id"], {"resident_id": w.residents["王秀英"]["id"]})
    li = (await enrol(w, "leader", s["id"], {"resident_id": w.residents["李娜"]["id"]})).json()
    async with w.client("leader") as client:
        assert (await client.post(f"{BASE}/enrolments/{li['id']}/cancel")).status_code == 200
    assert wang.status_code == 201
    assert (await _move(w, s["id"], at(2026, 3, 15, 14), at(2026, 3, 15, 16), "下雨，改到周日")).status_code == 200
    await w.drain()
    assert [m["body"] for m in await w.inbox("王秀英") if "改期" in m["body"]] == [
        "尊敬的王秀英阿姨：\n您报名的“老年人智能手机课”改期了：原定3月14日（周六）下午2点，改到3月15日（周日）下午2点，银山社区网格学院主课堂。"
        "原因：下雨，改到周日。如不能参加，请及时取消报名。\n——银山社区居民委员会"]
    assert [m for m in await w.inbox("李娜") if "改期" in m["body"]] == []


async def test_what_a_reschedule_refuses(world):
    w = world
    s = await plan(w)
    w.travel_to(at(2026, 3, 10, 10))
    cases = [
        ((at(2026, 3, 10, 10), at(2026, 3, 10, 12), "x"), 400, "starts_at: the new time must be ahead, not in the past"),
        ((at(2026, 3, 21, 9), at(2026, 3, 21, 9), "x"), 400, "ends_at: must be after starts_at"),
        ((at(2026, 3, 21, 8), at(2026, 3, 21, 20, 1), "x"), 400, "ends_at: a session lasts at most 12 hours (one day)"),
        ((at(2026, 3, 14, 9), at(2026, 3, 14, 12), "x"), 400, "starts_at: that is the session's time already"),
        ((at(2026, 3, 21, 9), at(2026, 3, 21, 12), "   "), 400, "reason: say why the session moves (the learners are told)"),
    ]
    for (starts, ends, reason), status, detail in cases:
        response = await _move(w, s["id"], starts, ends, reason)
        assert (response.status_code, response.json()["detail"]) == (status, detail)
    empty = await _move(w, s["id"], at(2026, 3, 21, 9), at(2026, 3, 21, 12), "")
    assert empty.status_code == 400 and "reason" in empty.json()["detail"]
    # the edges: a new start a minute ahead is fine; 12 hours long is fine
    assert (await _move(w, s["id"], at(2026, 3, 10, 10, 1), at(2026, 3, 10, 22, 1))).status_code == 200
    assert (await _move(w, s["id"], at(2026, 3, 14, 9), at(2026, 3, 14, 12))).status_code == 200
    # begun: a minute before the start it moves, at the start it does not
    w.travel_to(at(2026, 3, 14, 8, 59))
    assert (await _move(w, s["id"], at(2026, 3, 14, 9, 0), at(2026, 3, 14, 12, 30))).status_code == 200
    w.travel_to(at(2026, 3, 14, 9, 0))
    begun = await _move(w, s["id"], at(2026, 3, 21, 9), at(2026, 3, 21, 12))
    assert (begun.status_code, begun.json()["detail"]) == (409, f"status: session {s['id']} has begun; it cannot be moved")
    other = await plan(w, starts=at(2026, 3, 28, 9))
    async with w.client("community_admin") as admin:
        assert (await admin.post(f"{BASE}/sessions/{other['id']}/cancel", json={"reason": "停电"})).status_code == 200
    cancelled = await _move(w, other["id"], at(2026, 4, 4, 9), at(2026, 4, 4, 12))
    assert (cancelled.status_code, cancelled.json()["detail"]) == (409, f"status: session {other['id']} is cancelled")


async def test_only_the_managers_of_the_community_reschedule(world):
    w = world
    s = await plan(w)
    assert (await _move(w, s["id"], at(2026, 3, 21, 9), at(2026, 3, 21, 12), who="leader")).status_code == 403
    assert (await _move(w, s["id"], at(2026, 3, 21, 9), at(2026, 3, 21, 12), who="grid_worker")).status_code == 403
    missing = await _move(w, 999999, at(2026, 3, 21, 9), at(2026, 3, 21, 12))
    assert (missing.status_code, missing.json()["detail"]) == (404, "session 999999 not found")
    async with w.client("community_admin") as admin:
        session = (await admin.get(f"{BASE}/sessions/{s['id']}")).json()
    assert (session["rescheduled_from"], session["reschedules"]) == (None, 0)
