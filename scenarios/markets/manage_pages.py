"""The markets scene's console pages for setting things up (睦邻善市): create and change markets, change or call off a market day, register merchants.

Every form maps to the body of the API route that does the same (``routes.py``), goes through
the same service function under the same permission, and shows what the service refuses at the
field it names, in the visitor's language; a market or day of another community is the 404 page.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from meihao import (
    Caller,
    CommunityInfo,
    CurrentCommunity,
    FormError,
    FormFields,
    InvalidInput,
    MeihaoError,
    Principal,
    Runtime,
    community_today,
    page_requires,
    render_page,
    yuan_to_fen,
)
from meihao.tables import Grid, StaffAssignment

from .routes import MANAGE, READ
from .schemas import MarketDayPatch, MarketIn, MarketPatch, MerchantIn, MerchantPatch, ReasonIn
from .services import days, markets, merchants
from .services.common import settings_of

SCENE = "markets"
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it where it is shown."""
    return message


#: The schedules the form offers, each made into the RRULE of ``MarketIn.rrule`` from the first day; "advanced" takes one as written.
REPEATS = {
    "monthly_weekday": N_("Every month on the same weekday (e.g. the 2nd Saturday)"),
    "monthly_day": N_("Every month on the same date"),
    "weekly": N_("Every week on the same weekday"),
    "advanced": N_("Advanced: an RRULE"),
}
HOLIDAY_POLICIES = {
    "keep": N_("Hold it on the holiday"),
    "skip": N_("Skip it"),
    "next_workday": N_("Move it to the next working day"),
    "previous_workday": N_("Move it to the previous working day"),
}
WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
MERCHANT_KINDS = {"shop": N_("Shop"), "enterprise": N_("Enterprise"), "social_organisation": N_("Social organisation"), "other": N_("Other")}
MARKET_STATUS = {"active": N_("Running"), "cancelled": N_("Cancelled")}
MARKET_KINDS = {"charity_sale": N_("Charity sale"), "free_clinic": N_("Free clinic"),
                "convenience": N_("Free services"), "swap": N_("Swap")}
MONEY_KINDS = {"none": N_("Nothing"), "stall_fee": N_("A stall fee"), "contribution": N_("A charity contribution")}
REST_DAY_CHOICES = {"skip": N_("Skip it"), "move": N_("Move it to the next ordinary rest day")}
HOME_MADE_FOOD_CHOICES = {"forbid": N_("Not allowed"), "approval": N_("Needs the organiser's approval"), "allow": N_("Allowed")}
DAY_STATUS = {"open": N_("Taking applications"), "closed": N_("Applications closed"), "cancelled": N_("Cancelled")}

