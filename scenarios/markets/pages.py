"""The markets scene's console pages (睦邻善市公益市集): market days, applications to decide, the waiting list, proceeds; its card and queue.

Pages call the same service functions as the API routes, with the same permissions, so that
a page shows exactly what the viewer could read through the API (out of scope = the 404 page).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Stream
from piccolo.query.functions.aggregate import Count

from meihao import (
    BulkAction,
    Caller,
    CardFigure,
    CommunityInfo,
    ConsoleCard,
    ConsolePages,
    CurrentCommunity,
    Facet,
    FormFields,
    InvalidInput,
    ListQuery,
    MeihaoError,
    NavLink,
    Option,
    Principal,
    QueueItem,
    Runtime,
    audit,
    bulk_action,
    community_today,
    csv_download,
    facet,
    list_views,
    page_requires,
    render_page,
    saved_view_handlers,
    scope_where,
    xlsx_download,
    yuan_to_fen,
)
from meihao.tables import Community, Resident

from .manage_pages import HANDLERS as MANAGE_HANDLERS
from .routes import DECIDE, READ, READ_APPLICATIONS, READ_PROCEEDS, RECORD
from .schemas import ApplicationOut, MarketDayOut, PointsPaymentIn
from .services import applications, days, listing, markets, points, proceeds
from .services.applications import PLACED_BY
from .statement_pages import HANDLERS as STATEMENT_HANDLERS
from .tables import Application, MarketDay, Proceeds

HERE = Path(__file__).parent
SCENE = "markets"
#: Days that ended this long ago and still lack proceeds stay in the queue; older ones are left to the records.
PROCEEDS_LOOKBACK = timedelta(days=60)


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it where it is shown."""
    return message


DAY_STATUS = {"open": N_("Taking applications"), "closed": N_("Applications closed"), "cancelled": N_("Cancelled")}
DAY_TONE = {"open": "ok", "closed": "warn", "cancelled": "alert"}
APPLICATION_STATUS = {
    "pending": N_("Waiting for a decision"), "approved": N_("Approved"), "waitlisted": N_("Waiting list"),
    "refused": N_("Refused"), "cancelled": N_("Withdrawn"),
}
MESSAGES = {
    "reason": N_("Say why the application is refused: the applicant is told."),
    "reason_long": N_("The reason is too long (500 characters at most)."),
    "amount": N_("Enter the amount in yuan, e.g. 120 or 85.50."),
    "decided": N_("This application was decided already, or its market day has begun; the list is up to date now."),
    "proceeds_early": N_("Proceeds are recorded once the market day has begun."),
    "proceeds_status": N_("Proceeds are recorded for approved stalls only."),
    "too_much": N_("That amount is more than one stall can raise; check the figure."),
    "people_served": N_("Enter how many people this stall served, a whole number from 0 to 2000."),
    "waiver_reason": N_("Say why the fee is waived (e.g. a family on minimum living allowance), at most 200 characters."),
    "waiver_status": N_("Only a stall still approved, waiting or to decide can have its fee waived."),
    "no_fee": N_("This market takes no stall fee or contribution: there is nothing to waive."),
    # the points form (street16)
    "points_number": N_("Enter the points paid, a whole number from 1 to 100000."),
    "points_name": N_("Enter the name of the resident who pays."),
    "points_nobody": N_("No resident of that name in your area of this community."),
    "points_several": N_("Several residents have that name: choose which one."),
    "points_short": N_("The balance is smaller than that: %(balance)s points left."),
    "points_closed": N_("This market does not take volunteer points, or its day has not begun."),
    "points_status": N_("Points are paid at approved stalls only."),
}


# -- helpers --------------------------------------------------------------------------------


def _local(value: datetime | None, community: CommunityInfo) -> datetime | None:
    return value.astimezone(community.tz) if value is not None else None


def _back(form: dict[str, Any], fallback: str) -> str:
    """Where to go after a one-tap action: a local path given by the form (the queue, say), else ``fallback``."""
    target = str(form.get("next", ""))
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target and "\n" not in target
    return target if local else fallback


