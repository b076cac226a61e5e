"""service's console pages (``meihao_console_pages``): the request queue, a request and its actions, the 首席接访员
roster of the week and the month's 三率.

The pages call the API's services with the viewer's principal, so a page lists only the requests
its viewer could read through the API, and a request outside the viewer's scope is the same 404
page as a missing one. Every action is a form with the CSRF token that posts back and redirects
(303) to the request, or shows the request again with the problem at its form (400, 409).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from meihao import (
    Caller,
    CardFigure,
    CommunityInfo,
    Conflict,
    ConsoleCard,
    ConsolePages,
    CurrentCommunity,
    Forbidden,
    FormError,
    FormFields,
    InvalidInput,
    ListQuery,
    MeihaoError,
    NavLink,
    PathId,
    Principal,
    Runtime,
    can_hand_over,
    community_today,
    count_work_items,
    facet,
    page_requires,
    pager,
    render_page,
    working_calendar,
    zh_date,
    zh_when,
)
from meihao.tables import Grid

from .assistance_pages import HANDLERS as ASSISTANCE_PAGES
from .routes import ASSIST_READ, CALLBACK, DUTY, READ, WRITE
from .schemas import CHANNELS, TYPES, ActionIn, CallbackIn, DutyIn, ExtensionIn, HandOverIn, RequestIn
from .services import desk, requests
from .services.requests import REQUESTS, SCENARIO, settings_of
from .supervision_pages import HANDLERS as SUPERVISION_PAGES

HERE = Path(__file__).parent
KEYS = ("state", "due")
PAGE_SIZE = 30


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it when shown."""
    return message


STATE_LABELS = {
    "received": N_("Received"), "dispatched": N_("Dispatched"), "signed": N_("Signed for"), "in_progress": N_("Being handled"),
    "replied": N_("Answered"), "visited": N_("Called back"), "closed": N_("Request closed"), "returned": N_("Returned"),
    "reopened": N_("Reopened"),
    "handed_over": N_("Handed over as a grid event"),
}
DUE_LABELS = {"red": N_("Overdue"), "yellow": N_("Due soon"), "today": N_("Due today")}
TYPE_LABELS = {"consultation": N_("Enquiry"), "help": N_("Help"), "complaint": N_("Complaint"), "report": N_("Report"),
               "suggestion": N_("Suggestion")}
CHANNEL_LABELS = {"visit": N_("At the desk"), "phone": N_("By phone"), "hotline": N_("12345 transfer"), "grid": N_("From a grid worker"),
                  "online": N_("Online")}
CALLBACK_LABELS = {"satisfied": N_("Satisfied"), "basically_satisfied": N_("Mostly satisfied"), "unsatisfied": N_("Unsatisfied"),
                   "unreachable": N_("Could not be reached")}
CLOCK_LABELS = {"sign_off": N_("Sign for it"), "resolution": N_("Answer"), "reopen": N_("Answer again")}
EVENT_LABELS = {"open": N_("received it"), "assign": N_("handed it to %(name)s"), "dispatch": N_("dispatched it to %(name)s"), "extend": N_("extended the deadline"),
                "callback": N_("called the requester back")}
#: What a step of the history says, by the state it went to.
STEP_LABELS = {
    "dispatched": N_("dispatched it"), "signed": N_("signed for it"), "in_progress": N_("started handling it"),
    "replied": N_("answered the requester"), "visited": N_("recorded the call-back"), "closed": N_("closed it"),
    "returned": N_("returned it"), "reopened": N_("reopened it"), "handed_over": N_("handed it over as a grid event"),
}
#: The service's problems, as messages the page translates (the service speaks to API callers, in English).
PROBLEMS = {
    "reason": N_("Give a reason."),
    "reply": N_("Write what the requester was told."),
    "assignee": N_("Choose to whom it is handed."),
    "working_days": N_("An extension is 1 to %(most)s working days."),
    "clock": N_("This deadline cannot be extended any more."),
    "text": N_("Write what the requester asked for (at most 2000 characters)."),
    "state": N_("Someone else changed this request first: here it is as it is now."),
    "action": N_("This step is not open to the request now."),
    "return_window": N_("The time to return it has passed: handle it, or ask for it to be handed to someone else."),
    "result": N_("Choose the requester's answer."),
    "form": N_("Something in the form is not right."),
    "channel": N_("Choose how it came in."),
    "type": N_("Choose the type."),
    "grid": N_("Choose a grid of this community."),
    "intake": N_("Governance is not switched on in this community: the request cannot become a grid event here."),
    "handover_grid": N_("The request has no grid: a grid event needs one."),
    # gov4: a grid worker holding a request of another grid (the desk handed it to them)
    "handover_scope": N_("This request is in a grid that is not yours: a grid event there is reported by that grid's team or "
                         "the community's service desk. Ask the desk to turn it into a grid event, or hand the request back."),
}


