"""A resident's data in commerce (PIPL): her bookings and the complaints she made; erasure blanks her free texts."""

from __future__ import annotations

from typing import Any

from ..tables import Booking, Complaint


async def resident_data(resident_id: int) -> dict[str, Any] | None:
    bookings = await Booking.select(Booking.slot.offer.title.as_alias("offer"), Booking.slot.starts_at.as_alias("starts_at"),
                                    Booking.status, Booking.by, Booking.note, Booking.cancel_reason).where(
        Booking.resident == resident_id).order_by(Booking.id)
    complaints = await Complaint.select(Complaint.shop.name.as_alias("shop"), Complaint.category, Complaint.text, Complaint.status,
                                        Complaint.created_at).where(Complaint.resident == resident_id).order_by(Complaint.id)
    if not bookings and not complaints:
        return None
    return {"bookings": bookings, "complaints": complaints}


async def erase_resident(resident_id: int) -> dict[str, int] | None:
    bookings = await Booking.count().where(Booking.resident == resident_id)
    complaints = await Complaint.count().where(Complaint.resident == resident_id)
    if not bookings and not complaints:
        return None
    await Booking.update({Booking.note: "", Booking.cancel_reason: ""}).where(Booking.resident == resident_id)
    await Complaint.update({Complaint.text: ""}).where(Complaint.resident == resident_id)
    return {"booking_notes": bookings, "complaint_texts": complaints}