async def _form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return dict(await request.form())


async def _upcoming_days(mh: Any, community: CommunityInfo) -> list[tuple[Any, MarketDayOut]]:
    """(market, day) of every active market's days that are not over, in time order."""
    now = mh.clock.now()
    today = community_today(mh, community)
    found = []
    for market in await markets.list_markets(mh, community):
        if market.status != "active":
            continue
        for day in await days.list_days(mh, community, market.id, today, None):
            if day.ends_at > now:
                found.append((market, day))
    return sorted(found, key=lambda pair: (pair[1].starts_at, pair[0].id))


async def _applications_of(
    mh: Any, community: CommunityInfo, principal: Principal, status: str
) -> list[dict[str, Any]]:
    """Per coming day (not cancelled), its applications in ``status`` that the viewer's scope reaches."""
    groups = []
    for market, day in await _upcoming_days(mh, community):
        if day.status == "cancelled":
            continue
        rows = await applications.list_applications(mh, community, day.id, principal, status)
        if status == "waitlisted":
            rows.sort(key=lambda a: a.waitlist_position or 0)
        if rows:
            groups.append({"market": market, "day": day, "starts": _local(day.starts_at, community),
                           "closes": _local(day.applications_close_at, community), "applications": rows})
    return groups


# -- market days ------------------------------------------------------------------------------


@get(["/", "/days"], guards=[page_requires(READ)])
async def days_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """The coming market days of every market, with their state and stalls."""
    rows = [
        {"market": market, "day": day, "starts": _local(day.starts_at, community), "closes": _local(day.applications_close_at, community)}
        for market, day in await _upcoming_days(meihao, community)
    ]
    return render_page(request, "markets/days.html", community=community, rows=rows, day_status=DAY_STATUS, day_tone=DAY_TONE,
                       can_read_applications=principal.can(READ_APPLICATIONS))


@get("/days/{day_id:int}", guards=[page_requires(READ)])
async def day_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, day_id: FromPath[int]) -> Response[str]:
    return await _render_day(request, meihao, community, principal, day_id)


async def _render_day(
    request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, day_id: int, *, status_code: int = 200,
    errors: dict[int, str] | None = None, values: dict[int, str] | None = None, waiver_values: dict[int, str] | None = None,
    waiver_errors: dict[int, str] | None = None, points_form: dict[str, Any] | None = None,
) -> Response[str]:
    day = await days.get_day(mh, community, day_id)
    market = await markets.get_market(mh, community, day.market_id)
    rows: list[ApplicationOut] = []
    if principal.can(READ_APPLICATIONS):
        rows = await applications.list_applications(mh, community, day_id, principal)
    begun = day.status != "cancelled" and day.starts_at <= mh.clock.now()
    return render_page(
        request, "markets/day.html", status_code=status_code, community=community, market=market, day=day,
        starts=_local(day.starts_at, community), closes=_local(day.applications_close_at, community),
        applications=rows, day_status=DAY_STATUS, day_tone=DAY_TONE, application_status=APPLICATION_STATUS,
        can_record=begun and principal.can(RECORD), can_decide=principal.can(DECIDE) and day.starts_at > mh.clock.now(),
        errors=errors or {}, values=values or {}, waiver_values=waiver_values or {}, waiver_errors=waiver_errors or {}, done=request.query_params.get("done", ""),
        can_waive=principal.can(DECIDE) and market.money != "none", held=begun, can_read_statement=principal.can(READ_PROCEEDS),
        points_form=points_form or {}, paid=request.query_params.get("paid", ""), balance=request.query_params.get("balance", ""),
    )


# -- applications: the list, approve or refuse -----------------------------------------------------

#: The applications list's filter keys: a coming market day (its id) and a status (``all`` for any; none given: pending).
APPLICATION_KEYS = ("day", "status")
#: The saved views of the applications list are kept under this name.
APPLICATIONS_AREA = "markets.applications"
#: What a bulk decision does to every pending application the filter matches.
BULK_ACTIONS = ("approve", "refuse")
BULK_OUTCOMES = {
    "approved": N_("Approved"), "waitlisted": N_("Waiting list (the day was full)"), "refused": N_("Refused"),
    "decided": N_("Not changed: decided meanwhile, or its day has begun"),
}