def _base(community: CommunityInfo) -> str:
    return f"/c/{community.slug}/service"


def _labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "due_labels": DUE_LABELS, "type_labels": TYPE_LABELS, "channel_labels": CHANNEL_LABELS,
            "callback_labels": CALLBACK_LABELS, "clock_labels": CLOCK_LABELS, "event_labels": EVENT_LABELS, "step_labels": STEP_LABELS, "zh_date": zh_date,
            "zh_when": zh_when}


def _running(request: Any) -> Any:
    """The request's most pressing running clock (None when none runs)."""
    running = [c for c in request.clocks if c.stopped_at is None and c.due_at is not None]
    return min(running, key=lambda c: c.due_at, default=None)


def _day_end(meihao: Any, community: CommunityInfo) -> datetime:
    today = community_today(meihao, community)
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=community.tz)


def _urgency(request: Any, now: datetime, day_end: datetime) -> str:
    """``red`` overdue, ``today`` due later today, ``yellow`` past its yellow flag (due later), else ``""``."""
    if request.flag == "red":
        return "red"
    clock = _running(request)
    if clock is not None and now < clock.due_at <= day_end:
        return "today"
    return "yellow" if request.flag == "yellow" else ""


# -- the queue --------------------------------------------------------------------------------


@get(["/", "/requests"], guards=[page_requires(READ)])
async def queue_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[str]:
    """The requests the viewer reaches, newest first; filters with counts by state and deadline (overdue, yellow flag,
    due today), each row flagged."""
    query = ListQuery.read(request, KEYS)
    state, due = query.get("state"), query.get("due")
    if state is not None and state not in STATE_LABELS:
        raise InvalidInput("state: not a state of a request", field="state")
    if due is not None and due not in DUE_LABELS:
        raise InvalidInput("due: overdue, yellow or today", field="due")
    path = f"{_base(community)}/requests"
    now, day_end = meihao.clock.now(), _day_end(meihao, community)
    counts = await count_work_items(meihao, principal, community, scenario=SCENARIO, workflow=REQUESTS.name, due_by=day_end)
    if due == "today":
        # few requests fall due on one day: read the open ones and keep those due later today (yellow or not, as counted)
        rows: list[Any] = []
        for number in range(1, 51):
            chunk = await requests.list_requests(meihao, principal, community, state=state, open_only=True, page=number, page_size=200)
            rows += [r for r in chunk.items if _urgency(r, now, day_end) == "today"]
            if number * 200 >= chunk.total:
                break
        total = len(rows)
        shown = rows[(query.page - 1) * PAGE_SIZE: query.page * PAGE_SIZE]
    else:
        found = await requests.list_requests(meihao, principal, community, state=state, flag=due, page=query.page, page_size=PAGE_SIZE)
        total, shown = found.total, found.items
    names = {s["id"]: s["name"] for s in await requests.team(community)}
    facets = [
        facet(query, path, "due", N_("Deadline"), [("red", DUE_LABELS["red"], counts["red"]), ("yellow", DUE_LABELS["yellow"], counts["yellow"]),
                                                   ("today", DUE_LABELS["today"], counts["due"])], translate=True),
        facet(query, path, "state", N_("State"), [(k, label, counts["by_state"].get(k, 0)) for k, label in STATE_LABELS.items()],
              translate=True),
    ]
    rows_out = [{"r": r, "urgency": _urgency(r, now, day_end), "clock": _running(r), "assignee": names.get(r.assignee or 0, "")}
                for r in shown]
    return render_page(request, "service/queue.html", community=community, base=_base(community), query=query, list_path=path,
                       facets=facets, rows=rows_out, total=total, pager=pager(query, path, total, PAGE_SIZE),
                       can_write=principal.can(WRITE), counts=counts, **_labels())


# -- receiving a request ------------------------------------------------------------------------


