"""An opera show in the old town, from the tour plan to its record, through the HTTP API and the fake clock."""

from __future__ import annotations

from meihao.access.tables import AuditLog
from meihao.reminders.tables import InboxMessage, Reminder
from meihao.scenarios.culture.jobs import ask_attendance
from meihao.testing import drain

P = "/api/communities/chengguan/culture"


async def inbox(kind: str, recipient_id: int) -> list[str]:
    rows = await InboxMessage.select(InboxMessage.body).where(
        InboxMessage.recipient_kind == kind, InboxMessage.recipient_id == recipient_id
    ).order_by(InboxMessage.id)
    return [r["body"] for r in rows]


async def reminded(activity_id: int) -> set[int]:
    rows = await Reminder.select(Reminder.recipient_id).where(Reminder.activity == activity_id, Reminder.recipient_kind == "resident")
    return {r["recipient_id"] for r in rows}


async def setting_the_stage(w, admin) -> dict:
    troupe = await admin.post(f"{P}/troupes", json={
        "name": "济阳区吕剧团", "level": "county", "contact_name": "韩团长", "contact_phone": "13800138000",
        "repertoire": [{"title": "李二嫂改嫁", "genre": "吕剧", "duration_minutes": 150}, {"title": "小姑贤", "genre": "吕剧", "duration_minutes": 120}]})
    assert troupe.status_code == 201, troupe.text
    square = await admin.post(f"{P}/venues", json={
        "name": "城关老街文化广场", "grid_id": w.grids["A"], "serves_grid_ids": [w.grids["B"]], "capacity": 400})
    assert square.status_code == 201, square.text
    hall = await admin.post(f"{P}/venues", json={"name": "南关社区综合文化服务中心", "kind": "community_hall", "grid_id": w.grids["C"]})
    plan = await admin.post(f"{P}/plans", json={
        "name": "2026年春季戏曲进乡村", "season_start": "2026-03-01", "season_end": "2026-04-30",
        "procurement_lot": "JY-XQ-2026-01", "organiser_staff_id": w.staff["community_admin"]["id"]})
    assert plan.status_code == 201, plan.text
    return {"troupe": troupe.json(), "square": square.json(), "hall": hall.json(), "plan": plan.json()}


