"""Double Ninth, birthdays, named audiences, nursing-home visits, metrics, settings and demo data."""

from __future__ import annotations

from datetime import datetime, timezone

from meihao import ActivityIn, create_activity
from meihao.reminders.activities import get_activity, list_activities
from meihao.reminders.recipients import inbox
from meihao.tables import Resident
from meihao.testing import drain

BASE = "/api/communities/yajuyuan/elder_care"


async def register_all(y) -> dict[str, dict]:
    elders = {}
    async with y.client("community_admin") as client:
        for name in ("王秀英", "张伟", "赵桂兰"):
            response = await client.post(f"{BASE}/elders", json={"resident_id": y.residents[name]["id"]})
            assert response.status_code == 201, response.text
            elders[name] = response.json()
    return elders


async def test_the_double_ninth_comes_with_the_scenario_and_goes_with_it(yajuyuan):
    y = yajuyuan
    await register_all(y)
    [double_ninth] = [a for a in await list_activities("yajuyuan") if a["source"] == "elder_care.double_ninth"]
    assert (double_ninth["lunar_month"], double_ninth["lunar_day"]) == (9, 9)
    assert double_ninth["audience"] == {"named": ["elder_care.elders"]}

    # 重阳 2026 is 18 October; the elders on the register are reminded the day before, not the volunteer
    y.clock.set(datetime(2026, 10, 17, 1, 0, tzinfo=timezone.utc))
    await drain(y.engine)
    reminded = {name for name, r in y.residents.items() if await inbox("resident", r["id"])}
    assert reminded == {"王秀英", "张伟", "赵桂兰"}
    [message] = await inbox("resident", y.residents["王秀英"]["id"])
    assert message["body"] == "尊敬的王奶奶：\n重阳节敬老活动将于10月18日（周日）上午9点在社区党群服务中心举行，欢迎参加。\n——雅居园社区居民委员会"

    async with y.client() as client:
        changed = await client.put("/api/communities/yajuyuan/scenarios/elder_care",
                                   json={"settings": {"double_ninth_venue": "松龄苑活动室", "double_ninth_start": "15:00"}})
        assert changed.status_code == 200
        assert (await get_activity(double_ninth["id"]))["venue"] == "松龄苑活动室"
        assert (await client.delete("/api/communities/yajuyuan/scenarios/elder_care")).status_code == 200
        assert (await get_activity(double_ninth["id"]))["status"] == "cancelled"
        assert (await client.put("/api/communities/yajuyuan/scenarios/elder_care", json={"settings": {}})).status_code == 200
    assert len([a for a in await list_activities("yajuyuan") if a["source"] == "elder_care.double_ninth"]) == 1


async def test_bad_settings_are_refused_naming_the_setting(yajuyuan):
    async with yajuyuan.client() as client:
        for settings, field in (
            ({"elder_age": 30}, "elder_age"),
            ({"high_risk_interval_days": 0}, "high_risk_interval_days"),
            ({"double_ninth_start": "9am"}, "double_ninth_start"),
            ({"visit_every": 3}, "visit_every"),
        ):
            response = await client.put("/api/communities/yajuyuan/scenarios/elder_care", json={"settings": settings})
            assert response.status_code == 400 and field in response.text, response.text


async def test_changing_the_intervals_moves_every_due_date(yajuyuan):
    y = yajuyuan
    elders = await register_all(y)
    assert elders["张伟"]["plan"]["next_due_on"] == "2026-06-01"  # general: quarterly (91 days)
    async with y.client() as client:
        await client.put("/api/communities/yajuyuan/scenarios/elder_care", json={"settings": {"general_interval_days": 30}})
        again = (await client.get(f"{BASE}/elders/{elders['张伟']['id']}")).json()
    assert again["plan"]["next_due_on"] == "2026-04-01"


async def test_birthday_greetings_once_a_year(yajuyuan):
    y = yajuyuan
    async with y.client("community_admin") as client:
        await client.post(f"{BASE}/elders", json={"resident_id": y.residents["王秀英"]["id"], "visitor_staff_id": y.staff["grid_worker"]["id"]})
    from meihao.scenarios.elder_care.jobs import birthday_greetings

    y.at(2026, 3, 14, 8, 0)
    assert await birthday_greetings(meihao=y.mh, community=y.community) == 0
    y.at(2026, 3, 15, 8, 0)  # born 15 March 1940
    assert await birthday_greetings(meihao=y.mh, community=y.community) == 1
    assert await birthday_greetings(meihao=y.mh, community=y.community) == 0
    await drain(y.engine)
    [greeting] = await inbox("resident", y.residents["王秀英"]["id"])
    assert greeting["body"] == "尊敬的王奶奶：\n松龄雅居祝您生日快乐、健康长寿！\n——雅居园社区居民委员会"
    [note] = await inbox("staff", y.staff["grid_worker"]["id"])
    assert "86岁生日" in note["body"]