#: What is wrong with a field, in words a community worker reads; keys are the API body's field names.
MESSAGES = {
    "name": N_("Give the name, at most 100 characters."),
    "venue": N_("Say where the market is held, at most 200 characters."),
    "rrule": N_("This schedule cannot be used. Write a rule such as FREQ=MONTHLY;BYDAY=2SA (the 2nd Saturday of each month)."),
    "repeat": N_("Choose how the market repeats."),
    "first_day": N_("Choose the day of the first market."),
    "until": N_("The last day is a date, not before the first market."),
    "opens_at": N_("Write the time as hours and minutes, e.g. 09:00."),
    "closes_at": N_("Write the time as hours and minutes, e.g. 11:30."),
    "closes_order": N_("The market must close after it opens."),
    "capacity": N_("Stalls: a whole number from 1 to 10000."),
    "setup_minutes": N_("Set-up time: a whole number of minutes from 0 to 720 (12 hours)."),
    "applications_close_hours": N_("Applications close a whole number of hours before the market, from 0 to 720 (30 days)."),
    "holiday_policy": N_("Choose what happens on an official holiday."),
    "grid_id": N_("Choose a grid of this community, or none."),
    "organiser_staff_id": N_("Choose a staff member who works in this community."),
    "market_cancelled": N_("This market is cancelled: it cannot be changed any more."),
    "day_begun": N_("This market day is cancelled or has begun: it cannot be changed any more."),
    "reason": N_("Say why the market day is called off, at most 500 characters."),
    "kind": N_("Choose the kind of merchant."),
    "contact_name": N_("The contact's name has at most 64 characters."),
    "contact_phone": N_("Write a mainland number as 13912345678, or a landline with its area code (0531 8888 8888)."),
    "contact_resident_id": N_("No resident with this number lives in this community: check the number in the register, or leave it empty."),
    "market_kind": N_("Choose the type of market."),
    "money": N_("Choose what each stall pays."),
    "fee": N_("Give the fee per stall in yuan, more than 0 with at most two decimals, e.g. 10 or 5.50."),
    "fee_high": N_("A fee this high is refused as a likely typo (more than the community's limit per stall): check the figure."),
    "fee_none": N_("A market where stalls pay nothing takes no fee: leave the fee empty, or choose a stall fee or contribution."),
    "beneficiary": N_("Say which project the money goes to, at most 200 characters."),
    "receiving_charity": N_("Name the charity that receives the money, at most 200 characters."),
    "charity_committee": N_("A residents' or villagers' committee cannot hold public-fundraising money itself: name a charity, e.g. 济阳区慈善总会."),
    "rest_day_policy": N_("Choose what happens on an adjusted working weekend day."),
    "home_made_food": N_("Choose the rule for home-made food."),
    "other": N_("Nothing was saved: %(detail)s"),
}
#: A service's field name → the form's field and the form's message, where they differ ("other": above the form).
SERVICE_FIELDS = {"phone": "contact_phone", "status": "other"}
SERVICE_MESSAGES = {"closes_at": "closes_order", "phone": "contact_phone", "status": "market_cancelled"}
DONE = {
    "created": N_("The market is created; its days for the coming weeks take applications now."),
    "market_saved": N_("The market is saved."),
    "day_saved": N_("The market day is saved."),
    "day_cancelled": N_("The market day is called off; its reminders not yet sent are cancelled."),
    "merchant_created": N_("The merchant is registered."),
    "merchant_saved": N_("The merchant is saved."),
}


# -- reading a form ---------------------------------------------------------------------------


def _body(cls: type[Any], fields: dict[str, Any], form: FormFields) -> Any:
    """The API's body from the form's fields; msgspec's own checks (lengths, the time pattern) become field errors too."""
    form.check()
    try:
        return msgspec.convert({k: v for k, v in fields.items() if v is not None}, cls)
    except msgspec.ValidationError as err:
        found = re.search(r"\$\.(\w+)", str(err))
        raise FormError({found.group(1) if found else "other": found.group(1) if found else "other"}) from err


def _service_problem(err: MeihaoError) -> dict[str, str]:
    """What a service refused, at the form's field; a missing record (no field) is not a form problem."""
    if err.status_code >= 500 or (err.status_code == 404 and not err.field):
        raise err
    name = err.field or err.message.split(":", 1)[0]
    field, key = SERVICE_FIELDS.get(name, name), SERVICE_MESSAGES.get(name, name)
    if name == "fee":
        key = "fee_high" if "more than" in err.message else "fee_none" if "takes no fee" in err.message else "fee"
    elif name == "receiving_charity" and "committee" in err.message:
        key = "charity_committee"
    return {field if field in MESSAGES else "other": key if key in MESSAGES else "other"}


def _rule(repeat: str, first: date, advanced: str) -> str:
    code = WEEKDAY_CODES[first.weekday()]
    return {
        "monthly_weekday": f"FREQ=MONTHLY;BYDAY={(first.day - 1) // 7 + 1}{code}",
        "monthly_day": f"FREQ=MONTHLY;BYMONTHDAY={first.day}",
        "weekly": f"FREQ=WEEKLY;BYDAY={code}",
        "advanced": advanced.removeprefix("RRULE:"),
    }[repeat]


def _repeat_of(rrule: str, first: date) -> str:
    """The form's choice for a saved RRULE ("advanced" when it is none of the simple ones)."""
    for repeat in ("monthly_weekday", "monthly_day", "weekly"):
        if _rule(repeat, first, "") == rrule.upper():
            return repeat
    return "advanced"


