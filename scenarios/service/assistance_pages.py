"""三强化 console pages: the monitored households with their helper and this month's visit, a visit recorded on a phone
(the 两不愁三保障 + drinking-water checklist), and the problems visits found with 整改销号.

The pages call the API's services (services/assistance.py) with the viewer's principal: a household of another grid
is the same 404 page as a missing one, and a visit or a rectification is exactly what the API would record.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from meihao import (
    Caller,
    CommunityInfo,
    CurrentCommunity,
    InvalidInput,
    MeihaoError,
    PathId,
    Principal,
    Runtime,
    community_today,
    page_requires,
    render_page,
    zh_date,
    zh_when,
)

from .routes import ASSIST_MANAGE, ASSIST_READ, ASSIST_VISIT, INSPECTION_READ, MEETING_READ
from .schemas import CHECKS, AssistanceVisitIn, AssistedHouseholdIn, CheckIn
from .services import assistance


def N_(message: str) -> str:
    return message


CHECK_LABELS = {"food_clothing": N_("Food and clothing"), "schooling": N_("No child out of compulsory school"),
                "medical": N_("Basic medical insurance"), "housing": N_("Safe housing"), "water": N_("Safe drinking water")}
STATUS_LABELS = {"ok": N_("Fine"), "problem": N_("Problem"), "not_checked": N_("Not checked")}
PROBLEMS = {
    "checks": N_("Answer every item of the checklist."),
    "note": N_("Say what the problem is for every item marked as a problem."),
    "visited_on": N_("The visit day is today or within the last two months."),
    "water": N_("The water figures are whole numbers (litres a day, minutes, days a year)."),
    "household": N_("This household is no longer monitored."),
    "rectify": N_("Say what was done (at most 2000 characters)."),
    "form": N_("Something in the form is not right."),
    "category": N_("Choose one of the categories."),
    "helper": N_("Choose a helper from the community's team."),
    "since": N_("Give the day monitoring began, as 2026-12-01."),
    "monitored": N_("This household is monitored already."),
    "q": N_("Search with at most 40 characters."),
    "reason": N_("Say why the household is no longer monitored (at most 500 characters)."),
    "ended": N_("This household was taken off monitoring already."),
}


def _base(community: CommunityInfo) -> str:
    return f"/c/{community.slug}/service"


def _labels() -> dict[str, Any]:
    return {"check_labels": CHECK_LABELS, "status_labels": STATUS_LABELS, "zh_date": zh_date, "zh_when": zh_when}


def _month(meihao: Any, community: CommunityInfo, month: str | None) -> date:
    first = community_today(meihao, community).replace(day=1)
    if month:
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError as err:
            raise InvalidInput("month: a month as 2026-12", field="month") from err
        if not 2000 <= first.year <= 2100:
            raise InvalidInput("month: a month as 2026-12", field="month")
    return first


@get("/assistance", guards=[page_requires(ASSIST_READ)])
async def households_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, month: FromQuery[str | None] = None,
    done: FromQuery[str | None] = None,
) -> Response[str]:
    """The monitored households in the viewer's scope: category, helper, this month's visit (done or due), the last visit's
    housing grade and water, open problems; the month's 走访覆盖率."""
    first = _month(meihao, community, month)
    plan = await assistance.plan(meihao, principal, community, first)
    labels = await assistance.household_labels([r.household.id for r in plan.rows])
    problems = await assistance.open_problem_rows(meihao, principal, community)
    open_by_household: dict[int, int] = {}
    for p in problems:
        open_by_household[p["assisted"]] = open_by_household.get(p["assisted"], 0) + 1
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    rows = sorted(plan.rows, key=lambda r: (r.done, r.household.id))  # still to visit first
    return render_page(
        request, "service/assistance.html", community=community, base=_base(community), plan=plan, rows=rows, labels=labels,
        open_by_household=open_by_household, open_problems=len(problems), month=first, previous=previous, following=following,
        this_month=first == community_today(meihao, community).replace(day=1), can_visit=principal.can(ASSIST_VISIT),
        can_manage=principal.can(ASSIST_MANAGE), can_meetings=principal.can(MEETING_READ), can_inspection=principal.can(INSPECTION_READ),
        done=done if done in ("visited", "monitored", "ended") else "", **_labels())


