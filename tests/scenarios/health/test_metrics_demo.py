"""The scene's figures on the dashboard, counted by hand for a small world and scoped to the viewer; the demo data."""

from __future__ import annotations

from meihao import scenario_settings
from meihao.scenarios.health.demo import fill
from meihao.scenarios.health.tables import Contract, DoctorTeam, FollowUp, HealthCheck, Patient

from .conftest import BASE
from .test_patients import register


async def figures(client) -> dict:
    board = (await client.get("/api/communities/hepan/dashboard")).json()
    return {m["key"]: m["value"] for m in board if m["scenario"] == "health"}


async def test_the_figures_count_managed_standard_control_contracts_and_checks(world):
    w = world
    async with w.client("doctor") as doctor:
        wang = await register(doctor, w, "王建国")
        for day, sys, dia in (("2026-01-05", 130, 80), ("2026-02-02", 132, 82), ("2026-02-16", 150, 90), ("2026-03-02", 128, 80)):
            r = await doctor.post(f"{BASE}/patients/{wang['id']}/follow-ups", json={"visited_on": day, "systolic": sys, "diastolic": dia})
            assert r.status_code == 201, r.text
        zhang = await register(doctor, w, "张伟", "diabetes")
        await doctor.post(f"{BASE}/patients/{zhang['id']}/follow-ups", json={"glucose": 7.2})
        await doctor.post(f"{BASE}/contracts", json={"resident_id": w.residents["李秀兰"]["id"], "team_id": w.team,
                                                     "starts_on": "2026-03-01", "ends_on": "2027-02-28"})
        await doctor.post(f"{BASE}/checks", json={"resident_id": w.residents["李秀兰"]["id"], "items": {}})
    async with w.client("community_admin") as admin:
        # 2 patients, both seen this year; 王建国 four times (规范) and controlled last; 4 residents, 1 contract;
        # two 65+ (李秀兰, 张伟), one checked
        assert await figures(admin) == {
            "managed": 2, "standard_managed": 1, "contracts": 1, "checked_65": 1, "due_65": 1,
            "standard_rate": 0.5, "control_rate": 0.5, "contract_rate": 0.25, "check_rate": 0.5}
    async with w.client("grid_worker") as worker:
        # grid A: 王建国 the only patient; 3 residents (王建国, 李秀兰, 赵小军), 李秀兰 signed and checked
        assert await figures(worker) == {
            "managed": 1, "standard_managed": 1, "contracts": 1, "checked_65": 1, "due_65": 0,
            "standard_rate": 1.0, "control_rate": 1.0, "contract_rate": 0.3333, "check_rate": 1.0}


async def test_with_nobody_to_count_the_rates_are_left_out(world):
    async with world.client("grid_worker_out") as other:
        # grid B: 张伟, 66, no patient, no contract, no check
        assert await figures(other) == {"managed": 0, "standard_managed": 0, "contracts": 0, "checked_65": 0, "due_65": 1,
                                        "contract_rate": 0.0, "check_rate": 0.0}


async def test_the_demo_fills_a_year_of_follow_ups_contracts_and_checks(world):
    w = world
    for n in range(16):  # a few more residents of 35+ and 65+
        building = await w.factories.building(w.grids["A" if n % 2 else "B"])
        household = await w.factories.household(building["id"])
        await w.factories.resident(household["id"], name=f"居民{n}", birth_date=__import__("datetime").date(1950 + n, 5, 1))
    settings = await scenario_settings(w.mh, w.community.id, "health")
    await fill(w.mh, w.community, settings, seed=7)
    assert await DoctorTeam.count().where(DoctorTeam.community == w.community.id) == 2  # the world's and the demo's
    patients = await Patient.count().where(Patient.community == w.community.id)
    assert patients == 5  # a quarter of the 20 residents of 35+
    visits = await FollowUp.select(FollowUp.decision)
    # 2 March 2026, seed 7: about a year of follow-ups each (quarterly, sooner after an uncontrolled one)
    assert (len(visits), await Contract.count(), await HealthCheck.count()) == (32, 9, 6)
    assert {v["decision"] for v in visits} <= {"controlled", "recheck", "referral", "emergency"}
    async with w.client("community_admin") as admin:
        assert await figures(admin) == {
            "managed": 5, "standard_managed": 1, "contracts": 9, "checked_65": 6, "due_65": 7, "standard_rate": 0.25,
            "control_rate": 1.0, "contract_rate": 0.45, "check_rate": 0.4615}


async def test_three_follow_ups_are_not_standard_and_the_latest_is_by_date_not_by_entry(world):
    w = world
    async with w.client("doctor") as doctor:
        wang = await register(doctor, w, "王建国")
        # entered out of order: the March reading (uncontrolled) first, then two controlled ones of January and February
        for day, sys, dia in (("2026-03-02", 150, 90), ("2026-01-05", 130, 80), ("2026-02-02", 132, 82)):
            r = await doctor.post(f"{BASE}/patients/{wang['id']}/follow-ups", json={"visited_on": day, "systolic": sys, "diastolic": dia})
            assert r.status_code == 201, r.text
    async with w.client("community_admin") as admin:
        got = await figures(admin)
    # three of the four a year: seen, not 规范; the latest by date (2 March, 150/90) is not controlled
    assert (got["managed"], got["standard_managed"], got["standard_rate"], got["control_rate"]) == (1, 0, 0.0, 0.0)
