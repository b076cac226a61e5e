"""Kernel volunteering: hours count once verified by staff in scope; points in a double-entry ledger, never below zero."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from meihao import Conflict, Principal, award_points, points_balance, reverse_points, spend_points, volunteer_hours
from meihao.testing import SceneWorld
from meihao.volunteering.tables import PointsEntry, PointsTransfer

SH = ZoneInfo("Asia/Shanghai")


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    # 王秀英 in grid A (陈网格's), 张伟 in grid B; a grid leader of A; Monday 2 March 2026, 09:00
    return await SceneWorld.build(meihao, staff={"leader": ("grid_leader", "A", "孙网格长"), "leader_b": ("grid_leader", "B", "钱网格长")},
                                  start=datetime(2026, 3, 2, 9, 0, tzinfo=SH))


async def record(client, resident_id: int, hours: float = 2.5, status: int = 201, **extra) -> dict:
    response = await client.post(f"/api/residents/{resident_id}/volunteering/records",
                                 json={"activity": "敬老院助老服务", "hours": hours, **extra})
    assert response.status_code == status, response.text
    return response.json()


async def test_hours_count_once_verified_by_staff_in_scope(world):
    w = world
    wang = w.residents["王秀英"]["id"]
    async with w.client("grid_worker") as worker:
        service = await record(worker, wang, served_on="2026-03-01")
        assert (service["state"], service["hours"], service["served_on"], service["activity"]) == ("recorded", 2.5, "2026-03-01", "敬老院助老服务")
        assert (await record(worker, wang, hours=0, status=400))["field"] == "hours"
        assert (await record(worker, wang, hours=12.01, status=400))["detail"] == "hours: more than 0 and at most 12 hours, got 12.01"
        await record(worker, wang, hours=12)  # the limit itself
        assert (await record(worker, wang, served_on="2026-03-03", status=400))["field"] == "served_on"  # tomorrow
        # a grid worker records, but does not verify
        response = await worker.post(f"/api/volunteering/records/{service['id']}/verify", json={})
        assert response.status_code == 403
        summary = (await worker.get(f"/api/residents/{wang}/volunteering")).json()
        assert (summary["hours"], summary["points"], summary["star"]) == (0, 0, 0)
    async with w.client("leader_b") as out:
        # grid B's leader: the record of a grid A resident is the 404 of a missing record
        inside = await out.post(f"/api/volunteering/records/{service['id']}/verify", json={})
        missing = await out.post(f"/api/volunteering/records/{service['id'] + 1000}/verify", json={})
        assert (inside.status_code, inside.json()["detail"]) == (404, f"volunteer service {service['id']} not found")
        assert missing.json()["detail"] == f"volunteer service {service['id'] + 1000} not found"
        assert (await out.get(f"/api/residents/{wang}/volunteering")).status_code == 404
    async with w.client("leader") as leader:
        verified = await leader.post(f"/api/volunteering/records/{service['id']}/verify", json={})
        assert (verified.status_code, verified.json()["state"], verified.json()["verified_by"]) == (200, "verified", w.staff["leader"]["id"])
        again = await leader.post(f"/api/volunteering/records/{service['id']}/verify", json={"approve": False})
        assert (again.status_code, again.json()["detail"]) == (409, f"volunteer service {service['id']} is already verified")
        summary = (await leader.get(f"/api/residents/{wang}/volunteering")).json()
    # 2.5 hours at 1 point an hour: 2 points (whole points, rounded down)
    assert (summary["hours"], summary["hours_in_year"], summary["points"], summary["star"]) == (2.5, 2.5, 2, 0)
    assert [r["state"] for r in summary["records"]] == ["recorded", "verified"]
    assert await volunteer_hours(w.community.id, date(2026, 3, 1), date(2026, 3, 1)) == {"hours": 2.5, "volunteers": 1}
    assert await volunteer_hours(w.community.id, date(2026, 3, 2), date(2026, 3, 31)) == {"hours": 0, "volunteers": 0}


async def test_star_ratings_at_each_threshold(world):
    from meihao.volunteering.ledger import star_of

    assert [star_of(world.mh, h) for h in (99.9, 100, 299.9, 300, 600, 999, 1000, 1499.9, 1500, 5000)] == [0, 1, 1, 2, 3, 3, 4, 4, 5, 5]


async def test_points_are_spent_never_below_zero_and_reversed_once(world):
    w = world
    wang = w.residents["王秀英"]["id"]
    system = Principal.system()
    await award_points(w.mh, system, w.community, wang, 5, reason="垃圾分类督导")
    async with w.client("grid_worker") as worker:
        too_much = await worker.post(f"/api/residents/{wang}/volunteering/spend", json={"points": 6, "reason": "积分超市"})
        assert (too_much.status_code, too_much.json()["detail"]) == (409, "points: the balance is 5, less than 6")
        spent = await worker.post(f"/api/residents/{wang}/volunteering/spend", json={"points": 5, "reason": "积分超市：洗衣液"})
        assert (spent.status_code, spent.json()["balance"]) == (200, 0)
        assert (await worker.post(f"/api/residents/{wang}/volunteering/spend", json={"points": 0, "reason": "x"})).status_code == 400
    async with w.client("grid_worker_out") as out:
        response = await out.post(f"/api/residents/{wang}/volunteering/spend", json={"points": 1, "reason": "积分超市"})
        assert (response.status_code, response.json()["detail"]) == (404, f"resident {wang} not found")
    # taking back the 5 earned would leave -5: refused; reversing the spend gives them back, once
    earn = await PointsTransfer.select().where(PointsTransfer.kind == "earn").first()
    with pytest.raises(Conflict, match="the balance is 0, less than the 5 to take back"):
        await reverse_points(w.mh, system, earn["id"], reason="误记")
    spend = await PointsTransfer.select().where(PointsTransfer.kind == "spend").first()
    assert (await reverse_points(w.mh, system, spend["id"], reason="退货"))["balance"] == 5
    with pytest.raises(Conflict, match="already reversed"):
        await reverse_points(w.mh, system, spend["id"], reason="退货")
    assert await points_balance(system, wang) == 5
    # every transfer two entries summing to zero
    entries = await PointsEntry.select(PointsEntry.transfer, PointsEntry.account, PointsEntry.points).order_by(PointsEntry.id)
    assert [(e["account"], e["points"]) for e in entries] == [
        ("resident", 5), ("issued", -5), ("resident", -5), ("spent", 5), ("resident", 5), ("spent", -5)]


async def test_concurrent_spends_never_take_the_balance_below_zero(world):
    w = world
    wang = w.residents["王秀英"]["id"]
    system = Principal.system()
    await award_points(w.mh, system, w.community, wang, 10, reason="邻里节志愿")
    results = await asyncio.gather(*[spend_points(w.mh, system, w.community, wang, 3, reason="积分超市") for _ in range(6)],
                                   return_exceptions=True)
    assert sum(1 for r in results if isinstance(r, dict)) == 3
    assert sum(1 for r in results if isinstance(r, Conflict)) == 3
    assert await points_balance(system, wang) == 1