def _page(community: CommunityInfo, path: str = "") -> str:
    return f"/c/{community.slug}/{SCENE}/{path}"


# -- choices the forms offer --------------------------------------------------------------------


async def _grids(community: CommunityInfo) -> list[tuple[int, str]]:
    """(id, name) of the community's grids, as the form's choice."""
    return [(r["id"], r["name"]) for r in await Grid.select(Grid.id, Grid.name).where(Grid.community == community.id).order_by(Grid.id)]


async def _organisers(community: CommunityInfo) -> list[tuple[int, str]]:
    """(id, name) of the active staff ``staff_works_in`` accepts as organiser: a role in this community, or the street's."""
    rows = await StaffAssignment.select(StaffAssignment.staff.as_alias("id"), StaffAssignment.staff.name.as_alias("name")).where(
        (StaffAssignment.community == community.id) | (StaffAssignment.role == "street_admin"), StaffAssignment.staff.active.eq(True),
    ).order_by(StaffAssignment.staff.name).order_by(StaffAssignment.staff)
    return list({r["id"]: (r["id"], r["name"]) for r in rows}.values())


# -- markets ---------------------------------------------------------------------------------------


@get("/markets", guards=[page_requires(READ)])
async def markets_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """The community's markets with their coming days; who manages them creates, changes and calls off from here."""
    today = community_today(meihao, community)
    now = meihao.clock.now()
    rows = []
    for market in await markets.list_markets(meihao, community):
        coming = [d for d in await days.list_days(meihao, community, market.id, today, None) if d.ends_at > now][:6]
        rows.append({"market": market, "first": market.first_day, "repeat": _repeat_of(market.rrule, market.first_day),
                     "days": [{"day": d, "starts": d.starts_at.astimezone(community.tz)} for d in coming]})
    return render_page(request, "markets/manage/markets.html", community=community, rows=rows, weekdays=WEEKDAY_NAMES,
                       policies=HOLIDAY_POLICIES, market_status=MARKET_STATUS, day_status=DAY_STATUS,
                       can_manage=principal.can(MANAGE), done=DONE.get(request.query_params.get("done", ""), ""))


async def _market_form(
    request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, *, values: dict[str, str], errors: dict[str, str] | None = None,
    market: Any = None, status_code: int = 200, detail: str = "",
) -> Response[str]:
    settings = await settings_of(mh, community)
    return render_page(
        request, "markets/manage/market_form.html", status_code=status_code, community=community, market=market, values=values,
        errors=errors or {}, messages=MESSAGES, detail=detail, repeats=REPEATS, policies=HOLIDAY_POLICIES, settings=settings,
        grids=await _grids(community), organisers=await _organisers(community), market_kinds=MARKET_KINDS, money_kinds=MONEY_KINDS,
        rest_day_choices=REST_DAY_CHOICES, home_made_food_choices=HOME_MADE_FOOD_CHOICES,
    )


@get("/markets/new", guards=[page_requires(MANAGE)])
async def new_market_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime) -> Response[str]:
    settings = await settings_of(meihao, community)
    values = {"name": "睦邻善市公益市集", "repeat": "monthly_weekday", "opens_at": "09:00", "closes_at": "11:30",
              "holiday_policy": settings.holiday_policy, "market_kind": "charity_sale", "money": "none",
              "rest_day_policy": settings.rest_day_policy, "home_made_food": settings.home_made_food}
    return await _market_form(request, meihao, community, values=values)


def _read_fee(form: FormFields, money: str | None, most_yuan: int) -> Decimal | None:
    """The fee per stall in yuan as the form gives it; a problem is kept at ``fee`` (the service checks fee against money)."""
    raw = form.values.get("fee", "")
    if not raw:
        return None
    try:
        yuan_to_fen(raw, "fee", most_yuan=most_yuan)
    except InvalidInput as err:
        form.errors["fee"] = "fee_high" if "more than" in err.message else "fee"
        return None
    if money == "none" and Decimal(raw) != 0:
        form.errors["fee"] = "fee_none"
        return None
    return Decimal(raw)