def _application_query(query: ListQuery) -> tuple[int | None, str | None]:
    """The filter's day id and status (None: any); a status not known or a day that is not a number is a 400 naming it."""
    status = query.get("status") or "pending"
    if status != "all" and status not in listing.STATUSES:
        raise InvalidInput(f"status: one of all, {', '.join(listing.STATUSES)}", field="status")
    return query.integer("day", 1, 2**31 - 1), None if status == "all" else status


async def _application_filter(mh: Any, community: CommunityInfo, query: ListQuery) -> tuple[listing.ApplicationFilter, list[Any]]:
    day_id, status = _application_query(query)
    coming = [(market, day) for market, day in await _upcoming_days(mh, community) if day.status != "cancelled"]
    return listing.ApplicationFilter(tuple(day.id for _, day in coming), day_id, status), coming


def _applications_path(community: CommunityInfo) -> str:
    return f"/c/{community.slug}/{SCENE}/applications"


@get("/applications", guards=[page_requires(READ_APPLICATIONS)])
async def applications_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """Applications of the coming market days, waiting for a decision unless the filter says otherwise, with counts per day
    and status; one tap approves, a reason refuses, and a bulk decision takes every pending one the filter matches."""
    return await _render_applications(request, meihao, community, principal)


async def _render_applications(
    request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, *, status_code: int = 200,
    errors: dict[int, str] | None = None, values: dict[int, str] | None = None, alert: str = "",
) -> Response[str]:
    query = ListQuery.read(request, APPLICATION_KEYS)
    filters, coming = await _application_filter(mh, community, query)
    path = _applications_path(community)
    groups = []
    for market, day in coming:
        if filters.day_id is not None and day.id != filters.day_id:
            continue
        rows = await applications.list_applications(mh, community, day.id, principal, filters.status)
        if rows:
            groups.append({"market": market, "day": day, "starts": _local(day.starts_at, community),
                           "closes": _local(day.applications_close_at, community), "applications": rows})
    per_day = await listing.counts_by(principal, community, filters, "market_day")
    per_status = await listing.counts_by(principal, community, filters, "status")
    day_facet = facet(query, path, "day", N_("Market day"),
                      [(day.id, f"{_local(day.starts_at, community):%Y-%m-%d} {market.name}", per_day.get(day.id, 0)) for market, day in coming])
    shown_status = filters.status or "all"
    status_facet = Facet("status", N_("Status"), [
        Option(value, label, count, value == shown_status, query.href(path, status=value))
        for value, label, count in [*((s, APPLICATION_STATUS[s], per_status.get(s, 0)) for s in listing.STATUSES),
                                    ("all", N_("Any status"), sum(per_status.values()))]
        if count or value == shown_status
    ], query.href(path, status="all"), translate=True)
    total = await listing.count(principal, community, filters)
    pending = 0 if filters.status not in (None, "pending") else per_status.get("pending", 0)
    return render_page(request, "markets/applications.html", status_code=status_code, community=community, groups=groups,
                       can_decide=principal.can(DECIDE), errors=errors or {}, values=values or {}, alert=alert,
                       done=request.query_params.get("done", "") if status_code == 200 else "",
                       query=query, list_path=path, facets=[day_facet, status_facet], total=total, pending=pending,
                       views=await list_views(principal, APPLICATIONS_AREA), application_status=APPLICATION_STATUS)


def _bulk_reason(action: str, values: Any) -> tuple[str, str]:
    """The reason a bulk refusal gives every applicant, and the problem with it (a MESSAGES key, or "")."""
    reason = str(values.get("reason", "")).strip()
    if action != "refuse":
        return "", ""
    return reason, "reason" if not reason else "reason_long" if len(reason) > 500 else ""


