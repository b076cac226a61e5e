"""便民服务: the offers (parcel collection, housekeeping, meal help, the health hut) and their time slots with capacity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from meihao import CommunityInfo, InvalidInput, NotFound, Principal, audit, fen_to_yuan, transaction, yuan_to_fen

from ..schemas import OfferIn, OfferOut, SlotIn, SlotOut
from ..tables import Booking, Offer, Slot
from .partners import partner_in

OFFER_COLUMNS = (Offer.id, Offer.service, Offer.title, Offer.partner, Offer.partner.name.as_alias("partner_name"), Offer.venue,
                 Offer.price_fen, Offer.active)


def _offer_out(row: dict[str, Any]) -> OfferOut:
    return OfferOut(id=row["id"], service=row["service"], title=row["title"], partner_id=row["partner"], partner=row["partner_name"],
                    venue=row["venue"], price_fen=row["price_fen"], price_yuan=fen_to_yuan(row["price_fen"]), active=row["active"])


def local(value: datetime, community: CommunityInfo) -> datetime:
    """A time as given: naive is the community's wall clock."""
    return value.replace(tzinfo=community.tz) if value.tzinfo is None else value


async def offer_in(community: CommunityInfo, offer_id: int, field: str = "") -> dict[str, Any]:
    row = await Offer.select(*OFFER_COLUMNS).where(Offer.id == offer_id, Offer.community == community.id).first()
    if row is None:
        raise NotFound(f"{field}: offer {offer_id} not found" if field else f"offer {offer_id} not found", field=field or None)
    return row


async def create_offer(mh: Any, principal: Principal, community: CommunityInfo, data: OfferIn) -> OfferOut:
    if data.partner_id is not None:
        await partner_in(community, data.partner_id)
    price = yuan_to_fen(data.price_yuan, "price_yuan", most_yuan=10000)
    async with transaction(mh):
        row = Offer(community=community.id, partner=data.partner_id, service=data.service, title=data.title.strip(),
                    venue=data.venue.strip(), price_fen=price)
        await row.save()
        await audit(principal, "commerce.offer.create", "commerce_offer", row.id, community_id=community.id,
                    detail={"service": data.service, "title": row.title})
    return _offer_out(await offer_in(community, row.id))


async def list_offers(community: CommunityInfo, *, active_only: bool = True) -> list[OfferOut]:
    query = Offer.select(*OFFER_COLUMNS).where(Offer.community == community.id)
    if active_only:
        query = query.where(Offer.active.eq(True))
    return [_offer_out(r) for r in await query.order_by(Offer.service).order_by(Offer.id)]


async def booked_counts(slot_ids: list[int]) -> dict[int, int]:
    if not slot_ids:
        return {}
    rows = await Booking.select(Booking.slot, Count(Booking.id).as_alias("n")).where(
        Booking.slot.is_in(slot_ids), Booking.status != "cancelled").group_by(Booking.slot)
    return {r["slot"]: r["n"] for r in rows}


def _slot_out(row: dict[str, Any], booked: int) -> SlotOut:
    return SlotOut(id=row["id"], offer_id=row["offer"], starts_at=row["starts_at"], ends_at=row["ends_at"], capacity=row["capacity"],
                   booked=booked, free=max(row["capacity"] - booked, 0), cancelled=row["cancelled"])


async def add_slot(mh: Any, principal: Principal, community: CommunityInfo, offer_id: int, data: SlotIn) -> SlotOut:
    await offer_in(community, offer_id)
    starts, ends = local(data.starts_at, community), local(data.ends_at, community)
    if ends <= starts:
        raise InvalidInput("ends_at: must be after starts_at", field="ends_at")
    if starts <= mh.clock.now():
        raise InvalidInput("starts_at: a slot is in the future", field="starts_at")
    async with transaction(mh):
        row = Slot(offer=offer_id, starts_at=starts, ends_at=ends, capacity=data.capacity)
        await row.save()
        await audit(principal, "commerce.slot.create", "commerce_slot", row.id, community_id=community.id,
                    detail={"offer_id": offer_id, "starts_at": starts.isoformat(), "capacity": data.capacity})
    found = await Slot.select().where(Slot.id == row.id).first()
    return _slot_out(found, 0)


async def list_slots(mh: Any, community: CommunityInfo, offer_id: int | None = None, *, coming_only: bool = True) -> list[SlotOut]:
    """The slots of an offer (or of every offer), soonest first; ``coming_only``: not started, not cancelled."""
    query = Slot.select().where(Slot.offer.community == community.id)
    if offer_id is not None:
        await offer_in(community, offer_id)
        query = query.where(Slot.offer == offer_id)
    if coming_only:
        query = query.where(Slot.starts_at > mh.clock.now(), Slot.cancelled.eq(False), Slot.offer.active.eq(True))
    rows = await query.order_by(Slot.starts_at).order_by(Slot.id)
    counts = await booked_counts([r["id"] for r in rows])
    return [_slot_out(r, counts.get(r["id"], 0)) for r in rows]
