"""Issues 15/16: an elder visit that finds a health concern and asks for a follow-up becomes a referral (转介) in health
when that scene is on in the community, through the kernel's hand-over (``meihao.hand_over``, intake ``health.referral``),
in the visit's transaction; the visit keeps the link (已转介). Health off: the visit is recorded, no referral, no error.
The concern is health data: the doctor team reads it, grid staff see "referred" only, another grid sees nothing."""

from __future__ import annotations

import pytest_asyncio

from meihao.access.tables import AuditLog
from meihao.register.community_scenarios import disable, enable
from meihao.register.tables import Department
from meihao.reminders.recipients import inbox
from meihao.scenarios.elder_care.tables import Visit
from meihao.scenarios.health.tables import Referral
from meihao.testing import drain, make_page_client

EC = "/api/communities/yajuyuan/elder_care"
HEALTH = "/api/communities/yajuyuan/health"
CONCERN = {"method": "home", "findings": {"health": {"status": "concern", "note": "头晕，自测血压偏高"}},
           "follow_up_needed": True, "follow_up_note": "请家庭医生上门看看"}


async def _doctor_team(y) -> int:
    await Department.insert(Department(code="health", name="社区卫生服务中心", kind="health"))
    y.staff["doctor"] = await y.factories.staff("dispatched", grid_id=y.grids["A"], department="health", name="刘医生")
    async with y.client("community_admin") as admin:
        team = await admin.post(f"{HEALTH}/teams", json={"name": "家医一队", "provider": "济阳街道社区卫生服务中心",
                                                         "members": [y.staff["doctor"]["id"]]})
        assert team.status_code == 201, team.text
        return team.json()["id"]


async def _elder(y, name: str = "王秀英") -> dict:
    async with y.client("community_admin") as admin:
        response = await admin.post(f"{EC}/elders", json={"resident_id": y.residents[name]["id"],
                                                          "visitor_staff_id": y.staff["grid_worker"]["id"]})
        assert response.status_code == 201, response.text
        return response.json()


@pytest_asyncio.fixture
async def both(yajuyuan):
    await enable(yajuyuan.mh, "yajuyuan", "health", {})
    yajuyuan.team = await _doctor_team(yajuyuan)
    return yajuyuan


async def test_a_health_concern_becomes_a_referral_for_the_doctor_team(both):
    y = both
    elder = await _elder(y)
    y.at(2026, 3, 5, 10, 0)
    async with y.client("grid_worker") as worker:
        visit = await worker.post(f"{EC}/elders/{elder['id']}/visits", json=CONCERN)
        assert visit.status_code == 201, visit.text
        assert visit.json()["referral"] == "health.referral:1"
        assert visit.json()["follow_up_item_id"] is not None
        listed = (await worker.get(f"{EC}/elders/{elder['id']}/visits")).json()
        assert [v["referral"] for v in listed] == ["health.referral:1"]
        # the grid worker sees that 王秀英 was referred, and nothing of why
        referrals = (await worker.get(f"{HEALTH}/referrals")).json()
    assert referrals["total"] == 1
    seen = referrals["items"][0]
    assert (seen["name"], seen["status"], seen["status_zh"], seen["source"], seen["reason"], seen["outcome"]) == (
        "王秀英", "open", "已转介", f"elder_care.visit:{visit.json()['id']}", None, None)
    assert seen["title"] == f"老人探访发现健康问题（老人档案 {elder['id']}）"

    # the doctor team reads the concern
    async with y.client("doctor") as doctor:
        mine = (await doctor.get(f"{HEALTH}/referrals?open=true")).json()["items"]
        # no patient entry, no contract: no team of her own, every team of the community may take it
        assert [(r["name"], r["reason"], r["team_id"]) for r in mine] == [("王秀英", "健康状况：头晕，自测血压偏高\n跟进事项：请家庭医生上门看看", None)]
        closed = await doctor.post(f"{HEALTH}/referrals/{mine[0]['id']}/close", json={"outcome": "已上门，建议社区卫生服务中心复测血压"})
        assert closed.status_code == 200, closed.text
        assert (closed.json()["status"], closed.json()["status_zh"]) == ("closed", "已处理")
        again = await doctor.post(f"{HEALTH}/referrals/{mine[0]['id']}/close", json={"outcome": "再次"})
        assert again.status_code == 409
    # the grid worker may not close it (health data), and another grid sees nothing of it
    async with y.client("grid_worker") as worker:
        refused = await worker.post(f"{HEALTH}/referrals/{mine[0]['id']}/close", json={"outcome": "x"})
        assert refused.status_code == 403
    async with y.client("grid_worker_out") as other:
        assert (await other.get(f"{HEALTH}/referrals")).json()["total"] == 0
        missing = await other.post(f"{HEALTH}/referrals/{mine[0]['id']}/close", json={"outcome": "x"})
        assert missing.status_code == 404

    # the team was told at once, without the concern; the hand-over is in the audit log
    await drain(y.engine)
    told = await inbox("staff", y.staff["doctor"]["id"])
    assert [m["body"] for m in told] == ["收到一条健康转介（转介单 1，来自老人探访），请及时联系居民并处理。"]
    handovers = await AuditLog.select(AuditLog.action, AuditLog.target_type, AuditLog.target_id).where(AuditLog.action == "handover")
    assert handovers == [{"action": "handover", "target_type": "health.referral", "target_id": "health.referral:1"}]

    # the elder's page says 已转介
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as page:
        shown = await page.get(f"/c/yajuyuan/elder_care/elders/{elder['id']}")
    assert shown.status_code == 200 and "已转介" in shown.text