def _read_market(values: dict[str, str], most_yuan: int) -> MarketIn:
    form = FormFields(values)
    errors = form.errors
    first = form.day("first_day", required=True)
    repeat = values.get("repeat", "")
    rrule = None
    if repeat not in REPEATS:
        errors["repeat"] = "repeat"
    elif repeat == "advanced" and not values.get("rrule"):
        errors["repeat"] = "rrule"
    elif first is not None:
        rrule = _rule(repeat, first, values.get("rrule", ""))
    fields: dict[str, Any] = {
        "name": values.get("name", ""), "venue": values.get("venue", ""), "rrule": rrule, "first_day": first,
        "until": form.day("until"), "opens_at": values.get("opens_at", ""), "closes_at": values.get("closes_at", ""),
        "grid_id": form.whole("grid_id", negative=True), "capacity": form.whole("capacity", negative=True),
        "setup_minutes": form.whole("setup_minutes", negative=True),
        "applications_close_hours": form.whole("applications_close_hours", negative=True),
        "holiday_policy": form.choice("holiday_policy", HOLIDAY_POLICIES),
        "organiser_staff_id": form.whole("organiser_staff_id", negative=True),
        "kind": form.choice("market_kind", MARKET_KINDS), "money": form.choice("money", MONEY_KINDS),
        "beneficiary": values.get("beneficiary", ""), "receiving_charity": values.get("receiving_charity", ""),
        "rest_day_policy": form.choice("rest_day_policy", REST_DAY_CHOICES),
        "home_made_food": form.choice("home_made_food", HOME_MADE_FOOD_CHOICES),
        "accepts_points": values.get("accepts_points") == "yes",
    }
    fields["fee"] = _read_fee(form, fields["money"], most_yuan)
    if fields["money"] not in (None, "none") and fields["fee"] is None and "fee" not in errors:
        errors["fee"] = "fee"
    if first is None and "first_day" not in errors:
        errors["first_day"] = "first_day"
    return _body(MarketIn, fields, form)


@post("/markets/new", guards=[page_requires(MANAGE)])
async def create_market(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller
) -> Response[Any]:
    """POST /markets of the API: a market, its two recurring activities, its days for the coming weeks."""
    form = await FormFields.read(request)
    values = form.values
    settings = await settings_of(meihao, community)
    try:
        created = await markets.create_market(meihao, community, _read_market(values, settings.max_proceeds_per_stall_yuan), principal)
    except FormError as err:
        return await _market_form(request, meihao, community, values=values, errors=_field_of_rrule(err.errors), status_code=400)
    except MeihaoError as err:
        problem = _field_of_rrule(_service_problem(err))
        return await _market_form(request, meihao, community, values=values, errors=problem, status_code=400, detail=err.message)
    return Redirect(_page(community, f"markets?done=created#m{created.id}"), status_code=303)


def _field_of_rrule(errors: dict[str, str]) -> dict[str, str]:
    """The RRULE is made from the schedule's choice: its problems show there."""
    if "rrule" in errors:
        errors["repeat"] = errors.pop("rrule")
    return errors


@get("/markets/{market_id:int}/edit", guards=[page_requires(MANAGE)])
async def edit_market_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, market_id: FromPath[int]) -> Response[str]:
    market = await markets.get_market(meihao, community, market_id)
    values = {"name": market.name, "venue": market.venue, "capacity": str(market.capacity),
              "organiser_staff_id": "" if market.organiser_staff_id is None else str(market.organiser_staff_id),
              "beneficiary": market.beneficiary, "receiving_charity": market.receiving_charity,
              "accepts_points": "yes" if market.accepts_points else ""}
    return await _market_form(request, meihao, community, values=values, market=market)


