"""戏曲进乡村 at the street (issue 16): the street's yearly target (a street setting), the monthly report across the communities
(shows held, audience, subsidy, cancelled) and its page; community staff get the 403 of the street's routes and pages.

城关 (chengguan) and 北苑 (beiyuan) both run the scene; the report counts the recorded shows of each, in the month asked.
"""

from __future__ import annotations

import pytest

from meihao.register.community_scenarios import enable
from meihao.testing import form_token, make_page_client

C = "/api/communities/chengguan/culture"
B = "/api/communities/beiyuan/culture"
REPORT = "/api/street/culture/report"
TROUPE = {"name": "济阳区吕剧团", "level": "district", "repertoire": [{"title": "李二嫂改嫁", "genre": "吕剧", "duration_minutes": 150}]}


async def _stage(client, base: str, grid_id: int) -> dict:
    troupe = (await client.post(f"{base}/troupes", json=TROUPE)).json()
    plan = (await client.post(f"{base}/plans", json={"name": "2026年戏曲进乡村", "season_start": "2026-03-01", "season_end": "2026-12-31"})).json()
    venue = await client.post(f"{base}/venues", json={"name": "文体广场", "grid_id": grid_id})
    assert venue.status_code == 201, venue.text
    return {"troupe": troupe["id"], "play": troupe["repertoire"][0]["id"], "plan": plan["id"], "venue": venue.json()["id"]}


async def _show(client, base: str, stage: dict, day: str) -> int:
    created = await client.post(f"{base}/plans/{stage['plan']}/shows", json={
        "venue_id": stage["venue"], "troupe_id": stage["troupe"], "play_id": stage["play"], "starts_at": f"{day}T14:30:00"})
    assert created.status_code == 201, created.text
    return created.json()["id"]


@pytest.fixture
async def street(chengguan):
    """Shows in March: 城关 two held (120 and 80 people, 3,000 and 2,000 yuan) and one cancelled; 北苑 one held (200, 5,000).
    In April: 城关 one held (60). A show still scheduled in March (北苑) is not counted."""
    w = chengguan
    await enable(w.mh, "beiyuan", "culture")
    beiyuan_grid = (await w.factories.grid("beiyuan", code="BY"))["id"]
    async with w.client() as admin:
        cg = await _stage(admin, C, w.grids["A"])
        by = await _stage(admin, B, beiyuan_grid)
        held = [await _show(admin, C, cg, "2026-03-10"), await _show(admin, C, cg, "2026-03-11")]
        cancelled = await _show(admin, C, cg, "2026-03-12")
        april = await _show(admin, C, cg, "2026-04-08")
        by_held = await _show(admin, B, by, "2026-03-15")
        await _show(admin, B, by, "2026-03-20")
        assert (await admin.post(f"{C}/shows/{cancelled}/cancel", json={"reason": "剧团车辆故障"})).status_code == 200
        w.at(2026, 4, 9, 9, 0)
        for base, show, people, subsidy in ((C, held[0], 120, "3000"), (C, held[1], 80, "2000"), (B, by_held, 200, "5000"),
                                            (C, april, 60, "0")):
            answer = await admin.put(f"{base}/shows/{show}/record", json={"attendance": people, "subsidy": subsidy})
            assert answer.status_code == 200, answer.text
    return w


async def test_the_monthly_report_counts_each_communitys_shows_held_audience_and_subsidy(street):
    async with street.client() as admin:
        answer = await admin.get(REPORT, params={"year": 2026, "month": 3})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["communities"] == [
        {"slug": "chengguan", "name": "城关社区", "shows_delivered": 2, "audience": 200, "subsidy": "5000.00", "shows_cancelled": 1},
        {"slug": "beiyuan", "name": report["communities"][1]["name"], "shows_delivered": 1, "audience": 200, "subsidy": "5000.00",
         "shows_cancelled": 0},
    ]
    assert (report["shows_delivered"], report["audience"], report["subsidy"], report["shows_cancelled"]) == (3, 400, "10000.00", 1)
    # the street's default target, 4 a year, is 1 by the end of March (rounded up): 3 held is on track
    assert (report["target"], report["delivered_to_date"], report["expected_to_date"], report["on_track"]) == (4, 3, 1, True)
    assert report["per_month"] == [0, 0, 3]


