"""The full story on the fake clock: a first uncontrolled visit, the two-week recheck missed, a tracing task for the grid
worker ("请提醒王先生去看医生", no readings) the working day after, the referral on the second uncontrolled visit, the
doctor team told, the routine quarter after a controlled visit."""

from __future__ import annotations

from meihao.reminders.recipients import inbox

from .conftest import BASE, at
from .test_patients import register


async def test_a_missed_recheck_becomes_a_tracing_task_and_two_uncontrolled_visits_refer(world):
    w = world
    worker, doctor = w.staff["grid_worker"]["id"], w.staff["doctor"]["id"]
    async with w.client("doctor") as client:
        wang = await register(client, w, "王建国")
        # Monday 2 March: 150/85, the first uncontrolled → recheck within 2 weeks, Monday 16 March
        first = (await client.post(f"{BASE}/patients/{wang['id']}/follow-ups", json={"systolic": 150, "diastolic": 85})).json()
        assert (first["decision"], first["next_due"]) == ("recheck", "2026-03-16")

    # Monday 16 March, the due day itself: not missed yet
    run = await w.fire_job("health.trace_missed", at=at(2026, 3, 16, 8, 30))
    assert run["outcome"] == "success"
    async with w.client("grid_worker") as client:
        assert (await client.get(f"{BASE}/tracing")).json() == []
    # Tuesday 17 March, one working day behind: a tracing task for the grid worker of grid A, once
    await w.fire_job("health.trace_missed", at=at(2026, 3, 17, 8, 30))
    await w.fire_job("health.trace_missed", at=at(2026, 3, 18, 8, 30))
    await w.drain()
    async with w.client("grid_worker") as client:
        tasks = (await client.get(f"{BASE}/tracing")).json()
        assert [(t["title"], t["state_zh"], t["patient_id"], t["assignee"], t["flag"], t["due_at"]) for t in tasks] == [
            ("请提醒王先生去看医生", "待提醒", wang["id"], worker, "green", "2026-03-20T09:30:00Z")]  # 3 working days, Friday 17:30
        listed = (await client.get(f"{BASE}/patients", params={"status": "overdue"})).json()
        assert [(p["name"], p["status_zh"], p["tracing_item"]) for p in listed["items"]] == [("王建国", "已逾期", tasks[0]["id"])]
    told = await inbox("staff", worker)
    assert [m["body"] for m in told] == [
        "请提醒王先生去看医生：应于3月16日（周一）随访，尚未随访。请联系本人或家属，提醒尽快到社区卫生服务站随访。"]
    assert "150" not in told[0]["body"] and "高血压" not in told[0]["body"]
    async with w.client("grid_worker_out") as other:  # grid B's worker has nothing to do with it
        assert (await other.get(f"{BASE}/tracing")).json() == []
        refused = await other.post(f"{BASE}/tracing/{tasks[0]['id']}/reminded", json={"note": "电话提醒"})
        missing = await other.post(f"{BASE}/tracing/987654/reminded", json={"note": "电话提醒"})
        assert (refused.status_code, missing.status_code) == (404, 404)
        assert refused.json()["detail"].replace(str(tasks[0]["id"]), "N") == missing.json()["detail"].replace("987654", "N")
    async with w.client("grid_worker") as client:
        w.travel_to(at(2026, 3, 18, 10, 0))
        done = await client.post(f"{BASE}/tracing/{tasks[0]['id']}/reminded", json={"note": "电话提醒，本人答应周四去"})
        assert (done.status_code, done.json()["state_zh"], done.json()["flag"]) == (200, "已提醒", "met")

    # Thursday 19 March: 152/88 again, the second uncontrolled in a row → referral, followed up within 2 weeks
    w.travel_to(at(2026, 3, 19, 9, 0))
    async with w.client("doctor") as client:
        second = (await client.post(f"{BASE}/patients/{wang['id']}/follow-ups", json={"systolic": 152, "diastolic": 88})).json()
        assert (second["decision"], second["decision_zh"], second["next_due"]) == ("referral", "转诊", "2026-04-02")
    await w.drain()
    assert [m["body"] for m in await inbox("staff", doctor)] == [
        f"慢病管理对象（档案 {wang['id']}）随访结果为转诊，请及时办理转诊，并于4月2日（周四）前随访。"]
    async with w.client("grid_worker") as client:
        assert (await client.get(f"{BASE}/tracing")).json() == []  # the visit closed the task
        closed = (await client.get(f"{BASE}/tracing", params={"open": "false"})).json()
        assert [t["state_zh"] for t in closed] == ["已随访"]
        seen = (await client.get(f"{BASE}/patients/{wang['id']}")).json()
        assert (seen["status"], seen["status_zh"], seen["next_due"], seen["tracing_item"]) == ("referred", "已转诊", "2026-04-02", None)

    # Thursday 2 April: 132/82, controlled → the routine quarter: 1 July (Wednesday)
    w.travel_to(at(2026, 4, 2, 9, 0))
    async with w.client("doctor") as client:
        third = (await client.post(f"{BASE}/patients/{wang['id']}/follow-ups", json={"systolic": 132, "diastolic": 82})).json()
        assert (third["decision"], third["next_due"]) == ("controlled", "2026-07-01")
        history = (await client.get(f"{BASE}/patients/{wang['id']}/follow-ups")).json()
        assert [(h["visited_on"], h["systolic"], h["diastolic"], h["decision"]) for h in history] == [
            ("2026-04-02", 132, 82, "controlled"), ("2026-03-19", 152, 88, "referral"), ("2026-03-02", 150, 85, "recheck")]
        seen = (await client.get(f"{BASE}/patients/{wang['id']}")).json()
        assert (seen["status"], seen["decision"], seen["uncontrolled"]) == ("due", "controlled", 0)
    # nothing more to trace
    await w.fire_job("health.trace_missed", at=at(2026, 4, 3, 8, 30))
    async with w.client("grid_worker") as client:
        assert (await client.get(f"{BASE}/tracing")).json() == []


async def test_an_emergency_value_flags_an_immediate_referral(world):
    w = world
    async with w.client("doctor") as client:
        zhang = await register(client, w, "张伟", "diabetes")
        low = (await client.post(f"{BASE}/patients/{zhang['id']}/follow-ups", json={"glucose": 3.9})).json()
        assert (low["decision"], low["decision_zh"], low["next_due"]) == ("emergency", "紧急转诊", "2026-03-16")
    await w.drain()
    assert [m["body"] for m in await inbox("staff", w.staff["doctor"]["id"])] == [
        f"慢病管理对象（档案 {zhang['id']}）随访结果为紧急转诊，请及时办理转诊，并于3月16日（周一）前随访。"]
