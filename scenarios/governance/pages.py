"""governance's console pages (``meihao_console_pages``): the grid events list with counts per state, category and grid;
reporting an event on a phone; an event with its history and the actions its state allows (立案, 派遣, 签收, 退单,
反馈, 核查, 结案, 回访); a department's order inbox; whistles with each department's clocks and 督办; patrols (log
one, the day's planned patrols with no log); the month's figures and the departments' ranking.

Every page selects through the same scopes as the API (``event_scope``, ``order_scope``, …) and
every form goes through the API's services under the API route's permission: another grid's event
is the 404 page, as a missing one is.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery
from litestar.response import Redirect
from piccolo.query.functions.aggregate import Count

from meihao import (
    Caller,
    CommunityInfo,
    Conflict,
    ConsolePages,
    CurrentCommunity,
    Forbidden,
    InvalidInput,
    ListQuery,
    NavLink,
    NotFound,
    PathId,
    Principal,
    Runtime,
    TooLarge,
    UnsupportedType,
    community_today,
    delete_attachment,
    download_attachment,
    facet,
    get_work_item,
    list_attachments,
    page_requires,
    pager,
    render_page,
    upload_attachment,
    zh_date,
)
from meihao.tables import Department, Grid, StaffAssignment

from .routes import (
    EVENT_CHECK,
    EVENT_DISPATCH,
    EVENT_READ,
    EVENT_REPORT,
    FIGURES,
    ORDER_HANDLE,
    PATROL_PLAN,
    PATROL_READ,
    PATROL_RECORD,
    WHISTLE_ANSWER,
    WHISTLE_BLOW,
    WHISTLE_RATE,
    WHISTLE_READ,
)
from .schemas import (
    CATEGORIES,
    CallbackIn,
    CheckIn,
    DispatchIn,
    EventIn,
    FeedbackIn,
    PatrolLogIn,
    PatrolPlanIn,
    RatingIn,
    ReasonIn,
    RegisterIn,
    ReportIn,
    WhistleIn,
)
from .services import events, metrics, patrols, whistles
from .services.common import EVENTS, ORDERS, TEAM_ROLES, event_scope
from .services.photos import EVENT_PHOTO, EVENT_PHOTOS
from .tables import Event

HERE = Path(__file__).parent
KEYS = ("state", "category", "grid")
PAGE_SIZE = 50
#: The largest request a form with photos takes (several photos; the kernel checks each against attachment_max_bytes).
PHOTO_FORM_MAX_BYTES = 64 * 1024 * 1024


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it when shown."""
    return message


STATE_LABELS = {
    "reported": N_("Reported"), "registered": N_("Registered"), "dispatched": N_("Dispatched"), "processing": N_("Being handled"),
    "fed_back": N_("Fed back"), "checked": N_("Checked"), "closed": N_("Case closed"), "dismissed": N_("Dismissed"),
}


async def _counts(principal: Any, community: Any, column: Any, chosen: dict[str, Any], leave_out: str) -> dict[Any, int]:
    clauses = event_scope(principal, community)
    for key, value in chosen.items():
        if key != leave_out and value is not None:
            clauses.append({"state": Event.state, "category": Event.category, "grid": Event.grid}[key] == value)
    rows = await Event.select(column.as_alias("value"), Count(Event.id).as_alias("n")).where(*clauses).group_by(column)
    return {r["value"]: r["n"] for r in rows}


@get(["/", "/events"], guards=[page_requires(EVENT_READ)])
async def events_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[str]:
    """The events the viewer reaches, newest first, with counts per state, category and grid."""
    query = ListQuery.read(request, KEYS)
    chosen = {"state": query.get("state"), "category": query.get("category"), "grid": query.integer("grid", 1, 2**31 - 1)}
    path = f"/c/{community.slug}/governance/events"
    page = await events.list_events(meihao, principal, community, state=chosen["state"], category=chosen["category"], grid_id=chosen["grid"],
                                    page=query.page, page_size=PAGE_SIZE)
    grids = {g["id"]: g["name"] for g in await Grid.select(Grid.id, Grid.name).where(Grid.community == community.id).order_by(Grid.code)}
    states = await _counts(principal, community, Event.state, chosen, "state")
    categories = await _counts(principal, community, Event.category, chosen, "category")
    in_grids = await _counts(principal, community, Event.grid, chosen, "grid")
    facets = [
        facet(query, path, "state", N_("State"), [(k, label, states.get(k, 0)) for k, label in STATE_LABELS.items()], translate=True),
        # the categories' English names are their catalogue's message ids (categories.toml → governance.po)
        facet(query, path, "category", N_("Category"), [(k, c["en"], categories.get(k, 0)) for k, c in CATEGORIES.items()], translate=True),
        facet(query, path, "grid", N_("Grid"), [(g, name, in_grids.get(g, 0)) for g, name in grids.items()]),
    ]
    return render_page(request, "governance/events.html", community=community, query=query, list_path=path, facets=facets,
                       events=page.items, total=page.total, pager=pager(query, path, page.total, PAGE_SIZE), grids=grids,
                       state_labels=STATE_LABELS, order_labels=ORDER_STATE_LABELS, base=_base(community),
                       can_report=principal.can(EVENT_REPORT), withdrawn=str(request.query_params.get("withdrawn", "")).isdigit())


# -- shared pieces of the pages below -------------------------------------------------------------------

