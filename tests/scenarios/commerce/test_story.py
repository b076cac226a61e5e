"""commerce's stories on the fake clock: a partner's contract alerted 30 days ahead (and again after a renewal), slots
booked to capacity by staff and by a resident through her link, cancellations, the reminder the day before."""

from __future__ import annotations

from .conftest import BASE, at


async def _admin_inbox(w) -> list[str]:
    async with w.client("community_admin") as admin:
        answer = await admin.get("/api/me/inbox")
        assert answer.status_code == 200, answer.text
        return [m["body"] for m in answer.json()]


async def test_a_contract_is_alerted_30_days_before_it_ends_once_and_again_after_a_renewal(world):
    w = world
    async with w.client("community_admin") as admin:
        made = await admin.post(f"{BASE}/partners", json={"name": "中国邮政济阳揽投部", "kind": "postal", "contract_starts_on": "2025-04-11",
                                                          "contract_ends_on": "2026-04-10", "contact": "王经理"})
        assert made.status_code == 201, made.text
        partner = made.json()
        assert (partner["days_left"], partner["expiring"]) == (39, False)
    # 31 days before the end: nothing; 30 days: the alert, once
    assert (await w.fire_job("commerce.contracts", at=at(2026, 3, 10, 9)))["outcome"] == "success"
    await w.drain()
    assert await _admin_inbox(w) == []
    await w.fire_job("commerce.contracts", at=at(2026, 3, 11, 9))
    await w.drain()
    alert = "合作单位“中国邮政济阳揽投部”（邮政快递）的合同将于4月10日（周五）到期（还有30天），请及时商谈续签。"
    assert await _admin_inbox(w) == [alert]
    await w.fire_job("commerce.contracts", at=at(2026, 3, 12, 9))
    await w.drain()
    assert await _admin_inbox(w) == [alert]
    async with w.client("community_admin") as admin:
        expiring = await admin.get(f"{BASE}/partners?expiring=true")
        assert [(p["name"], p["days_left"], p["expiring"]) for p in expiring.json()] == [("中国邮政济阳揽投部", 29, True)]
        renewed = await admin.put(f"{BASE}/partners/{partner['id']}/contract",
                                  json={"contract_starts_on": "2026-04-11", "contract_ends_on": "2027-04-10"})
        assert (renewed.status_code, renewed.json()["expiring"]) == (200, False)
        assert (await admin.get(f"{BASE}/partners?expiring=true")).json() == []
    await w.fire_job("commerce.contracts", at=at(2027, 3, 11, 9))
    await w.drain()
    assert await _admin_inbox(w) == ["合作单位“中国邮政济阳揽投部”（邮政快递）的合同将于4月10日（周六）到期（还有30天），请及时商谈续签。", alert]


async def _offer_with_slot(w, capacity: int, starts: str = "2026-03-04T09:00:00", ends: str = "2026-03-04T11:00:00") -> tuple[int, int]:
    async with w.client("community_admin") as admin:
        offer = await admin.post(f"{BASE}/offers", json={"service": "health_hut", "title": "健康小屋 血压血糖测量", "venue": "华阳社区健康小屋"})
        assert offer.status_code == 201, offer.text
        slot = await admin.post(f"{BASE}/offers/{offer.json()['id']}/slots", json={"starts_at": starts, "ends_at": ends, "capacity": capacity})
        assert slot.status_code == 201, slot.text
        return offer.json()["id"], slot.json()["id"]


