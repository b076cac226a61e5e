"""季度公示 by the scheduled job commerce.quarterly_statement: on the quarter's last day nothing; the first run after it
closes the quarter's open months and publishes it once; a second run, a quarter published by hand, a quarter without
entries and a community that switched it off publish nothing."""

from __future__ import annotations

from meihao.scenarios.commerce.tables import MonthClose, Statement

from .conftest import BASE, at

BODY = ("华阳社区强社公司2026年第1季度财务公开：收入10300.50元（助餐服务5200.00元；快递代收5100.50元），支出900.00元，公益投入150.00元，"
        "结余9250.50元。如有疑问，请到社区党群服务中心查阅账目。")


async def _quarter(w) -> None:
    async with w.client("community_admin") as admin:
        offer = await admin.post(f"{BASE}/offers", json={"service": "meal", "title": "长者助餐 午餐"})
        slot = await admin.post(f"{BASE}/offers/{offer.json()['id']}/slots",
                                json={"starts_at": "2026-03-03T11:00:00", "ends_at": "2026-03-03T12:00:00", "capacity": 20})
        assert (await admin.post(f"{BASE}/bookings", json={"slot_id": slot.json()["id"], "resident_id": w.residents["张伟"]["id"]})).status_code == 201
        for day, kind, amount, service in (("2026-01-31", "income", "5200", "meal"), ("2026-03-02", "income", "5100.50", "parcel"),
                                           ("2026-03-02", "cost", "900", None), ("2026-03-02", "public_good", "150", None)):
            body = {"day": day, "kind": kind, "amount_yuan": amount, **({"service": service} if service else {})}
            assert (await admin.post(f"{BASE}/ledger/entries", json=body)).status_code == 201
        assert (await admin.post(f"{BASE}/ledger/months/2026-01/close")).status_code == 200  # January closed by hand


async def _run(w, when) -> list[str]:
    """Fire the job at ``when``; the statements published so far (the run record does not keep a job's answer)."""
    run = await w.fire_job("commerce.quarterly_statement", when)
    assert run is not None and run["outcome"] == "success", run
    rows = await Statement.select(Statement.year, Statement.quarter).order_by(Statement.id)
    return [f"{r['year']}-Q{r['quarter']}" for r in rows]


async def test_the_quarters_last_day_publishes_nothing_and_the_day_after_publishes_it_once(world):
    w = world
    await _quarter(w)
    assert await _run(w, at(2026, 3, 31, 9)) == []
    assert await Statement.count() == 0 and await MonthClose.count() == 1
    assert await _run(w, at(2026, 4, 1, 9)) == ["2026-Q1"]
    closes = await MonthClose.select(MonthClose.month, MonthClose.income_fen, MonthClose.entries).order_by(MonthClose.month)
    assert [(c["month"], c["income_fen"], c["entries"]) for c in closes] == [("2026-01", 520000, 1), ("2026-02", 0, 0), ("2026-03", 510050, 3)]
    statements = await Statement.select(Statement.year, Statement.quarter, Statement.body, Statement.staff)
    assert [(s["year"], s["quarter"], s["body"], s["staff"]) for s in statements] == [(2026, 1, BODY, None)]
    assert await _run(w, at(2026, 4, 1, 10)) == ["2026-Q1"]
    assert await _run(w, at(2026, 4, 2, 9)) == ["2026-Q1"]
    assert await Statement.count() == 1
    await w.drain()
    await w.drain()
    assert [m["body"].split("\n")[1] for m in await w.inbox("张伟")] == [BODY]  # once
    assert await w.inbox("王秀英") == []
    async with w.client("community_admin") as admin:
        assert [m["body"] for m in (await admin.get("/api/me/inbox")).json()] == [BODY]
        listed = (await admin.get(f"{BASE}/statements")).json()
    assert [(s["year"], s["quarter"], s["income_fen"], s["cost_fen"], s["public_good_fen"]) for s in listed] == [(2026, 1, 1030050, 90000, 15000)]


async def test_a_quarter_published_by_hand_is_left_alone(world):
    w = world
    await _quarter(w)
    w.at(2026, 4, 1, 8)
    async with w.client("community_admin") as admin:
        for month in ("2026-02", "2026-03"):
            assert (await admin.post(f"{BASE}/ledger/months/{month}/close")).status_code == 200
        assert (await admin.post(f"{BASE}/statements", json={"year": 2026, "quarter": 1})).status_code == 201
    assert await _run(w, at(2026, 4, 1, 9)) == ["2026-Q1"]
    assert (await Statement.select(Statement.staff).first())["staff"] == w.staff["community_admin"]["id"]


async def test_nothing_without_entries_or_when_switched_off(world):
    w = world
    assert await _run(w, at(2026, 3, 2, 9, 30)) == []  # 2025 Q4 ended last and has no entries
    assert await Statement.count() == 0 and await MonthClose.count() == 0
    await _quarter(w)
    async with w.client("street_admin") as street:
        assert (await street.put("/api/communities/huayang/scenarios/commerce", json={"settings": {"auto_statement": False}})).status_code == 200
    assert await _run(w, at(2026, 4, 1, 9)) == []
    assert await Statement.count() == 0 and await MonthClose.count() == 1  # January's, by hand