async def test_the_referral_goes_to_the_residents_own_doctor_team(both):
    y = both
    async with y.client("doctor") as doctor:  # 王秀英 is on the register of 家医一队 for hypertension
        patient = await doctor.post(f"{HEALTH}/patients", json={"resident_id": y.residents["王秀英"]["id"], "condition": "hypertension",
                                                                "team_id": y.team})
        assert patient.status_code == 201, patient.text
    elder = await _elder(y)
    async with y.client("grid_worker") as worker:
        assert (await worker.post(f"{EC}/elders/{elder['id']}/visits", json=CONCERN)).status_code == 201
    assert await Referral.select(Referral.team, Referral.reason).run() == [
        {"team": y.team, "reason": "健康状况：头晕，自测血压偏高\n跟进事项：请家庭医生上门看看"}]


async def test_no_referral_without_a_health_concern_to_follow_up(both):
    y = both
    elder = await _elder(y)
    async with y.client("grid_worker") as worker:
        no_follow_up = {"method": "phone", "findings": {"health": {"status": "concern", "note": "咳嗽"}}}
        money = {"method": "home", "findings": {"health": {"status": "ok"}, "finances": {"status": "concern", "note": "低保待遇未到账"}},
                 "follow_up_needed": True, "follow_up_note": "联系民政"}
        for body in (no_follow_up, money):
            visit = await worker.post(f"{EC}/elders/{elder['id']}/visits", json=body)
            assert visit.status_code == 201, visit.text
            assert visit.json()["referral"] is None
    assert await Referral.count() == 0


async def test_health_off_records_the_visit_without_a_referral(yajuyuan):
    y = yajuyuan
    elder = await _elder(y)
    async with y.client("grid_worker") as worker:
        visit = await worker.post(f"{EC}/elders/{elder['id']}/visits", json=CONCERN)
        assert visit.status_code == 201, visit.text
        assert (visit.json()["referral"], visit.json()["concerns"]) == (None, 1)
        assert visit.json()["follow_up_item_id"] is not None
    assert await Referral.count() == 0
    assert await Visit.select(Visit.referral).run() == [{"referral": ""}]


async def test_health_switched_off_again_makes_no_referral(both):
    y = both
    await disable(y.mh, "yajuyuan", "health")
    elder = await _elder(y)
    async with y.client("grid_worker") as worker:
        visit = await worker.post(f"{EC}/elders/{elder['id']}/visits", json=CONCERN)
        assert visit.status_code == 201, visit.text
        assert visit.json()["referral"] is None
    assert await Referral.count() == 0


async def test_a_referral_in_the_residents_data_and_its_erasure(both):
    from meihao.scenarios.health.services import rights

    y = both
    elder = await _elder(y)
    async with y.client("grid_worker") as worker:
        assert (await worker.post(f"{EC}/elders/{elder['id']}/visits", json=CONCERN)).status_code == 201
    resident = y.residents["王秀英"]["id"]
    copy = await rights.resident_data(resident)
    assert [(r["title"], r["reason"], r["status"]) for r in copy["referrals"]] == [
        (f"老人探访发现健康问题（老人档案 {elder['id']}）", "健康状况：头晕，自测血压偏高\n跟进事项：请家庭医生上门看看", "open")]
    assert await rights.erase_resident(resident) == {"follow_up_readings": 0, "check_items": 0, "referral_texts": 1}
    assert await Referral.select(Referral.reason, Referral.status).run() == [{"reason": "", "status": "open"}]
