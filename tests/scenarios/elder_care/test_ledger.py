"""Issue 16: the civil-affairs ledger on the register. 空巢 and 留守 beside 独居; 失能 (an assessed level) apart from the
残疾证 grade (重残: grades 1–2); 失智, 计划生育特殊家庭, 分散供养特困, 低保; the care level each gives, each side of every
threshold. Today is Monday 2 March 2026: born 2 March 1946 is 80 today, born 3 March 1946 is 79.
"""

from __future__ import annotations

from datetime import date

import pytest

BASE = "/api/communities/yajuyuan/elder_care"


async def _resident(y, birth: date) -> int:
    building = await y.factories.building(y.grids["A"])
    household = await y.factories.household(building["id"])
    return (await y.factories.resident(household["id"], name="孙长者", birth_date=birth, phone="13912345678"))["id"]


@pytest.mark.parametrize(
    ("birth", "fields", "care_level", "interval", "special"),
    [
        (date(1946, 3, 3), {"empty_nest": True}, "key", 30, True),  # 79, 空巢: monthly
        (date(1946, 3, 2), {"empty_nest": True}, "high_risk", 7, True),  # 80, 空巢: weekly
        (date(1946, 3, 3), {"left_behind": True}, "key", 30, True),  # 79, 留守
        (date(1946, 3, 2), {"left_behind": True}, "high_risk", 7, True),  # 80, 留守
        (date(1956, 3, 2), {"living_alone": True}, "key", 30, True),  # 70, 独居: a national target group, monthly
        (date(1956, 3, 2), {}, "general", 91, False),  # 70, nothing: quarterly
        (date(1956, 3, 2), {"disability_grade": 2}, "key", 30, True),  # 重残: grade 2 (severe_disability_max_grade)
        (date(1956, 3, 2), {"disability_grade": 3}, "general", 91, False),  # grade 3 is not 重残
        (date(1956, 3, 2), {"self_care_loss": "partial"}, "key", 30, True),  # 半失能
        (date(1956, 3, 2), {"self_care_loss": "full", "empty_nest": True}, "high_risk", 7, True),  # 失能 and 空巢
        (date(1956, 3, 2), {"categories": ["dementia"]}, "key", 30, True),  # 失智
        (date(1956, 3, 2), {"categories": ["family_planning_special"]}, "key", 30, True),
        (date(1956, 3, 2), {"categories": ["dispersed_extreme_poverty"]}, "key", 30, True),
        (date(1956, 3, 2), {"categories": ["subsistence_allowance"]}, "key", 30, True),  # 低保
        (date(1946, 3, 2), {}, "key", 30, False),  # 80, with family: 重点 for the age, not in special difficulty
    ],
)
async def test_the_care_level_the_ledger_gives(yajuyuan, birth, fields, care_level, interval, special):
    y = yajuyuan
    resident_id = await _resident(y, birth)
    async with y.client("community_admin") as client:
        response = await client.post(f"{BASE}/elders", json={"resident_id": resident_id, "living_alone": False, **fields})
    assert response.status_code == 201, response.text
    elder = response.json()
    assert (elder["care_level"], elder["plan"]["interval_days"], elder["special_difficulty"]) == (care_level, interval, special)


async def test_grade_and_self_care_are_kept_apart_and_shown_as_categories(yajuyuan):
    y = yajuyuan
    resident_id = await _resident(y, date(1956, 3, 2))
    async with y.client("community_admin") as client:
        response = await client.post(f"{BASE}/elders", json={
            "resident_id": resident_id, "living_alone": False, "empty_nest": True, "self_care_loss": "none", "disability_grade": 1,
            "categories": ["subsistence_allowance", "dementia", "dementia"],
        })
        assert response.status_code == 201, response.text
        elder = response.json()
        assert (elder["empty_nest"], elder["left_behind"], elder["self_care_loss"], elder["disability_grade"]) == (True, False, "none", 1)
        assert elder["categories"] == ["dementia", "severe_disability", "subsistence_allowance"]
        changed = await client.patch(f"{BASE}/elders/{elder['id']}", json={"disability_grade": None, "self_care_loss": "full", "categories": []})
        assert changed.status_code == 200, changed.text
        assert (changed.json()["disability_grade"], changed.json()["categories"]) == (None, ["self_care_loss"])
        # the care level the register was given stays until someone changes it (the plan follows it)
        assert changed.json()["care_level"] == "key"


@pytest.mark.parametrize(("grade", "status"), [(0, 400), (1, 201), (4, 201), (5, 400)])
async def test_the_disability_grade_is_one_to_four(yajuyuan, grade, status):
    y = yajuyuan
    resident_id = await _resident(y, date(1956, 3, 2))
    async with y.client("community_admin") as client:
        response = await client.post(f"{BASE}/elders", json={"resident_id": resident_id, "disability_grade": grade})
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["field"] == "disability_grade"


async def test_an_unknown_category_is_refused_naming_the_field(yajuyuan):
    y = yajuyuan
    resident_id = await _resident(y, date(1956, 3, 2))
    async with y.client("community_admin") as client:
        response = await client.post(f"{BASE}/elders", json={"resident_id": resident_id, "categories": ["poor"]})
        old = await client.post(f"{BASE}/elders", json={"resident_id": resident_id, "disability": "partial"})
    assert response.status_code == 400 and "categories" in response.json()["detail"]
    assert old.status_code == 400 and old.json()["field"] == "disability"  # now self_care_loss and disability_grade


async def test_the_severe_disability_grade_is_a_setting(yajuyuan):
    y = yajuyuan
    async with y.client("community_admin") as client:
        put = await client.put("/api/communities/yajuyuan/scenarios/elder_care", json={"settings": {"severe_disability_max_grade": 3}})
        assert put.status_code == 200, put.text
        resident_id = await _resident(y, date(1956, 3, 2))
        elder = (await client.post(f"{BASE}/elders", json={"resident_id": resident_id, "living_alone": False, "disability_grade": 3})).json()
        bad = await client.put("/api/communities/yajuyuan/scenarios/elder_care", json={"settings": {"severe_disability_max_grade": 5}})
    assert (elder["care_level"], elder["categories"]) == ("key", ["severe_disability"])
    assert bad.status_code == 400 and "severe_disability_max_grade" in bad.text


async def test_volunteer_visits_go_to_the_streets_elder_care_centre_by_default(yajuyuan):
    """Issue 16: a sub-district's default venue is its 综合养老服务中心 (敬老院 are the towns'); a community may name its own."""
    y = yajuyuan
    body = {"starts_at": "2026-03-07T09:00:00", "ends_at": "2026-03-07T11:00:00", "volunteers": [{"resident_id": y.residents["李娜"]["id"]}]}
    async with y.client("community_admin") as client:
        default = await client.post(f"{BASE}/nursing-home-visits", json=body)
        put = await client.put("/api/communities/yajuyuan/scenarios/elder_care", json={"settings": {"nursing_home": "雅居园社区日间照料中心"}})
        assert put.status_code == 200, put.text
        own = await client.post(f"{BASE}/nursing-home-visits", json=body)
    assert default.status_code == own.status_code == 201, default.text
    assert (default.json()["nursing_home"], own.json()["nursing_home"]) == ("街道综合养老服务中心", "雅居园社区日间照料中心")
