"""A market day from first application to proceeds, through the HTTP API and the fake clock."""

from __future__ import annotations

from datetime import datetime, timezone

from meihao.access.tables import AuditLog
from meihao.reminders.tables import InboxMessage, Reminder
from meihao.scenarios.markets.jobs import close_applications, open_days
from meihao.testing import drain

P = "/api/communities/huayang/markets"


async def inbox_of(resident: dict) -> list[str]:
    rows = await InboxMessage.select(InboxMessage.body).where(
        InboxMessage.recipient_kind == "resident", InboxMessage.recipient_id == resident["id"]
    ).order_by(InboxMessage.id)
    return [r["body"] for r in rows]


async def test_a_market_day_from_applications_to_proceeds(huayang):
    w = huayang
    r = w.residents
    async with w.client("community_admin") as admin, w.client("grid_worker") as worker, w.client("grid_worker_out") as worker_b:
        merchant = await admin.post(f"{P}/merchants", json={
            "name": "邮政华阳便民服务站", "kind": "enterprise", "contact_name": "王站长", "contact_phone": "13800138000",
            "contact_resident_id": r["孙强"]["id"]})
        assert merchant.status_code == 201, merchant.text
        assert merchant.json()["contact_phone"] == "138****8000"
        created = await admin.post(f"{P}/markets", json={
            "name": "睦邻善市公益市集", "venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA",
            "first_day": "2026-03-01", "opens_at": "09:00", "closes_at": "11:30", "capacity": 2})
        assert created.status_code == 201, created.text
        market = created.json()
        day = market["next_days"][0]
        assert (day["day"], day["capacity"], day["status"]) == ("2026-03-14", 2, "open")
        assert day["applications_close_at"].startswith("2026-03-12T01:00:00")  # 48 hours before 09:00 local
        days = (await admin.get(f"{P}/markets/{market['id']}/days")).json()
        assert [d["day"] for d in days] == ["2026-03-14", "2026-04-11"]  # 62 days ahead
        day_id = day["id"]

        # applications: residents through their grid worker, the merchant through the community
        ids = {}
        for name in ("王秀英", "李建国", "张伟"):
            response = await worker.post(f"{P}/days/{day_id}/applications", json={"resident_id": r[name]["id"], "goods": "手工编织杯垫"})
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "pending"
            ids[name] = response.json()["id"]
        outside = await worker.post(f"{P}/days/{day_id}/applications", json={"resident_id": r["赵丽"]["id"], "goods": "旧书"})
        assert (outside.status_code, outside.json()["field"]) == (404, "resident_id")
        assert (await worker.post(f"{P}/days/{day_id}/applications", json={"merchant_id": merchant.json()["id"], "goods": "集邮"})).status_code == 404
        again = await worker.post(f"{P}/days/{day_id}/applications", json={"resident_id": r["王秀英"]["id"], "goods": "绿植"})
        assert (again.status_code, again.json()["field"]) == (409, "resident_id")
        post = await admin.post(f"{P}/days/{day_id}/applications", json={"merchant_id": merchant.json()["id"], "goods": "邮政便民服务"})
        assert post.status_code == 201
        ids["post"] = post.json()["id"]
        assert (await worker.post(f"{P}/applications/{ids['王秀英']}/approve")).status_code == 403  # deciding is the community's

        # approval to capacity, then the waiting list
        results = [(await admin.post(f"{P}/applications/{ids[k]}/approve")).json() for k in ("王秀英", "李建国", "张伟", "post")]
        assert [(a["status"], a["waitlist_position"]) for a in results] == [
            ("approved", None), ("approved", None), ("waitlisted", 1), ("waitlisted", 2)]
        await drain(w.engine)  # the applicants are told at once
        refused = await admin.post(f"{P}/applications/{ids['王秀英']}/refuse", json={"reason": "重复"})
        assert (refused.status_code, refused.json()["field"]) == (409, "status")
        late = await worker.post(f"{P}/days/{day_id}/applications", json={"resident_id": r["刘芳"]["id"], "goods": "自制酱菜"})
        ids["刘芳"] = late.json()["id"]  # left undecided

        # scope: the grid worker sees the residents of their grid only; another grid's worker sees none of them
        listed = (await worker.get(f"{P}/days/{day_id}/applications")).json()
        assert sorted(a["applicant_name"] for a in listed) == ["刘芳", "张伟", "李建国", "王秀英"]
        assert len((await admin.get(f"{P}/days/{day_id}/applications")).json()) == 5
        hidden = await worker_b.get(f"{P}/applications/{ids['王秀英']}")
        missing = await worker_b.get(f"{P}/applications/999999")
        assert hidden.status_code == missing.status_code == 404
        assert set(hidden.json()) == set(missing.json())

        # a stall frees: the first on the waiting list is promoted
        cancelled = await worker.post(f"{P}/applications/{ids['李建国']}/cancel", json={"reason": "家中有事"})
        assert cancelled.json()["status"] == "cancelled"
        assert (await admin.get(f"{P}/applications/{ids['张伟']}")).json()["status"] == "approved"
        assert (await admin.get(f"{P}/applications/{ids['post']}")).json()["waitlist_position"] == 1
        await drain(w.engine)
        assert await inbox_of(r["张伟"]) == [
            "尊敬的张伟叔叔：\n3月14日（周六）睦邻善市公益市集摊位已满，您已进入候补名单；有摊位空出时将按顺序递补并通知您。\n——华阳社区居民委员会",
            "尊敬的张伟叔叔：\n您报名的3月14日（周六）睦邻善市公益市集摊位已确认，请于开市前按时到华阳社区党群服务中心广场摆摊。\n——华阳社区居民委员会",
        ]
        assert len(await inbox_of(r["孙强"])) == 1  # the merchant's contact person: wait-listed

        # applications close 48 hours before: the API refuses, the job closes the day and decides what is left
        w.at(2026, 3, 12, 9, 5)
        closed = await admin.post(f"{P}/days/{day_id}/applications", json={"resident_id": r["赵丽"]["id"], "goods": "旧书"})
        assert (closed.status_code, closed.json()["field"]) == (409, "market_day_id")
        assert "2026-03-12 09:00" in closed.json()["detail"]
        await close_applications(meihao=w.mh, community=w.community, now=w.clock.now())
        await close_applications(meihao=w.mh, community=w.community, now=w.clock.now())  # a second run changes nothing
        after = (await admin.get(f"{P}/days/{day_id}")).json()
        assert (after["status"], after["approved"], after["waitlisted"], after["pending"]) == ("closed", 2, 2, 0)
        assert (await admin.get(f"{P}/applications/{ids['刘芳']}")).json()["waitlist_position"] == 2
        assert await AuditLog.count().where(AuditLog.action == "markets.day.close") == 1

        # reminders: the community the day before, the stallholders two hours before set-up (08:00)
        await drain(w.engine)
        stall_activity = market["stall_activity_id"]
        w.at(2026, 3, 13, 9, 0)
        day_before = await drain(w.engine)
        assert day_before.recipients == 6  # every resident of 华阳
        assert (await inbox_of(r["王秀英"]))[-1] == (
            "尊敬的王秀英阿姨：\n【睦邻善市公益市集】3月14日（周六）上午9点在华阳社区党群服务中心广场开市，义卖所得全部用于社区公益，欢迎街坊邻居来逛！\n——华阳社区居民委员会")
        w.at(2026, 3, 14, 6, 0)
        quiet = await drain(w.engine)
        assert (quiet.recipients, quiet.deferred, quiet.sent) == (2, 2, 0)  # quiet hours until 07:30
        w.at(2026, 3, 14, 7, 30)
        assert (await drain(w.engine)).sent == 2
        assert (await drain(w.engine)).sent == 0
        reminded = await Reminder.select(Reminder.recipient_id).where(Reminder.activity == stall_activity)
        assert sorted(x["recipient_id"] for x in reminded) == sorted([r["王秀英"]["id"], r["张伟"]["id"]])
        assert (await inbox_of(r["张伟"]))[-1] == (
            "尊敬的张伟叔叔：\n摊主提醒：睦邻善市公益市集3月14日（周六）早上8点开始在华阳社区党群服务中心广场摆摊，请按时到场，带好摊位物品。\n——华阳社区居民委员会")

        # proceeds per stall, summed per day, market and year
        w.at(2026, 3, 14, 12, 0)
        assert (await worker.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={"amount": "128.50"})).status_code == 200
        assert (await worker.put(f"{P}/applications/{ids['张伟']}/proceeds", json={"amount": 66})).status_code == 200
        typo = await worker.put(f"{P}/applications/{ids['张伟']}/proceeds", json={"amount": "12.345"})
        assert (typo.status_code, typo.json()["field"]) == (400, "amount")
        gone = await worker.put(f"{P}/applications/{ids['李建国']}/proceeds", json={"amount": 10})
        assert (gone.status_code, gone.json()["field"]) == (409, "status")
        await worker.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={"amount": 130, "note": "更正"})
        summed = (await admin.get(f"{P}/markets/{market['id']}/proceeds?year=2026")).json()
        assert summed["days"] == [{"market_day_id": day_id, "day": "2026-03-14", "stalls": 2, "amount": "196.00", "people_served": 0}]
        assert summed["total"] == "196.00"
        year = (await admin.get(f"{P}/proceeds")).json()
        assert (year["year"], year["total"], year["markets"][0]["stalls"]) == (2026, "196.00", 2)
        assert (await admin.get(f"{P}/proceeds?year=2025")).json()["total"] == "0.00"
        assert (await worker.get(f"{P}/proceeds")).status_code == 403  # sums are for the community and grid leaders

        metrics = {m["key"]: m["value"] for m in (await admin.get("/api/communities/huayang/dashboard")).json() if m["scenario"] == "markets"}
        assert metrics["proceeds_this_year"] == 196.0
        assert (metrics["stalls_filled"], metrics["stall_capacity"]) == (0, 2)  # the April day
    assert await AuditLog.count().where(AuditLog.action == "markets.application.approve") == 4
    assert await AuditLog.count().where(AuditLog.action == "markets.proceeds.record") == 3


