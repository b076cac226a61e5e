"""commerce's console pages (``meihao_console_pages``): offers and bookings, the ledger with its month close, partners with
expiring contracts, the merchant alliance; and the residents' page behind her inbox link (resident_pages.py).

Pages call the same service functions as the API routes with the same permissions: a page shows exactly what its
viewer could read through the API (out of scope = the 404 page).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from meihao import (
    Caller,
    CardFigure,
    CommunityInfo,
    ConsoleCard,
    ConsolePages,
    CurrentCommunity,
    InvalidInput,
    MeihaoError,
    NavLink,
    Principal,
    Runtime,
    community_today,
    fen_to_yuan,
    page_requires,
    render_page,
)
from meihao.tables import Resident

from .resident_pages import HANDLERS as RESIDENT_HANDLERS
from .schemas import CATEGORIES, ENTRY_KINDS, PARTNER_KINDS, SERVICES, BookingIn, EntryIn
from .services import alliance, bookings, ledger, metrics, offers, partners
from .services.common import BOOKING_WRITE, COMPLAINT_WRITE, LEDGER_READ, LEDGER_WRITE, OFFER_READ, month_of

HERE = Path(__file__).parent
SCENE = "commerce"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it where it is shown."""
    return message


BOOKING_STATUS = {"booked": N_("Booked"), "cancelled": N_("Cancelled"), "served": N_("Came"), "no_show": N_("Did not come")}
MESSAGES = {
    "resident": N_("Enter the resident's name as registered (or her number): nobody in your area has it."),
    "resident_many": N_("Several residents in your area have this name: enter her number instead."),
    "full": N_("This slot is full: choose another time."),
    "duplicate": N_("This resident has already booked this slot."),
    "too_many": N_("This resident already holds as many open bookings as allowed."),
    "closed_slot": N_("This slot is no longer open for booking."),
    "reason": N_("Say why the booking is cancelled (the resident is told by her community worker)."),
    "too_late": N_("The slot begins too soon to cancel."),
    "marked": N_("This booking is marked already, or was cancelled."),
    "amount": N_("Enter the amount in yuan, e.g. 1280 or 85.50."),
    "service": N_("An income names the service it came from; a cost or 公益投入 names none."),
    "day": N_("Enter a day that has come, e.g. 2026-03-05."),
    "month_closed": N_("This month is closed: enter it in an open month."),
    "not_over": N_("This month is not over yet."),
    "closed_already": N_("This month is closed already."),
    "handed": N_("This complaint was handed over already."),
    "governance_off": N_("Governance is not on in this community: the complaint stays here."),
}
# the kinds, services and categories, for the catalogue (their Chinese is in schemas.py for the API)
LABELS = {
    "income": N_("Income"), "cost": N_("Cost"), "public_good": N_("Put back into the community"),
    "parcel": N_("Parcel collection"), "housekeeping": N_("Housekeeping"), "meal": N_("Meal help"), "health_hut": N_("Health hut"),
    "other": N_("Other"), "postal": N_("Postal service"), "health": N_("Health provider"), "catering": N_("Catering"),
    "noise": N_("Noise"), "fumes": N_("Cooking fumes"), "pavement": N_("Pavement use"),
    "open": N_("Open"), "handed_over": N_("Handed to governance"), "resolved": N_("Resolved"),
}
assert set(ENTRY_KINDS) | set(SERVICES) | set(PARTNER_KINDS) | set(CATEGORIES) <= set(LABELS)


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