async def _bulk_step(request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, values: Any,
                     posted: bool) -> tuple[BulkAction, list[int]]:
    """The step and the pending applications it takes: counted and listed once, by the same scoped query."""
    query = ListQuery.parse(dict(values), APPLICATION_KEYS)
    filters, _ = await _application_filter(mh, community, query)
    # a decision takes pending applications only: of the filter's, those still pending
    pending = replace(filters, status="pending") if filters.status in (None, "pending") else None
    ids = [] if pending is None else await listing.matching_ids(principal, community, pending)

    async def count() -> int:
        return len(ids)

    return await bulk_action(query, str(values.get("action", "")), BULK_ACTIONS, count, values if posted else None), ids


async def _render_bulk(request: Request[Any, Any, Any], community: CommunityInfo, bulk: BulkAction, *, reason: str = "", problem: str = "",
                       results: list[dict[str, Any]] | None = None, status_code: int = 200) -> Response[str]:
    return render_page(request, "markets/bulk.html", status_code=status_code, community=community, bulk=bulk, reason=reason,
                       problem=MESSAGES.get(problem, ""), results=results, outcomes=BULK_OUTCOMES, list_path=_applications_path(community),
                       described=await _described(community, bulk.query))


async def _described(community: CommunityInfo, query: ListQuery) -> list[tuple[str, str]]:
    """The filter in words for the confirmation: (message id of the key, value shown)."""
    described = []
    day_id, status = _application_query(query)
    if day_id is not None:
        day = await MarketDay.select(MarketDay.day, MarketDay.market.name.as_alias("market")).where(
            MarketDay.id == day_id, MarketDay.community == community.id).first()
        described.append((N_("Market day"), f"{day['day']:%Y-%m-%d} {day['market']}" if day else str(day_id)))
    described.append((N_("Status"), APPLICATION_STATUS[status] if status else N_("Any status")))
    return described