async def test_market_days_skip_public_holidays(huayang):
    w = huayang
    async with w.client("community_admin") as admin:
        await admin.put("/api/communities/huayang/scenarios/markets", json={"settings": {"plan_days_ahead": 120}})
        created = await admin.post(f"{P}/markets", json={
            "venue": "华阳小区中心广场", "rrule": "FREQ=MONTHLY;BYDAY=1SA", "first_day": "2026-04-01"})
        assert created.status_code == 201, created.text
        market = created.json()
        assert market["capacity"] == 30 and market["holiday_policy"] == "skip"
        days = (await admin.get(f"{P}/markets/{market['id']}/days")).json()
        # 4 April (清明) and 2 May (劳动节) are holidays: skipped
        assert [d["day"] for d in days] == ["2026-06-06"]
        w.at(2026, 5, 1, 3, 0)
        await open_days(meihao=w.mh, community=w.community)
        await open_days(meihao=w.mh, community=w.community)
        days = (await admin.get(f"{P}/markets/{market['id']}/days")).json()
        assert [d["day"] for d in days] == ["2026-06-06", "2026-07-04", "2026-08-01"]


async def test_a_cancelled_day_reminds_nobody_and_takes_no_applications(huayang):
    w = huayang
    async with w.client("community_admin") as admin:
        market = (await admin.post(f"{P}/markets", json={
            "venue": "华阳小区中心广场", "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=2", "first_day": "2026-03-07"})).json()
        first = market["next_days"][0]
        await drain(w.engine)
        cancelled = await admin.post(f"{P}/days/{first['id']}/cancel", json={"reason": "大风预警"})
        assert cancelled.json()["status"] == "cancelled"
        applied = await admin.post(f"{P}/days/{first['id']}/applications", json={"resident_id": w.residents["王秀英"]["id"], "goods": "书"})
        assert (applied.status_code, applied.json()["field"]) == (409, "market_day_id")
        w.at(2026, 3, 6, 9, 0)
        assert (await drain(w.engine)).recipients == 0
        w.at(2026, 3, 13, 9, 0)
        assert (await drain(w.engine)).recipients == 6  # the second Saturday still takes place


