"""The yearly check of residents 65+ (the campaign's audience: 65+ not checked this year) and family-doctor contracts
(one team at a time, at least a year, renewal reminders 30 days before the end)."""

from __future__ import annotations

import json
from datetime import date

from meihao.access.tables import AuditLog
from meihao.reminders.recipients import inbox
from meihao.scenarios.health.services.checks import due_select

from .conftest import BASE, at


async def test_the_65_plus_still_due_this_year_and_their_checks(world):
    w = world
    # 钱桂英 was born on 3 March 1961: 64 on Monday 2 March 2026, 65 on Tuesday 3 March
    grid_a = await w.factories.building(w.grids["A"])
    household = await w.factories.household(grid_a["id"])
    qian = await w.factories.resident(household["id"], name="钱桂英", birth_date=date(1961, 3, 3))
    async with w.client("grid_worker") as worker:
        due = (await worker.get(f"{BASE}/checks/due")).json()
        assert [(d["name"], d["age"]) for d in due] == [("李秀兰", 67)]  # 张伟 is in grid B
    async with w.client("community_admin") as admin:
        assert [(d["name"], d["age"]) for d in (await admin.get(f"{BASE}/checks/due")).json()] == [("李秀兰", 67), ("张伟", 66)]  # oldest first
    w.travel_to(at(2026, 3, 3, 9, 0))
    async with w.client("community_admin") as admin:
        assert [d["name"] for d in (await admin.get(f"{BASE}/checks/due")).json()] == ["李秀兰", "张伟", "钱桂英"]
    rows = await due_select(w.community.id, date(2026, 3, 3), 65)
    assert sorted(r["id"] for r in rows) == sorted([w.residents["张伟"]["id"], w.residents["李秀兰"]["id"], qian["id"]])
    items = {"生活自理能力评估": "可自理", "血压": "148/90", "空腹血糖": "6.1"}
    async with w.client("doctor") as doctor:
        young = await doctor.post(f"{BASE}/checks", json={"resident_id": w.residents["王建国"]["id"], "items": items})
        assert (young.status_code, young.json()["field"]) == (400, "resident_id")
        check = await doctor.post(f"{BASE}/checks", json={"resident_id": w.residents["李秀兰"]["id"], "items": items})
        assert check.status_code == 201, check.text
        assert check.json()["items"] == items and check.json()["year"] == 2026
        twice = await doctor.post(f"{BASE}/checks", json={"resident_id": w.residents["李秀兰"]["id"], "items": items})
        assert twice.status_code == 409
        assert (await doctor.get(f"{BASE}/checks/{check.json()['id']}")).json()["items"] == items
    async with w.client("grid_worker") as worker:
        assert [d["name"] for d in (await worker.get(f"{BASE}/checks/due")).json()] == ["钱桂英"]
        seen = await worker.get(f"{BASE}/checks/{check.json()['id']}")
        assert (seen.status_code, seen.json()["items"]) == (200, None)
        assert "148" not in seen.text
    async with w.client("grid_worker_out") as other:
        hidden = await other.get(f"{BASE}/checks/{check.json()['id']}")
        missing = await other.get(f"{BASE}/checks/987654")
        assert hidden.json()["detail"].replace(str(check.json()["id"]), "N") == missing.json()["detail"].replace("987654", "N")
        assert (hidden.status_code, missing.status_code) == (404, 404)
    # next year everyone is due again
    w.travel_to(at(2027, 1, 4, 9, 0))
    async with w.client("grid_worker") as worker:
        assert [d["name"] for d in (await worker.get(f"{BASE}/checks/due")).json()] == ["李秀兰", "钱桂英"]


async def sign(client, w, name: str, starts: str, ends: str, status: int = 201, **more) -> dict:
    response = await client.post(f"{BASE}/contracts", json={"resident_id": w.residents[name]["id"], "team_id": w.team,
                                                            "starts_on": starts, "ends_on": ends, **more})
    assert response.status_code == status, response.text
    return response.json()


async def test_a_contract_runs_at_least_a_year_with_one_team_at_a_time(world):
    w = world
    async with w.client("doctor") as doctor:
        short = await sign(doctor, w, "李秀兰", "2026-03-02", "2027-02-28", status=400)  # 364 days
        assert (short["field"], short["detail"]) == ("ends_on", "ends_on: a contract runs at least 365 days (setting contract_min_days), "
                                                                "this one 364")
        contract = await sign(doctor, w, "李秀兰", "2026-03-02", "2027-03-01", packages=["basic", "chronic"],
                              priority_groups=["elderly", "hypertension"])
        assert (contract["packages"], contract["priority_groups"], contract["status"]) == (
            ["basic", "chronic"], ["elderly", "hypertension"], "active")
        overlap = await sign(doctor, w, "李秀兰", "2027-03-01", "2028-02-29", status=409)
        assert overlap["field"] == "resident_id"
        renewal = await sign(doctor, w, "李秀兰", "2027-03-02", "2028-03-01")
        assert renewal["starts_on"] == "2027-03-02"
        no_basic = await sign(doctor, w, "王建国", "2026-03-02", "2027-03-01", status=400, packages=["chronic"])
        assert no_basic["field"] == "packages"
    async with w.client("grid_worker") as worker:
        listed = (await worker.get(f"{BASE}/contracts")).json()
        # grid staff see who signed and until when, not the packages or groups (they can name a disease)
        assert [(c["name"], c["ends_on"], c["packages"], c["priority_groups"]) for c in listed] == [
            ("李秀兰", "2027-03-01", None, None), ("李秀兰", "2028-03-01", None, None)]
        assert (await worker.post(f"{BASE}/contracts", json={})).status_code == 403