@get("/applications/bulk", guards=[page_requires(DECIDE)])
async def bulk_confirm(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """How many pending applications the filter matches, before any is decided; a refusal needs its reason first."""
    values = request.query_params
    bulk, _ = await _bulk_step(request, meihao, community, principal, values, posted=False)
    reason, problem = _bulk_reason(bulk.action, values)
    return await _render_bulk(request, community, bulk, reason=reason, problem=problem, status_code=400 if problem else 200)


@post("/applications/bulk", guards=[page_requires(DECIDE)])
async def bulk_apply(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """Decide every pending application the filter matches now, one by one through the API's service (which keeps to the
    day's capacity: approving on a full day puts the applicant on the waiting list); each one's outcome is shown."""
    values = await _form(request)
    bulk, ids = await _bulk_step(request, meihao, community, principal, values, posted=True)
    reason, problem = _bulk_reason(bulk.action, values)
    if problem:
        return await _render_bulk(request, community, bulk, reason=reason, problem=problem, status_code=400)
    if bulk.stale:
        return await _render_bulk(request, community, bulk, reason=reason, status_code=bulk.status_code)
    results = []
    for application_id in ids:  # exactly those counted now, oldest application first
        try:
            if bulk.action == "approve":
                decided = await applications.approve(meihao, community, application_id, principal)
            else:
                decided = await applications.refuse(meihao, community, application_id, reason, principal)
            outcome = decided.status
        except MeihaoError as err:
            if err.status_code != 409:
                raise
            decided, outcome = await applications.get_application(meihao, community, application_id, principal), "decided"
        results.append({"application": decided, "outcome": outcome})
    return await _render_bulk(request, community, bulk, reason=reason, results=results)


async def _application_rows(request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, kind: str) -> Any:
    query = ListQuery.read(request, APPLICATION_KEYS)
    filters, _ = await _application_filter(mh, community, query)
    await audit(principal, "markets.application.export", "markets.application", "", community_id=community.id,
                detail={**query.values, "format": kind})
    return listing.export_rows(principal, community, filters)


@get("/applications/export.csv", guards=[page_requires(READ_APPLICATIONS)])
async def applications_csv(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Stream:
    """The applications the list shows (its whole filter), as CSV with a BOM: names as shown, no phone or ID card."""
    rows = await _application_rows(request, meihao, community, principal, "csv")
    return csv_download(rows, f"applications-{community.slug}-{meihao.clock.now():%Y%m%d-%H%M}.csv")


@get("/applications/export.xlsx", guards=[page_requires(READ_APPLICATIONS)])
async def applications_xlsx(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[Any]:
    rows = await _application_rows(request, meihao, community, principal, "xlsx")
    return await xlsx_download(rows, f"applications-{community.slug}-{meihao.clock.now():%Y%m%d-%H%M}.xlsx", sheet="applications")


@post("/applications/{application_id:int}/approve", guards=[page_requires(DECIDE)])
async def approve_application(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, application_id: FromPath[int]
) -> Response[Any]:
    form = await _form(request)
    try:
        decided = await applications.approve(meihao, community, application_id, principal)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        return await _render_applications(request, meihao, community, principal, status_code=409, alert=MESSAGES["decided"])
    outcome = "approved" if decided.status == "approved" else "waitlisted"
    return Redirect(_back(form, f"/c/{community.slug}/{SCENE}/applications?done={outcome}"), status_code=303)


@post("/applications/{application_id:int}/refuse", guards=[page_requires(DECIDE)])
async def refuse_application(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, application_id: FromPath[int]
) -> Response[Any]:
    form = await _form(request)
    reason = str(form.get("reason", "")).strip()
    problem = "reason" if not reason else "reason_long" if len(reason) > 500 else ""
    if problem:
        # the record must exist and be the viewer's before a form is shown again for it
        await applications.get_application(meihao, community, application_id, principal)
        return await _render_applications(request, meihao, community, principal, status_code=400, errors={application_id: MESSAGES[problem]},
                                          values={application_id: reason})
    try:
        await applications.refuse(meihao, community, application_id, reason, principal)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        return await _render_applications(request, meihao, community, principal, status_code=409, alert=MESSAGES["decided"])
    return Redirect(_back(form, f"/c/{community.slug}/{SCENE}/applications?done=refused"), status_code=303)


@get("/waiting", guards=[page_requires(READ_APPLICATIONS)])
async def waiting_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """The waiting list of each coming market day, in the order stalls are given when one frees."""
    groups = await _applications_of(meihao, community, principal, "waitlisted")
    return render_page(request, "markets/waiting.html", community=community, groups=groups)


# -- waivers (减免) --------------------------------------------------------------------------------------


@post("/applications/{application_id:int}/waiver", guards=[page_requires(DECIDE)])
async def set_waiver(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, application_id: FromPath[int]
) -> Response[Any]:
    """PUT /applications/{id}/waiver of the API: ``waived`` yes with a reason, or no to take the waiver back."""
    application = await applications.get_application(meihao, community, application_id, principal)
    form = await FormFields.read(request)
    waived = form.values.get("waived", "yes") != "no"
    reason = form.values.get("reason", "") if waived else ""
    problem = ""
    if len(reason) > 200:
        problem = "waiver_reason"
    else:
        try:
            await applications.set_waiver(meihao, community, application_id, waived, reason, principal)
        except MeihaoError as err:
            if err.status_code == 404 or err.status_code >= 500:
                raise
            problem = "waiver_reason" if err.field == "reason" else "no_fee" if err.field == "waived" else "waiver_status"
    if problem:
        return await _render_day(request, meihao, community, principal, application.market_day_id,
                                 status_code=409 if problem in ("no_fee", "waiver_status") else 400,
                                 waiver_errors={application_id: MESSAGES[problem]}, waiver_values={application_id: reason})
    done = "waived" if waived else "unwaived"
    return Redirect(f"/c/{community.slug}/{SCENE}/days/{application.market_day_id}?done={done}#a{application_id}", status_code=303)


# -- proceeds -----------------------------------------------------------------------------------


@post("/applications/{application_id:int}/proceeds", guards=[page_requires(RECORD)])
async def record_proceeds(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, application_id: FromPath[int]
) -> Response[Any]:
    form = await _form(request)
    application = await applications.get_application(meihao, community, application_id, principal)
    served = "people_served" in form  # a free-service stall (义诊, 便民服务): people served, not yuan
    raw = str(form.get("people_served" if served else "amount", "")).strip()
    problem = ""
    try:
        if served:
            if not (raw.isascii() and raw.isdigit()):
                raise InvalidInput("people_served: a whole number", field="people_served")
            await proceeds.record_proceeds(meihao, community, application_id, None, "", principal, int(raw))
        else:
            yuan_to_fen(raw, "amount")  # the form's own check first: the service takes a Decimal
            await proceeds.record_proceeds(meihao, community, application_id, Decimal(raw), "", principal)
    except MeihaoError as err:
        if err.status_code == 404 or err.status_code >= 500:
            raise
        if err.status_code == 409:
            problem = "proceeds_early" if err.field == "amount" else "proceeds_status"
        else:
            problem = "people_served" if err.field == "people_served" else "too_much" if "more than" in err.message else "amount"
    if problem:
        return await _render_day(request, meihao, community, principal, application.market_day_id, status_code=400,
                                 errors={application_id: MESSAGES[problem]}, values={application_id: raw})
    return Redirect(f"/c/{community.slug}/{SCENE}/days/{application.market_day_id}?done=proceeds#a{application_id}", status_code=303)


# -- volunteer points paid at a stall (the API's POST /applications/{id}/points) ------------------------------------


async def _residents_named(community: CommunityInfo, principal: Principal, name: str) -> list[dict[str, Any]]:
    """Residents of the community in the viewer's scope with exactly this name (at most 20), with where they live."""
    return await Resident.select(
        Resident.id, Resident.name, Resident.building.name.as_alias("building"), Resident.household.room.as_alias("room"),
    ).where(Resident.community == community.id, Resident.name == name, Resident.id.is_in(principal.residents_in(community.id))).order_by(
        Resident.id).limit(20)


@post("/applications/{application_id:int}/points", guards=[page_requires(RECORD)])
async def pay_points(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, application_id: FromPath[int]
) -> Response[Any]:
    """A resident pays the stall with volunteer points: found by name in the viewer's area (several of that name: a choice
    among them), then the same service as the API; a problem comes back at its field (400)."""
    form = await _form(request)
    application = await applications.get_application(meihao, community, application_id, principal)
    name = str(form.get("resident_name", "")).strip()
    raw = str(form.get("points", "")).strip()
    chosen = str(form.get("resident_id", "")).strip()
    note = str(form.get("note", "")).strip()
    values = {"resident_name": name, "points": raw, "note": note}
    field, problem, choices, detail = "", "", [], {}
    resident_id = int(chosen) if chosen.isascii() and chosen.isdigit() and len(chosen) <= 9 else None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= 100000):
        field, problem = "points", "points_number"
    elif len(note) > 200:
        field, problem = "note", "points_number"
    elif resident_id is None:
        found = await _residents_named(community, principal, name) if name else []
        if not name:
            field, problem = "resident_name", "points_name"
        elif not found:
            field, problem = "resident_name", "points_nobody"
        elif len(found) > 1:
            field, problem, choices = "resident_id", "points_several", found
        else:
            resident_id = found[0]["id"]
    if not problem:
        try:
            paid = await points.pay_with_points(meihao, community, application_id, msgspec.convert(
                {"resident_id": resident_id, "points": int(raw), "note": note}, PointsPaymentIn), principal)
        except MeihaoError as err:
            if err.status_code == 404 and err.field == "resident_id":
                field, problem = "resident_name", "points_nobody"
            elif err.status_code == 409 and err.field == "points" and "balance is" in err.message:
                field, problem = "points", "points_short"
                detail = {"balance": err.message.split("balance is ", 1)[1].split(",", 1)[0]}
            elif err.status_code == 409:
                field, problem = "points", "points_status" if err.field == "status" else "points_closed"
            else:
                raise
    if problem:
        return await _render_day(request, meihao, community, principal, application.market_day_id, status_code=400, points_form={
            "application": application_id, "values": values, "field": field, "message": MESSAGES[problem], "detail": detail,
            "choices": choices})
    return Redirect(f"/c/{community.slug}/{SCENE}/days/{application.market_day_id}?done=points&paid={paid.points}&balance={paid.balance}"
                    f"#a{application_id}", status_code=303)


@get("/proceeds", guards=[page_requires(READ_PROCEEDS)])
async def proceeds_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, year: FromQuery[int | None] = None
) -> Response[str]:
    """Charity proceeds of a year per market and in all, then per market day: the API's proceeds routes, the same scope."""
    this_year = proceeds.this_year(meihao, community)
    year = year or this_year
    if not 2000 <= year <= this_year + 1:
        year = this_year
    totals = await proceeds.community_proceeds(meihao, community, year, principal)
    per_market = [(market, await proceeds.market_proceeds(meihao, community, market.market_id, year, principal)) for market in totals.markets]
    return render_page(request, "markets/proceeds.html", community=community, year=year, years=list(range(this_year, this_year - 4, -1)),
                       totals=totals, per_market=per_market, yuan=_grouped_yuan)


def _grouped_yuan(amount: str) -> str:
    """``"60954.50"`` → ``"60,954.50"``: large sums read at a glance."""
    return f"{Decimal(amount):,.2f}"


# -- the card and the queue -------------------------------------------------------------------------


async def market_figures(mh: Any, principal: Principal, community: CommunityInfo) -> list[CardFigure]:
    """The next market day and, for who may read them, the applications in their scope waiting for a decision."""
    now = mh.clock.now()
    upcoming = await MarketDay.select(MarketDay.day).where(
        MarketDay.community == community.id, MarketDay.status != "cancelled", MarketDay.ends_at > now
    ).order_by(MarketDay.starts_at).first()
    figures = [CardFigure("下次市集", "Next market day", upcoming["day"].strftime("%m-%d") if upcoming else "—")]
    if principal.can(READ_APPLICATIONS):
        coming = MarketDay.select(MarketDay.id).where(MarketDay.status != "cancelled", MarketDay.starts_at > now)
        waiting = await Application.count().where(
            Application.status == "pending", Application.market_day.is_in(coming), *scope_where(principal, community, PLACED_BY),
        )
        figures.append(CardFigure("待审批申请", "Applications waiting", waiting, "warn" if waiting else "ok"))
    return figures


async def running_communities(principal: Principal) -> list[CommunityInfo]:
    """The communities that run the scene and that the viewer's scope reaches."""
    rows = await Community.raw(
        "SELECT c.id, c.slug, c.name, c.timezone FROM meihao_community AS c JOIN meihao_community_scenario AS s ON s.community = c.id "
        "WHERE s.scenario = {} AND s.enabled = {} ORDER BY c.id", SCENE, True,
    )
    return [CommunityInfo(id=r["id"], slug=r["slug"], name=r["name"], timezone=r["timezone"]) for r in rows if principal.reaches_community(r["id"])]


async def queue(mh: Any, principal: Principal) -> list[QueueItem]:
    """Applications waiting for a decision (yellow, for who decides) and market days past without proceeds recorded (red, for who records)."""
    now = mh.clock.now()
    items: list[QueueItem] = []
    for community in await running_communities(principal):
        items += await _pending_applications(principal, community, now)
        items += await _proceeds_missing(principal, community, now)
    return items


async def overdue(mh: Any, principal: Principal) -> list[QueueItem]:
    """The red part of :func:`queue` only (the street overview's): market days past without proceeds recorded."""
    now = mh.clock.now()
    return [item for community in await running_communities(principal) for item in await _proceeds_missing(principal, community, now)]


async def _pending_applications(principal: Principal, community: CommunityInfo, now: datetime) -> list[QueueItem]:
    if not principal.can(DECIDE):
        return []
    base = f"/c/{community.slug}/{SCENE}"
    pending = await Application.select(
        Application.id, Application.goods, Application.resident.name.as_alias("resident_name"),
        Application.merchant.name.as_alias("merchant_name"), Application.market_day.day.as_alias("day"),
        Application.market_day.starts_at.as_alias("starts_at"), Application.market.close_hours.as_alias("close_hours"),
    ).where(
        Application.status == "pending", Application.market_day.status != "cancelled", Application.market_day.starts_at > now,
        *scope_where(principal, community, PLACED_BY),
    ).order_by(Application.market_day.starts_at).order_by(Application.id)
    items = []
    for a in pending:
        who = a["resident_name"] or a["merchant_name"] or ""
        items.append(QueueItem(
            f"审批摊位申请：{who}（{a['goods']}），{a['day']:%m月%d日}市集", f"Decide a stall application: {who} ({a['goods']}), market of {a['day']:%d %b}",
            f"{base}/applications", community.slug, a["starts_at"] - timedelta(hours=a["close_hours"]), "yellow",
            ("通过", "Approve", f"applications/{a['id']}/approve"),
        ))
    return items


async def _proceeds_missing(principal: Principal, community: CommunityInfo, now: datetime) -> list[QueueItem]:
    """Market days of the last weeks with approved stalls but no proceeds recorded, one item per day (counted in SQL)."""
    if not principal.can(RECORD):
        return []
    base = f"/c/{community.slug}/{SCENE}"
    # Subqueries, not Piccolo's joins through ``Application.market_day``: the same rows, a query built in a fraction of the time.
    days_past = MarketDay.select(MarketDay.id).where(
        MarketDay.status != "cancelled", MarketDay.ends_at <= now, MarketDay.ends_at > now - PROCEEDS_LOOKBACK,
    )
    stalls = {r["market_day"]: r["n"] for r in await Application.select(Application.market_day, Count(Application.id, alias="n")).where(
        Application.status == "approved", Application.market_day.is_in(days_past), Application.id.not_in(Proceeds.select(Proceeds.application)),
        *scope_where(principal, community, PLACED_BY),
    ).group_by(Application.market_day)}
    if not stalls:
        return []
    missing = await MarketDay.select(MarketDay.id, MarketDay.day, MarketDay.ends_at, MarketDay.market.name.as_alias("market")).where(
        MarketDay.id.is_in(list(stalls))
    ).order_by(MarketDay.starts_at).order_by(MarketDay.id)
    return [
        QueueItem(
            f"登记善款：{row['market']}（{row['day']:%m月%d日}），{stalls[row['id']]}个摊位未登记",
            f"Record proceeds: {row['market']} ({row['day']:%d %b}), {stalls[row['id']]} stalls without proceeds",
            f"{base}/days/{row['id']}", community.slug, row["ends_at"], "red",
        )
        for row in missing
    ]


PAGES = ConsolePages(
    handlers=[
        days_page, day_page, applications_page, bulk_confirm, bulk_apply, applications_csv, applications_xlsx, approve_application,
        refuse_application, waiting_page, record_proceeds, proceeds_page, set_waiver, pay_points,
        *MANAGE_HANDLERS, *STATEMENT_HANDLERS,
        *saved_view_handlers("/applications", APPLICATIONS_AREA, APPLICATION_KEYS, READ_APPLICATIONS, check=_application_query),
    ],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[
        NavLink("市集日", "Market days", "", permission=READ),
        NavLink("摊位审批", "Stall applications", "applications", permission=READ_APPLICATIONS),
        NavLink("候补名单", "Waiting list", "waiting", permission=READ_APPLICATIONS),
        NavLink("善款", "Proceeds", "proceeds", permission=READ_PROCEEDS),
        NavLink("市集与商户", "Markets and merchants", "markets", permission=READ),
    ],
    cards=[ConsoleCard("markets", "睦邻善市", "Charity markets", market_figures, link="days", permission=READ)],
    queue=queue,
    overdue=overdue,
)
