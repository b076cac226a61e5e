"""health's part of a resident's data rights: the register entry, follow-ups, checks and contracts exported; the readings,
symptoms, medication and check items erased, the decisions and dates still counted."""

from __future__ import annotations

from meihao.scenarios.health.tables import FollowUp, HealthCheck

from .conftest import BASE
from .test_patients import register

REASON = "本人申请删除个人信息"


async def _story(w) -> dict:
    async with w.client("doctor") as doctor:
        patient = await register(doctor, w, "李秀兰")
        r = await doctor.post(f"{BASE}/patients/{patient['id']}/follow-ups", json={
            "systolic": 146, "diastolic": 88, "symptoms": "头晕", "medication_change": "加服氢氯噻嗪"})
        assert r.status_code == 201, r.text
        await doctor.post(f"{BASE}/checks", json={"resident_id": w.residents["李秀兰"]["id"], "items": {"心电图": "窦性心律"}})
        await doctor.post(f"{BASE}/contracts", json={"resident_id": w.residents["李秀兰"]["id"], "team_id": w.team, "starts_on": "2026-03-02",
                                                     "ends_on": "2027-03-01", "priority_groups": ["elderly", "hypertension"]})
    return patient


async def test_export_holds_the_register_entry_follow_ups_checks_and_contracts(world):
    w = world
    await _story(w)
    async with w.client("street_admin") as client:
        mine = (await client.get(f"/api/residents/{w.residents['李秀兰']['id']}/export")).json()["plugins"]["health"]
        nobody = (await client.get(f"/api/residents/{w.residents['张伟']['id']}/export")).json()["plugins"]
    assert [{k: p[k] for k in ("condition", "team", "registered_on", "next_due", "status", "active")} for p in mine["patients"]] == [
        {"condition": "hypertension", "team": "家医一队", "registered_on": "2026-03-02", "next_due": "2026-03-16", "status": "recheck",
         "active": True}]
    assert [{k: v[k] for k in ("visited_on", "systolic", "diastolic", "glucose", "symptoms", "medication_change", "decision")}
            for v in mine["follow_ups"]] == [
        {"visited_on": "2026-03-02", "systolic": 146, "diastolic": 88, "glucose": None, "symptoms": "头晕", "medication_change": "加服氢氯噻嗪",
         "decision": "recheck"}]
    assert mine["checks"] == [{"year": 2026, "checked_on": "2026-03-02", "items": {"心电图": "窦性心律"}}]
    assert mine["contracts"] == [{"team": "家医一队", "starts_on": "2026-03-02", "ends_on": "2027-03-01", "packages": ["basic"],
                                  "priority_groups": ["elderly", "hypertension"], "status": "active"}]
    assert "health" not in nobody


async def test_erasure_blanks_readings_and_items_and_keeps_the_visits_counted(world):
    w = world
    patient = await _story(w)
    async with w.client("street_admin") as client:
        done = await client.post(f"/api/residents/{w.residents['李秀兰']['id']}/erase", json={"reason": REASON})
        assert done.status_code == 200, done.text
        assert done.json()["erased"]["health"] == {"follow_up_readings": 1, "check_items": 1}
        visits = (await client.get(f"{BASE}/patients/{patient['id']}/follow-ups")).json()
    assert [(v["systolic"], v["diastolic"], v["symptoms"], v["medication_change"], v["decision"], v["next_due"]) for v in visits] == [
        (None, None, "", "", "recheck", "2026-03-16")]
    assert await FollowUp.count() == 1 and (await HealthCheck.select(HealthCheck.items).first()) == {"items": "{}"}