async def test_renewal_reminders_thirty_days_before_the_end_once(world):
    w = world
    async with w.client("doctor") as doctor:
        # signed a year ago: 李秀兰's ends on 1 April 2026 (30 days after 2 March), 王建国's on 2 April (31 days)
        await sign(doctor, w, "李秀兰", "2025-04-02", "2026-04-01")
        await sign(doctor, w, "王建国", "2025-04-03", "2026-04-02")
    await w.fire_job("health.renewals", at=at(2026, 3, 2, 9, 0))
    await w.drain()
    assert [m["body"] for m in await w.inbox("李秀兰")] == [
        "尊敬的李秀兰阿姨：\n您的家庭医生签约服务将于4月1日（周三）到期，请及时与签约团队联系续约。\n——荷畔社区居民委员会"]
    assert await w.inbox("王建国") == []
    await w.fire_job("health.renewals", at=at(2026, 3, 3, 9, 0))
    await w.drain()
    assert len(await w.inbox("李秀兰")) == 1  # once
    assert len(await w.inbox("王建国")) == 1
    assert len(await inbox("staff", w.staff["doctor"]["id"])) == 2  # the team, for each
    # after the end the contract is ended and no longer listed
    await w.fire_job("health.renewals", at=at(2026, 4, 2, 9, 0))
    async with w.client("doctor") as doctor:
        assert [c["name"] for c in (await doctor.get(f"{BASE}/contracts")).json()] == ["王建国"]
        assert [(c["name"], c["status"]) for c in (await doctor.get(f"{BASE}/contracts", params={"active": "false"})).json()] == [
            ("李秀兰", "ended"), ("王建国", "active")]


async def test_a_renewed_contract_is_not_reminded(world):
    w = world
    async with w.client("doctor") as doctor:
        await sign(doctor, w, "李秀兰", "2025-04-02", "2026-04-01")
        await sign(doctor, w, "李秀兰", "2026-04-02", "2027-04-01")
    await w.fire_job("health.renewals", at=at(2026, 3, 2, 9, 0))
    await w.drain()
    assert await w.inbox("李秀兰") == []


async def test_a_contract_ends_early_within_its_days_once_with_a_reason_audited(world):
    w = world
    async with w.client("doctor") as doctor:
        contract = await sign(doctor, w, "李秀兰", "2026-03-02", "2027-03-01")
        zhang = await sign(doctor, w, "张伟", "2026-03-02", "2027-03-01")
        path = f"{BASE}/contracts/{contract['id']}/end"
        no_reason = await doctor.post(path, json={"reason": "  "})
        assert (no_reason.status_code, no_reason.json()["field"]) == (400, "reason")
        assert (await doctor.post(path, json={})).status_code == 400
        before = await doctor.post(path, json={"reason": "迁出", "ends_on": "2026-03-01"})  # the day before it starts
        assert (before.status_code, before.json()["detail"]) == (400, "ends_on: not before the contract starts (2026-03-02)")
        after = await doctor.post(path, json={"reason": "迁出", "ends_on": "2027-03-02"})  # the day after its end
        assert (after.status_code, after.json()["detail"]) == (400, "ends_on: not after the contract's end (2027-03-01)")
        ended = await doctor.post(path, json={"reason": "迁出本社区"})  # today: Monday 2 March 2026, its first day
        assert ended.status_code == 200, ended.text
        assert (ended.json()["status"], ended.json()["ends_on"], ended.json()["packages"]) == ("ended", "2026-03-02", ["basic"])
        again = await doctor.post(path, json={"reason": "迁出本社区"})
        assert (again.status_code, again.json()["detail"]) == (409, f"contract {contract['id']} has ended already")
        # the resident may sign again from the next day
        assert (await sign(doctor, w, "李秀兰", "2026-03-03", "2027-03-02"))["status"] == "active"
    rows = await AuditLog.select(AuditLog.detail).where(AuditLog.action == "health.contract.end")
    assert [json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"] for r in rows] == [
        {"resident_id": w.residents["李秀兰"]["id"], "ends_on": "2026-03-02", "reason": "迁出本社区"}]
    async with w.client("grid_worker") as worker:  # no health.contract.manage
        assert (await worker.post(f"{BASE}/contracts/{zhang['id']}/end", json={"reason": "迁出"})).status_code == 403
    async with w.client("doctor2") as other:  # grid A only: 张伟 (grid B) is the same 404 as a missing contract
        hidden = await other.post(f"{BASE}/contracts/{zhang['id']}/end", json={"reason": "迁出"})
        missing = await other.post(f"{BASE}/contracts/987654/end", json={"reason": "迁出"})
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"].replace(str(zhang["id"]), "N") == missing.json()["detail"].replace("987654", "N")