async def _visit_page(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, assisted_id: int,
                      *, values: dict[str, str] | None = None, problem: str = "", status_code: int = 200) -> Response[str]:
    household = await assistance._scoped(principal, community, assisted_id)
    label = (await assistance.household_labels([assisted_id]))[assisted_id]
    visits = await assistance.list_visits(principal, community, assisted_id)
    settings = await assistance.settings_of(meihao, community)
    return render_page(
        request, "service/visit.html", status_code=status_code, community=community, base=_base(community), household=household,
        label=label, last=visits[0] if visits else None, checks=list(CHECKS), values=values or {}, problem=problem,
        today=community_today(meihao, community), settings=settings, **_labels())


@get("/assistance/{assisted_id:int}/visit", guards=[page_requires(ASSIST_VISIT)])
async def visit_form(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                     assisted_id: PathId) -> Response[str]:
    """Record this month's visit on a phone: each item fine / problem (say what) / not checked, the house's grade, the water."""
    return await _visit_page(request, meihao, principal, community, assisted_id)


def _whole(values: dict[str, str], key: str) -> int | None:
    raw = values.get(key, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput(f"{key}: a whole number", field="water")
    return int(raw)


@post("/assistance/{assisted_id:int}/visit", guards=[page_requires(ASSIST_VISIT)])
async def record_visit(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       assisted_id: PathId) -> Response[Any]:
    raw = await request.form()
    values = {k: str(v).strip() for k, v in raw.items() if k != "_csrf_token"}
    await assistance._scoped(principal, community, assisted_id)  # out of scope: the 404 page, before anything else
    try:
        checks = {}
        for key in CHECKS:
            status = values.get(f"check_{key}", "")
            if status not in STATUS_LABELS:
                raise InvalidInput(f"checks.{key}: answer every item", field="checks")
            checks[key] = CheckIn(status=status, note=values.get(f"note_{key}", ""))  # type: ignore[arg-type]
        grade = values.get("housing_grade") or None
        if grade not in (None, "A", "B", "C", "D"):
            raise InvalidInput("housing_grade: A, B, C or D", field="form")
        visited_on = None
        if values.get("visited_on"):
            try:
                visited_on = date.fromisoformat(values["visited_on"])
            except ValueError as err:
                raise InvalidInput("visited_on: a day", field="visited_on") from err
        await assistance.record_visit(meihao, principal, community, assisted_id, AssistanceVisitIn(
            checks=checks, visited_on=visited_on, housing_grade=grade,  # type: ignore[arg-type]
            water_litres=_whole(values, "water_litres"), water_trip_minutes=_whole(values, "water_trip_minutes"),
            water_outage_days=_whole(values, "water_outage_days"), note=values.get("note", "")))
    except MeihaoError as err:
        if err.status_code in (403, 404):
            raise
        field = (err.field or "form").split(".")[0]
        key = "note" if (err.field or "").endswith(".note") else field if field in PROBLEMS else "water" if field.startswith("water") else "form"
        return await _visit_page(request, meihao, principal, community, assisted_id, values=values, problem=PROBLEMS[key],
                                 status_code=err.status_code)
    return Redirect(f"{_base(community)}/assistance?done=visited", status_code=303)


@get("/assistance/problems", guards=[page_requires(ASSIST_READ)])
async def problems_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                        done: FromQuery[str | None] = None) -> Response[str]:
    """The problems visits found, not yet rectified (oldest first, late ones flagged), with 整改销号 for the team."""
    return await _problems(request, meihao, principal, community, done=done == "rectified")


async def _problems(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, *, done: bool = False,
                    problem: str = "", problem_item: int | None = None, values: dict[str, str] | None = None,
                    status_code: int = 200) -> Response[str]:
    rows = await assistance.open_problem_rows(meihao, principal, community)
    labels = await assistance.household_labels(sorted({r["assisted"] for r in rows if r["assisted"] is not None}))
    return render_page(request, "service/problems.html", status_code=status_code, community=community, base=_base(community), rows=rows,
                       labels=labels, can_visit=principal.can(ASSIST_VISIT), done=done, problem=problem, problem_item=problem_item,
                       values=values or {}, now=meihao.clock.now(), **_labels())


@post("/assistance/problems/{item_id:int}", guards=[page_requires(ASSIST_VISIT)])
async def rectify_problem(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                          item_id: PathId) -> Response[Any]:
    """整改销号: what was done; the list again (303), or with the problem at its form (400)."""
    raw = await request.form()
    note = str(raw.get("note", "")).strip()
    try:
        await assistance.rectify(meihao, principal, community, item_id, note)
    except MeihaoError as err:
        if err.status_code in (403, 404):
            raise
        return await _problems(request, meihao, principal, community, problem=PROBLEMS["rectify"], problem_item=item_id,
                               values={"note": note}, status_code=err.status_code)
    return Redirect(f"{_base(community)}/assistance/problems?done=rectified", status_code=303)


