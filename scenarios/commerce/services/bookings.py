"""预约: residents' bookings of a slot (by staff, or by the resident through her link), cancellations and reminders.

Every booking and cancellation in a community takes the lock ``("commerce.booking", community id)``: the capacity of
a slot and the open bookings of a resident are counted and written inside it, so concurrent requests never pass them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    NotFound,
    NoticeIn,
    Principal,
    audit,
    notify,
    scope_where,
    scoped_resident,
    transaction,
    zh_when,
)

from ..schemas import BookingIn, BookingOut
from ..tables import Booking, Slot
from .common import SCENARIO, mask_name, settings_of

COLUMNS = (Booking.id, Booking.slot, Booking.slot.offer.as_alias("offer_id"), Booking.slot.offer.title.as_alias("offer"),
           Booking.slot.offer.service.as_alias("service"), Booking.slot.starts_at.as_alias("starts_at"),
           Booking.slot.ends_at.as_alias("ends_at"), Booking.resident, Booking.resident.name.as_alias("name"), Booking.status, Booking.by,
           Booking.note, Booking.cancel_reason, Booking.attended_at)


def _out(row: dict[str, Any]) -> BookingOut:
    return BookingOut(id=row["id"], slot_id=row["slot"], offer_id=row["offer_id"], offer=row["offer"], service=row["service"],
                      starts_at=row["starts_at"], ends_at=row["ends_at"], resident_id=row["resident"], name=mask_name(row["name"]),
                      status=row["status"], by=row["by"], note=row["note"], cancel_reason=row["cancel_reason"],
                      attended_at=row["attended_at"])


def lock(community: CommunityInfo) -> tuple[str, str]:
    return ("commerce.booking", str(community.id))


async def _slot(community: CommunityInfo, slot_id: int) -> dict[str, Any]:
    row = await Slot.select(Slot.id, Slot.capacity, Slot.starts_at, Slot.cancelled, Slot.offer.active.as_alias("active")).where(
        Slot.id == slot_id, Slot.offer.community == community.id).first()
    if row is None:
        raise NotFound(f"slot_id: slot {slot_id} not found", field="slot_id")
    return row


async def book(mh: Any, principal: Principal, community: CommunityInfo, data: BookingIn, *, by: str = "staff") -> BookingOut:
    """Book a place in a slot for a resident in the caller's scope. 409 when the slot is full, has begun or was
    cancelled, when she holds this slot already or ``open_bookings_per_resident`` others."""
    settings = await settings_of(mh, community)
    await scoped_resident(principal, community, data.resident_id, "resident_id")
    async with transaction(mh, lock=lock(community)):
        slot = await _slot(community, data.slot_id)
        if slot["cancelled"] or not slot["active"] or slot["starts_at"] <= mh.clock.now():
            raise Conflict("slot_id: this slot is no longer open for booking", field="slot_id")
        if await Booking.exists().where(Booking.slot == data.slot_id, Booking.resident == data.resident_id, Booking.status == "booked"):
            raise Conflict("resident_id: already booked in this slot", field="resident_id")
        taken = await Booking.count().where(Booking.slot == data.slot_id, Booking.status != "cancelled")
        if taken >= slot["capacity"]:
            raise Conflict(f"slot_id: this slot is full ({taken} of {slot['capacity']} places booked)", field="slot_id")
        held = await Booking.count().where(Booking.resident == data.resident_id, Booking.status == "booked",
                                           Booking.slot.starts_at > mh.clock.now())
        if held >= settings.open_bookings_per_resident:
            raise Conflict(f"resident_id: already holds {held} open bookings (setting open_bookings_per_resident)", field="resident_id")
        row = Booking(community=community.id, slot=data.slot_id, resident=data.resident_id, by=by, staff=principal.staff_id,
                      note=data.note.strip(), created_at=mh.clock.now())
        await row.save()
        await audit(principal, "commerce.booking.create", "commerce_booking", row.id, community_id=community.id,
                    detail={"slot_id": data.slot_id, "resident_id": data.resident_id, "by": by})
    return await get_booking(principal, community, row.id)


async def get_booking(principal: Principal, community: CommunityInfo, booking_id: int) -> BookingOut:
    row = await Booking.select(*COLUMNS).where(Booking.id == booking_id, *scope_where(principal, community, Booking.resident)).first()
    if row is None:
        raise NotFound(f"booking {booking_id} not found")
    return _out(row)


async def list_bookings(mh: Any, principal: Principal, community: CommunityInfo, *, slot_id: int | None = None,
                        coming_only: bool = True, resident_id: int | None = None) -> list[BookingOut]:
    """The bookings of residents in the caller's scope, soonest first; ``coming_only``: live bookings of slots not begun."""
    query = Booking.select(*COLUMNS).where(*scope_where(principal, community, Booking.resident))
    if slot_id is not None:
        query = query.where(Booking.slot == slot_id)
    if resident_id is not None:
        query = query.where(Booking.resident == resident_id)
    if coming_only:
        query = query.where(Booking.status == "booked", Booking.slot.starts_at > mh.clock.now())
    rows = await query.order_by(Booking.slot.starts_at).order_by(Booking.id)
    return [_out(r) for r in rows]


