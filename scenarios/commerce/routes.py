"""commerce's routes, mounted by the kernel under /api/communities/{slug}/commerce. Thin: the work is in services."""

from __future__ import annotations

import re

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from meihao import Caller, CurrentCommunity, InvalidInput, PathId, Runtime, error_response, requires

from .schemas import (
    AttendedIn,
    BookingIn,
    BookingOut,
    CancelIn,
    ComplaintIn,
    ComplaintOut,
    ContractIn,
    DiscountIn,
    DiscountOut,
    EntryIn,
    EntryOut,
    MonthOut,
    OfferIn,
    OfferOut,
    PartnerIn,
    PartnerOut,
    ShopIn,
    ShopOut,
    SlotIn,
    SlotOut,
    StatementIn,
    StatementOut,
    YearOut,
)
from .services import alliance, bookings, ledger, offers, partners
from .services.common import BOOKING_WRITE, COMPLAINT_WRITE, LEDGER_READ, LEDGER_WRITE, OFFER_MANAGE, OFFER_READ

FULL = {409: error_response(409, "The slot is full, has begun or was cancelled, or the resident holds it (or too many) already")}
CLOSED = {409: error_response(409, "The month is closed (a closed month refuses writes)")}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _month(month: str) -> str:
    if not MONTH.match(month):
        raise InvalidInput(f"month: write it as YYYY-MM, not {month!r}", field="month")
    return month


class PartnerController(Controller):
    """合作单位 the enterprise's partners and their contracts."""

    path = "/partners"

    @get("/", guards=[requires(OFFER_READ)])
    async def list_partners(self, community: CurrentCommunity, meihao: Runtime, expiring: FromQuery[bool] = False) -> list[PartnerOut]:
        """Contract ending soonest first; ``expiring``: within ``contract_alert_days``."""
        return await partners.list_partners(meihao, community, expiring_only=expiring)

    @post("/", guards=[requires(OFFER_MANAGE)])
    async def create_partner(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[PartnerIn]) -> PartnerOut:
        return await partners.create_partner(meihao, principal, community, data)

    @put("/{partner_id:int}/contract", guards=[requires(OFFER_MANAGE)])
    async def renew_contract(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, partner_id: PathId,
                             data: JSONBody[ContractIn]) -> PartnerOut:
        """续签: the new contract period; the expiry alert is sent again before its end."""
        return await partners.renew_contract(meihao, principal, community, partner_id, data)


class OfferController(Controller):
    """便民服务 the offers and their time slots."""

    path = "/offers"

    @get("/", guards=[requires(OFFER_READ)])
    async def list_offers(self, community: CurrentCommunity) -> list[OfferOut]:
        return await offers.list_offers(community)

    @post("/", guards=[requires(OFFER_MANAGE)])
    async def create_offer(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[OfferIn]) -> OfferOut:
        return await offers.create_offer(meihao, principal, community, data)

    @get("/{offer_id:int}/slots", guards=[requires(OFFER_READ)])
    async def list_slots(self, community: CurrentCommunity, meihao: Runtime, offer_id: PathId) -> list[SlotOut]:
        """The coming slots, soonest first, with the places booked and free."""
        return await offers.list_slots(meihao, community, offer_id)

    @post("/{offer_id:int}/slots", guards=[requires(OFFER_MANAGE)])
    async def add_slot(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, offer_id: PathId,
                       data: JSONBody[SlotIn]) -> SlotOut:
        return await offers.add_slot(meihao, principal, community, offer_id, data)


class BookingController(Controller):
    """预约 residents' bookings (names masked), scoped to the caller's residents."""

    path = "/bookings"

    @get("/", guards=[requires(OFFER_READ)])
    async def list_bookings(self, community: CurrentCommunity, principal: Caller, meihao: Runtime,
                            slot_id: FromQuery[int | None] = None, coming: FromQuery[bool] = True) -> list[BookingOut]:
        return await bookings.list_bookings(meihao, principal, community, slot_id=slot_id, coming_only=coming)

    @post("/", guards=[requires(BOOKING_WRITE)], responses=FULL)
    async def book(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[BookingIn]) -> BookingOut:
        """Book a place for a resident; a full slot is refused with 409 (counted under a lock)."""
        return await bookings.book(meihao, principal, community, data)

    @post("/{booking_id:int}/cancel", guards=[requires(BOOKING_WRITE)], status_code=200,
          responses={409: error_response(409, "Not a live booking, or its slot has begun")})
    async def cancel(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, booking_id: PathId,
                     data: JSONBody[CancelIn]) -> BookingOut:
        return await bookings.cancel(meihao, principal, community, booking_id, data.reason)

    @post("/{booking_id:int}/attended", guards=[requires(BOOKING_WRITE)], status_code=200,
          responses={409: error_response(409, "Not a live booking, or its slot has not begun")})
    async def attended(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, booking_id: PathId,
                       data: JSONBody[AttendedIn]) -> BookingOut:
        """到场确认: ``{"came": true}`` the service was given (served), ``false`` the resident did not come (no_show); once."""
        return await bookings.mark_attended(meihao, principal, community, booking_id, data.came)


