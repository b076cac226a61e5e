"""The register through the API: who may be registered (35+), one entry per condition, what each role reads, the audit of
every read, and a grid worker's answers without a single reading."""

from __future__ import annotations

import json

from meihao.access.tables import AuditLog

from .conftest import BASE, at


async def register(client, world, name: str, condition: str = "hypertension", status: int = 201) -> dict:
    response = await client.post(f"{BASE}/patients", json={"resident_id": world.residents[name]["id"], "condition": condition,
                                                           "team_id": world.team})
    assert response.status_code == status, response.text
    return response.json()


async def test_the_register_is_for_residents_of_35_and_over(world):
    # 赵小军 was born on 2 March 1991: 34 on Sunday 1 March 2026, 35 on Monday 2 March
    world.travel_to(at(2026, 3, 1, 10, 0))
    async with world.client("doctor") as doctor:
        young = await register(doctor, world, "赵小军", status=400)
        assert (young["field"], young["detail"]) == ("resident_id", "resident_id: 赵小军 is 34; the register is for residents of 35 or older "
                                                                    "(setting min_age)")
        world.travel_to(at(2026, 3, 2, 9, 0))
        patient = await register(doctor, world, "赵小军")
        assert (patient["next_due"], patient["status"], patient["condition"], patient["team_id"]) == (
            "2026-03-02", "due", "hypertension", world.team)
        again = await register(doctor, world, "赵小军", status=409)
        assert again["field"] == "resident_id"
        # the same resident may be on the register for the other condition
        assert (await register(doctor, world, "赵小军", "diabetes"))["condition"] == "diabetes"


async def test_a_first_due_day_on_a_weekend_moves_to_the_next_working_day(world):
    async with world.client("doctor") as doctor:
        response = await doctor.post(f"{BASE}/patients", json={"resident_id": world.residents["王建国"]["id"], "condition": "hypertension",
                                                               "team_id": world.team, "first_due": "2026-03-07"})
    assert response.json()["next_due"] == "2026-03-09"  # Saturday 7 March → Monday 9 March


async def test_grid_staff_see_due_overdue_referred_and_no_health_data(world):
    async with world.client("doctor") as doctor:
        wang = await register(doctor, world, "王建国")
        await doctor.post(f"{BASE}/patients/{wang['id']}/follow-ups", json={"systolic": 152, "diastolic": 96, "symptoms": "头晕",
                                                                            "medication_change": "氨氯地平加至10mg"})
        zhang = await register(doctor, world, "张伟", "diabetes")
        await doctor.post(f"{BASE}/patients/{zhang['id']}/follow-ups", json={"glucose": 16.7, "systolic": 136, "diastolic": 84})
    async with world.client("grid_worker") as worker:
        listed = await worker.get(f"{BASE}/patients")
        one = await worker.get(f"{BASE}/patients/{wang['id']}")
        visits = await worker.get(f"{BASE}/patients/{wang['id']}/follow-ups")
        board = await worker.get("/api/communities/hepan/dashboard")
        tracing = await worker.get(f"{BASE}/tracing")
    assert listed.json() == {"items": [{
        "id": wang["id"], "resident_id": world.residents["王建国"]["id"], "name": "王建国", "grid_id": world.grids["A"], "status": "due",
        "status_zh": "待随访", "next_due": "2026-03-16", "tracing_item": None, "condition": None, "condition_zh": None, "team_id": None,
        "decision": None, "uncontrolled": None}], "total": 1, "page": 1, "page_size": 50}
    assert one.json() == listed.json()["items"][0]
    assert (visits.status_code, visits.json()["detail"]) == (
        403, "health data: only the patient's doctor team and holders of health.reading.read read or record follow-ups")
    for response in (listed, one, visits, board, tracing):
        for reading in ("152", "96", "16.7", "头晕", "氨氯地平", "hypertension", "diabetes", "高血压", "糖尿病", "recheck", "emergency"):
            assert reading not in response.text, (reading, response.request.url)
    async with world.client("grid_worker_out") as other:
        referred = (await other.get(f"{BASE}/patients", params={"status": "referred"})).json()
        assert [(p["name"], p["status"], p["status_zh"], p["condition"]) for p in referred["items"]] == [("张伟", "referred", "已转诊", None)]
        assert (await other.get(f"{BASE}/patients", params={"status": "due"})).json()["total"] == 0


