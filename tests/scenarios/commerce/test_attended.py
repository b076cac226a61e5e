"""到场确认: a live booking becomes served (came) or no_show from its slot's start, once, in the caller's scope; the figures count it."""

from __future__ import annotations

from .conftest import BASE, at
from .test_metrics_demo import figures


async def _slots(admin, *starts: str) -> list[int]:
    offer = (await admin.post(f"{BASE}/offers", json={"service": "health_hut", "title": "健康小屋 血压血糖测量"})).json()["id"]
    made = []
    for start in starts:
        slot = await admin.post(f"{BASE}/offers/{offer}/slots", json={"starts_at": start, "ends_at": start.replace("T09", "T10"), "capacity": 5})
        made.append(slot.json()["id"])
    return made


async def _book(admin, slot: int, resident_id: int) -> int:
    booked = await admin.post(f"{BASE}/bookings", json={"slot_id": slot, "resident_id": resident_id})
    assert booked.status_code == 201, booked.text
    return booked.json()["id"]


async def _mark(client, booking: int, came: bool):
    return await client.post(f"{BASE}/bookings/{booking}/attended", json={"came": came})


async def test_marked_from_the_slots_start_once_and_what_it_refuses(world):
    w = world
    async with w.client("community_admin") as admin:
        (slot,) = await _slots(admin, "2026-03-04T09:00:00")
        wang = await _book(admin, slot, w.residents["王秀英"]["id"])
        li = await _book(admin, slot, w.residents["李桂兰"]["id"])
        gone = await _book(admin, slot, w.residents["张伟"]["id"])
        assert (await admin.post(f"{BASE}/bookings/{gone}/cancel", json={"reason": "出差"})).status_code == 200
    w.travel_to(at(2026, 3, 4, 8, 59))
    async with w.client("grid_worker") as worker:
        early = await _mark(worker, wang, True)
        assert (early.status_code, early.json()["detail"]) == (409, "came: the slot has not begun; mark who came from its start")
        w.travel_to(at(2026, 3, 4, 9, 0))
        came = await _mark(worker, wang, True)
        assert (came.status_code, came.json()["status"], came.json()["attended_at"]) == (200, "served", "2026-03-04T01:00:00Z")
        again = await _mark(worker, wang, False)
        assert (again.status_code, again.json()["detail"]) == (409, f"booking {wang} is served, not booked")
        absent = await _mark(worker, li, False)
        assert (absent.status_code, absent.json()["status"]) == (200, "no_show")
        bad = await worker.post(f"{BASE}/bookings/{li}/attended", json={"came": "yes"})
        assert bad.status_code == 400 and "came" in bad.json()["detail"]
    async with w.client("community_admin") as admin:
        cancelled = await _mark(admin, gone, True)
        assert (cancelled.status_code, cancelled.json()["detail"]) == (409, f"booking {gone} is cancelled, not booked")
        missing = await _mark(admin, 999999, True)
        assert (missing.status_code, missing.json()["detail"]) == (404, "booking 999999 not found")


async def test_a_resident_out_of_scope_is_the_same_404_as_none(world):
    w = world
    async with w.client("community_admin") as admin:
        (slot,) = await _slots(admin, "2026-03-04T09:00:00")
        zhang = await _book(admin, slot, w.residents["张伟"]["id"])  # grid B
    w.travel_to(at(2026, 3, 4, 9, 30))
    async with w.client("grid_worker") as worker:  # grid A
        response = await _mark(worker, zhang, True)
        assert (response.status_code, response.json()["detail"]) == (404, f"booking {zhang} not found")
    async with w.client("grid_worker_out") as other:
        assert (await _mark(other, zhang, True)).status_code == 200


async def test_the_figures_count_who_came(world):
    w = world
    async with w.client("community_admin") as admin:
        march, april = await _slots(admin, "2026-03-04T09:00:00", "2026-04-01T09:00:00")
        first = await _book(admin, march, w.residents["王秀英"]["id"])
        second = await _book(admin, march, w.residents["李桂兰"]["id"])
        third = await _book(admin, march, w.residents["张伟"]["id"])
        later = await _book(admin, april, w.residents["王秀英"]["id"])
    w.travel_to(at(2026, 3, 4, 10))
    async with w.client("community_admin") as admin:
        before = await figures(admin)
        assert {k: before[k] for k in ("bookings_month", "served_month", "visits_month", "no_show_month")} == {
            "bookings_month": 3, "served_month": 0, "visits_month": 0, "no_show_month": 0}
        for booking, came in ((first, True), (second, True), (third, False)):
            assert (await _mark(admin, booking, came)).status_code == 200
        after = await figures(admin)
        assert {k: after[k] for k in ("bookings_month", "served_month", "visits_month", "no_show_month", "bookings_year", "served_year",
                                      "visits_year", "no_show_year")} == {
            "bookings_month": 3, "served_month": 2, "visits_month": 2, "no_show_month": 1,
            "bookings_year": 4, "served_year": 2, "visits_year": 2, "no_show_year": 1}
    async with w.client("grid_worker") as worker:  # grid A: 王秀英 and 李桂兰
        mine = await figures(worker)
        assert (mine["bookings_month"], mine["served_month"], mine["no_show_month"]) == (2, 2, 0)
    w.travel_to(at(2026, 4, 1, 9))
    async with w.client("community_admin") as admin:
        assert (await _mark(admin, later, True)).status_code == 200
        april_figures = await figures(admin)
        # 王秀英 came in March and in April: two visits, one person, this year
        assert (april_figures["served_month"], april_figures["visits_year"], april_figures["served_year"]) == (1, 3, 2)