ORDER_STATE_LABELS = {
    "dispatched": N_("Waiting to be signed"), "signed": N_("Signed, being handled"), "fed_back": N_("Fed back, waiting for the check"),
    "accepted": N_("Accepted"), "returned": N_("Returned"),
}
CALL_STATE_LABELS = {
    "summoned": N_("Summoned"), "signed": N_("Signed"), "contacted": N_("Contacted"), "reported": N_("Reported on site"), "rated": N_("Rated"),
}
SOURCE_LABELS = {"patrol": N_("Found on patrol"), "hotline": N_("12345 hotline"), "resident": N_("Reported by a resident"),
                 "service_desk": N_("From the service desk"), "handed_over": N_("Handed over by another scene")}
LEVEL_LABELS = {"advance": N_("Work-advancing whistle"), "tackle": N_("Hard-problem whistle")}
REASON_LABELS = {"beyond_power": N_("Beyond the street's power"), "joint_enforcement": N_("Joint law enforcement"), "emergency": N_("Emergency")}
CALLBACK_LABELS = {"satisfied": N_("Satisfied"), "basically_satisfied": N_("Basically satisfied"), "unsatisfied": N_("Unsatisfied"),
                   "unreachable": N_("Could not be reached")}
#: A step of an event's history, as what was done (the state it moved to).
STEP_LABELS = {
    "registered": N_("registered it as a case"), "dismissed": N_("did not register it"), "dispatched": N_("dispatched it"),
    "processing": N_("signed the order"), "fed_back": N_("fed back"), "checked": N_("checked it"), "closed": N_("closed the case"),
}
ACTION_LABELS = {"open": N_("reported it"), "transition": N_("Moved"), "assign": N_("Handed over"), "extend": N_("Extended"),
                 "callback": N_("Called back")}
#: What a refused action says on the page (the services speak English to API callers).
PROBLEMS = {
    Conflict: (409, N_("Someone else changed this first; this is how it stands now.")),
    Forbidden: (403, N_("This is not yours to do.")),
    InvalidInput: (400, N_("Please fill in what is asked; nothing was saved.")),
}


def _base(community: CommunityInfo) -> str:
    return f"/c/{community.slug}/governance"


def _common(community: CommunityInfo) -> dict[str, Any]:
    return {"community": community, "base": _base(community), "tz": community.tz, "state_labels": STATE_LABELS,
            "order_labels": ORDER_STATE_LABELS, "call_labels": CALL_STATE_LABELS, "source_labels": SOURCE_LABELS,
            "level_labels": LEVEL_LABELS, "reason_labels": REASON_LABELS, "callback_labels": CALLBACK_LABELS,
            "categories": CATEGORIES, "zh_date": zh_date}


async def _departments() -> list[dict[str, Any]]:
    return await Department.select(Department.code, Department.name).order_by(Department.code)


async def _grid_names(community: CommunityInfo) -> dict[int, str]:
    return {g["id"]: g["name"] for g in await Grid.select(Grid.id, Grid.name).where(Grid.community == community.id).order_by(Grid.code)}


def _problem(err: Exception) -> tuple[int, str]:
    for kind, answer in PROBLEMS.items():
        if isinstance(err, kind):
            return answer
    raise err


# -- reporting an event on a phone ------------------------------------------------------------------------


#: What each field of the report form says when it is missing or wrong (shown beside the field).
REPORT_ERRORS = {
    "grid": N_("Choose the grid where you found it."),
    "category": N_("Choose the class of the event."),
    "place": N_("Say where in at most 200 characters."),
    "text": N_("Say what you found (at most 2,000 characters)."),
}


async def _report_form(request: Request[Any, Any, Any], community: CommunityInfo, principal: Principal, form: dict[str, str],
                       errors: dict[str, str] | None = None, status_code: int = 200) -> Response[str]:
    grids = {g["id"]: g["name"] for g in await Grid.select(Grid.id, Grid.name).where(
        Grid.community == community.id, *principal.where(Grid.community, Grid.id)).order_by(Grid.code)}
    return render_page(request, "governance/report.html", status_code=status_code, **_common(community), grids=grids, form=form,
                       errors=errors or {})


@get("/events/new", guards=[page_requires(EVENT_REPORT)])
async def report_form(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller) -> Response[str]:
    """发现/上报: the grid, the class, where and what, on a phone."""
    return await _report_form(request, community, principal, {"grid": "", "category": "", "place": "", "text": ""})