async def find_resident(principal: Principal, community: CommunityInfo, text: str) -> int:
    """A resident of the viewer's area by her number or her exact registered name; InvalidInput naming the problem."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    rows = await Resident.select(Resident.id).where(Resident.name == text, Resident.community == community.id,
                                                    *principal.residents_where()).limit(2)
    if not rows:
        raise InvalidInput("resident", field="resident")
    if len(rows) > 1:
        raise InvalidInput("resident_many", field="resident")
    return rows[0]["id"]


async def _render_services(request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, *,
                           status_code: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                           done: str = "") -> Response[str]:
    offer_list = await offers.list_offers(community)
    slots = await offers.list_slots(mh, community)
    by_offer: dict[int, list[Any]] = {}
    for slot in slots:
        by_offer.setdefault(slot.offer_id, []).append(slot)
    coming = await bookings.list_bookings(mh, principal, community)
    begun = await bookings.to_mark(mh, principal, community)
    return render_page(request, "commerce/services.html", status_code=status_code, community=community, offers=offer_list,
                       by_offer=by_offer, bookings=coming, to_mark=begun, errors=errors or {}, values=values or {}, done=done, messages=MESSAGES,
                       labels=LABELS, statuses=BOOKING_STATUS, tz=community.tz, here_page="services", yuan=fen_to_yuan)


@get(["/", "/services"], guards=[page_requires(OFFER_READ)])
async def services_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                        done: FromQuery[str] = "") -> Response[str]:
    """The offers with their coming slots (places booked / capacity), a booking form per slot, the coming bookings."""
    return await _render_services(request, meihao, community, principal, done=done if done in ("booked", "cancelled", "came", "no_show") else "")


@post("/services/book", guards=[page_requires(BOOKING_WRITE)])
async def book_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[Any]:
    form = await _form(request)
    slot_raw, who = form.get("slot", ""), form.get("resident", "")
    key = f"slot{slot_raw}"
    problem = ""
    try:
        slot_id = int(slot_raw)
        resident_id = await find_resident(principal, community, who)
        await bookings.book(meihao, principal, community, BookingIn(slot_id=slot_id, resident_id=resident_id, note=form.get("note", "")[:100]))
    except ValueError:
        raise InvalidInput("slot: must be a number", field="slot") from None
    except MeihaoError as err:
        if err.status_code >= 500:
            raise
        if err.field == "resident" or (err.status_code == 404 and err.field == "resident_id"):
            problem = err.message if err.message in MESSAGES else "resident"
        elif err.status_code == 409:
            problem = ("full" if "full" in err.message else "closed_slot") if err.field == "slot_id" else (
                "duplicate" if "already booked" in err.message else "too_many")
        else:
            raise
    if problem:
        return await _render_services(request, meihao, community, principal, status_code=409 if problem in (
            "full", "closed_slot", "duplicate", "too_many") else 400, errors={key: MESSAGES[problem]}, values={key: who})
    return Redirect(f"/c/{community.slug}/{SCENE}/services?done=booked#bookings", status_code=303)


@post("/services/bookings/{booking_id:int}/cancel", guards=[page_requires(BOOKING_WRITE)])
async def cancel_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                      booking_id: FromPath[int]) -> Response[Any]:
    form = await _form(request)
    reason = " ".join(form.get("reason", "").split())[:200]
    key = f"b{booking_id}"
    if not reason:
        await bookings.get_booking(principal, community, booking_id)  # out of scope: the 404 page
        return await _render_services(request, meihao, community, principal, status_code=400, errors={key: MESSAGES["reason"]})
    try:
        await bookings.cancel(meihao, principal, community, booking_id, reason)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        return await _render_services(request, meihao, community, principal, status_code=409, errors={key: MESSAGES["too_late"]})
    return Redirect(f"/c/{community.slug}/{SCENE}/services?done=cancelled#bookings", status_code=303)


@post("/services/bookings/{booking_id:int}/attended", guards=[page_requires(BOOKING_WRITE)])
async def attended_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                        booking_id: FromPath[int]) -> Response[Any]:
    """到场确认 from the list: 已到场 (``came=1``) or 未到场 (``came=0``)."""
    form = await _form(request)
    came = form.get("came", "")
    if came not in ("1", "0"):
        raise InvalidInput("came: 1 (came) or 0 (did not come)", field="came")
    try:
        await bookings.mark_attended(meihao, principal, community, booking_id, came == "1")
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        return await _render_services(request, meihao, community, principal, status_code=409, errors={"mark": MESSAGES["marked"]})
    return Redirect(f"/c/{community.slug}/{SCENE}/services?done={'came' if came == '1' else 'no_show'}#to-mark", status_code=303)


async def _render_ledger(request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, month: str, *,
                         status_code: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                         done: str = "") -> Response[str]:
    today = community_today(mh, community)
    view = await ledger.month_view(mh, community, month)
    year = await ledger.year_view(mh, community, int(month[:4]))
    recent = []
    y, m = today.year, today.month
    for _ in range(12):
        recent.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    over = month < month_of(today)
    partner_list = await partners.list_partners(mh, community)
    return render_page(request, "commerce/ledger.html", status_code=status_code, community=community, month=month, view=view,
                       year=year, recent=recent, over=over, partners=partner_list, errors=errors or {}, values=values or {},
                       done=done, messages=MESSAGES, labels=LABELS, kinds=ENTRY_KINDS, services=SERVICES, today=today,
                       here_page="ledger", yuan=fen_to_yuan, signed=ledger.signed_yuan, tz=community.tz)


@get("/ledger", guards=[page_requires(LEDGER_READ)])
async def ledger_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                      month: FromQuery[str] = "", done: FromQuery[str] = "") -> Response[str]:
    """A month of the enterprise's ledger (this month by default): totals, income per service and partner, entries, the
    entry form while the month is open, the close button once it is over; the year's income per month."""
    month = month if MONTH.match(month) else month_of(community_today(meihao, community))
    return await _render_ledger(request, meihao, community, principal, month, done=done if done in ("entry", "closed") else "")