async def test_named_audiences_resolve_in_sql(yajuyuan):
    y = yajuyuan
    await register_all(y)
    await Resident.update({Resident.birth_date: datetime(1947, 1, 1).date()}).where(Resident.id == y.residents["赵桂兰"]["id"])
    y.clock.set(datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc))
    cases = {"elder_care.elders": {"王秀英", "张伟", "赵桂兰"}, "elder_care.living_alone": {"王秀英", "赵桂兰"}, "elder_care.over_80": {"王秀英", "赵桂兰"}}
    for i, (audience, expected) in enumerate(cases.items()):
        activity = await create_activity(y.mh, "yajuyuan", ActivityIn(
            scene="elder_care", title=f"测试{i}", starts_at=datetime(2026, 3, 3 + i, 10, 0), ends_at=datetime(2026, 3, 3 + i, 11, 0),
            audience={"named": [audience]}, reminder_offsets=[60]))
        y.clock.set(datetime(2026, 3, 3 + i, 1, 30, tzinfo=timezone.utc))
        await drain(y.engine)
        got = {name for name, r in y.residents.items() if any(m["activity"] == activity["id"] for m in await inbox("resident", r["id"]))}
        assert got == expected - ({"赵桂兰"} if audience == "elder_care.over_80" else set()), audience  # 79


async def test_nursing_home_visit_with_its_roster(yajuyuan):
    y = yajuyuan
    li, zhang = y.residents["李娜"]["id"], y.residents["刘建国"]["id"]
    async with y.client("grid_worker") as client:
        empty = await client.post(f"{BASE}/nursing-home-visits", json={"starts_at": "2026-03-07T09:00:00", "ends_at": "2026-03-07T11:00:00"})
        assert empty.status_code == 400 and empty.json()["field"] == "volunteers"
        backwards = await client.post(f"{BASE}/nursing-home-visits", json={
            "starts_at": "2026-03-07T11:00:00", "ends_at": "2026-03-07T09:00:00", "volunteers": [{"resident_id": li}]})
        assert backwards.status_code == 400 and backwards.json()["field"] == "ends_at"
        outside = await client.post(f"{BASE}/nursing-home-visits", json={
            "starts_at": "2026-03-07T09:00:00", "ends_at": "2026-03-07T11:00:00", "volunteers": [{"resident_id": y.residents["赵桂兰"]["id"]}]})
        assert outside.status_code == 404 and outside.json()["field"] == "volunteers[0].resident_id"
        created = await client.post(f"{BASE}/nursing-home-visits", json={
            "starts_at": "2026-03-07T09:00:00", "ends_at": "2026-03-07T11:00:00", "nursing_home": "新市镇敬老院",
            "volunteers": [{"resident_id": li, "task": "打扫卫生"}]})
        assert created.status_code == 201, created.text
        visit = created.json()
        assert visit["title"] == "志愿者走进新市镇敬老院慰问老人" and visit["volunteers"] == [{"resident_id": li, "name": "李娜", "task": "打扫卫生"}]
        added = await client.post(f"{BASE}/nursing-home-visits/{visit['id']}/roster", json={"resident_id": zhang, "task": "理发"})
        assert [v["name"] for v in added.json()["volunteers"]] == ["李娜", "刘建国"]
        twice = await client.post(f"{BASE}/nursing-home-visits/{visit['id']}/roster", json={"resident_id": zhang})
        assert twice.status_code == 409

    # the roster (and the organiser) are reminded a day before
    y.clock.set(datetime(2026, 3, 6, 1, 0, tzinfo=timezone.utc))
    await drain(y.engine)
    for person in (li, zhang):
        [message] = await inbox("resident", person)
        assert "新市镇敬老院" in message["body"]
    assert len(await inbox("staff", y.staff["grid_worker"]["id"])) == 1

    async with y.client("grid_worker") as client:
        removed = await client.delete(f"{BASE}/nursing-home-visits/{visit['id']}/roster/{zhang}")
        assert [v["name"] for v in removed.json()["volunteers"]] == ["李娜"]
        cancelled = await client.post(f"{BASE}/nursing-home-visits/{visit['id']}/cancel")
        assert cancelled.json()["status"] == "cancelled"
        assert (await client.get(f"{BASE}/nursing-home-visits")).json() == []
    assert (await get_activity(visit["activity_id"]))["status"] == "cancelled"
    y.clock.set(datetime(2026, 3, 6, 23, 30, tzinfo=timezone.utc))  # two hours before: no second reminder
    await drain(y.engine)
    # the day-before reminder, then the notice that the visit is cancelled (people already reminded are told)
    assert [m["body"].split("\n")[:2] for m in await inbox("resident", li)] == [
        ["尊敬的李女士：", "原定3月7日（周六）上午9点的志愿者走进新市镇敬老院慰问老人已取消。Cancelled: 志愿者走进新市镇敬老院慰问老人 (2026-03-07 09:00)."],
        ["尊敬的李女士：", "志愿者走进新市镇敬老院慰问老人将于3月7日（周六）上午9点在新市镇敬老院举行，欢迎参加。"],
    ]


