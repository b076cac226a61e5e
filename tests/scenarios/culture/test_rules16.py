"""Issue 16's culture rules: "一村一年一场戏" counted per village (and 村改居 community), not per venue, with the urban
wording 戏曲进社区; troupe level 区级; no subsidy default; outdoor evening shows avoid winter and the farming seasons;
weather cancellation told to the audience; the 满意率 from an audience sample."""

from __future__ import annotations

import pytest

from meihao import get_activity
from meihao.reminders.tables import InboxMessage
from meihao.testing import drain, make_page_client

P = "/api/communities/chengguan/culture"
TROUPE = {"name": "济阳区吕剧团", "level": "district", "repertoire": [{"title": "李二嫂改嫁", "genre": "吕剧", "duration_minutes": 150}]}


async def _stage(w, admin) -> dict:
    troupe = (await admin.post(f"{P}/troupes", json=TROUPE)).json()
    plan = (await admin.post(f"{P}/plans", json={"name": "2026年戏曲进乡村", "season_start": "2026-03-01", "season_end": "2026-12-31"})).json()
    return {"troupe": troupe, "play": troupe["repertoire"][0], "plan": plan}


async def _show(admin, stage: dict, venue_id: int, starts_at: str):
    return await admin.post(f"{P}/plans/{stage['plan']['id']}/shows", json={
        "venue_id": venue_id, "troupe_id": stage["troupe"]["id"], "play_id": stage["play"]["id"], "starts_at": starts_at})


async def _settings(w, **settings) -> None:
    async with w.client() as street:
        response = await street.put("/api/communities/chengguan/scenarios/culture", json={"settings": settings})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("per_village", "covered", "coverage"), [(1, 2, 1.0), (2, 1, 0.5), (3, 0, 0.0)])
async def test_one_show_a_year_is_counted_per_village_not_per_venue(chengguan, per_village, covered, coverage):
    w = chengguan
    await _settings(w, shows_per_village_per_year=per_village)
    async with w.client("community_admin") as admin:
        stage = await _stage(w, admin)
        huihe = (await admin.post(f"{P}/places", json={"name": "回河村", "kind": "village"})).json()
        beiguan = (await admin.post(f"{P}/places", json={"name": "北关村（村改居）", "kind": "cungaiju"})).json()
        town = (await admin.post(f"{P}/places", json={"name": "城关老城区", "kind": "urban"})).json()
        assert [p["kind"] for p in (await admin.get(f"{P}/places")).json()] == ["village", "cungaiju", "urban"]
        venues = {}
        for key, name, grid, place in (("east", "回河村东广场", "A", huihe), ("west", "回河村西广场", "B", huihe),
                                       ("beiguan", "北关文体广场", "C", beiguan), ("town", "老街广场", "A", town)):
            created = await admin.post(f"{P}/venues", json={"name": name, "grid_id": w.grids[grid], "place_id": place["id"]})
            assert created.status_code == 201, created.text
            assert created.json()["place_id"] == place["id"]
            venues[key] = created.json()["id"]
        missing = await admin.post(f"{P}/venues", json={"name": "别处", "grid_id": w.grids["A"], "place_id": 999999})
        assert (missing.status_code, missing.json()["field"]) == (404, "place_id")
        shows = []
        for key, day in (("east", "2026-03-10"), ("west", "2026-03-11"), ("beiguan", "2026-03-12"), ("town", "2026-03-13")):
            created = await _show(admin, stage, venues[key], f"{day}T14:30:00")
            assert created.status_code == 201, created.text
            shows.append(created.json())
        titles = [(await get_activity(s["activity_id"]))["title"] for s in shows]
        assert titles == ["戏曲进乡村·吕剧《李二嫂改嫁》"] * 3 + ["戏曲进社区·吕剧《李二嫂改嫁》"]
        w.at(2026, 3, 14, 9, 0)
        for show in shows:
            assert (await admin.put(f"{P}/shows/{show['id']}/record", json={"attendance": 120})).status_code == 200
        summary = (await admin.get(f"{P}/summary")).json()
    # two villages (the urban community is not one); 回河村's two venues count as its two shows, 北关村 has one
    assert (summary["villages"], summary["villages_covered"], summary["village_coverage"], summary["programme"]) == (
        2, covered, coverage, "戏曲进乡村")
    assert (summary["venues"], summary["shows_delivered"]) == (4, 4)