async def test_the_doctor_team_reads_its_patients_health_data_others_do_not(world):
    async with world.client("doctor") as doctor:
        wang = await register(doctor, world, "王建国")
        visit = await doctor.post(f"{BASE}/patients/{wang['id']}/follow-ups", json={"systolic": 139, "diastolic": 89})
        assert visit.status_code == 201, visit.text
        assert {k: visit.json()[k] for k in ("systolic", "diastolic", "glucose", "decision", "decision_zh", "next_due")} == {
            "systolic": 139, "diastolic": 89, "glucose": None, "decision": "controlled", "decision_zh": "控制满意", "next_due": "2026-05-29"}
        seen = (await doctor.get(f"{BASE}/patients/{wang['id']}")).json()
        assert (seen["condition_zh"], seen["decision"], seen["uncontrolled"]) == ("高血压", "controlled", 0)
    for who, status in (("doctor2", 403), ("community_admin", 403), ("street_admin", 200)):
        async with world.client(who) as client:
            response = await client.get(f"{BASE}/patients/{wang['id']}/follow-ups")
            assert response.status_code == status, who
            recorded = await client.post(f"{BASE}/patients/{wang['id']}/follow-ups", json={"systolic": 130, "diastolic": 80})
            assert recorded.status_code == (403 if who != "street_admin" else 201), (who, recorded.text)


async def test_every_read_of_a_record_is_audited(world):
    async with world.client("doctor") as doctor:
        wang = await register(doctor, world, "王建国")
    before = await AuditLog.count().where(AuditLog.action == "health.patient.read")
    async with world.client("grid_worker") as worker:
        await worker.get(f"{BASE}/patients/{wang['id']}")
        await worker.get(f"{BASE}/patients")
    async with world.client("doctor") as doctor:
        await doctor.get(f"{BASE}/patients/{wang['id']}/follow-ups")
    rows = await AuditLog.select(AuditLog.staff, AuditLog.target_id, AuditLog.detail).where(
        AuditLog.action == "health.patient.read").order_by(AuditLog.id)
    worker_id, doctor_id = world.staff["grid_worker"]["id"], world.staff["doctor"]["id"]
    assert [(r["staff"], r["target_id"]) for r in rows[before:]] == [(worker_id, str(wang["id"])), (worker_id, ""), (doctor_id, str(wang["id"]))]
    assert [json.loads(r["detail"]) for r in rows[before:]] == [
        {"patient_ids": [wang["id"]], "readings": []}, {"patient_ids": [wang["id"]], "readings": []},
        {"patient_ids": [wang["id"]], "readings": [wang["id"]]}]


async def test_a_patient_of_another_grid_is_the_same_404_as_a_missing_one(world):
    async with world.client("doctor") as doctor:
        wang = await register(doctor, world, "王建国")
    async with world.client("grid_worker_out") as other:
        for rest in ("", "/follow-ups"):
            hidden = await other.get(f"{BASE}/patients/{wang['id']}{rest}")
            missing = await other.get(f"{BASE}/patients/987654{rest}")
            assert (hidden.status_code, missing.status_code) == (404, 404)
            assert hidden.json()["detail"].replace(str(wang["id"]), "N") == missing.json()["detail"].replace("987654", "N") == "patient N not found"
        # nor may they register a resident of grid A
        refused = await other.post(f"{BASE}/patients", json={"resident_id": world.residents["王建国"]["id"], "condition": "hypertension",
                                                            "team_id": world.team})
        assert refused.status_code == 403  # grid workers do not register (health.patient.write)
    async with world.client("doctor2") as doctor2:
        # a team of another community is not found
        response = await doctor2.post(f"{BASE}/patients", json={"resident_id": world.residents["王建国"]["id"], "condition": "hypertension",
                                                                "team_id": 987654})
        assert (response.status_code, response.json()["field"]) == (404, "team_id")