@post("/events/new", guards=[page_requires(EVENT_REPORT)], request_max_body_size=PHOTO_FORM_MAX_BYTES)
async def report_event(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    raw = await request.form()
    form = {k: str(raw.get(k, "")).strip() for k in ("grid", "category", "place", "text")}
    errors = {k: REPORT_ERRORS[k] for k in ("grid", "category", "text") if not form[k]}
    if form["grid"] and not form["grid"].isdigit():
        errors["grid"] = REPORT_ERRORS["grid"]
    if form["category"] and form["category"] not in CATEGORIES:
        errors["category"] = REPORT_ERRORS["category"]
    if len(form["place"]) > 200:
        errors["place"] = REPORT_ERRORS["place"]
    if len(form["text"]) > 2000:
        errors["text"] = REPORT_ERRORS["text"]
    if errors:
        return await _report_form(request, community, principal, form, errors, 400)
    try:
        event = await events.report_event(meihao, principal, community, EventIn(
            grid_id=int(form["grid"]), category=form["category"], place=form["place"], text=form["text"], source="patrol"))
    except (InvalidInput, NotFound):  # a grid outside the reporter's (the form offers only theirs)
        return await _report_form(request, community, principal, form, {"grid": REPORT_ERRORS["grid"]}, 400)
    files = _uploads(raw) if principal.can(EVENT_PHOTO) else []
    refused = await _attach(meihao, principal, community, event.id, files)
    if refused is not None:
        # the event is kept (reported); its page says which photo was refused, to add another
        status, message, args = refused
        return await _event_page(request, meihao, principal, community, event.id, message, status, args)
    return Redirect(f"{_base(community)}/events/{event.id}", status_code=303)


# -- an event: its history and the actions its state allows -----------------------------------------------


async def _event_page(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, event_id: int,
                      problem: str = "", status_code: int = 200, problem_args: dict[str, Any] | None = None, *,
                      errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response[str]:
    event = await events.get_event(meihao, principal, community, event_id)
    row = await Event.select(Event.item, Event.grid, Event.reported_by).where(Event.id == event_id).first()
    item = await get_work_item(meihao, Principal.system(principal.name), community, row["item"], workflow=EVENTS)
    current = next((o for o in event.orders if o.state not in ORDERS.final), None)
    handler = current is not None and _handles(principal, await _codes(principal), current)
    dispatcher = principal.can(EVENT_DISPATCH)
    checker = principal.can(EVENT_CHECK) and (
        principal.staff_id == event.checker_id if event.checker_id is not None else principal.manages_community(community.id))
    team = await StaffAssignment.select(StaffAssignment.staff, StaffAssignment.staff.name.as_alias("name"), StaffAssignment.role).where(
        StaffAssignment.grid == row["grid"], StaffAssignment.role.is_in(list(TEAM_ROLES)), StaffAssignment.staff.active.eq(True)
    ).order_by(StaffAssignment.staff) if dispatcher and event.state == "registered" else []
    return render_page(
        request, "governance/event.html", status_code=status_code, **_common(community), event=event, history=item["history"],
        grid_name=(await _grid_names(community)).get(event.grid_id, ""), current=current, handler=handler, dispatcher=dispatcher,
        checker=checker, team=team, departments=await _departments() if dispatcher and event.state == "registered" else [],
        callbacks=await events.event_callbacks(meihao, principal, community, event_id), problem=problem, action_labels=ACTION_LABELS, step_labels=STEP_LABELS,
        role_labels=ROLE_LABELS, photos=await list_attachments(EVENT_PHOTOS, principal, community, event_id),
        can_photo=principal.can(EVENT_PHOTO) and event.state not in EVENTS.final, problem_args=problem_args or {},
        max_mb=_megabytes(meihao.settings.attachment_max_bytes), can_blow=principal.can(WHISTLE_BLOW),
        errors=errors or {}, values=values or {}, can_withdraw=_can_withdraw(principal, event, row["reported_by"], dispatcher),
    )


def _can_withdraw(principal: Principal, event: Any, reporter: int | None, dispatcher: bool) -> bool:
    """The withdraw form (撤回) for whom the service lets withdraw: see ``events.withdraw_event``."""
    if event.orders or event.source in events.HANDED_OVER or event.state not in events.WITHDRAWABLE:
        return False
    return dispatcher or (event.state == "reported" and reporter is not None and reporter == principal.staff_id)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}" if size % (1024 * 1024) == 0 else f"{size / (1024 * 1024):.1f}"


# -- photos of an event (现场照片): the kernel's attachments, read and written through the event's scope --------

#: What a refused photo says (the kernel's limits: attachment_max_bytes, attachment_types).
PHOTO_PROBLEMS = {
    TooLarge: (413, N_("A photo is too large: at most %(mb)s MB each. Nothing was kept from it.")),
    UnsupportedType: (415, N_("That file is not a photo (JPEG, PNG or WebP). Nothing was kept from it.")),
}


def _uploads(raw: Any, name: str = "photo") -> list[UploadFile]:
    """The files chosen in the form's ``name`` field (an empty field sends one with no name: left out)."""
    return [f for f in raw.getall(name, []) if isinstance(f, UploadFile) and f.filename]


async def _attach(meihao: Any, principal: Principal, community: CommunityInfo, event_id: int, files: list[UploadFile]) -> tuple[int, str, dict[str, Any]] | None:
    """Attach each photo through the kernel; the first refused one stops there, answered as (status, message, its arguments)."""
    for upload in files:
        data = await upload.read()
        try:
            await upload_attachment(meihao, EVENT_PHOTOS, principal, community, event_id, data, upload.filename or "")
        except (TooLarge, UnsupportedType) as err:
            status, message = next(v for k, v in PHOTO_PROBLEMS.items() if isinstance(err, k))
            return status, message, {"mb": _megabytes(meihao.settings.attachment_max_bytes)}
        except InvalidInput:
            return 400, N_("The photo is empty. Nothing was kept from it."), {}
    return None


@post("/events/{event_id:int}/photos", guards=[page_requires(EVENT_PHOTO)], request_max_body_size=PHOTO_FORM_MAX_BYTES)
async def add_photos(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                     event_id: PathId) -> Response[Any]:
    """Attach photos to an event (from a phone's camera or gallery: ``accept="image/*"``)."""
    await events.get_event(meihao, principal, community, event_id)  # the 404 page outside the scope
    files = _uploads(await request.form())
    if not files:
        return await _event_page(request, meihao, principal, community, event_id, N_("Choose a photo first."), 400)
    refused = await _attach(meihao, principal, community, event_id, files)
    if refused is not None:
        status, message, args = refused
        return await _event_page(request, meihao, principal, community, event_id, message, status, args)
    return Redirect(f"{_base(community)}/events/{event_id}?done=photos#photos", status_code=303)


@get("/events/{event_id:int}/photos/{photo_id:int}", guards=[page_requires(EVENT_READ)], media_type="application/octet-stream")
async def event_photo(community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: PathId, photo_id: PathId) -> Response[bytes]:
    """One photo of an event the viewer reaches (another grid's: 404, as a missing one), never cached."""
    row, data = await download_attachment(meihao, EVENT_PHOTOS, principal, community, event_id, photo_id)
    return Response(data, media_type=row["media_type"], headers={
        "Content-Disposition": "inline" if row["media_type"].startswith("image/") else "attachment",
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"})


@post("/events/{event_id:int}/photos/{photo_id:int}/remove", guards=[page_requires(EVENT_PHOTO)])
async def remove_photo(community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: PathId, photo_id: PathId) -> Response[Any]:
    await delete_attachment(meihao, EVENT_PHOTOS, principal, community, event_id, photo_id)
    return Redirect(f"{_base(community)}/events/{event_id}#photos", status_code=303)


async def _codes(principal: Principal) -> set[str]:
    """The codes of the viewer's departments (the orders and calls name theirs by code)."""
    if not principal.department_staff():
        return set()
    return {d["code"] for d in await Department.select(Department.code).where(Department.id.is_in(sorted(principal.department_ids)))}


@get("/events/{event_id:int}", guards=[page_requires(EVENT_READ)])
async def event_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                     event_id: PathId) -> Response[str]:
    """The event, its orders and its history, with the actions its state allows the viewer."""
    return await _event_page(request, meihao, principal, community, event_id)


def _need(principal: Principal, permission: str) -> None:
    if not principal.can(permission):
        raise Forbidden(f"{permission} is needed")


#: The field of the event page's form each action fills in, and what it says there when it is missing or refused.
ACTION_FIELDS = {
    "dispatch": ("to", N_("Choose a department or someone of the grid's team to send it to.")),
    "dismiss": ("dismiss", N_("Say why it is not a case (at most 500 characters).")),
    "withdraw": ("withdraw", N_("Say why the event is withdrawn (at most 500 characters).")),
    "return": ("return", N_("Say why the order is returned (at most 500 characters).")),
    "feedback": ("feedback", N_("Say what was done (at most 2,000 characters).")),
    "fail": ("fail", N_("Say what is still not solved (at most 500 characters).")),
    "callback": ("result", N_("Choose what the person said on the call-back.")),
}


@post("/events/{event_id:int}", guards=[page_requires(EVENT_READ)])
async def act_on_event(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       event_id: PathId) -> Response[Any]:
    """One action of the event page (``action``), through the API's service and its permission.

    A form left empty or refused for what was typed in is shown again with the message at its field (400)."""
    raw = await request.form()
    action = str(raw.get("action", ""))
    reason = str(raw.get("reason", "")).strip()
    await events.get_event(meihao, principal, community, event_id)  # the 404 page outside the scope, whatever the action
    field = ACTION_FIELDS.get(action)
    try:
        if action == "register":
            _need(principal, EVENT_DISPATCH)
            await events.register_event(meihao, principal, community, event_id, RegisterIn())
        elif action == "dismiss":
            _need(principal, EVENT_DISPATCH)
            await events.dismiss_event(meihao, principal, community, event_id, msgspec.convert({"reason": reason}, ReasonIn))
        elif action == "withdraw":
            await events.withdraw_event(meihao, principal, community, event_id, msgspec.convert({"reason": reason}, ReasonIn))
            return Redirect(f"{_base(community)}/events?withdrawn={event_id}", status_code=303)
        elif action == "dispatch":
            _need(principal, EVENT_DISPATCH)
            target = str(raw.get("to", ""))
            kind, _, value = target.partition(":")
            body = {"department": value} if kind == "department" and value else {"assignee_id": int(value)} if kind == "staff" and value.isdigit() else {}
            await events.dispatch_event(meihao, principal, community, event_id, msgspec.convert(body, DispatchIn))
        elif action in ("sign", "return", "feedback"):
            _need(principal, ORDER_HANDLE)
            order_id = int(str(raw.get("order", "0")) or 0)
            await _order_action(meihao, principal, community, order_id, action, reason)
        elif action in ("pass", "fail"):
            _need(principal, EVENT_CHECK)
            if action == "fail" and not reason:
                raise InvalidInput("reason: say what is still not solved", field="reason")
            await events.check_event(meihao, principal, community, event_id, CheckIn(passed=action == "pass", reason=reason))
        elif action == "close":
            _need(principal, EVENT_DISPATCH)
            await events.close_event(meihao, principal, community, event_id)
        elif action == "callback":
            _need(principal, EVENT_DISPATCH)
            result = str(raw.get("result", ""))
            await events.record_event_callback(meihao, principal, community, event_id, msgspec.convert(
                {"result": result, "contacted": raw.get("contacted") == "yes", "resolved": raw.get("resolved") == "yes", "note": reason}
                if result != "unreachable" else {"result": result, "note": reason}, CallbackIn))
        else:
            raise InvalidInput(f"action: {action!r} is not an action of this page", field="action")
    except (msgspec.ValidationError, InvalidInput) as err:
        if field is None or (isinstance(err, InvalidInput) and err.field == "action"):
            return await _event_page(request, meihao, principal, community, event_id, PROBLEMS[InvalidInput][1], 400)
        return await _event_page(request, meihao, principal, community, event_id, status_code=400, errors={field[0]: field[1]},
                                 values={field[0]: reason if field[0] != "to" else str(raw.get("to", ""))})
    except NotFound as err:
        # a department or a team member the form did not offer (the list changed, or a forged value): at the field
        if action == "dispatch" and err.field in ("department", "assignee_id"):
            return await _event_page(request, meihao, principal, community, event_id, status_code=400, errors={"to": ACTION_FIELDS["dispatch"][1]})
        raise
    except (Conflict, Forbidden) as err:
        status, message = _problem(err)
        return await _event_page(request, meihao, principal, community, event_id, message, status)
    return Redirect(f"{_base(community)}/events/{event_id}?done={action}", status_code=303)


async def _order_action(meihao: Any, principal: Principal, community: CommunityInfo, order_id: int, action: str, text: str) -> None:
    if action == "sign":
        await events.sign_order(meihao, principal, community, order_id)
    elif action == "return":
        await events.return_order(meihao, principal, community, order_id, msgspec.convert({"reason": text}, ReasonIn))
    else:
        await events.feedback_order(meihao, principal, community, order_id, msgspec.convert({"text": text}, FeedbackIn))


# -- a department's (or a grid team member's) order inbox ----------------------------------------------------


async def _orders_page(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, done: bool,
                       problem: str = "", status_code: int = 200, *, errors: dict[str, str] | None = None,
                       values: dict[str, str] | None = None) -> Response[str]:
    codes = await _codes(principal)
    page = await events.list_orders(meihao, principal, community, open_only=not done, page=1, page_size=100)
    if done:
        page.items[:] = [o for o in page.items if o.state in ORDERS.final]
    texts = {e["id"]: e for e in await Event.select(Event.id, Event.text, Event.place, Event.grid).where(
        Event.id.is_in([o.event_id for o in page.items] or [0]))}
    return render_page(request, "governance/orders.html", status_code=status_code, **_common(community), orders=page.items, events=texts,
                       grids=await _grid_names(community), done=done, problem=problem, errors=errors or {}, values=values or {},
                       mine={o.id for o in page.items if _handles(principal, codes, o)})


def _handles(principal: Principal, codes: set[str], order: Any) -> bool:
    """The viewer signs and handles the order: its department's staff, or the grid team member it was handed to."""
    if not principal.can(ORDER_HANDLE):
        return False
    if order.department is not None:
        return order.department in codes
    return order.assignee_id == principal.staff_id


@get("/orders", guards=[page_requires(EVENT_READ)])
async def orders_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                      done: FromQuery[bool] = False) -> Response[str]:
    """派单: the open orders the viewer reaches (a department's staff: their department's), to sign, return or feed back."""
    return await _orders_page(request, meihao, principal, community, done)


@post("/orders/{order_id:int}", guards=[page_requires(ORDER_HANDLE)])
async def act_on_order(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       order_id: PathId) -> Response[Any]:
    raw = await request.form()
    action = str(raw.get("action", ""))
    await events.get_order(meihao, principal, community, order_id)
    try:
        if action not in ("sign", "return", "feedback"):
            raise InvalidInput(f"action: {action!r} is not an action of this page", field="action")
        await _order_action(meihao, principal, community, order_id, action, str(raw.get("text", "")).strip())
    except msgspec.ValidationError:
        # the feedback or the reason left empty (or too long): at that order's field
        key = f"{'fb' if action == 'feedback' else 'ret'}-{order_id}"
        return await _orders_page(request, meihao, principal, community, False, status_code=400,
                                  errors={key: ACTION_FIELDS[action][1]}, values={key: str(raw.get("text", "")).strip()})
    except (Conflict, Forbidden, InvalidInput) as err:
        status, message = _problem(err)
        return await _orders_page(request, meihao, principal, community, False, message, status)
    return Redirect(f"{_base(community)}/orders?signed={order_id}" if action == "sign" else f"{_base(community)}/orders", status_code=303)


# -- whistles: each department's clocks and 督办 ------------------------------------------------------------


async def _whistles_page(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo,
                         problem: str = "", status_code: int = 200, *, errors: dict[str, str] | None = None,
                         values: dict[str, str] | None = None) -> Response[str]:
    page = await whistles.list_whistles(meihao, principal, community, page=1, page_size=50)
    return render_page(request, "governance/whistles.html", status_code=status_code, **_common(community), whistles=page.items,
                       grids=await _grid_names(community), problem=problem, now=meihao.clock.now(),
                       answers=principal.can(WHISTLE_ANSWER) and principal.department_staff(), codes=await _codes(principal),
                       rates=principal.can(WHISTLE_RATE) and principal.manages_community(community.id), can_blow=principal.can(WHISTLE_BLOW),
                       link_title=True, errors=errors or {}, values=values or {})


@get("/whistles", guards=[page_requires(WHISTLE_READ)])
async def whistles_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[str]:
    """吹哨: the whistles the viewer reaches, each department's clocks (签收, 联系, 报到), 督办, and the community's rating."""
    return await _whistles_page(request, meihao, principal, community)


# -- blowing a whistle (吹哨): from an event or on its own; no department is chosen for the worker ---------------

BLOW_FIELDS = ("level", "reason", "title", "text", "grid", "event")
#: What each field of the whistle form says when it is missing (shown beside the field).
BLOW_ERRORS = {
    "level": N_("Choose the whistle's level."),
    "reason": N_("Choose why the departments are summoned."),
    "title": N_("Give the whistle a short title."),
    "text": N_("Say what the matter is and what is asked of the departments."),
    "departments": N_("Choose at least one department to summon."),
    "grid": N_("Choose one of the community's grids, or none."),
    "event": N_("That grid event is not one you can reach."),
}


async def _blow_form(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, form: dict[str, Any],
                     errors: dict[str, str] | None = None, status_code: int = 200) -> Response[str]:
    event = None
    if str(form.get("event", "")).isdigit():
        try:
            event = await events.get_event(meihao, principal, community, int(form["event"]))
        except NotFound:
            event = None
    return render_page(request, "governance/whistle_new.html", status_code=status_code, **_common(community), form=form,
                       errors=errors or {}, departments=await _departments(), grids=await _grid_names(community), event=event)


@get("/whistles/new", guards=[page_requires(WHISTLE_BLOW)])
async def blow_form(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                    event: FromQuery[int | None] = None) -> Response[str]:
    """吹哨: the level, why, the departments summoned (none chosen beforehand); from an event (``?event=``) its grid and text."""
    form: dict[str, Any] = {"level": "", "reason": "", "title": "", "text": "", "grid": "", "event": "", "departments": []}
    if event is not None:
        found = await events.get_event(meihao, principal, community, event)  # another grid's event: the 404 page
        form.update(event=str(found.id), grid=str(found.grid_id), title=found.text[:200],
                    text=found.text + (f"（{found.place}）" if found.place else ""))
    return await _blow_form(request, meihao, principal, community, form)


@post("/whistles/new", guards=[page_requires(WHISTLE_BLOW)])
async def blow(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    raw = await request.form()
    form: dict[str, Any] = {k: str(raw.get(k, "")).strip() for k in BLOW_FIELDS}
    form["departments"] = [str(d) for d in raw.getall("departments", []) if str(d)]
    errors = {k: BLOW_ERRORS[k] for k in ("level", "reason", "title", "text") if not form[k]}
    if form["level"] and form["level"] not in LEVEL_LABELS:
        errors["level"] = BLOW_ERRORS["level"]
    if form["reason"] and form["reason"] not in REASON_LABELS:
        errors["reason"] = BLOW_ERRORS["reason"]
    if not form["departments"]:
        errors["departments"] = BLOW_ERRORS["departments"]
    if not errors:
        body: dict[str, Any] = {"level": form["level"], "reason": form["reason"], "title": form["title"], "text": form["text"],
                                "departments": form["departments"]}
        if form["grid"]:
            body["grid_id"] = int(form["grid"]) if form["grid"].isdigit() else 0
        if form["event"]:
            body["event_id"] = int(form["event"]) if form["event"].isdigit() else 0
        try:
            whistle = await whistles.blow_whistle(meihao, principal, community, msgspec.convert(body, WhistleIn))
        except msgspec.ValidationError:
            errors["text"] = PROBLEMS[InvalidInput][1]
        except NotFound as err:
            field = {"grid_id": "grid", "event_id": "event"}.get(err.field or "", "departments")
            errors[field] = BLOW_ERRORS[field]
        else:
            return Redirect(f"{_base(community)}/whistles/{whistle.id}", status_code=303)
    return await _blow_form(request, meihao, principal, community, form, errors, 400)


@get("/whistles/{whistle_id:int}", guards=[page_requires(WHISTLE_READ)])
async def whistle_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       whistle_id: PathId) -> Response[str]:
    """One whistle: each department's sign, contact and report clocks (due, met, late), 督办, the answers and the rating."""
    whistle = await whistles.get_whistle(meihao, principal, community, whistle_id)
    return render_page(request, "governance/whistle.html", **_common(community), w=whistle, grids=await _grid_names(community),
                       now=meihao.clock.now(), answers=principal.can(WHISTLE_ANSWER) and principal.department_staff(),
                       codes=await _codes(principal), rates=principal.can(WHISTLE_RATE) and principal.manages_community(community.id),
                       link_title=False)


#: What the report (报到) and the rating forms of a call say beside a field left empty or wrong.
CALL_ERRORS = {
    "kind": N_("Choose on site or a written reply."),
    "rep": N_("Say what was done (at most 2,000 characters)."),
    "speed": N_("Rate the speed from 1 to 5."),
    "quality": N_("Rate the quality from 1 to 5."),
    "comment": N_("Keep the comment to 500 characters."),
}


def _call_errors(raw: Any, action: str, call_id: int) -> dict[str, str]:
    """The fields of a call's report or rating form that are missing or wrong, keyed by their field ids (``speed-12``)."""
    checks: list[tuple[str, bool]] = []
    if action == "report":
        text = str(raw.get("text", "")).strip()
        checks = [("kind", str(raw.get("kind", "")) not in ("on_site", "reply")), ("rep", not text or len(text) > 2000)]
    elif action == "rate":
        checks = [(k, str(raw.get(k, "")).strip() not in ("1", "2", "3", "4", "5")) for k in ("speed", "quality")]
        checks.append(("comment", len(str(raw.get("comment", "")).strip()) > 500))
    return {f"{key}-{call_id}": CALL_ERRORS[key] for key, wrong in checks if wrong}


@post("/calls/{call_id:int}", guards=[page_requires(WHISTLE_READ)])
async def act_on_call(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                      call_id: PathId) -> Response[Any]:
    raw = await request.form()
    action = str(raw.get("action", ""))
    try:
        if action in ("sign", "contact", "report"):
            _need(principal, WHISTLE_ANSWER)
        elif action == "rate":
            _need(principal, WHISTLE_RATE)
        else:
            raise InvalidInput(f"action: {action!r} is not an action of this page", field="action")
        await whistles._call_row(principal, community, call_id)  # the 404 page outside the scope, before the fields are read
        errors = _call_errors(raw, action, call_id)
        if errors:
            values = {f"{k}-{call_id}": str(raw.get(f, "")).strip() for k, f in (("kind", "kind"), ("rep", "text"), ("speed", "speed"),
                                                                                  ("quality", "quality"), ("comment", "comment"))}
            return await _whistles_page(request, meihao, principal, community, status_code=400, errors=errors, values=values)
        if action == "sign":
            await whistles.sign_call(meihao, principal, community, call_id)
        elif action == "contact":
            await whistles.contact_call(meihao, principal, community, call_id)
        elif action == "report":
            await whistles.report_call(meihao, principal, community, call_id, msgspec.convert(
                {"kind": str(raw.get("kind", "")), "text": str(raw.get("text", "")).strip()}, ReportIn))
        else:
            speed, quality = str(raw.get("speed", "")), str(raw.get("quality", ""))
            await whistles.rate_call(meihao, principal, community, call_id, msgspec.convert(
                {"speed": int(speed) if speed.isdigit() else 0, "quality": int(quality) if quality.isdigit() else 0,
                 "comment": str(raw.get("comment", "")).strip()}, RatingIn))
    except msgspec.ValidationError:
        return await _whistles_page(request, meihao, principal, community, PROBLEMS[InvalidInput][1], 400)
    except (Conflict, Forbidden, InvalidInput) as err:
        status, message = _problem(err)
        return await _whistles_page(request, meihao, principal, community, message, status)
    return Redirect(f"{_base(community)}/whistles", status_code=303)


# -- patrols: record one on a phone, the day's grid workers without a log ------------------------------------


async def _patrols_page(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, day: date | None,
                        problem: str = "", status_code: int = 200, *, errors: dict[str, str] | None = None,
                        values: dict[str, str] | None = None) -> Response[str]:
    today = community_today(meihao, community)
    day = day or today - timedelta(days=1)
    grids = {g["id"]: g["name"] for g in await Grid.select(Grid.id, Grid.name).where(
        Grid.community == community.id, *principal.where(Grid.community, Grid.id)).order_by(Grid.code)}
    logs = await patrols.list_patrols(meihao, principal, community)
    return render_page(request, "governance/patrols.html", status_code=status_code, **_common(community), today=today, day=day,
                       missing=await patrols.missing_patrols(meihao, principal, community, day), logs=logs[:10], grids=grids,
                       all_grids=await _grid_names(community), can_record=principal.can(PATROL_RECORD), problem=problem,
                       errors=errors or {}, values=values or {},
                       logged_today={log.grid_id for log in logs if log.patrolled_on == today and log.staff_id == principal.staff_id})


@get("/patrols", guards=[page_requires(PATROL_READ)])
async def patrols_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       day: FromQuery[date | None] = None) -> Response[str]:
    """巡查: log today's patrol; the planned patrols of a day with no log (default yesterday); the latest logs."""
    return await _patrols_page(request, meihao, principal, community, day)