async def test_an_urban_community_without_villages_says_xiqu_jin_shequ(chengguan):
    async with chengguan.client("community_admin") as admin:
        summary = (await admin.get(f"{P}/summary")).json()
    assert (summary["villages"], summary["village_coverage"], summary["programme"]) == (0, None, "戏曲进社区")


@pytest.mark.parametrize(("starts_at", "kind", "status"), [
    ("2026-11-30T19:00:00", "village_square", 201),   # the last evening before winter
    ("2026-12-01T14:30:00", "village_square", 201),   # a winter afternoon
    ("2026-12-01T17:59:00", "village_square", 201),   # not yet evening
    ("2026-12-01T18:00:00", "village_square", 400),   # a winter evening outdoors
    ("2026-12-01T19:00:00", "community_hall", 201),   # indoors
    ("2026-05-24T19:00:00", "village_square", 201),
    ("2026-05-25T19:00:00", "village_square", 400),   # 三夏 begins
    ("2026-06-15T19:00:00", "village_square", 400),   # its last day
    ("2026-06-16T19:00:00", "village_square", 201),
    ("2026-09-24T19:00:00", "village_square", 201),
    ("2026-09-25T19:00:00", "village_square", 400),   # 三秋
    ("2026-10-10T19:00:00", "village_square", 400),
    ("2026-10-11T19:00:00", "village_square", 201),
])
async def test_outdoor_evening_shows_avoid_winter_and_the_farming_seasons(chengguan, starts_at, kind, status):
    w = chengguan
    async with w.client("community_admin") as admin:
        stage = await _stage(w, admin)
        venue = (await admin.post(f"{P}/venues", json={"name": "广场", "kind": kind, "grid_id": w.grids["A"]})).json()
        response = await _show(admin, stage, venue["id"], starts_at)
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["field"] == "starts_at"


async def test_moving_a_show_into_a_winter_evening_is_refused_and_the_seasons_are_settings(chengguan):
    w = chengguan
    async with w.client("community_admin") as admin:
        stage = await _stage(w, admin)
        venue = (await admin.post(f"{P}/venues", json={"name": "广场", "grid_id": w.grids["A"]})).json()
        show = (await _show(admin, stage, venue["id"], "2026-11-20T19:00:00")).json()
        moved = await admin.patch(f"{P}/shows/{show['id']}", json={"starts_at": "2026-12-05T19:00:00"})
        assert (moved.status_code, moved.json()["field"]) == (400, "starts_at")
        await _settings(w, winter_months=[1, 2], farming_seasons=[], evening_from="19:30")
        assert (await admin.patch(f"{P}/shows/{show['id']}", json={"starts_at": "2026-12-05T19:00:00"})).status_code == 200
        assert (await _show(admin, stage, venue["id"], "2026-06-01T19:29:00")).status_code == 201


@pytest.mark.parametrize("settings", [{"winter_months": [13]}, {"farming_seasons": ["5-25/06-15"]}, {"evening_from": "7pm"},
                                      {"subsidy_per_show_yuan": -1}, {"shows_per_village_per_year": 0}])
async def test_bad_season_settings_are_refused(chengguan, settings):
    async with chengguan.client() as street:
        response = await street.put("/api/communities/chengguan/scenarios/culture", json={"settings": settings})
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(("setting", "subsidy"), [(None, "0.00"), (3000, "3000.00")])
async def test_the_subsidy_has_no_default_unless_the_community_sets_one(chengguan, setting, subsidy):
    w = chengguan
    if setting is not None:
        await _settings(w, subsidy_per_show_yuan=setting)
    async with w.client("community_admin") as admin:
        stage = await _stage(w, admin)
        assert stage["troupe"]["level"] == "district"
        venue = (await admin.post(f"{P}/venues", json={"name": "广场", "grid_id": w.grids["A"]})).json()
        show = (await _show(admin, stage, venue["id"], "2026-03-10T14:30:00")).json()
    assert show["subsidy"] == subsidy
    assert (await get_activity(show["activity_id"]))["description"] == "济阳区吕剧团（区级）演出吕剧《李二嫂改嫁》"