class LedgerController(Controller):
    """强社公司账目 the community enterprise's ledger: entries, month close, the year's breakdown."""

    path = "/ledger"

    @get("/months/{month:str}", guards=[requires(LEDGER_READ)])
    async def month(self, community: CurrentCommunity, meihao: Runtime, month: FromPath[str]) -> MonthOut:
        """A month's entries and totals, income per service and per partner, and whether it is closed."""
        return await ledger.month_view(meihao, community, _month(month))

    @get("/years/{year:int}", guards=[requires(LEDGER_READ)])
    async def year(self, community: CurrentCommunity, meihao: Runtime, year: FromPath[int]) -> YearOut:
        """A year's totals, income per month, service and partner, the months closed."""
        return await ledger.year_view(meihao, community, year)

    @post("/entries", guards=[requires(LEDGER_WRITE)], responses=CLOSED)
    async def add_entry(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[EntryIn]) -> EntryOut:
        """记账: amounts in yuan as written (``"1280.50"``), kept in fen."""
        return await ledger.add_entry(meihao, principal, community, data)

    @post("/months/{month:str}/close", guards=[requires(LEDGER_WRITE)], status_code=200,
          responses={409: error_response(409, "The month is not over, or closed already")})
    async def close(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, month: FromPath[str]) -> MonthOut:
        """月结, all or nothing."""
        return await ledger.close_month(meihao, principal, community, _month(month))


class StatementController(Controller):
    """财务公开 the quarterly public statements."""

    path = "/statements"

    @get("/", guards=[requires(OFFER_READ)])
    async def list_statements(self, community: CurrentCommunity) -> list[StatementOut]:
        return await ledger.list_statements(community)

    @post("/", guards=[requires(LEDGER_WRITE)], responses={409: error_response(409, "A month of the quarter is open, or it is published")})
    async def publish(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[StatementIn]) -> StatementOut:
        """Publish a quarter whose months are closed, as a notice to the community's admins and the residents served."""
        return await ledger.publish_statement(meihao, principal, community, data)


class AllianceController(Controller):
    """商户联盟 shops, their discounts for residents, complaints handed to governance."""

    path = "/"

    @get("/shops", guards=[requires(OFFER_READ)])
    async def list_shops(self, community: CurrentCommunity) -> list[ShopOut]:
        return await alliance.list_shops(community)

    @post("/shops", guards=[requires(OFFER_MANAGE)])
    async def create_shop(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[ShopIn]) -> ShopOut:
        return await alliance.create_shop(meihao, principal, community, data)

    @post("/shops/{shop_id:int}/discounts", guards=[requires(OFFER_MANAGE)])
    async def add_discount(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, shop_id: PathId,
                           data: JSONBody[DiscountIn]) -> DiscountOut:
        return await alliance.add_discount(meihao, principal, community, shop_id, data)

    @get("/discounts", guards=[requires(OFFER_READ)])
    async def list_discounts(self, community: CurrentCommunity, meihao: Runtime) -> list[DiscountOut]:
        return await alliance.list_discounts(meihao, community)

    @get("/complaints", guards=[requires(OFFER_READ)])
    async def list_complaints(self, community: CurrentCommunity, principal: Caller, meihao: Runtime,
                              open: FromQuery[bool] = False) -> list[ComplaintOut]:
        return await alliance.list_complaints(meihao, principal, community, open_only=open)

    @post("/complaints", guards=[requires(COMPLAINT_WRITE)])
    async def record_complaint(self, community: CurrentCommunity, principal: Caller, meihao: Runtime,
                               data: JSONBody[ComplaintIn]) -> ComplaintOut:
        return await alliance.record_complaint(meihao, principal, community, data)

    @post("/complaints/{complaint_id:int}/hand-over", guards=[requires(COMPLAINT_WRITE)], status_code=200,
          responses={409: error_response(409, "Handed over already, or governance is not on in the community")})
    async def hand_over(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, complaint_id: PathId) -> ComplaintOut:
        """转办 to governance as a grid event."""
        return await alliance.hand_to_governance(meihao, principal, community, complaint_id)


HANDLERS = [PartnerController, OfferController, BookingController, LedgerController, StatementController, AllianceController]
