"""The scene's figures on the dashboard, counted by hand for a small world and scoped to the viewer; the demo data."""

from __future__ import annotations

from meihao import scenario_settings
from meihao.scenarios.commerce.demo import fill
from meihao.scenarios.commerce.tables import Booking, LedgerEntry, MonthClose, Offer, Partner, Slot, Statement

from .conftest import BASE


async def figures(client) -> dict:
    board = (await client.get("/api/communities/huayang/dashboard")).json()
    return {m["key"]: m["value"] for m in board if m["scenario"] == "commerce"}


async def test_bookings_people_served_income_and_public_good_this_month_and_year(world):
    w = world
    async with w.client("community_admin") as admin:
        offer = (await admin.post(f"{BASE}/offers", json={"service": "meal", "title": "长者助餐"})).json()["id"]
        slots = []
        for start in ("2026-03-03T11:00:00", "2026-03-10T11:00:00", "2026-04-07T11:00:00"):
            made = await admin.post(f"{BASE}/offers/{offer}/slots", json={"starts_at": start, "ends_at": start.replace("T11", "T12"), "capacity": 5})
            slots.append(made.json()["id"])
        # 王秀英 twice in March and once in April, 张伟 (grid B) once in March; 李桂兰's March booking cancelled
        for slot, name in ((slots[0], "王秀英"), (slots[1], "王秀英"), (slots[2], "王秀英"), (slots[0], "张伟"), (slots[1], "李桂兰")):
            booked = await admin.post(f"{BASE}/bookings", json={"slot_id": slot, "resident_id": w.residents[name]["id"]})
            assert booked.status_code == 201, booked.text
        await admin.post(f"{BASE}/bookings/{booked.json()['id']}/cancel", json={"reason": "住院"})
        for day, kind, amount, service in (("2026-01-31", "income", "5200", "meal"), ("2026-03-02", "income", "1860.50", "parcel"),
                                           ("2026-02-28", "public_good", "600", None), ("2026-03-02", "public_good", "150", None),
                                           ("2026-03-02", "cost", "900", None)):
            body = {"day": day, "kind": kind, "amount_yuan": amount, **({"service": service} if service else {})}
            assert (await admin.post(f"{BASE}/ledger/entries", json=body)).status_code == 201
        # nobody marked as come yet (test_attended.py marks them): booked, not served
        assert await figures(admin) == {
            "bookings_month": 3, "served_month": 0, "visits_month": 0, "no_show_month": 0,
            "bookings_year": 4, "served_year": 0, "visits_year": 0, "no_show_year": 0,
            "income_month": 1860.5, "public_good_month": 150.0, "income_year": 7060.5, "public_good_year": 750.0}
    async with w.client("grid_worker") as worker:
        # grid A only (王秀英); no ledger figures without commerce.ledger.read
        assert await figures(worker) == {"bookings_month": 2, "served_month": 0, "visits_month": 0, "no_show_month": 0,
                                         "bookings_year": 3, "served_year": 0, "visits_year": 0, "no_show_year": 0}


async def test_the_demo_fills_partners_a_year_of_bookings_and_a_ledger_in_the_thousands(world):
    w = world
    settings = await scenario_settings(w.mh, w.community.id, "commerce")
    await fill(w.mh, w.community, settings, seed=7)
    assert [(p["name"], p["kind"]) for p in await Partner.select(Partner.name, Partner.kind).order_by(Partner.id)] == [
        ("中国邮政济阳揽投部", "postal"), ("济阳街道社区卫生服务中心", "health"), ("好帮手家政服务有限公司", "housekeeping")]
    assert await Offer.count() == 4
    # a weekly slot per service from a year ago to three weeks ahead
    assert await Slot.count() == 221  # 56 Mondays, 55 Tuesdays, Wednesdays and Fridays
    assert await MonthClose.count() == 12
    assert await Statement.count() == 3  # 2025 Q2-Q4 closed whole (March 2025 to February 2026 are the twelve months)
    months = await MonthClose.select(MonthClose.income_fen)
    assert all(550_000 <= m["income_fen"] <= 840_000 for m in months)  # 5,500 to 8,400 yuan a month
    assert await LedgerEntry.count().where(LedgerEntry.month == "2026-03") == 0  # the 2nd of March: nothing booked yet
    assert await Booking.count() > 0
    async with w.client("community_admin") as admin:
        f = await figures(admin)
        assert (f["income_month"], f["public_good_month"]) == (0.0, 0.0)
        assert 6000 < f["income_year"] < 17000  # January and February 2026
        partners = (await admin.get(f"{BASE}/partners?expiring=true")).json()
        assert [(p["name"], p["days_left"]) for p in partners] == [("中国邮政济阳揽投部", 25)]