async def cancel(mh: Any, principal: Principal, community: CommunityInfo, booking_id: int, reason: str, *,
                 until: timedelta = timedelta(0)) -> BookingOut:
    """Cancel a live booking before its slot starts (``until`` earlier: the resident's own cancellation window)."""
    async with transaction(mh, lock=lock(community)):
        found = await get_booking(principal, community, booking_id)
        if found.status != "booked":
            raise Conflict(f"booking {booking_id} is {found.status}, not booked", field="status")
        if found.starts_at - until <= mh.clock.now():
            raise Conflict("the slot begins too soon to cancel here; please call the community", field="starts_at")
        await Booking.update({Booking.status: "cancelled", Booking.cancelled_at: mh.clock.now(), Booking.cancel_reason: reason.strip()}).where(
            Booking.id == booking_id)
        await audit(principal, "commerce.booking.cancel", "commerce_booking", booking_id, community_id=community.id,
                    detail={"reason": reason.strip()})
    return await get_booking(principal, community, booking_id)


#: What a live booking becomes when staff mark it: the resident came (the service was given), or did not.
ATTENDED = {True: "served", False: "no_show"}


async def mark_attended(mh: Any, principal: Principal, community: CommunityInfo, booking_id: int, came: bool) -> BookingOut:
    """到场确认: a live booking whose slot has begun becomes ``served`` (came) or ``no_show``, once. 409 before the slot
    begins, and for a booking cancelled or marked already. A resident out of the caller's scope: 404, as for none."""
    async with transaction(mh, lock=lock(community)):
        found = await get_booking(principal, community, booking_id)
        if found.status != "booked":
            raise Conflict(f"booking {booking_id} is {found.status}, not booked", field="status")
        now = mh.clock.now()
        if found.starts_at > now:
            raise Conflict("came: the slot has not begun; mark who came from its start", field="came")
        await Booking.update({Booking.status: ATTENDED[came], Booking.attended_at: now}).where(Booking.id == booking_id)
        await audit(principal, "commerce.booking.attended", "commerce_booking", booking_id, community_id=community.id,
                    detail={"status": ATTENDED[came]})
    return await get_booking(principal, community, booking_id)


async def to_mark(mh: Any, principal: Principal, community: CommunityInfo, *, limit: int = 50) -> list[BookingOut]:
    """Live bookings of slots that have begun, not marked yet, in the caller's scope: the latest first."""
    rows = await Booking.select(*COLUMNS).where(
        Booking.community == community.id, Booking.status == "booked", Booking.slot.starts_at <= mh.clock.now(),
        *scope_where(principal, community, Booking.resident)).order_by(Booking.slot.starts_at, ascending=False).order_by(
        Booking.id).limit(limit)
    return [_out(r) for r in rows]


async def remind(mh: Any, community: CommunityInfo) -> list[int]:
    """预约提醒: each live booking whose slot starts within ``booking_reminder_hours``, once, to the resident."""
    settings = await settings_of(mh, community)
    now = mh.clock.now()
    rows = await Booking.select(*COLUMNS, Booking.slot.offer.venue.as_alias("venue")).where(
        Booking.community == community.id, Booking.status == "booked", Booking.reminded.eq(False), Booking.slot.starts_at > now,
        Booking.slot.starts_at <= now + timedelta(hours=settings.booking_reminder_hours)).order_by(Booking.id)
    told = []
    for row in rows:
        async with transaction(mh, lock=lock(community)):
            await Booking.update({Booking.reminded: True}).where(Booking.id == row["id"], Booking.status == "booked")
            where = f"，地点：{row['venue']}" if row["venue"] else ""
            await notify(mh, community.slug, NoticeIn(
                key=f"commerce.booking:{row['id']}", title="服务预约提醒",
                body=f"您预约的“{row['offer']}”将于{zh_when(row['starts_at'].astimezone(community.tz))}开始{where}。如不能前来，请提前取消。",
                residents=[row["resident"]], channels=list(settings.channels),
                useful_for=max(row["starts_at"] - now, timedelta(minutes=1))), scenario=SCENARIO)
        told.append(row["id"])
    return told