@post("/markets/{market_id:int}/edit", guards=[page_requires(MANAGE)])
async def update_market(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, market_id: FromPath[int]
) -> Response[Any]:
    """PATCH /markets/{id} of the API: name, venue, stalls per day and organiser (the schedule stays: cancel and make a new market)."""
    market = await markets.get_market(meihao, community, market_id)  # another community's: the 404 page before anything else
    form = await FormFields.read(request)
    values = form.values
    fields = {"name": values.get("name", ""), "venue": values.get("venue", ""),
              "capacity": form.whole("capacity", required=True, negative=True),
              "organiser_staff_id": form.whole("organiser_staff_id", negative=True),
              "beneficiary": values.get("beneficiary", ""), "receiving_charity": values.get("receiving_charity", ""),
              "accepts_points": values.get("accepts_points") == "yes"}
    try:
        await markets.update_market(meihao, community, market_id, _body(MarketPatch, fields, form), principal)
    except FormError as err:
        return await _market_form(request, meihao, community, values=values, errors=err.errors, market=market, status_code=400)
    except MeihaoError as err:
        return await _market_form(request, meihao, community, values=values, errors=_service_problem(err), market=market,
                                  status_code=409 if err.status_code == 409 else 400, detail=err.message)
    return Redirect(_page(community, f"markets?done=market_saved#m{market_id}"), status_code=303)


# -- market days ----------------------------------------------------------------------------------


async def _day_form(
    request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, day_id: int, *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response[str]:
    day = await days.get_day(mh, community, day_id)
    market = await markets.get_market(mh, community, day.market_id)
    changeable = day.status != "cancelled" and day.starts_at > mh.clock.now()
    return render_page(
        request, "markets/manage/day_form.html", status_code=status_code, community=community, market=market, day=day,
        starts=day.starts_at.astimezone(community.tz), closes=day.applications_close_at.astimezone(community.tz),
        values=values or {"capacity": str(day.capacity)}, errors=errors or {}, messages=MESSAGES, day_status=DAY_STATUS,
        changeable=changeable,
    )


@get("/days/{day_id:int}/edit", guards=[page_requires(MANAGE)])
async def edit_day_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, day_id: FromPath[int]) -> Response[str]:
    return await _day_form(request, meihao, community, day_id)


@post("/days/{day_id:int}/edit", guards=[page_requires(MANAGE)])
async def set_day_capacity(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, day_id: FromPath[int]
) -> Response[Any]:
    """PATCH /days/{id} of the API: the day's stalls (more promote from the waiting list)."""
    day = await days.get_day(meihao, community, day_id)
    form = await FormFields.read(request)
    values = form.values
    try:
        patch = _body(MarketDayPatch, {"capacity": form.whole("capacity", required=True, negative=True)}, form)
        await days.set_day_capacity(meihao, community, day_id, patch.capacity, principal)
    except FormError as err:
        return await _day_form(request, meihao, community, day_id, values=values, errors=err.errors, status_code=400)
    except MeihaoError as err:
        problem = {"capacity": "day_begun"} if err.status_code == 409 else _service_problem(err)
        return await _day_form(request, meihao, community, day_id, values=values, errors=problem, status_code=err.status_code)
    return Redirect(_page(community, f"markets?done=day_saved#m{day.market_id}"), status_code=303)


@post("/days/{day_id:int}/cancel", guards=[page_requires(MANAGE)])
async def cancel_day(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, day_id: FromPath[int]
) -> Response[Any]:
    """POST /days/{id}/cancel of the API: the day is called off, its reminders not yet sent are cancelled, the applications stay."""
    day = await days.get_day(meihao, community, day_id)
    form = await FormFields.read(request)
    values = form.values
    try:
        body = _body(ReasonIn, {"reason": values.get("reason", "")}, form)
        await days.cancel_day(meihao, community, day_id, body.reason, principal)
    except FormError:
        return await _day_form(request, meihao, community, day_id, values={"capacity": str(day.capacity), **values},
                               errors={"reason": "reason"}, status_code=400)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        return await _day_form(request, meihao, community, day_id, values={"capacity": str(day.capacity), **values},
                               errors={"reason": "day_begun"}, status_code=409)
    return Redirect(_page(community, f"markets?done=day_cancelled#m{day.market_id}"), status_code=303)


# -- partner merchants ---------------------------------------------------------------------------------


@get("/merchants", guards=[page_requires(READ)])
async def merchants_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller) -> Response[str]:
    """Partner merchants (合作商户), phones masked as in the API; who manages registers new ones here."""
    return await _merchants(request, community, principal)