@pytest.mark.parametrize(("target", "expected", "on_track"), [(12, 4, True), (13, 5, False)])
async def test_the_year_is_on_track_when_the_shows_held_reach_the_target_pro_rata(street, target, expected, on_track):
    """By the end of April 4 shows were held: a target of 12 expects 4 (on track), 13 expects ⌈13×4/12⌉ = 5 (behind)."""
    async with street.client() as admin:
        assert (await admin.put("/api/street/settings/culture", json={"settings": {"shows_per_year": target}})).status_code == 200
        report = (await admin.get(REPORT, params={"year": 2026, "month": 4})).json()
    assert (report["target"], report["delivered_to_date"], report["expected_to_date"], report["on_track"]) == (target, 4, expected, on_track)
    assert report["per_month"] == [0, 0, 3, 1]
    assert [c["shows_delivered"] for c in report["communities"]] == [1, 0]


async def test_the_report_defaults_to_this_month_on_the_streets_clock(street):
    async with street.client() as admin:
        report = (await admin.get(REPORT)).json()
    assert (report["year"], report["month"], report["shows_delivered"]) == (2026, 4, 1)


@pytest.mark.parametrize(("params", "field"), [({"month": 13}, "month"), ({"month": 0}, "month"), ({"year": 1899}, "year")])
async def test_a_month_or_year_out_of_range_is_a_400_naming_it(street, params, field):
    async with street.client() as admin:
        answer = await admin.get(REPORT, params=params)
    assert answer.status_code == 400
    assert answer.json()["field"] == field


@pytest.mark.parametrize("who", ["community_admin", "grid_worker", "leader_c"])
async def test_community_staff_cannot_read_the_streets_report_nor_change_its_target(street, who):
    async with street.client(who) as staff:
        answer = await staff.get(REPORT)
        assert (answer.status_code, answer.json()["detail"]) == (403, "the street's culture routes are for street staff")
        assert (await staff.put("/api/street/settings/culture", json={"settings": {"shows_per_year": 1}})).status_code == 403
        # the target itself is the same for everyone and any staff member may read it
        assert (await staff.get("/api/street/settings/culture")).json()["settings"] == {"shows_per_year": 4}


@pytest.mark.parametrize(("target", "status"), [(1, 200), (10000, 200), (0, 400), (10001, 400)])
async def test_the_yearly_target_is_kept_between_1_and_10000(chengguan, target, status):
    async with chengguan.client() as admin:
        answer = await admin.put("/api/street/settings/culture", json={"settings": {"shows_per_year": target}})
    assert answer.status_code == status, answer.text
    if status == 400:
        assert answer.json()["detail"].endswith("shows_per_year must be between 1 and 10000")


async def test_the_street_page_reads_in_chinese_and_is_the_streets_only(street):
    w = street
    async with make_page_client(w.mh, w.staff["street_admin"]["id"]) as client:
        page = await client.get("/street/culture/report?year=2026&month=3")
        assert page.status_code == 200, page.text
        for text in ("戏曲进乡村：2026年3月 全街道", "2026年目标", "4 场演出", "进度正常：已演出3场，截至月底应演出1场。", "本月各社区情况",
                     "城关社区", "5000.00", "10000.00", "修改街道全年目标"):
            assert text in page.text, text
        assert 'href="/street/culture/report"' in (await client.get("/")).text
        refused = await client.get("/street/culture/report?month=13")
        assert refused.status_code == 400
        token = await form_token(client, "/street/settings/culture")
        saved = await client.post("/street/settings/culture", data={"settings.shows_per_year": "13", "_csrf_token": token},
                                  follow_redirects=False)
        assert saved.status_code == 303
        page = await client.get("/street/culture/report?year=2026&month=4")
        assert "进度落后：已演出4场，截至月底应演出5场，还差1场。" in page.text
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as client:
        assert (await client.get("/street/culture/report")).status_code == 403
        assert 'href="/street/culture/report"' not in (await client.get("/")).text