async def test_a_slot_takes_bookings_up_to_its_capacity_and_refuses_the_next_with_409(world):
    w = world
    offer_id, slot_id = await _offer_with_slot(w, capacity=2)
    async with w.client("grid_worker") as worker:
        first = await worker.post(f"{BASE}/bookings", json={"slot_id": slot_id, "resident_id": w.residents["王秀英"]["id"]})
        assert first.status_code == 201, first.text
        assert (first.json()["name"], first.json()["status"], first.json()["by"]) == ("王*英", "booked", "staff")
        again = await worker.post(f"{BASE}/bookings", json={"slot_id": slot_id, "resident_id": w.residents["王秀英"]["id"]})
        assert (again.status_code, again.json()["detail"]) == (409, "resident_id: already booked in this slot")
        second = await worker.post(f"{BASE}/bookings", json={"slot_id": slot_id, "resident_id": w.residents["李桂兰"]["id"]})
        assert second.status_code == 201
        # 张伟 lives in grid B: out of this worker's scope, as if he did not exist
        out = await worker.post(f"{BASE}/bookings", json={"slot_id": slot_id, "resident_id": w.residents["张伟"]["id"]})
        assert out.status_code == 404
    async with w.client("community_admin") as admin:
        full = await admin.post(f"{BASE}/bookings", json={"slot_id": slot_id, "resident_id": w.residents["张伟"]["id"]})
        assert (full.status_code, full.json()["detail"]) == (409, "slot_id: this slot is full (2 of 2 places booked)")
        slots = await admin.get(f"{BASE}/offers/{offer_id}/slots")
        assert [(s["booked"], s["free"]) for s in slots.json()] == [(2, 0)]
        # a cancellation frees the place
        cancelled = await admin.post(f"{BASE}/bookings/{first.json()['id']}/cancel", json={"reason": "居民电话取消"})
        assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
        third = await admin.post(f"{BASE}/bookings", json={"slot_id": slot_id, "resident_id": w.residents["张伟"]["id"]})
        assert third.status_code == 201
        twice = await admin.post(f"{BASE}/bookings/{first.json()['id']}/cancel", json={"reason": "再取消"})
        assert (twice.status_code, twice.json()["detail"]) == (409, f"booking {first.json()['id']} is cancelled, not booked")
    # once the slot has begun: neither booking nor cancelling
    w.at(2026, 3, 4, 9)
    async with w.client("community_admin") as admin:
        late = await admin.post(f"{BASE}/bookings/{third.json()['id']}/cancel", json={"reason": "迟了"})
        assert late.status_code == 409
        begun = await admin.post(f"{BASE}/bookings", json={"slot_id": slot_id, "resident_id": w.residents["王秀英"]["id"]})
        assert (begun.status_code, begun.json()["detail"]) == (409, "slot_id: this slot is no longer open for booking")


async def test_a_resident_holds_at_most_three_open_bookings(world):
    w = world
    ids = [(await _offer_with_slot(w, 5, f"2026-03-{d:02d}T09:00:00", f"2026-03-{d:02d}T10:00:00"))[1] for d in (4, 5, 6, 9)]
    async with w.client("community_admin") as admin:
        for slot_id in ids[:3]:
            assert (await admin.post(f"{BASE}/bookings", json={"slot_id": slot_id, "resident_id": w.residents["王秀英"]["id"]})).status_code == 201
        fourth = await admin.post(f"{BASE}/bookings", json={"slot_id": ids[3], "resident_id": w.residents["王秀英"]["id"]})
        assert (fourth.status_code, fourth.json()["detail"]) == (409, "resident_id: already holds 3 open bookings (setting open_bookings_per_resident)")
    # once the first has taken place, she may book again
    w.at(2026, 3, 4, 10)
    async with w.client("community_admin") as admin:
        assert (await admin.post(f"{BASE}/bookings", json={"slot_id": ids[3], "resident_id": w.residents["王秀英"]["id"]})).status_code == 201


async def test_the_resident_is_reminded_24_hours_before_her_slot_once(world):
    w = world
    _, slot_id = await _offer_with_slot(w, 3)
    async with w.client("grid_worker") as worker:
        booked = await worker.post(f"{BASE}/bookings", json={"slot_id": slot_id, "resident_id": w.residents["王秀英"]["id"]})
        assert booked.status_code == 201
    # 24 h 15 min before: not yet; 24 h before (the quarter-hour run): the reminder; the next run: nothing more
    assert (await w.fire_job("commerce.booking_reminders", at=at(2026, 3, 3, 8, 45)))["outcome"] == "success"
    await w.drain()
    assert await w.inbox("王秀英") == []
    await w.fire_job("commerce.booking_reminders", at=at(2026, 3, 3, 9, 0))
    await w.drain()
    await w.fire_job("commerce.booking_reminders", at=at(2026, 3, 3, 9, 15))
    await w.drain()
    assert [m["body"] for m in await w.inbox("王秀英")] == [
        "尊敬的王秀英阿姨：\n您预约的“健康小屋 血压血糖测量”将于3月4日（周三）上午9点开始，地点：华阳社区健康小屋。如不能前来，请提前取消。\n"
        "——华阳社区居民委员会"]


async def test_a_cancelled_booking_is_not_reminded(world):
    w = world
    _, slot_id = await _offer_with_slot(w, 3)
    async with w.client("grid_worker") as worker:
        booked = await worker.post(f"{BASE}/bookings", json={"slot_id": slot_id, "resident_id": w.residents["王秀英"]["id"]})
        assert (await worker.post(f"{BASE}/bookings/{booked.json()['id']}/cancel", json={"reason": "住院"})).status_code == 200
    await w.fire_job("commerce.booking_reminders", at=at(2026, 3, 3, 10, 0))
    await w.drain()
    assert await w.inbox("王秀英") == []