async def test_bad_input_names_the_field(huayang):
    w = huayang
    base = {"venue": "广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "2026-03-01"}
    async with w.client("community_admin") as admin:
        for body, field in (
            ({**base, "opens_at": "10:00", "closes_at": "09:00"}, "closes_at"),
            ({**base, "rrule": "FREQ=SOMETIMES"}, "rrule"),
            ({**base, "capacity": 0}, "capacity"),
            ({**base, "holiday_policy": "maybe"}, "holiday_policy"),
            ({**base, "grid_id": 987654}, "grid_id"),
            ({**base, "organiser_staff_id": 987654}, "organiser_staff_id"),
        ):
            response = await admin.post(f"{P}/markets", json=body)
            assert response.status_code in (400, 404), (body, response.text)
            assert response.json()["field"] == field, response.text
        wrong_time = await admin.post(f"{P}/markets", json={**base, "opens_at": "25:00"})
        assert wrong_time.status_code == 400 and "opens_at" in wrong_time.text
        settings = await admin.put("/api/communities/huayang/scenarios/markets", json={"settings": {"default_capacity": 0}})
        assert settings.status_code == 400
        market = (await admin.post(f"{P}/markets", json=base)).json()
        day_id = market["next_days"][0]["id"]
        both = await admin.post(f"{P}/days/{day_id}/applications", json={"goods": "书"})
        assert (both.status_code, both.json()["field"]) == (400, "resident_id")
        assert (await admin.get(f"{P}/markets/987654")).status_code == 404


async def test_markets_are_404_where_not_enabled(huayang):
    await huayang.factories.community("hepan")
    async with huayang.client() as client:
        assert (await client.get("/api/communities/hepan/markets/markets")).status_code == 404
        assert (await client.get(f"{P}/markets")).status_code == 200
        started = datetime(2026, 3, 2, tzinfo=timezone.utc)
        assert huayang.clock.now() == started