@post("/ledger/entries", guards=[page_requires(LEDGER_WRITE)])
async def entry_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[Any]:
    form = await _form(request)
    month = form.get("month", "") if MONTH.match(form.get("month", "")) else month_of(community_today(meihao, community))
    problem = ""
    try:
        from datetime import date

        try:
            day = date.fromisoformat(form.get("day", "").strip())
        except ValueError:
            raise InvalidInput("day", field="day") from None
        kind = form.get("kind", "")
        if kind not in ENTRY_KINDS:
            raise InvalidInput("kind", field="kind")
        service = form.get("service") or None
        if service is not None and service not in SERVICES:
            raise InvalidInput("service", field="service")
        partner = form.get("partner") or None
        entry = EntryIn(day=day, kind=kind, amount_yuan=form.get("amount", "").strip(), service=service,  # type: ignore[arg-type]
                        partner_id=int(partner) if partner and partner.isdigit() else None, note=form.get("note", "")[:1000])
        await ledger.add_entry(meihao, principal, community, entry)
        month = month_of(day)
    except MeihaoError as err:
        if err.status_code >= 500 or err.status_code in (403, 404):
            raise
        problem = "month_closed" if err.status_code == 409 else err.field if err.field in ("day", "service") else "amount"
    if problem:
        return await _render_ledger(request, meihao, community, principal, month, status_code=409 if problem == "month_closed" else 400,
                                    errors={"entry": MESSAGES[problem]}, values=form)
    return Redirect(f"/c/{community.slug}/{SCENE}/ledger?month={month}&done=entry", status_code=303)


@post("/ledger/months/{month:str}/close", guards=[page_requires(LEDGER_WRITE)])
async def close_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                     month: FromPath[str]) -> Response[Any]:
    if not MONTH.match(month):
        raise InvalidInput(f"month: write it as YYYY-MM, not {month!r}", field="month")
    try:
        await ledger.close_month(meihao, principal, community, month)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        problem = "closed_already" if "closed already" in err.message else "not_over"
        return await _render_ledger(request, meihao, community, principal, month, status_code=409, errors={"close": MESSAGES[problem]})
    return Redirect(f"/c/{community.slug}/{SCENE}/ledger?month={month}&done=closed", status_code=303)


@get("/partners", guards=[page_requires(OFFER_READ)])
async def partners_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                        done: FromQuery[str] = "", error: FromQuery[str] = "") -> Response[str]:
    """Partners (expiring contracts first and marked), the alliance's shops and discounts, complaints with the hand-over."""
    return render_page(request, "commerce/partners.html", community=community, partners=await partners.list_partners(meihao, community),
                       shops=await alliance.list_shops(community), discounts=await alliance.list_discounts(meihao, community),
                       complaints=await alliance.list_complaints(meihao, principal, community), labels=LABELS, messages=MESSAGES,
                       done=done if done == "handed" else "", error=error if error in ("handed", "governance_off") else "",
                       here_page="partners", tz=community.tz)


@post("/complaints/{complaint_id:int}/hand-over", guards=[page_requires(COMPLAINT_WRITE)])
async def hand_over_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                         complaint_id: FromPath[int]) -> Response[Any]:
    try:
        await alliance.hand_to_governance(meihao, principal, community, complaint_id)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        error = "handed" if err.field == "status" else "governance_off"
        return Redirect(f"/c/{community.slug}/{SCENE}/partners?error={error}#c{complaint_id}", status_code=303)
    return Redirect(f"/c/{community.slug}/{SCENE}/partners?done=handed#c{complaint_id}", status_code=303)


async def card_figures(mh: Any, principal: Principal, community: CommunityInfo) -> list[CardFigure]:
    f = await metrics.figures(mh, principal, community)
    result = [CardFigure("本月预约", "Bookings this month", f["bookings_month"]),
              CardFigure("本月服务人数", "People served this month", f["served_month"])]
    if "income_month_fen" in f:
        result.append(CardFigure("本月收入（元）", "Income this month (yuan)", fen_to_yuan(f["income_month_fen"]), "ok"))
    expiring = [p for p in await partners.list_partners(mh, community, expiring_only=True)]
    if expiring:
        result.append(CardFigure("合同即将到期", "Contracts ending soon", len(expiring), "warn"))
    return result


PAGES = ConsolePages(
    handlers=[services_page, book_page, cancel_page, attended_page, ledger_page, entry_page, close_page, partners_page, hand_over_page],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[
        NavLink("便民服务预约", "Services and bookings", "services", permission=OFFER_READ),
        NavLink("强社公司账目", "Enterprise ledger", "ledger", permission=LEDGER_READ),
        NavLink("合作单位与商户", "Partners and shops", "partners", permission=OFFER_READ),
    ],
    cards=[ConsoleCard("commerce", "商居互融", "Shops and residents", card_figures, link="services", permission=OFFER_READ)],
    resident_handlers=RESIDENT_HANDLERS,
    resident_nav=[NavLink("预约便民服务", "Book a community service", "services")],
)