#: What each field of the patrol log says when it is wrong (beside the field).
PATROL_ERRORS = {
    "grid": N_("Choose one of your grids."),
    "events_found": N_("Give the number of events found, a whole number from 0 to 1,000."),
    "notes": N_("Keep the notes to 2,000 characters."),
}


@post("/patrols", guards=[page_requires(PATROL_RECORD)])
async def record_patrol(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    raw = await request.form()
    values = {k: str(raw.get(k, "")).strip() for k in ("grid", "events_found", "notes")}
    found = values["events_found"] or "0"
    errors = {}
    if not values["grid"].isdigit():
        errors["grid"] = PATROL_ERRORS["grid"]
    if not found.isdigit() or int(found) > 1000:
        errors["events_found"] = PATROL_ERRORS["events_found"]
    if len(values["notes"]) > 2000:
        errors["notes"] = PATROL_ERRORS["notes"]
    try:
        if errors:
            raise InvalidInput("the patrol log's fields", field="form")
        await patrols.record_patrol(meihao, principal, community, msgspec.convert(
            {"grid_id": int(values["grid"]), "notes": values["notes"], "events_found": int(found)}, PatrolLogIn))
    except (msgspec.ValidationError, InvalidInput, NotFound) as err:
        # a grid not among the worker's (the form offers only theirs) is named at the grid field, as a missing choice is
        if isinstance(err, NotFound):
            errors["grid"] = PATROL_ERRORS["grid"]
        if not errors:
            return await _patrols_page(request, meihao, principal, community, None, PROBLEMS[InvalidInput][1], 400)
        return await _patrols_page(request, meihao, principal, community, None, status_code=400, errors=errors, values=values)
    except Conflict:
        return await _patrols_page(request, meihao, principal, community, None, N_("Today's patrol of this grid is already logged."), 409)
    return Redirect(f"{_base(community)}/patrols?logged=1", status_code=303)


# -- planning patrols: who patrols each grid and how often; today's planned patrols with no log yet --------------

FREQUENCY_LABELS = {"daily": N_("Every day"), "workdays": N_("Working days")}


async def _plans_page(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo,
                      problem: str = "", status_code: int = 200, errors: dict[str, str] | None = None) -> Response[str]:
    today = community_today(meihao, community)
    grids = {g["id"]: g["name"] for g in await Grid.select(Grid.id, Grid.name).where(
        Grid.community == community.id, *principal.where(Grid.community, Grid.id)).order_by(Grid.code)}
    team: dict[int, list[dict[str, Any]]] = {g: [] for g in grids}
    for r in await StaffAssignment.select(StaffAssignment.grid, StaffAssignment.staff, StaffAssignment.staff.name.as_alias("name"),
                                          StaffAssignment.role).where(StaffAssignment.grid.is_in(list(grids) or [0]),
                                                                      StaffAssignment.role.is_in(list(TEAM_ROLES)),
                                                                      StaffAssignment.staff.active.eq(True)).order_by(StaffAssignment.staff):
        team[r["grid"]].append(r)
    plans: dict[int, list[Any]] = {g: [] for g in grids}
    for plan in await patrols.list_plans(meihao, principal, community):
        plans.setdefault(plan.grid_id, []).append(plan)
    settings = await patrols.settings_of(meihao, community)
    return render_page(request, "governance/patrol_plans.html", status_code=status_code, **_common(community), today=today, grids=grids,
                       team=team, plans=plans, missing_today=await patrols.missing_patrols(meihao, principal, community, today),
                       can_plan=principal.can(PATROL_PLAN), default_frequency=settings.patrol_frequency,
                       frequency_labels=FREQUENCY_LABELS, role_labels=ROLE_LABELS, problem=problem, errors=errors or {})


@get("/patrols/plans", guards=[page_requires(PATROL_READ)])
async def plans_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[str]:
    """巡查计划: each grid's plans (the full-time grid worker daily by default: ``patrol_frequency``), and who has no log yet today."""
    return await _plans_page(request, meihao, principal, community)


@post("/patrols/plans", guards=[page_requires(PATROL_PLAN)])
async def set_plan(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    raw = await request.form()
    grid, staff, frequency = (str(raw.get(k, "")).strip() for k in ("grid", "staff", "frequency"))
    try:
        await patrols.set_plan(meihao, principal, community, msgspec.convert(
            {"grid_id": int(grid) if grid.isdigit() else 0, "staff_id": int(staff) if staff.isdigit() else 0,
             "frequency": frequency if frequency in FREQUENCY_LABELS else None, "active": frequency != "stopped"}, PatrolPlanIn))
    except (msgspec.ValidationError, NotFound):
        # at the grid's own form (someone not of the grid's team, or no one, chosen); a grid out of reach has no form: said above them
        if grid.isdigit():
            return await _plans_page(request, meihao, principal, community, status_code=400,
                                     errors={f"staff-{grid}": N_("Choose someone of the grid's team and how often.")})
        return await _plans_page(request, meihao, principal, community, N_("Choose someone of the grid's team and how often."), 400)
    return Redirect(f"{_base(community)}/patrols/plans?planned={grid}#grid-{grid}", status_code=303)


# -- the month's figures and the departments' ranking ------------------------------------------------------


@get("/figures", guards=[page_requires(FIGURES)])
async def figures_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       month: FromQuery[str | None] = None) -> Response[str]:
    """The month's figures (结案率, 按期结案率, 小事不出网格, 及时签收率, the 三率), per grid, and the departments' ranking."""
    from .routes import _month

    chosen = _month(meihao, community, month)
    year, number = (int(p) for p in chosen.split("-"))
    previous = f"{year - (number == 1)}-{(number - 2) % 12 + 1:02d}"
    following = f"{year + (number == 12)}-{number % 12 + 1:02d}"
    return render_page(request, "governance/figures.html", **_common(community), month=chosen, year=year, number=number,
                       previous=previous, following=following,
                       totals=await metrics.figures(meihao, principal, community, chosen),
                       grids=await metrics.grid_figures(meihao, principal, community, chosen),
                       ranking=await metrics.department_ranking(meihao, principal, community, chosen))


ROLE_LABELS = {"grid_leader": N_("Grid leader"), "grid_worker": N_("Grid worker"), "grid_part_time": N_("Part-time grid worker"),
               "dispatched": N_("Sent down to the grid")}


PAGES = ConsolePages(
    handlers=[events_page, report_form, report_event, event_page, act_on_event, add_photos, event_photo, remove_photo, orders_page, act_on_order, whistles_page, blow_form, blow, whistle_page, act_on_call,
              patrols_page, record_patrol, plans_page, set_plan, figures_page],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[NavLink("网格事件", "Grid events", "events", permission=EVENT_READ),
         NavLink("派单", "Orders", "orders", permission=EVENT_READ),
         NavLink("吹哨", "Whistles", "whistles", permission=WHISTLE_READ),
         NavLink("巡查", "Patrols", "patrols", permission=PATROL_READ),
         NavLink("统计", "Figures", "figures", permission=FIGURES)],
)
