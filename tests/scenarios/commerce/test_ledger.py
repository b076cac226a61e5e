"""The community enterprise's ledger: amounts in fen, income per service, partner and month, the month close (all or
nothing; a closed month refuses writes with 409), the quarterly public statement as a notice."""

from __future__ import annotations

import pytest

from meihao import Principal
from meihao.scenarios.commerce.services import ledger as ledger_service
from meihao.scenarios.commerce.tables import LedgerEntry, MonthClose, Statement

from .conftest import BASE


async def _partner(admin, name: str, kind: str) -> int:
    made = await admin.post(f"{BASE}/partners", json={"name": name, "kind": kind, "contract_starts_on": "2026-01-01",
                                                      "contract_ends_on": "2026-12-31"})
    assert made.status_code == 201, made.text
    return made.json()["id"]


async def _entry(admin, **body) -> dict:
    answer = await admin.post(f"{BASE}/ledger/entries", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_income_per_service_partner_and_month_in_fen(world):
    w = world
    async with w.client("community_admin") as admin:
        postal = await _partner(admin, "中国邮政济阳揽投部", "postal")
        await _entry(admin, day="2026-02-27", kind="income", amount_yuan="1860.50", service="parcel", partner_id=postal)
        await _entry(admin, day="2026-02-28", kind="income", amount_yuan="2980", service="meal")
        await _entry(admin, day="2026-02-28", kind="cost", amount_yuan="3650.00", note="工资水电")
        await _entry(admin, day="2026-02-28", kind="public_good", amount_yuan="600", note="困难老人助餐补贴")
        march = await _entry(admin, day="2026-03-02", kind="income", amount_yuan="12.5", service="parcel", partner_id=postal)
        assert (march["month"], march["amount_fen"], march["amount_yuan"]) == ("2026-03", 1250, "12.50")
        month = (await admin.get(f"{BASE}/ledger/months/2026-02")).json()
        assert (month["income_fen"], month["cost_fen"], month["public_good_fen"], month["closed"]) == (484050, 365000, 60000, False)
        assert [(x["key"], x["amount_yuan"]) for x in month["income_by_service"]] == [("meal", "2980.00"), ("parcel", "1860.50")]
        assert [(x["label"], x["amount_yuan"]) for x in month["income_by_partner"]] == [("无合作单位", "2980.00"), ("中国邮政济阳揽投部", "1860.50")]
        year = (await admin.get(f"{BASE}/ledger/years/2026")).json()
        assert [(x["key"], x["amount_fen"]) for x in year["income_by_month"][:4]] == [
            ("2026-01", 0), ("2026-02", 484050), ("2026-03", 1250), ("2026-04", 0)]
        assert year["income_fen"] == 485300


@pytest.mark.parametrize(("body", "status", "detail"), [
    ({"day": "2026-03-02", "kind": "income", "amount_yuan": "10"}, 400, "service: an income names the service it came from"),
    ({"day": "2026-03-02", "kind": "income", "amount_yuan": "0", "service": "meal"}, 400, "amount_yuan: must be more than 0"),
    ({"day": "2026-03-02", "kind": "income", "amount_yuan": "0.01", "service": "meal"}, 201, None),
    ({"day": "2026-03-02", "kind": "cost", "amount_yuan": "50000"}, 201, None),
    ({"day": "2026-03-02", "kind": "cost", "amount_yuan": "50000.01"}, 400, "amount_yuan: more than 50000 yuan"),
    ({"day": "2026-03-02", "kind": "cost", "amount_yuan": "12.345"}, 400, "amount_yuan: at most two decimals (fen)"),
    ({"day": "2026-03-02", "kind": "cost", "amount_yuan": "10", "service": "meal"}, 400, "service: only an income names a service"),
    ({"day": "2026-03-03", "kind": "cost", "amount_yuan": "10"}, 400, "day: an entry is for a day that has come"),
])
async def test_an_entry_is_checked_at_each_edge(world, body, status, detail):
    async with world.client("community_admin") as admin:
        answer = await admin.post(f"{BASE}/ledger/entries", json=body)
        assert answer.status_code == status, answer.text
        if detail:
            assert answer.json()["detail"] == detail


async def test_a_month_closes_once_it_is_over_and_then_refuses_writes_with_409(world):
    w = world
    async with w.client("community_admin") as admin:
        await _entry(admin, day="2026-02-10", kind="income", amount_yuan="1500", service="housekeeping")
        # the month being written: not over
        early = await admin.post(f"{BASE}/ledger/months/2026-03/close")
        assert (early.status_code, early.json()["detail"]) == (409, "month: 2026-03 is not over yet; close it from 2026-04-01")
        closed = await admin.post(f"{BASE}/ledger/months/2026-02/close")
        assert (closed.status_code, closed.json()["closed"], closed.json()["income_fen"]) == (200, True, 150000)
        late = await admin.post(f"{BASE}/ledger/entries", json={"day": "2026-02-28", "kind": "cost", "amount_yuan": "10"})
        assert (late.status_code, late.json()["detail"]) == (409, "day: the month 2026-02 is closed; enter it in an open month (a correction)")
        again = await admin.post(f"{BASE}/ledger/months/2026-02/close")
        assert (again.status_code, again.json()["detail"]) == (409, "month: 2026-02 is closed already")
        bad = await admin.post(f"{BASE}/ledger/months/2026-13/close")
        assert bad.status_code == 400
    # the grid worker reads no ledger
    async with w.client("grid_worker") as worker:
        assert (await worker.get(f"{BASE}/ledger/months/2026-02")).status_code == 403
    rows = await MonthClose.select(MonthClose.month, MonthClose.income_fen, MonthClose.entries)
    assert rows == [{"month": "2026-02", "income_fen": 150000, "entries": 1}]


async def test_the_close_is_all_or_nothing(world, monkeypatch):
    """A failure after the close row is written (here: the audit) leaves the month open and writable."""
    w = world
    async with w.client("community_admin") as admin:
        await _entry(admin, day="2026-02-10", kind="income", amount_yuan="1500", service="housekeeping")

    async def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledger_service, "audit", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        await ledger_service.close_month(w.mh, Principal.system(), w.community, "2026-02")
    assert await MonthClose.count() == 0
    monkeypatch.undo()
    async with w.client("community_admin") as admin:
        more = await admin.post(f"{BASE}/ledger/entries", json={"day": "2026-02-27", "kind": "cost", "amount_yuan": "200"})
        assert more.status_code == 201
        view = (await admin.get(f"{BASE}/ledger/months/2026-02")).json()
        assert (view["closed"], len(view["entries"])) == (False, 2)


async def test_the_quarterly_statement_needs_its_months_closed_and_is_published_once_as_a_notice(world):
    w = world
    async with w.client("community_admin") as admin:
        offer = await admin.post(f"{BASE}/offers", json={"service": "meal", "title": "长者助餐 午餐", "price_yuan": "12"})
        slot = await admin.post(f"{BASE}/offers/{offer.json()['id']}/slots",
                                json={"starts_at": "2026-03-03T11:00:00", "ends_at": "2026-03-03T12:00:00", "capacity": 20})
        assert (await admin.post(f"{BASE}/bookings", json={"slot_id": slot.json()["id"], "resident_id": w.residents["张伟"]["id"]})).status_code == 201
        for day, amount in (("2026-01-31", "5200"), ("2026-02-28", "4800"), ("2026-03-02", "5100.50")):
            await _entry(admin, day=day, kind="income", amount_yuan=amount, service="meal")
        await _entry(admin, day="2026-03-02", kind="cost", amount_yuan="9000")
        await _entry(admin, day="2026-03-02", kind="public_good", amount_yuan="800")
    w.at(2026, 4, 2, 10)
    async with w.client("community_admin") as admin:
        for month in ("2026-01", "2026-02"):
            assert (await admin.post(f"{BASE}/ledger/months/{month}/close")).status_code == 200
        early = await admin.post(f"{BASE}/statements", json={"year": 2026, "quarter": 1})
        assert (early.status_code, early.json()["detail"]) == (409, "quarter: close 2026-03 first")
        assert (await admin.post(f"{BASE}/ledger/months/2026-03/close")).status_code == 200
        published = await admin.post(f"{BASE}/statements", json={"year": 2026, "quarter": 1})
        assert published.status_code == 201, published.text
        body = ("华阳社区强社公司2026年第1季度财务公开：收入15100.50元（助餐服务15100.50元），支出9000.00元，公益投入800.00元，结余5300.50元。"
                "如有疑问，请到社区党群服务中心查阅账目。")
        assert published.json()["body"] == body
        twice = await admin.post(f"{BASE}/statements", json={"year": 2026, "quarter": 1})
        assert (twice.status_code, twice.json()["detail"]) == (409, "quarter: 2026 Q1 is published already")
    await w.drain()
    # the resident served in the quarter and the community's admin read it
    assert [m["body"].split("\n")[1] for m in await w.inbox("张伟")] == [body]
    assert await w.inbox("王秀英") == []
    async with w.client("community_admin") as admin:
        assert [m["body"] for m in (await admin.get("/api/me/inbox")).json()] == [body]
    assert await Statement.count() == 1
    assert await LedgerEntry.count() == 5