async def _new_form(request: Request[Any, Any, Any], community: CommunityInfo, values: dict[str, Any], errors: dict[str, str],
                    status_code: int = 200) -> Response[str]:
    grids = await Grid.select(Grid.id, Grid.name).where(Grid.community == community.id).order_by(Grid.code)
    return render_page(request, "service/new.html", status_code=status_code, community=community, base=_base(community), values=values,
                       errors=errors, messages=PROBLEMS, grids=grids, detail="", **_labels())


@get("/requests/new", guards=[page_requires(WRITE)])
async def new_request(request: Request[Any, Any, Any], community: CurrentCommunity) -> Response[str]:
    """受理: a short form for the desk or a phone (channel, type, where, what was asked)."""
    return await _new_form(request, community, {"channel": "visit", "type": "help"}, {})


@post("/requests/new", guards=[page_requires(WRITE)])
async def receive_request(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    """Receive it through the API's service (the viewer becomes its first receiver) and show it."""
    form = await FormFields.read(request)
    fields = {"channel": form.choice("channel", [k for k in CHANNELS if k != "hotline"]), "type": form.choice("type", list(TYPES)),
              "text": form.text("text") or "", "grid": form.whole("grid"), "settled_on_the_spot": form.text("settled") or ""}
    for name in ("channel", "type", "text"):
        if not fields[name]:
            form.errors.setdefault(name, name)
    try:
        form.check()
        made = await requests.receive(meihao, principal, community, msgspec.convert(fields, RequestIn))
    except FormError as err:
        return await _new_form(request, community, form.values, {k: k if k in PROBLEMS else "form" for k in err.errors}, 400)
    except (MeihaoError, msgspec.ValidationError) as err:
        key = getattr(err, "field", None) if getattr(err, "field", None) in ("text", "grid") else "form"
        return await _new_form(request, community, form.values, {key: key}, 400)
    return Redirect(f"{_base(community)}/requests/{made.id}", status_code=303)


# -- one request ------------------------------------------------------------------------------


def _allowed(principal: Principal, state: str) -> list[str]:
    """The forms the request's page shows: the steps of the workflow open from ``state`` that the viewer may take."""
    steps = {
        "received": ["dispatch"], "dispatched": ["sign", "return"], "returned": ["redispatch"], "signed": ["start"],
        "in_progress": ["reply", "extend"], "reopened": ["reply", "extend"], "replied": ["callback"], "visited": ["close", "reopen"],
        "handed_over": ["reply", "extend"],
    }.get(state, [])
    needs = {"callback": CALLBACK, "close": CALLBACK, "reopen": CALLBACK}
    return [s for s in steps if principal.can(needs.get(s, WRITE))]


async def _request_page(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, request_id: int,
                        *, problem: str = "", problem_form: str = "", values: dict[str, Any] | None = None, status_code: int = 200,
                        done: str = "") -> Response[str]:
    found = await requests.request_detail(meihao, principal, community, request_id)
    settings = await settings_of(meihao, community)
    r = found["request"]
    now, day_end = meihao.clock.now(), _day_end(meihao, community)
    steps = _allowed(principal, r.state)
    handover_elsewhere = False
    if (r.state in requests.HAND_OVER_FROM and not r.handed_to and principal.can(WRITE)
            and await can_hand_over(meihao, requests.EVENT_INTAKE, community.slug)):
        # a grid event is reported by the grid's team or the community's desk: a request of another grid (handed to this
        # worker by the desk) says so instead of offering a button that would be refused (gov4)
        if r.grid is None or principal.manages_community(community.id) or r.grid in principal.grid_ids:
            steps.append("handover")
        else:
            handover_elsewhere = True
    team = await requests.team(community) if {"dispatch", "redispatch"} & set(steps) else []
    grid = await Grid.select(Grid.name).where(Grid.id == r.grid).first() if r.grid else None
    return render_page(
        request, "service/request.html", status_code=status_code, community=community, base=_base(community), r=r,
        history=_history(found["history"]), names=found["names"], callbacks=found["callbacks"], steps=steps, team=team,
        urgency=_urgency(r, now, day_end), clock=_running(r), grid_name=grid["name"] if grid else "", problem=problem,
        problem_form=problem_form, values=values or {}, done=done, max_days=settings.max_extension_working_days, **_labels(),
        handover_note=PROBLEMS["handover_scope"] if handover_elsewhere else "",
    )


def _history(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history as a worker reads it: a 分办 and the handing over it made are one line (分办给陈红)."""
    shown: list[dict[str, Any]] = []
    for event in events:
        previous = shown[-1] if shown else None
        if (event["action"] == "assign" and previous is not None and previous["action"] == "transition"
                and previous["to_state"] == "dispatched" and previous["staff"] == event["staff"]):
            shown[-1] = {**event, "action": "dispatch", "reason": previous["reason"]}
            continue
        shown.append(event)
    return shown


@get("/requests/{request_id:int}", guards=[page_requires(READ)])
async def request_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, request_id: PathId,
    done: FromQuery[str | None] = None,
) -> Response[str]:
    """The request: what was asked, where, its deadlines, its history and call-backs, and the steps the viewer may take."""
    return await _request_page(request, meihao, principal, community, request_id, done=done if done in STATE_LABELS or done == "extended" else "")


def _problem(err: MeihaoError, most: int, problem_form: str = "") -> str:
    field = err.field or "form"
    if isinstance(err, Conflict) and field == "action":
        return PROBLEMS["return_window"]
    if field == "grid" and problem_form == "handover":
        return PROBLEMS["handover_grid"]
    if field in ("length", "working_days"):
        return PROBLEMS["working_days"]  # the page puts in the most (%(most)s)
    return PROBLEMS.get(field, PROBLEMS["form"])


@post("/requests/{request_id:int}", guards=[page_requires(READ, WRITE)])
async def act_on_request(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, request_id: PathId
) -> Response[Any]:
    """One step (``action``): the API's services do it with the viewer's rights; the request's page again after it (303), or with
    the problem at its form (400; 409 when someone else moved the request first)."""
    raw = await request.form()
    action = str(raw.get("action", ""))
    values = {k: str(v).strip() for k, v in raw.items() if k != "_csrf_token"}
    settings = await settings_of(meihao, community)
    await requests.get_request(meihao, principal, community, request_id)  # out of scope: the 404 page, before anything else
    try:
        if action == "extend":
            days = FormFields(values).whole("working_days", required=True)
            if days is None:
                raise InvalidInput("working_days: a whole number of working days", field="working_days")
            await requests.extend(meihao, principal, community, request_id, ExtensionIn(working_days=days, reason=values.get("reason", "")))
            done = "extended"
        elif action == "callback":
            principal.require(CALLBACK)
            result = values.get("result", "")
            if result not in CALLBACK_LABELS:
                raise InvalidInput("result: choose the requester's answer", field="result")
            reached = result != "unreachable"
            await requests.call_back(meihao, principal, community, request_id, CallbackIn(
                result=result, contacted=reached, resolved=values.get("resolved") == "yes" if reached else None, note=values.get("note", "")))
            done = "visited"
        elif action == "handover":
            moved = await requests.hand_to_governance(meihao, principal, community, request_id, HandOverIn(
                reason=values.get("reason", ""), place=values.get("place", ""), expected=values.get("expected") or None))
            done = moved.state
        elif action in requests.ACTIONS:
            if action in ("close", "reopen"):
                principal.require(CALLBACK)
            assignee = FormFields(values).whole("assignee") if action in ("dispatch", "redispatch") else None
            body = ActionIn(action=action, reason=values.get("reason", ""), reply=values.get("reply", ""), assignee=assignee,  # type: ignore[arg-type]
                            expected=values.get("expected") or None)
            moved = await requests.act(meihao, principal, community, request_id, body)
            done = moved.state
        else:
            raise InvalidInput("action: not a step of a request", field="action")
    except MeihaoError as err:
        if action == "handover" and isinstance(err, Forbidden) and err.field == "grid":
            # gov4: the request is in a grid outside the viewer's; they see the request, so say why at the form (403)
            return await _request_page(request, meihao, principal, community, request_id, problem=PROBLEMS["handover_scope"],
                                       problem_form=action, values=values, status_code=403)
        if err.status_code in (403, 404):
            raise
        conflict = isinstance(err, Conflict) and err.field == "state"
        return await _request_page(request, meihao, principal, community, request_id, problem=_problem(err, settings.max_extension_working_days, action),
                                   problem_form="" if conflict else action, values=values, status_code=409 if conflict else err.status_code)
    try:
        await requests.get_request(meihao, principal, community, request_id)
    except MeihaoError:  # handed out of the viewer's sight (a grid worker dispatching to another grid's staff)
        return Redirect(f"{_base(community)}/requests", status_code=303)
    return Redirect(f"{_base(community)}/requests/{request_id}?done={done}", status_code=303)


# -- the roster of the week -----------------------------------------------------------------


@get("/duty", guards=[page_requires(READ)])
async def duty_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, week: FromQuery[date | None] = None,
) -> Response[str]:
    """首席接访员: who is on duty each day of the week (Monday to Sunday), days off marked; admins change a day."""
    today = community_today(meihao, community)
    start = (week or today)
    if not date(2000, 1, 1) <= start <= date(2100, 12, 31):
        raise InvalidInput("week: a day from 2000 to 2100", field="week")
    start = start - timedelta(days=start.weekday())
    calendar = await working_calendar(meihao, community)
    shifts = {s.day: s for s in await desk.roster(community, start, start + timedelta(days=6))}
    days = [{"day": d, "workday": calendar.is_workday(d), "shift": shifts.get(d), "today": d == today}
            for d in (start + timedelta(days=n) for n in range(7))]
    can_manage = principal.can(DUTY)
    leaders = await desk.leaders(community) if can_manage else []
    return render_page(request, "service/duty.html", community=community, base=_base(community), days=days, start=start,
                       previous=start - timedelta(days=7), following=start + timedelta(days=7), can_manage=can_manage, leaders=leaders,
                       **_labels())


@post("/duty", guards=[page_requires(DUTY)])
async def set_duty(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    form = await FormFields.read(request)
    day, staff = form.day("day", required=True), form.whole("staff", required=True)
    try:
        form.check()
        await desk.set_duty(meihao, principal, community, DutyIn(day=day, staff=staff))  # type: ignore[arg-type]
    except FormError as err:
        raise InvalidInput(f"{next(iter(err.errors))}: choose a day and a leader", field=next(iter(err.errors))) from err
    return Redirect(f"{_base(community)}/duty?week={day}", status_code=303)


# -- the month's rates ----------------------------------------------------------------------


@get("/rates", guards=[page_requires(READ)])
async def rates_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, month: FromQuery[str | None] = None,
) -> Response[str]:
    """三率 of the requests received in a month (the viewer's scope): response, resolution, satisfaction, on time and the score,
    for the community and per grid."""
    today = community_today(meihao, community)
    first = today.replace(day=1)
    if month:
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError as err:
            raise InvalidInput("month: a month as 2026-11", field="month") from err
        if not 2000 <= first.year <= 2100:
            raise InvalidInput("month: a month as 2026-11", field="month")
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    whole = await desk.rates(meihao, principal, community, first, last, None)
    grids = await desk.rates(meihao, principal, community, first, last, "grid")
    settings = meihao.settings
    weights = (settings.workitem_response_weight, settings.workitem_resolution_weight, settings.workitem_satisfaction_weight)
    return render_page(request, "service/rates.html", community=community, base=_base(community), month=first, whole=whole[0] if whole else None,
                       grids=grids, previous=(first - timedelta(days=1)).replace(day=1), following=last + timedelta(days=1),
                       this_month=today.replace(day=1), weights=weights, basic=settings.workitem_basically_satisfied_weight, **_labels())


# -- the card ---------------------------------------------------------------------------------


async def request_figures(meihao: Any, principal: Principal, community: CommunityInfo) -> list[CardFigure]:
    """Open, due today and overdue requests the viewer reaches."""
    counts = await count_work_items(meihao, principal, community, scenario=SCENARIO, workflow=REQUESTS.name,
                                    due_by=_day_end(meihao, community))
    return [
        CardFigure("已超期", "Overdue", counts["red"], "alert" if counts["red"] else "ok"),
        CardFigure("今日到期", "Due today", counts["due"], "warn" if counts["due"] else "ok"),
        CardFigure("在办诉求", "Open", counts["open"], "ok"),
    ]


PAGES = ConsolePages(
    handlers=[queue_page, new_request, receive_request, request_page, act_on_request, duty_page, set_duty, rates_page, *ASSISTANCE_PAGES,
              *SUPERVISION_PAGES],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[
        NavLink("诉求", "Requests", "requests", permission=READ),
        NavLink("首席接访员", "Chief receptionist", "duty", permission=READ),
        NavLink("三率", "Rates", "rates", permission=READ),
        NavLink("三强化走访", "Assistance visits", "assistance", permission=ASSIST_READ),
    ],
    cards=[ConsoleCard("requests", "接诉即办", "Residents' requests", request_figures, link="requests", permission=READ)],
)