async def test_a_show_reminds_its_audience_and_is_recorded_the_morning_after(chengguan):
    w = chengguan
    r = w.residents
    async with w.client("community_admin") as admin, w.client("grid_worker") as worker, w.client("leader_c") as leader_c:
        stage = await setting_the_stage(w, admin)
        assert stage["troupe"]["contact_phone"] == "138****8000"
        assert stage["square"]["serves_grid_ids"] == sorted([w.grids["A"], w.grids["B"]])
        play = stage["troupe"]["repertoire"][0]
        created = await admin.post(f"{P}/plans/{stage['plan']['id']}/shows", json={
            "venue_id": stage["square"]["id"], "troupe_id": stage["troupe"]["id"], "play_id": play["id"],
            "starts_at": "2026-03-07T19:00:00", "elders_first": True})
        assert created.status_code == 201, created.text
        show = created.json()
        assert (show["ends_at"][:16], show["subsidy"], show["troupe_level"], show["genre"]) == ("2026-03-07T13:30", "0.00", "county", "吕剧")

        # scope: the show is at a venue of grid A; grid C's leader does not see it
        assert [s["id"] for s in (await worker.get(f"{P}/shows")).json()] == [show["id"]]
        assert (await leader_c.get(f"{P}/shows")).json() == []
        hidden, missing = await leader_c.get(f"{P}/shows/{show['id']}"), await leader_c.get(f"{P}/shows/999999")
        assert hidden.status_code == missing.status_code == 404 and set(hidden.json()) == set(missing.json())

        # reminders: the elders of the venue's grids first, then everyone there the day before and on the day
        await drain(w.engine)
        w.at(2026, 3, 5, 19, 0)
        elders = await drain(w.engine)
        assert elders.recipients == 2
        from meihao.scenarios.culture.tables import Show

        activities = await Show.select(Show.activity, Show.elders_activity).where(Show.id == show["id"]).first()
        assert await reminded(activities["elders_activity"]) == {r["王秀英"]["id"], r["张桂兰"]["id"]}
        assert (await inbox("resident", r["王秀英"]["id"]))[-1] == (
            "尊敬的王奶奶：\n【戏曲进社区·吕剧《李二嫂改嫁》】3月7日（周六）晚7点在城关老街文化广场开演，前排座位优先留给老年人，欢迎您提前到场入座。\n——城关社区居民委员会")
        w.at(2026, 3, 6, 19, 0)
        assert (await drain(w.engine)).recipients == 4
        w.at(2026, 3, 7, 16, 0)
        assert (await drain(w.engine)).recipients == 4
        assert (await drain(w.engine)).recipients == 0
        audience = {r[n]["id"] for n in ("王秀英", "李建国", "张桂兰", "刘洋")}
        assert await reminded(activities["activity"]) == audience  # grid C's 赵大爷 is not in the audience
        assert await Reminder.count().where(Reminder.activity == activities["activity"]) == 8  # 4 people × 2 reminders, once each
        assert (await inbox("resident", r["刘洋"]["id"]))[-1] == (
            "尊敬的刘先生：\n【戏曲进社区·吕剧《李二嫂改嫁》】3月7日（周六）晚7点在城关老街文化广场开演，济阳区吕剧团（县级）演出吕剧《李二嫂改嫁》，免费观看，欢迎乡亲们来看戏！\n——城关社区居民委员会")

        # the morning after: not before 09:00, then the organiser is asked once
        w.at(2026, 3, 8, 8, 5)
        assert await ask_attendance(meihao=w.mh, community=w.community, now=w.clock.now()) is None
        assert (await admin.get(f"{P}/shows/{show['id']}")).json()["attendance_asked_at"] is None
        w.at(2026, 3, 8, 9, 5)
        await ask_attendance(meihao=w.mh, community=w.community, now=w.clock.now())
        await ask_attendance(meihao=w.mh, community=w.community, now=w.clock.now())
        await drain(w.engine)
        asked = await inbox("staff", w.staff["community_admin"]["id"])
        assert asked == [f"请录入3月7日（周六）晚7点在城关老街文化广场演出的济阳区吕剧团《李二嫂改嫁》的观众人数、群众满意度和村（居）委确认人（演出编号 {show['id']}）。"]

        # the record: attendance, satisfaction, feedback, the committee's confirmation
        early = await worker.put(f"{P}/shows/{show['id']}/record", json={"attendance": -5})
        assert (early.status_code, early.json()["field"]) == (400, "attendance")
        bad = await worker.put(f"{P}/shows/{show['id']}/record", json={"attendance": 10, "satisfaction": "great"})
        assert bad.status_code == 400 and "satisfaction" in bad.text
        recorded = await worker.put(f"{P}/shows/{show['id']}/record", json={
            "attendance": 260, "satisfaction": "satisfied", "feedback": "老戏迷们说唱得地道", "confirmed_by": "城关社区居委会 刘桂芝"})
        assert recorded.status_code == 200, recorded.text
        assert (recorded.json()["status"], recorded.json()["attendance"]) == ("delivered", 260)
        assert (await leader_c.put(f"{P}/shows/{show['id']}/record", json={"attendance": 1})).status_code == 404

        summary = (await admin.get(f"{P}/summary")).json()
        assert summary == {
            "year": 2026, "shows_delivered": 1, "audience_reached": 260, "shows_scheduled": 0, "venues": 2, "venues_covered": 1,
            "subsidy": "0.00", "satisfied": 1, "basically_satisfied": 0, "unsatisfied": 0, "villages": 0, "villages_covered": 0,
            "village_coverage": None, "programme": "戏曲进社区", "sampled": 0, "satisfaction_rate": None}
        metrics = {m["key"]: m["value"] for m in (await admin.get("/api/communities/chengguan/dashboard")).json() if m["scenario"] == "culture"}
        assert (metrics["shows_delivered"], metrics["audience_reached"]) == (1, 260)
    assert await AuditLog.count().where(AuditLog.action == "culture.show.record") == 1
    assert await AuditLog.count().where(AuditLog.action == "culture.show.ask_attendance") == 1


async def test_a_recorded_show_is_not_asked_about_and_a_cancelled_one_reminds_nobody(chengguan):
    w = chengguan
    async with w.client("community_admin") as admin:
        stage = await setting_the_stage(w, admin)
        play = stage["troupe"]["repertoire"][1]
        base = {"troupe_id": stage["troupe"]["id"], "play_id": play["id"]}
        held = (await admin.post(f"{P}/plans/{stage['plan']['id']}/shows", json={
            **base, "venue_id": stage["hall"]["id"], "starts_at": "2026-03-04T14:30:00"})).json()
        called_off = (await admin.post(f"{P}/plans/{stage['plan']['id']}/shows", json={
            **base, "venue_id": stage["square"]["id"], "starts_at": "2026-03-10T19:00:00"})).json()
        await drain(w.engine)
        cancelled = await admin.post(f"{P}/shows/{called_off['id']}/cancel", json={"reason": "大风天气"})
        assert cancelled.json()["status"] == "cancelled"
        w.at(2026, 3, 4, 17, 0)
        await admin.put(f"{P}/shows/{held['id']}/record", json={"attendance": 120, "satisfaction": "basically_satisfied"})
        w.at(2026, 3, 5, 10, 0)
        await ask_attendance(meihao=w.mh, community=w.community, now=w.clock.now())
        w.at(2026, 3, 9, 19, 0)
        result = await drain(w.engine)
        assert result.recipients == 0  # nothing for the cancelled show
        assert await inbox("staff", w.staff["community_admin"]["id"]) == []
        assert (await admin.post(f"{P}/shows/{held['id']}/cancel", json={"reason": "x"})).status_code == 409