async def test_metrics_on_the_dashboard(yajuyuan):
    y = yajuyuan
    elders = await register_all(y)
    async with y.client("community_admin") as client:
        y.at(2026, 3, 9, 8, 30)
        await client.post(f"{BASE}/elders/{elders['赵桂兰']['id']}/visits", json={"method": "phone", "visited_at": "2026-03-02T10:00:00"})
        y.at(2026, 3, 10, 8, 30)
        figures = {m["key"]: m["value"] for m in (await client.get("/api/communities/yajuyuan/dashboard")).json() if m["scenario"] == "elder_care"}
    assert figures == {
        "elders": 3, "elders_high_risk": 2, "elders_key": 0, "elders_general": 1, "living_alone": 2,
        "visits_due_today": 0, "overdue": 2,
        # issue 16: the 月探访率 (both living alone are in special difficulty; 赵桂兰 was called in March)
        "special_difficulty": 2, "visited_this_month": 1, "monthly_visit_rate": 50.0,
    }


async def test_demo_data_fills_the_register_and_produces_reminders(yajuyuan):
    y = yajuyuan
    # more elders and volunteers in the community
    building = await y.factories.building(y.grids["B"])
    for i in range(12):
        household = await y.factories.household(building["id"])
        await y.factories.resident(household["id"], name=f"老人{i}", birth_date=datetime(1935 + 2 * i, 4, 1).date(),
                                   tags=["living_alone"] if i % 3 == 0 else (["disabled"] if i % 3 == 1 else []))
    household = await y.factories.household(building["id"])
    await y.factories.resident(household["id"], name="志愿者小周", birth_date=datetime(1995, 4, 1).date(), tags=["volunteer"])
    from meihao import scenario_settings

    settings = await scenario_settings(y.mh, y.community.id, "elder_care")
    await y.mh.plugins.demo_data(y.community, "elder_care", settings, 1169, y.mh)
    async with y.client() as client:
        page = (await client.get(f"{BASE}/elders?page_size=100")).json()
        assert page["total"] == 15  # every resident of 60 and over
        levels = [e["care_level"] for e in page["items"]]
        # demo seed 1169; issue 16: 空巢/留守 and the ledger's categories raise two of the five 一般 to 重点
        assert {level: levels.count(level) for level in set(levels)} == {"high_risk": 4, "key": 8, "general": 3}
        assert all(e["plan"]["last_contact_on"] for e in page["items"])
        assert all("*" in e["emergency_contact"]["phone"] for e in page["items"])
        visits = (await client.get(f"{BASE}/nursing-home-visits")).json()
        assert len(visits) == 1 and visits[0]["volunteers"]
        alerts = (await client.get(f"{BASE}/alerts")).json()["items"]
    overdue = [e for e in page["items"] if e["plan"]["status"] == "overdue"]
    # issue 16: the grid's staff are the visitors first (吴网格 is grid B's grid worker), volunteers assist
    assert [(e["name"], e["visitor"]["name"]) for e in overdue] == [("老人7", "吴网格")]
    visitors = [e["visitor"]["name"] for e in page["items"]]
    # at most 15 elders each (demo.STAFF_LOAD): grid B's 13 elders are its grid worker's
    assert {name: visitors.count(name) for name in set(visitors)} == {"吴网格": 13, "陈网格": 2}
    # late enough for its tier (days overdue, issue 16): the visitor is told, and the grid leaders (escalation)
    assert sorted((a["name"], a["level"], a["missed_intervals"], a["recipients"]) for a in alerts) == [
        ("老人7", "escalation", 1, 1), ("老人7", "visitor", 1, 1)]
    result = await drain(y.engine)
    assert (result.sent, result.recipients) == (2, 2)


async def test_the_daily_jobs_are_scheduled_per_community_in_its_time_zone(yajuyuan):
    from meihao.scheduling.scheduler import next_fire_time, planned_schedules

    y = yajuyuan
    planned = {p.id: p for p in await planned_schedules(y.mh) if p.plugin == "elder_care"}
    assert set(planned) == {"meihao:elder_care.visit_check@yajuyuan", "meihao:elder_care.birthday_greetings@yajuyuan",
                            "meihao:elder_care.campaign_check@yajuyuan"}
    assert y.other_slug not in str(planned)  # the neighbouring community has no elder_care
    fire = next_fire_time(planned["meihao:elder_care.visit_check@yajuyuan"], y.clock.now())
    assert fire == datetime(2026, 3, 2, 0, 30, tzinfo=timezone.utc)  # 08:30 in Shanghai
    assert next_fire_time(planned["meihao:elder_care.campaign_check@yajuyuan"], y.clock.now()) == fire