# -- putting a household under monitoring, and taking it off ---------------------------------


async def _monitor_page(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, q: str,
                        *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                        status_code: int = 200) -> Response[str]:
    problem = ""
    try:
        found = await assistance.find_households(principal, community, q)
    except InvalidInput:
        found, problem = [], PROBLEMS["q"]
    settings = await assistance.settings_of(meihao, community)
    ended = await assistance.list_households(principal, community, ended=True)
    labels = await assistance.household_labels([h.id for h in ended])
    return render_page(
        request, "service/monitor.html", status_code=status_code, community=community, base=_base(community), q=q, found=found,
        problem=problem, categories=settings.household_categories, helpers=await assistance.helpers(principal, community),
        values=values or {}, errors=errors or {}, ended=ended[:20], labels=labels, today=community_today(meihao, community),
        messages=PROBLEMS, **_labels())


@get("/assistance/monitor", guards=[page_requires(ASSIST_MANAGE)])
async def monitor_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       q: FromQuery[str] = "") -> Response[str]:
    """纳入监测: find a household (a member's name, the building or the room), then its category, helper and since when."""
    return await _monitor_page(request, meihao, principal, community, q)


@post("/assistance/monitor", guards=[page_requires(ASSIST_MANAGE)])
async def monitor(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    """The household under monitoring (303 to the list), or the page again with the problem at the household's form."""
    raw = await request.form()
    values = {k: str(v).strip() for k, v in raw.items() if k != "_csrf_token"}
    q = values.get("q", "")
    try:
        household = int(values.get("household", ""))
    except ValueError:
        household = 0
    try:
        if not values.get("helper", "").isdigit():
            raise InvalidInput("helper: choose a helper", field="helper")
        since = None
        if values.get("since"):
            try:
                since = date.fromisoformat(values["since"])
            except ValueError as err:
                raise InvalidInput("since: a day", field="since") from err
        await assistance.add_household(meihao, principal, community, AssistedHouseholdIn(
            household=household, category=values.get("category", ""), helper=int(values["helper"]), since=since))
    except MeihaoError as err:
        if err.status_code == 403 or (err.status_code == 404 and err.field != "helper"):
            raise
        key = "monitored" if err.status_code == 409 else err.field if err.field in PROBLEMS else "form"
        return await _monitor_page(request, meihao, principal, community, q, values={**values, "for": str(household)},
                                   errors={key: PROBLEMS[key]}, status_code=err.status_code)
    return Redirect(f"{_base(community)}/assistance?done=monitored", status_code=303)


async def _end_page(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, assisted_id: int,
                    *, reason: str = "", problem: str = "", status_code: int = 200) -> Response[str]:
    household = await assistance._scoped(principal, community, assisted_id)
    label = (await assistance.household_labels([assisted_id]))[assisted_id]
    return render_page(request, "service/end.html", status_code=status_code, community=community, base=_base(community),
                       household=household, label=label, reason=reason, problem=problem, **_labels())


@get("/assistance/{assisted_id:int}/end", guards=[page_requires(ASSIST_MANAGE)])
async def end_form(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                   assisted_id: PathId) -> Response[str]:
    """解除监测: the household and the reason to give."""
    return await _end_page(request, meihao, principal, community, assisted_id)


@post("/assistance/{assisted_id:int}/end", guards=[page_requires(ASSIST_MANAGE)])
async def end_monitoring(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                         assisted_id: PathId) -> Response[Any]:
    raw = await request.form()
    reason = str(raw.get("reason", "")).strip()
    try:
        await assistance.end_monitoring(meihao, principal, community, assisted_id, reason)
    except MeihaoError as err:
        if err.status_code in (403, 404):
            raise
        key = "ended" if err.status_code == 409 else "reason"
        return await _end_page(request, meihao, principal, community, assisted_id, reason=reason, problem=PROBLEMS[key],
                               status_code=err.status_code)
    return Redirect(f"{_base(community)}/assistance?done=ended", status_code=303)


HANDLERS = [households_page, visit_form, record_visit, problems_page, rectify_problem, monitor_page, monitor, end_form, end_monitoring]
