"""Volunteer points (积分) paid at a market stall (issue 16): spent through the kernel's public points API, at the balance's
edges (exactly enough, one short), only where the market takes points, once the day has begun, at approved stalls, for
residents in the caller's scope; the day's statement counts them."""

from __future__ import annotations

import pytest

from meihao import Principal, award_points, points_balance
from meihao.scenarios.markets.tables import PointsPayment
from meihao.volunteering.tables import PointsTransfer

P = "/api/communities/huayang/markets"
MONTHLY = {"venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "2026-03-01", "opens_at": "09:00",
           "closes_at": "11:30"}
MONEY = {"money": "contribution", "fee": "10", "beneficiary": "华阳社区困难家庭学生助学", "receiving_charity": "济阳区慈善总会"}


async def _stall(w, accepts_points: bool = True) -> tuple[dict, int, int]:
    """A market (taking points or not) with 王秀英's approved stall on its first day: (market, day id, application id)."""
    async with w.client("community_admin") as admin, w.client("grid_worker") as worker:
        market = (await admin.post(f"{P}/markets", json={**MONTHLY, **MONEY, "accepts_points": accepts_points})).json()
        day_id = market["next_days"][0]["id"]
        applied = (await worker.post(f"{P}/days/{day_id}/applications", json={"resident_id": w.residents["王秀英"]["id"], "goods": "手工皂"})).json()
        assert (await admin.post(f"{P}/applications/{applied['id']}/approve")).json()["status"] == "approved"
    return market, day_id, applied["id"]


async def _give(w, name: str, points: int) -> None:
    await award_points(w.mh, Principal.system(), w.community, w.residents[name]["id"], points, reason="志愿服务", scenario="markets")


async def _balance(w, name: str) -> int:
    return await points_balance(Principal.system(), w.residents[name]["id"])


async def test_the_market_says_whether_it_takes_points_and_may_change_it(huayang):
    market, _, _ = await _stall(huayang)
    assert market["accepts_points"] is True
    async with huayang.client("community_admin") as admin:
        changed = await admin.patch(f"{P}/markets/{market['id']}", json={"accepts_points": False})
    assert changed.json()["accepts_points"] is False


@pytest.mark.parametrize(("balance", "status", "after"), [(10, 201, 0), (9, 409, 9), (11, 201, 1)])
async def test_points_are_spent_at_the_balance_edges(huayang, balance, status, after):
    w = huayang
    _, day_id, stall = await _stall(w)
    await _give(w, "李建国", balance)
    w.at(2026, 3, 14, 9, 30)
    async with w.client("grid_worker") as worker:
        paid = await worker.post(f"{P}/applications/{stall}/points", json={"resident_id": w.residents["李建国"]["id"], "points": 10,
                                                                          "note": "两块手工皂"})
        assert paid.status_code == status, paid.text
        listed = (await worker.get(f"{P}/applications/{stall}/points")).json()
    assert await _balance(w, "李建国") == after
    spends = await PointsTransfer.select(PointsTransfer.points, PointsTransfer.scenario, PointsTransfer.reason).where(
        PointsTransfer.kind == "spend")
    if status == 409:
        assert (paid.json()["field"], paid.json()["detail"]) == ("points", f"points: the balance is {balance}, less than 10")
        assert (listed, spends, await PointsPayment.count()) == ([], [], 0)
        return
    body = paid.json()
    assert {k: body[k] for k in ("application_id", "market_day_id", "resident_id", "points", "balance", "note", "recorded_by")} == {
        "application_id": stall, "market_day_id": day_id, "resident_id": w.residents["李建国"]["id"], "points": 10, "balance": after,
        "note": "两块手工皂", "recorded_by": "陈网格"}
    assert spends == [{"points": -10, "scenario": "markets", "reason": "睦邻善市公益市集·手工皂"}]
    assert [(p["points"], p["transfer_id"]) for p in listed] == [(10, body["transfer_id"])]


