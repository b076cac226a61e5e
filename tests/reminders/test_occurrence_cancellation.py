"""Cancelling one date of a recurring activity through the API: the reason, and the notices to the people reminded of it
or signed up for it; and sign-ups that follow a rescheduled start (their key is the occurrence's original start)."""

from __future__ import annotations

from datetime import timedelta

from meihao.access.principals import SYSTEM
from meihao.access.tables import AuditLog
from meihao.reminders.signups import open_activities, sign_up
from meihao.reminders.tables import Activity, ActivitySignup, Reminder
from meihao.testing import drain, make_client
from tests.reminders.conftest import START, build_street

#: Saturdays 7, 14 and 21 March 2026 at 09:00 in Shanghai, reminded a day before, taking two sign-ups a date.
MARKET = {
    "scene": "markets", "title": "睦邻善市公益市集", "starts_at": "2026-03-07T09:00:00", "ends_at": "2026-03-07T11:00:00",
    "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=3", "audience": {"everyone": True}, "reminder_offsets": [1440], "channels": ["inbox"],
    "signups_open": True, "signup_capacity": 2,
}
SAT_7, SAT_14, SAT_21 = "2026-03-07T01:00:00Z", "2026-03-14T01:00:00Z", "2026-03-21T01:00:00Z"


async def _notice(activity_id: int, key: str) -> dict | None:
    return await Activity.select(Activity.id, Activity.description).where(
        Activity.source == f"notice:cancelled:{activity_id}:{key}:inbox").first()