@pytest.mark.parametrize(("sample", "status", "rate"), [
    ({"satisfied": 30, "basically_satisfied": 6, "unsatisfied": 2}, 200, 0.9474),
    ({"satisfied": 100, "basically_satisfied": 0, "unsatisfied": 20}, 200, 0.8333),   # the whole audience asked
    ({"satisfied": 100, "basically_satisfied": 1, "unsatisfied": 20}, 400, None),     # more asked than came
    ({"satisfied": -1}, 400, None),
])
async def test_satisfaction_rate_from_an_audience_sample(chengguan, sample, status, rate):
    w = chengguan
    async with w.client("community_admin") as admin:
        stage = await _stage(w, admin)
        venue = (await admin.post(f"{P}/venues", json={"name": "广场", "grid_id": w.grids["A"]})).json()
        show = (await _show(admin, stage, venue["id"], "2026-03-10T14:30:00")).json()
        w.at(2026, 3, 11, 9, 0)
        recorded = await admin.put(f"{P}/shows/{show['id']}/record", json={"attendance": 120, "sample": sample})
        assert recorded.status_code == status, recorded.text
        summary = (await admin.get(f"{P}/summary")).json()
    if status == 200:
        assert (recorded.json()["sample_size"], recorded.json()["satisfaction_rate"]) == (sum(sample.values()), rate)
        assert (summary["sampled"], summary["satisfaction_rate"]) == (sum(sample.values()), rate)
    else:
        assert recorded.json()["field"] == "sample"
        assert (summary["shows_delivered"], summary["sampled"], summary["satisfaction_rate"]) == (0, 0, None)


@pytest.mark.parametrize("weather", [True, False])
async def test_a_show_called_off_for_the_weather_tells_its_audience(chengguan, weather):
    w = chengguan
    async with w.client("community_admin") as admin:
        stage = await _stage(w, admin)
        venue = (await admin.post(f"{P}/venues", json={"name": "城关老街文化广场", "grid_id": w.grids["A"],
                                                       "serves_grid_ids": [w.grids["B"]]})).json()
        show = (await _show(admin, stage, venue["id"], "2026-03-07T14:30:00")).json()
        w.at(2026, 3, 7, 10, 0)
        cancelled = await admin.post(f"{P}/shows/{show['id']}/cancel", json={"reason": "大风黄色预警", "weather": weather})
        assert (cancelled.json()["status"], cancelled.json()["cancel_kind"]) == ("cancelled", "weather" if weather else "other")
    await drain(w.engine)
    told = await InboxMessage.select(InboxMessage.recipient_id, InboxMessage.body).where(
        InboxMessage.recipient_kind == "resident").order_by(InboxMessage.recipient_id)
    if not weather:
        assert told == []
        return
    in_a_or_b = sorted(r["id"] for n, r in w.residents.items() if n != "赵大爷")  # grid C is not the venue's audience
    assert [t["recipient_id"] for t in told] == in_a_or_b
    assert "原定3月7日（周六）下午2点半在城关老街文化广场演出的济阳区吕剧团《李二嫂改嫁》因天气原因取消（大风黄色预警），改期另行通知。" in told[0]["body"]


@pytest.mark.parametrize(("day", "at", "expected"), [
    ("2026-12-01", "18:00", {"starts_at": "冬季和农忙时节不安排户外晚场演出：请改选室内场地或下午场。"}),
    ("2026-06-01", "19:00", {"starts_at": "冬季和农忙时节不安排户外晚场演出：请改选室内场地或下午场。"}),
    ("2026-12-01", "17:59", {}),
])
async def test_the_show_form_says_why_an_outdoor_evening_is_refused(chengguan, day, at, expected):
    from tests.scenarios.culture.test_manage_pages import field_errors, post_form

    w = chengguan
    async with w.client("community_admin") as admin:
        stage = await _stage(w, admin)
        venue = (await admin.post(f"{P}/venues", json={"name": "广场", "grid_id": w.grids["A"]})).json()
    form = {"venue_id": str(venue["id"]), "troupe_id": str(stage["troupe"]["id"]), "play_id": str(stage["play"]["id"]), "day": day,
            "starts_at": at, "ends_at": "", "subsidy": ""}
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as pages:
        answer = await post_form(pages, f"/c/chengguan/culture/plans/{stage['plan']['id']}/shows/new", form)
    assert (answer.status_code, field_errors(answer.text)) == ((400, expected) if expected else (303, {}))