async def _merchants(
    request: Request[Any, Any, Any], community: CommunityInfo, principal: Principal, *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response[str]:
    return render_page(
        request, "markets/manage/merchants.html", status_code=status_code, community=community,
        merchants=await merchants.list_merchants(community), kinds=MERCHANT_KINDS, values=values or {"kind": "shop"},
        errors=errors or {}, messages=MESSAGES, can_manage=principal.can(MANAGE),
        done=DONE.get(request.query_params.get("done", ""), "") if status_code == 200 else "",
    )


@post("/merchants/new", guards=[page_requires(MANAGE)])
async def create_merchant(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller
) -> Response[Any]:
    """POST /merchants of the API: a partner merchant; its contact's phone is kept in full and shown masked."""
    form = await FormFields.read(request)
    values = form.values
    fields = {"name": values.get("name", ""), "kind": form.choice("kind", MERCHANT_KINDS) or "shop",
              "contact_name": values.get("contact_name", ""), "contact_phone": values.get("contact_phone", ""),
              "contact_resident_id": form.whole("contact_resident_id", negative=True)}
    try:
        created = await merchants.create_merchant(meihao, community, _body(MerchantIn, fields, form), principal)
    except FormError as err:
        return await _merchants(request, community, principal, values=values, errors=err.errors, status_code=400)
    except MeihaoError as err:
        return await _merchants(request, community, principal, values=values, errors=_service_problem(err), status_code=400)
    return Redirect(_page(community, f"merchants?done=merchant_created#r{created.id}"), status_code=303)


async def _merchant_form(
    request: Request[Any, Any, Any], community: CommunityInfo, merchant_id: int, *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response[str]:
    merchant = await merchants.get_merchant(community, merchant_id)
    if values is None:  # the phone is never sent back unmasked: the field starts empty ("keep it")
        values = {"name": merchant.name, "kind": merchant.kind, "contact_name": merchant.contact_name,
                  "contact_resident_id": "" if merchant.contact_resident_id is None else str(merchant.contact_resident_id),
                  "active": "yes" if merchant.active else ""}
    return render_page(request, "markets/manage/merchant_form.html", status_code=status_code, community=community, merchant=merchant,
                       kinds=MERCHANT_KINDS, values=values, errors=errors or {}, messages=MESSAGES)


@get("/merchants/{merchant_id:int}/edit", guards=[page_requires(MANAGE)])
async def edit_merchant_page(request: Request[Any, Any, Any], community: CurrentCommunity, merchant_id: FromPath[int]) -> Response[str]:
    return await _merchant_form(request, community, merchant_id)


@post("/merchants/{merchant_id:int}/edit", guards=[page_requires(MANAGE)])
async def update_merchant(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, merchant_id: FromPath[int]
) -> Response[Any]:
    """PATCH /merchants/{id} of the API: name, kind, contact, a new phone (empty keeps it), whether it may still apply."""
    await merchants.get_merchant(community, merchant_id)
    form = await FormFields.read(request)
    values = form.values
    fields = {"name": values.get("name", ""), "kind": form.choice("kind", MERCHANT_KINDS) or "shop",
              "contact_name": values.get("contact_name", ""), "contact_phone": values.get("contact_phone") or None,
              "contact_resident_id": form.whole("contact_resident_id", negative=True), "active": values.get("active") == "yes"}
    try:
        await merchants.update_merchant(meihao, community, merchant_id, _body(MerchantPatch, fields, form), principal)
    except FormError as err:
        return await _merchant_form(request, community, merchant_id, values=values, errors=err.errors, status_code=400)
    except MeihaoError as err:
        return await _merchant_form(request, community, merchant_id, values=values, errors=_service_problem(err), status_code=400)
    return Redirect(_page(community, f"merchants?done=merchant_saved#r{merchant_id}"), status_code=303)


HANDLERS = [
    markets_page, new_market_page, create_market, edit_market_page, update_market, edit_day_page, set_day_capacity, cancel_day,
    merchants_page, create_merchant, edit_merchant_page, update_merchant,
]
