"""The residents' page of commerce, behind her inbox link (``/r/{token}/commerce/services``): book a service slot, see and
cancel her own bookings.

It calls the same services as the API (``bookings.book``, ``bookings.cancel``) as the resident acting through her link
(``resident.principal(...)``: her own grid, audited as ``resident <id> (inbox link)``); the resident is always the link's,
never an id from the form. She may cancel until ``resident_cancel_until_minutes`` before the slot.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from meihao import (
    CommunityInfo,
    Conflict,
    CurrentCommunity,
    CurrentResident,
    InvalidInput,
    NotFound,
    ResidentLink,
    fen_to_yuan,
    render_page,
)

from .schemas import BookingIn
from .services import bookings, offers
from .services.common import BOOKING_WRITE, settings_of


def N_(message: str) -> str:
    return message


WITHDRAWN_REASON = "居民通过消息链接取消 cancelled by the resident through her link"
MESSAGES = {
    "full": N_("Sorry, this time is full now. Please choose another time."),
    "duplicate": N_("You have already booked this time."),
    "too_many": N_("You already hold as many bookings as one person may. Cancel one, or wait until it has taken place."),
    "closed": N_("This time can no longer be booked."),
    "too_late": N_("It begins too soon to cancel here. Please call your community worker."),
}
SERVICE_NAMES = {"parcel": N_("Parcel collection"), "housekeeping": N_("Housekeeping"), "meal": N_("Meal help"),
                 "health_hut": N_("Health hut"), "other": N_("Other")}


def _page_path(resident: ResidentLink) -> str:
    return f"/r/{quote(resident.token)}/commerce/services"


async def _page(request: Request[Any, Any, Any], resident: ResidentLink, community: CommunityInfo, *, status_code: int = 200,
                done: str = "", problem: dict[str, Any] | None = None) -> Response[str]:
    mh = request.app.state.meihao
    me = resident.principal(BOOKING_WRITE)
    offer_list = {o.id: o for o in await offers.list_offers(community)}
    slots = [s for s in await offers.list_slots(mh, community) if s.offer_id in offer_list]
    mine = await bookings.list_bookings(mh, me, community, resident_id=resident.resident_id)
    settings = await settings_of(mh, community)
    booked = {b.slot_id for b in mine}
    can_cancel = {b.id for b in mine if b.starts_at - timedelta(minutes=settings.resident_cancel_until_minutes) > mh.clock.now()}
    return render_page(request, "commerce/resident_services.html", status_code=status_code, resident=resident, community=community,
                       offers=offer_list, slots=slots, mine=mine, booked=booked, can_cancel=can_cancel, done=done, problem=problem or {},
                       messages=MESSAGES, service_names=SERVICE_NAMES, tz=community.tz, yuan=fen_to_yuan)


@get("/services")
async def services_page(request: Request[Any, Any, Any], resident: CurrentResident, community: CurrentCommunity,
                        done: FromQuery[str] = "") -> Response[str]:
    """The coming slots of her community's services with the places left, and her own bookings."""
    return await _page(request, resident, community, done=done if done in ("booked", "cancelled") else "")


@post("/services/book")
async def book_slot(request: Request[Any, Any, Any], resident: CurrentResident, community: CurrentCommunity) -> Response[Any]:
    """Book a place in a slot, as the link's resident (a ``resident_id`` in the form is ignored)."""
    mh = request.app.state.meihao
    form = await request.form()
    try:
        slot_id = int(str(form.get("slot", "")))
    except ValueError:
        raise InvalidInput("slot: must be a number", field="slot") from None
    try:
        await bookings.book(mh, resident.principal(BOOKING_WRITE), community, BookingIn(slot_id=slot_id, resident_id=resident.resident_id),
                            by="resident")
    except Conflict as err:
        message = ("full" if "full" in err.message else "closed") if err.field == "slot_id" else (
            "duplicate" if "already booked" in err.message else "too_many")
        return await _page(request, resident, community, status_code=409, problem={"slot": slot_id, "message": message})
    except NotFound:  # a slot of another community, or none: not open to her
        return await _page(request, resident, community, status_code=409, problem={"slot": slot_id, "message": "closed"})
    return Redirect(f"{_page_path(resident)}?done=booked#mine", status_code=303)


@post("/services/{booking_id:int}/cancel")
async def cancel_booking(request: Request[Any, Any, Any], resident: CurrentResident, community: CurrentCommunity,
                         booking_id: FromPath[int]) -> Response[Any]:
    """Cancel her own booking until ``resident_cancel_until_minutes`` before it; anyone else's is the "link not valid" page."""
    mh = request.app.state.meihao
    me = resident.principal(BOOKING_WRITE)
    mine = {b.id for b in await bookings.list_bookings(mh, me, community, resident_id=resident.resident_id, coming_only=False)}
    if booking_id not in mine:
        raise NotFound(f"booking {booking_id} not found")
    settings = await settings_of(mh, community)
    try:
        await bookings.cancel(mh, me, community, booking_id, WITHDRAWN_REASON, until=timedelta(minutes=settings.resident_cancel_until_minutes))
    except Conflict:
        return await _page(request, resident, community, status_code=409, problem={"booking": booking_id, "message": "too_late"})
    return Redirect(f"{_page_path(resident)}?done=cancelled#mine", status_code=303)


HANDLERS: list[Any] = [services_page, book_slot, cancel_booking]