async def test_a_cancelled_date_tells_those_reminded_of_it_and_those_signed_up_with_the_reason(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    async with make_client(meihao, admin["id"]) as client:
        market = (await client.post("/api/communities/hepan/activities", json=MARKET)).json()
        await sign_up(meihao, SYSTEM, street.residents["刘芳"]["id"], market["id"], SAT_14)
        street.clock.set(START + timedelta(days=4, hours=2))  # Friday 6 March 10:00: the reminders of the 7th went out
        await drain(street.engine)
        assert await Reminder.count().where(Reminder.activity == market["id"], Reminder.status == "sent") == 5
        too_long = await client.post(f"/api/activities/{market['id']}/occurrences/{SAT_7}/cancel", json={"reason": "雨" * 201})
        assert (too_long.status_code, too_long.json()["field"]) == (400, "reason")
        first = await client.post(f"/api/activities/{market['id']}/occurrences/{SAT_7}/cancel", json={"reason": "广场维修"})
        assert (first.status_code, first.json()["exdates"]) == (200, [SAT_7])
        second = await client.post(f"/api/activities/{market['id']}/occurrences/{SAT_14}/cancel")  # no body: no reason
        assert (second.status_code, second.json()["exdates"]) == (200, [SAT_7, SAT_14])
        third = await client.post(f"/api/activities/{market['id']}/occurrences/{SAT_21}/cancel", json={})
        assert third.status_code == 200
    told_7, told_14 = await _notice(market["id"], SAT_7), await _notice(market["id"], SAT_14)
    assert told_7["description"] == ("原定3月7日（周六）上午9点的睦邻善市公益市集已取消。Cancelled: 睦邻善市公益市集 (2026-03-07 09:00). "
                                     "原因：广场维修。Reason: 广场维修.")
    assert told_14["description"] == "原定3月14日（周六）上午9点的睦邻善市公益市集已取消。Cancelled: 睦邻善市公益市集 (2026-03-14 09:00)."
    assert await _notice(market["id"], SAT_21) is None  # nobody was reminded of the 21st or signed up for it
    await drain(street.engine)
    assert await Reminder.count().where(Reminder.activity == told_7["id"]) == 5
    assert [r["recipient_id"] for r in await Reminder.select(Reminder.recipient_id).where(Reminder.activity == told_14["id"])] == [
        street.residents["刘芳"]["id"]]
    entries = await AuditLog.select(AuditLog.reason).where(AuditLog.action == "meihao.activity.cancel_occurrence").order_by(AuditLog.id)
    assert [e["reason"] for e in entries] == ["广场维修", "", ""]


async def test_a_community_that_switched_cancellation_notices_off_tells_nobody_of_a_cancelled_date(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    async with make_client(meihao, admin["id"]) as client:
        market = (await client.post("/api/communities/hepan/activities", json=MARKET)).json()
        await client.put("/api/communities/hepan/reminder-settings",
                         json={"quiet_start": "21:30", "quiet_end": "07:30", "cancellation_notices": False})
        await sign_up(meihao, SYSTEM, street.residents["刘芳"]["id"], market["id"], SAT_14)
        assert (await client.post(f"/api/activities/{market['id']}/occurrences/{SAT_14}/cancel", json={"reason": "x"})).status_code == 200
    assert await _notice(market["id"], SAT_14) is None


async def test_signups_follow_the_dates_when_an_activity_is_rescheduled(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    liu, zhang = street.residents["刘芳"]["id"], street.residents["张伟"]["id"]
    async with make_client(meihao, admin["id"]) as client:
        market = (await client.post("/api/communities/hepan/activities", json=MARKET)).json()
        await sign_up(meihao, SYSTEM, liu, market["id"], SAT_7)
        await sign_up(meihao, SYSTEM, zhang, market["id"], SAT_14)
        await sign_up(meihao, SYSTEM, liu, market["id"], SAT_14)
        # an hour later (10:00), each date on its own Saturday
        later = await client.patch(f"/api/activities/{market['id']}", json={"starts_at": "2026-03-07T10:00:00", "ends_at": "2026-03-07T12:00:00"})
        assert later.status_code == 200
        keys = sorted((r["occurrence"], r["resident"]) for r in await ActivitySignup.select(ActivitySignup.occurrence, ActivitySignup.resident))
        assert keys == sorted([("2026-03-07T02:00:00Z", liu), ("2026-03-14T02:00:00Z", liu), ("2026-03-14T02:00:00Z", zhang)])
        counts = (await client.get(f"/api/activities/{market['id']}/signups")).json()["counts"]
        assert counts == {"2026-03-07T02:00:00Z": 1, "2026-03-14T02:00:00Z": 2}
        # a week later: the 14th's sign-ups move onto the 21st and the 7th's onto the 14th, none lost to the unique key
        week = await client.patch(f"/api/activities/{market['id']}", json={"starts_at": "2026-03-14T10:00:00", "ends_at": "2026-03-14T12:00:00"})
        assert week.status_code == 200
        counts = (await client.get(f"/api/activities/{market['id']}/signups")).json()["counts"]
        assert counts == {"2026-03-14T02:00:00Z": 1, "2026-03-21T02:00:00Z": 2}
    mine = await open_activities(meihao, liu)
    assert [(o["key"], o["mine"], o["taken"]) for o in mine[0]["occurrences"]] == [
        ("2026-03-14T02:00:00Z", True, 1), ("2026-03-21T02:00:00Z", True, 2), ("2026-03-28T02:00:00Z", False, 0)]


async def test_signups_of_dates_already_past_stay_as_they_were(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    liu = street.residents["刘芳"]["id"]
    async with make_client(meihao, admin["id"]) as client:
        market = (await client.post("/api/communities/hepan/activities", json=MARKET)).json()
        await sign_up(meihao, SYSTEM, liu, market["id"], SAT_7)
        await sign_up(meihao, SYSTEM, liu, market["id"], SAT_14)
        street.clock.set(START + timedelta(days=6))  # Sunday 8 March: the 7th is past
        moved = await client.patch(f"/api/activities/{market['id']}", json={"starts_at": "2026-03-07T10:00:00", "ends_at": "2026-03-07T12:00:00"})
        assert moved.status_code == 200
    keys = sorted(r["occurrence"] for r in await ActivitySignup.select(ActivitySignup.occurrence))
    assert keys == [SAT_7, "2026-03-14T02:00:00Z"]


async def test_calling_off_the_whole_activity_tells_those_signed_up_for_a_coming_date_but_not_for_a_past_one(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    li, liu = street.residents["李建国"]["id"], street.residents["刘芳"]["id"]
    async with make_client(meihao, admin["id"]) as client:
        market = (await client.post("/api/communities/hepan/activities", json={**MARKET, "audience": {"tags": ["elder"]}})).json()
        await sign_up(meihao, SYSTEM, li, market["id"], SAT_7)
        await sign_up(meihao, SYSTEM, liu, market["id"], SAT_14)
        street.clock.set(START + timedelta(days=4, hours=2))  # Friday 6 March 10:00: the elders were reminded of the 7th
        await drain(street.engine)
        street.clock.set(START + timedelta(days=6))  # Sunday 8 March: the 7th is past, the 14th to come
        called_off = await client.post(f"/api/activities/{market['id']}/cancel", json={"reason": "场地收回"})
        assert called_off.status_code == 200, called_off.text
    notice = await Activity.select(Activity.id).where(Activity.source == f"notice:cancelled:{market['id']}:inbox").first()
    await drain(street.engine)
    told = {r["recipient_id"] for r in await Reminder.select(Reminder.recipient_id).where(Reminder.activity == notice["id"])}
    # the two elders reminded of the 7th, and 刘芳 signed up for the 14th; 李建国's sign-up was for the 7th, already held
    assert told == {street.residents["王秀英"]["id"], street.residents["张伟"]["id"], liu}


async def test_staff_cancel_a_signup_through_the_api_with_a_reason_for_residents_in_their_scope_only(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    worker_a = await street.factories.staff("grid_worker", grid_id=street.grid_a)  # 刘芳 lives in grid B
    liu = street.residents["刘芳"]["id"]
    async with make_client(meihao, admin["id"]) as client:
        market = (await client.post("/api/communities/hepan/activities", json=MARKET)).json()
    await sign_up(meihao, SYSTEM, liu, market["id"], SAT_14)
    signup = await ActivitySignup.select(ActivitySignup.id).first()
    url = f"/api/activities/{market['id']}/signups/{signup['id']}/cancel"
    async with make_client(meihao, worker_a["id"]) as client:
        hidden = await client.post(url, json={"reason": "电话告知"})
        missing = await client.post(f"/api/activities/{market['id']}/signups/999999/cancel", json={"reason": "电话告知"})
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json()) == (404, {"status_code": 404, "detail": "sign-up not found"})
    async with make_client(meihao, admin["id"]) as client:
        blank = await client.post(url, json={"reason": "  "})
        too_long = await client.post(url, json={"reason": "病" * 201})
        done = await client.post(url, json={"reason": "本人电话告知来不了"})
        again = await client.post(url, json={"reason": "本人电话告知来不了"})
    assert (blank.status_code, blank.json()["field"], blank.json()["detail"]) == (400, "reason", "reason: say why the sign-up is cancelled")
    assert (too_long.status_code, too_long.json()["detail"]) == (400, "reason: at most 200 characters, got 201")
    body = done.json()
    assert (done.status_code, body["id"], body["occurrence"], body["resident_id"], body["resident_name"]) == (200, signup["id"], SAT_14, liu, "刘芳")
    assert again.status_code == 404
    assert await ActivitySignup.count() == 0
    entries = await AuditLog.select(AuditLog.staff, AuditLog.reason, AuditLog.target_id).where(AuditLog.action == "meihao.activity.signup_cancel")
    assert entries == [{"staff": admin["id"], "reason": "本人电话告知来不了", "target_id": str(liu)}]