async def test_the_statement_counts_the_points_paid(huayang):
    w = huayang
    _, day_id, stall = await _stall(w)
    await _give(w, "李建国", 30)
    await _give(w, "张伟", 5)
    w.at(2026, 3, 14, 9, 30)
    async with w.client("grid_worker") as worker, w.client("community_admin") as admin:
        for name, points in (("李建国", 12), ("张伟", 5)):
            assert (await worker.post(f"{P}/applications/{stall}/points", json={"resident_id": w.residents[name]["id"], "points": points})).status_code == 201
        statement = (await admin.get(f"{P}/days/{day_id}/statement")).json()
    assert (statement["points"], statement["points_payments"]) == (17, 2)
    assert statement["text"] == (
        "睦邻善市公益市集（义卖）3月14日（周六）在华阳社区党群服务中心广场举办，共1个摊位。爱心捐赠每摊10.00元，1个摊位缴纳，共10.00元；减免0个摊位。"
        "以上款项合计10.00元，由济阳区慈善总会接收，用于华阳社区困难家庭学生助学。另有2笔志愿积分支付，共17分。欢迎居民监督。")


@pytest.mark.parametrize(("points", "field"), [(0, "points"), (-1, "points"), (100001, "points")])
async def test_a_number_of_points_out_of_range_is_refused(huayang, points, field):
    w = huayang
    _, _, stall = await _stall(w)
    await _give(w, "李建国", 50)
    w.at(2026, 3, 14, 9, 30)
    async with w.client("grid_worker") as worker:
        refused = await worker.post(f"{P}/applications/{stall}/points", json={"resident_id": w.residents["李建国"]["id"], "points": points})
    assert (refused.status_code, refused.json()["field"]) == (400, field)
    assert (await _balance(w, "李建国"), await PointsPayment.count()) == (50, 0)


async def test_points_only_where_the_market_takes_them_once_the_day_has_begun(huayang):
    w = huayang
    _, _, stall = await _stall(w, accepts_points=False)
    _, _, taking = await _stall(w)
    await _give(w, "李建国", 50)
    body = {"resident_id": w.residents["李建国"]["id"], "points": 5}
    async with w.client("grid_worker") as worker:
        w.at(2026, 3, 14, 8, 59)
        early = await worker.post(f"{P}/applications/{taking}/points", json=body)
        assert (early.status_code, early.json()["detail"]) == (409, "points: points are paid once the market day has begun")
        w.at(2026, 3, 14, 9, 0)
        none = await worker.post(f"{P}/applications/{stall}/points", json=body)
        assert (none.status_code, none.json()["detail"]) == (409, "points: this market does not accept volunteer points")
        assert (await worker.post(f"{P}/applications/{taking}/points", json=body)).status_code == 201
    assert await _balance(w, "李建国") == 45


async def test_a_resident_or_a_stall_out_of_scope_is_not_found(huayang):
    w = huayang
    _, _, stall = await _stall(w)
    await _give(w, "赵丽", 50)  # grid B: not the grid worker's
    w.at(2026, 3, 14, 9, 30)
    async with w.client("grid_worker") as worker:
        hidden = await worker.post(f"{P}/applications/{stall}/points", json={"resident_id": w.residents["赵丽"]["id"], "points": 5})
        missing = await worker.post(f"{P}/applications/{stall}/points", json={"resident_id": 999999, "points": 5})
    assert (hidden.status_code, hidden.json()["field"]) == (404, "resident_id")
    assert hidden.json()["detail"].replace(str(w.residents["赵丽"]["id"]), "N") == missing.json()["detail"].replace("999999", "N")
    async with w.client("grid_worker_out") as other:  # the stall is grid A's
        assert (await other.post(f"{P}/applications/{stall}/points", json={"resident_id": w.residents["赵丽"]["id"], "points": 5})).status_code == 404
    assert (await _balance(w, "赵丽"), await PointsPayment.count()) == (50, 0)
