"""Ages at exactly the limits: the register starts at 60 (elder_age), 高风险 high risk at 80 (high_risk_age).

Today is Monday 2 March 2026 in the test world: born 2 March 1966 is 60 today, born 3 March
1966 is 59 until tomorrow.
"""

from __future__ import annotations

from datetime import date

import pytest

BASE = "/api/communities/yajuyuan/elder_care"


async def _resident(y, name: str, birth: date) -> int:
    building = await y.factories.building(y.grids["A"])
    household = await y.factories.household(building["id"])
    return (await y.factories.resident(household["id"], name=name, birth_date=birth, phone="13912345678"))["id"]


@pytest.mark.parametrize(
    ("birth", "status", "age"),
    [(date(1966, 3, 3), 400, None), (date(1966, 3, 2), 201, 60), (date(1966, 3, 1), 201, 60), (date(1965, 3, 2), 201, 61)],
)
async def test_the_register_starts_at_exactly_elder_age(yajuyuan, birth, status, age):
    y = yajuyuan
    resident_id = await _resident(y, "钱多多", birth)
    async with y.client("community_admin") as client:
        response = await client.post(f"{BASE}/elders", json={"resident_id": resident_id})
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["detail"] == "resident_id: 钱多多 is 59; the register is for residents of 60 or older (setting elder_age)"
    else:
        assert response.json()["age"] == age


async def test_candidates_start_at_exactly_elder_age(yajuyuan):
    y = yajuyuan
    sixty = await _resident(y, "钱六十", date(1966, 3, 2))
    await _resident(y, "钱明天", date(1966, 3, 3))
    async with y.client("community_admin") as client:
        listed = (await client.get(f"{BASE}/elders/candidates")).json()
    names = {c["name"]: c["age"] for c in listed}
    assert names["钱六十"] == 60 and "钱明天" not in names
    assert sixty in {c["resident_id"] for c in listed}


@pytest.mark.parametrize(
    ("birth", "living_alone", "self_care_loss", "care_level", "interval"),
    [
        # issue 16: living alone is a national target group with a monthly visit (重点), not quarterly (一般)
        (date(1946, 3, 3), True, "none", "key", 30),  # 79, alone: not yet high risk, but monthly
        (date(1946, 3, 2), True, "none", "high_risk", 7),  # 80 today, alone: weekly
        (date(1946, 3, 2), False, "none", "key", 30),  # 80, not alone: monthly
        (date(1946, 3, 3), False, "none", "general", 91),  # 79, not alone
        (date(1946, 3, 3), False, "partial", "key", 30),  # 79, disabled
        (date(1966, 3, 2), True, "full", "high_risk", 7),  # 60, fully disabled and alone
        (date(1966, 3, 2), True, "partial", "key", 30),  # 60, partly disabled, alone
        (date(1936, 3, 2), False, "none", "key", 30),  # 90
    ],
)
async def test_care_level_at_the_high_risk_age(yajuyuan, birth, living_alone, self_care_loss, care_level, interval):
    y = yajuyuan
    resident_id = await _resident(y, "孙长者", birth)
    async with y.client("community_admin") as client:
        response = await client.post(f"{BASE}/elders", json={"resident_id": resident_id, "living_alone": living_alone,
                                                                       "self_care_loss": self_care_loss})
    assert response.status_code == 201, response.text
    elder = response.json()
    assert (elder["care_level"], elder["plan"]["interval_days"]) == (care_level, interval)
