"""The commerce scenario in the access matrix (tests/access/test_matrix.py): its world and its routes.

Each community has a partner, an offer with a slot on 5 October 2030 and another on the 6th, a shop of the alliance in the first place's
grid, and January to March 2025 closed (so that the first quarter can be published). Each place's resident holds a
booking of that slot, and each place's grid a complaint already handed to governance (so the hand-over answers 409
wherever the caller reaches it, whether or not governance takes hand-overs: its rows are written out in the
``# --- commerce (helper) ---`` block of test_matrix.py). Builders use the place's own community: another community
meets the kernel's 403, another grid the plugin's 404, the same as a record that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meihao import Principal
from meihao.scenarios.commerce.schemas import BookingIn, OfferIn, PartnerIn, ShopIn, SlotIn
from meihao.scenarios.commerce.services import alliance, bookings, offers, partners
from meihao.scenarios.commerce.tables import (
    Booking,
    Complaint,
    Discount,
    LedgerEntry,
    MonthClose,
    Offer,
    Partner,
    Shop,
    Slot,
    Statement,
)

CM = "/api/communities/{slug}/commerce"
TABLES = (Partner, Offer, Slot, Booking, LedgerEntry, MonthClose, Statement, Shop, Discount, Complaint)


def _cm(w: Any, p: str, rest: str) -> str:
    return f"/api/communities/{w.slugs[p]}/commerce{rest}"


async def populate(mh: Any, world: Any, places: tuple[str, ...]) -> None:
    from datetime import date

    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import enable

    system = Principal.system()
    for slug in ("alpha", "beta"):
        await enable(mh, slug, "commerce", {})
        community = await get_community(slug)
        partner = await partners.create_partner(mh, system, community, PartnerIn(
            name=f"{slug}邮政", kind="postal", contract_starts_on=date(2026, 1, 1), contract_ends_on=date(2030, 12, 31)))
        offer = await offers.create_offer(mh, system, community, OfferIn(service="parcel", title="快递代收", partner_id=partner.id))
        slot = await offers.add_slot(mh, system, community, offer.id, SlotIn(
            starts_at=datetime(2030, 10, 5, 9), ends_at=datetime(2030, 10, 5, 11), capacity=30))
        free = await offers.add_slot(mh, system, community, offer.id, SlotIn(
            starts_at=datetime(2030, 10, 6, 9), ends_at=datetime(2030, 10, 6, 11), capacity=30))
        mine = [p for p in places if world.slugs[p] == slug]
        shop = await alliance.create_shop(mh, system, community, ShopIn(name=f"{slug}便民超市", grid_id=world.places[mine[0]]["grid_id"]))
        for month in ("2025-01", "2025-02", "2025-03"):
            await MonthClose.insert(MonthClose(community=community.id, month=month))
        for place in mine:
            ids = world.places[place]
            ids.update(cm_partner_id=partner.id, cm_offer_id=offer.id, cm_slot_id=slot.id, cm_free_slot_id=free.id, cm_shop_id=shop.id)
            booking = await bookings.book(mh, system, community, BookingIn(slot_id=slot.id, resident_id=ids["resident_id"]))
            ids["cm_booking_id"] = booking.id
            complaint = Complaint(community=community.id, grid=ids["grid_id"], shop=shop.id, category="noise", text="夜间噪音",
                                  status="handed_over", handed_to="governance.event:1")
            await complaint.save()
            ids["cm_complaint_id"] = complaint.id


def _path(key: str, rest: str = "", body: Any = None) -> Any:
    return lambda w, p: (_cm(w, p, rest.format(id=w.places[p][key])), body)


RECORD_ROUTES: dict[tuple[str, str], Any] = {
    # the place's resident, in the slot she has not booked
    ("POST", f"{CM}/bookings"): lambda w, p: (_cm(w, p, "/bookings"), {"slot_id": w.places[p]["cm_free_slot_id"],
                                                                       "resident_id": w.places[p]["resident_id"]}),
    ("POST", f"{CM}/bookings/{{booking_id}}/cancel"): _path("cm_booking_id", "/bookings/{id}/cancel", {"reason": "居民电话取消"}),
    ("POST", f"{CM}/complaints"): lambda w, p: (_cm(w, p, "/complaints"), {"shop_id": w.places[p]["cm_shop_id"], "category": "fumes",
                                                                           "text": "油烟大", "grid_id": w.places[p]["grid_id"]}),
}

# A record of another grid answers exactly as one that does not exist.
MISSING_ROUTES: dict[tuple[str, str], Any] = {
    ("POST", f"{CM}/bookings/{{booking_id}}/cancel"): lambda w, p: (_cm(w, p, "/bookings/987654/cancel"), {"reason": "居民电话取消"}),
}

COMMUNITY_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{CM}/partners"): lambda w, p: (_cm(w, p, "/partners"), None),
    ("POST", f"{CM}/partners"): lambda w, p: (_cm(w, p, "/partners"), {"name": "家政公司", "kind": "housekeeping",
                                                                       "contract_starts_on": "2026-01-01", "contract_ends_on": "2026-12-31"}),
    ("PUT", f"{CM}/partners/{{partner_id}}/contract"): _path("cm_partner_id", "/partners/{id}/contract", {
        "contract_starts_on": "2031-01-01", "contract_ends_on": "2031-12-31"}),
    ("GET", f"{CM}/offers"): lambda w, p: (_cm(w, p, "/offers"), None),
    ("POST", f"{CM}/offers"): lambda w, p: (_cm(w, p, "/offers"), {"service": "meal", "title": "长者助餐", "price_yuan": "12"}),
    ("GET", f"{CM}/offers/{{offer_id}}/slots"): _path("cm_offer_id", "/offers/{id}/slots"),
    ("POST", f"{CM}/offers/{{offer_id}}/slots"): _path("cm_offer_id", "/offers/{id}/slots", {
        "starts_at": "2030-10-12T09:00:00", "ends_at": "2030-10-12T11:00:00", "capacity": 10}),
    ("GET", f"{CM}/bookings"): lambda w, p: (_cm(w, p, "/bookings"), None),
    ("GET", f"{CM}/ledger/months/{{month}}"): lambda w, p: (_cm(w, p, "/ledger/months/2025-02"), None),
    ("GET", f"{CM}/ledger/years/{{year}}"): lambda w, p: (_cm(w, p, "/ledger/years/2025"), None),
    ("POST", f"{CM}/ledger/entries"): lambda w, p: (_cm(w, p, "/ledger/entries"), {
        "day": "2025-06-15", "kind": "income", "amount_yuan": "1860.50", "service": "parcel"}),
    ("POST", f"{CM}/ledger/months/{{month}}/close"): lambda w, p: (_cm(w, p, "/ledger/months/2025-06/close"), None),
    ("GET", f"{CM}/statements"): lambda w, p: (_cm(w, p, "/statements"), None),
    ("POST", f"{CM}/statements"): lambda w, p: (_cm(w, p, "/statements"), {"year": 2025, "quarter": 1}),
    ("GET", f"{CM}/shops"): lambda w, p: (_cm(w, p, "/shops"), None),
    ("POST", f"{CM}/shops"): lambda w, p: (_cm(w, p, "/shops"), {"name": "小刘水果店"}),
    ("POST", f"{CM}/shops/{{shop_id}}/discounts"): _path("cm_shop_id", "/shops/{id}/discounts", {"description": "居民9折"}),
    ("GET", f"{CM}/discounts"): lambda w, p: (_cm(w, p, "/discounts"), None),
    ("GET", f"{CM}/complaints"): lambda w, p: (_cm(w, p, "/complaints"), None),
}
