"""Bookings under concurrent requests: ten residents ask for the last places of one slot at once (real concurrent
transactions, asyncio.gather over the service, each on its own connection), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime

from meihao import Conflict, Principal
from meihao.scenarios.commerce.schemas import BookingIn, OfferIn, SlotIn
from meihao.scenarios.commerce.services import bookings, offers
from meihao.scenarios.commerce.tables import Booking

SYSTEM = Principal.system()


async def _outcome(coroutine) -> str:
    try:
        return (await coroutine).status
    except Conflict as err:
        return "full" if "full" in err.message else err.message


async def test_ten_bookings_at_once_for_three_places_book_exactly_three(world):
    w = world
    offer = await offers.create_offer(w.mh, SYSTEM, w.community, OfferIn(service="housekeeping", title="家政保洁（2小时）", price_yuan="60"))
    slot = await offers.add_slot(w.mh, SYSTEM, w.community, offer.id, SlotIn(starts_at=datetime(2026, 3, 6, 14), ends_at=datetime(2026, 3, 6, 16),
                                                                         capacity=3))
    building = await w.factories.building(w.grids["A"])
    people = []
    for n in range(10):
        household = await w.factories.household(building["id"])
        people.append((await w.factories.resident(household["id"], name=f"居民{n}"))["id"])
    outcomes = await asyncio.gather(*[
        _outcome(bookings.book(w.mh, SYSTEM, w.community, BookingIn(slot_id=slot.id, resident_id=r))) for r in people])
    assert sorted(outcomes) == ["booked"] * 3 + ["full"] * 7
    assert await Booking.count().where(Booking.slot == slot.id, Booking.status == "booked") == 3


async def test_one_resident_asking_five_times_at_once_books_once(world):
    w = world
    offer = await offers.create_offer(w.mh, SYSTEM, w.community, OfferIn(service="parcel", title="快递代收代寄"))
    slot = await offers.add_slot(w.mh, SYSTEM, w.community, offer.id, SlotIn(starts_at=datetime(2026, 3, 6, 9), ends_at=datetime(2026, 3, 6, 11),
                                                                         capacity=30))
    resident = w.residents["王秀英"]["id"]
    outcomes = await asyncio.gather(*[
        _outcome(bookings.book(w.mh, SYSTEM, w.community, BookingIn(slot_id=slot.id, resident_id=resident))) for _ in range(5)])
    assert sorted(outcomes) == ["booked"] + ["resident_id: already booked in this slot"] * 4