async def test_a_moved_show_reminds_at_its_new_time(chengguan):
    w = chengguan
    async with w.client("community_admin") as admin:
        stage = await setting_the_stage(w, admin)
        play = stage["troupe"]["repertoire"][0]
        show = (await admin.post(f"{P}/plans/{stage['plan']['id']}/shows", json={
            "venue_id": stage["hall"]["id"], "troupe_id": stage["troupe"]["id"], "play_id": play["id"], "starts_at": "2026-03-07T19:00:00"})).json()
        await drain(w.engine)
        moved = await admin.patch(f"{P}/shows/{show['id']}", json={"starts_at": "2026-03-08T14:30:00"})
        assert moved.status_code == 200 and moved.json()["day"] == "2026-03-08"
        w.at(2026, 3, 6, 19, 0)
        assert (await drain(w.engine)).recipients == 0
        w.at(2026, 3, 7, 14, 30)
        assert (await drain(w.engine)).recipients == 1  # 赵大爷, the one resident of grid C


async def test_bad_input_names_the_field(chengguan):
    w = chengguan
    async with w.client("community_admin") as admin:
        stage = await setting_the_stage(w, admin)
        other = (await admin.post(f"{P}/troupes", json={"name": "山东省京剧院", "level": "province",
                                                       "repertoire": [{"title": "锁麟囊", "genre": "京剧"}]})).json()
        base = {"venue_id": stage["square"]["id"], "troupe_id": stage["troupe"]["id"],
                "play_id": stage["troupe"]["repertoire"][0]["id"], "starts_at": "2026-03-07T19:00:00"}
        plan = stage["plan"]["id"]
        for body, status, field in (
            ({**base, "play_id": other["repertoire"][0]["id"]}, 404, "play_id"),
            ({**base, "starts_at": "2026-05-07T19:00:00"}, 400, "starts_at"),
            ({**base, "starts_at": "2026-03-01T19:00:00"}, 400, "starts_at"),
            ({**base, "ends_at": "2026-03-07T18:00:00"}, 400, "ends_at"),
            ({**base, "venue_id": 987654}, 404, "venue_id"),
            ({**base, "troupe_id": 987654}, 404, "troupe_id"),
            ({**base, "subsidy": "12.345"}, 400, "subsidy"),
        ):
            response = await admin.post(f"{P}/plans/{plan}/shows", json=body)
            assert (response.status_code, response.json().get("field")) == (status, field), (body, response.text)
        for body, field in (
            ({"name": "x", "grid_id": 987654}, "grid_id"),
            ({"name": "x", "grid_id": w.grids["A"], "serves_grid_ids": [987654]}, "serves_grid_ids"),
        ):
            assert (await admin.post(f"{P}/venues", json=body)).json()["field"] == field
        wrong = await admin.post(f"{P}/plans", json={"name": "x", "season_start": "2026-05-01", "season_end": "2026-04-01"})
        assert (wrong.status_code, wrong.json()["field"]) == (400, "season_end")
        phone = await admin.post(f"{P}/troupes", json={"name": "x", "contact_phone": "12345"})
        assert (phone.status_code, phone.json()["field"]) == (400, "phone")
        short = await admin.post(f"{P}/troupes", json={"name": "x", "repertoire": [{"title": "y", "genre": "吕剧", "duration_minutes": 1}]})
        assert short.json()["field"] == "repertoire[0].duration_minutes"
        assert (await admin.put("/api/communities/chengguan/scenarios/culture", json={"settings": {"attendance_ask_hour": 25}})).status_code == 400
        assert (await admin.get(f"{P}/plans/987654")).status_code == 404


async def test_switching_culture_off_stops_reminders_and_on_brings_them_back(chengguan):
    w = chengguan
    async with w.client("community_admin") as admin:
        stage = await setting_the_stage(w, admin)
        play = stage["troupe"]["repertoire"][0]
        await admin.post(f"{P}/plans/{stage['plan']['id']}/shows", json={
            "venue_id": stage["hall"]["id"], "troupe_id": stage["troupe"]["id"], "play_id": play["id"], "starts_at": "2026-03-10T19:00:00"})
        await drain(w.engine)
    async with w.client() as street:
        assert (await street.delete("/api/communities/chengguan/scenarios/culture")).status_code == 200
        w.at(2026, 3, 9, 19, 0)
        assert (await drain(w.engine)).recipients == 0
        assert (await street.put("/api/communities/chengguan/scenarios/culture", json={"settings": {}})).status_code == 200
        shows = (await street.get(f"{P}/shows")).json()
        assert [s["status"] for s in shows] == ["scheduled"]
        assert (await drain(w.engine)).recipients == 1
