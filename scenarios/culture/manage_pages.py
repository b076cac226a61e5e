"""The culture scene's console pages for planning (戏曲进乡村): create tour plans, schedule, move and cancel shows.

Every form maps to the body of the API route that does the same (``routes.py``), goes through
the same service function under the same permission, and shows what the service refuses at the
field it names, in the visitor's language; a plan or show outside the viewer's reach is the 404 page.
"""

from __future__ import annotations

import re
from datetime import datetime
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
    MeihaoError,
    Principal,
    Runtime,
    page_requires,
    render_page,
)
from meihao.tables import StaffAssignment

from .routes import MANAGE
from .schemas import PlanIn, PlanPatch, ReasonIn, ShowIn, ShowPatch
from .services import plans, shows, troupes, venues
from .services.common import settings_of

SCENE = "culture"


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it where it is shown."""
    return message


#: What is wrong with a field, in words a community worker reads; keys are the API body's field names (and a few cases of them).
MESSAGES = {
    "name": N_("Give the plan a name, at most 100 characters."),
    "season_start": N_("Choose the first day of the season."),
    "season_end": N_("The season ends on a date, not before it starts."),
    "season_shows": N_("The plan has shows outside this season: move or cancel them first."),
    "procurement_lot": N_("The procurement lot has at most 100 characters."),
    "organiser_staff_id": N_("Choose a staff member who works in this community."),
    "venue_id": N_("Choose a venue in your area."),
    "troupe_id": N_("Choose a troupe."),
    "play_id": N_("Choose a play from the repertoire of the troupe chosen."),
    "day": N_("Choose the day of the show."),
    "starts_at": N_("Write the time the show starts as hours and minutes, e.g. 19:00."),
    "starts_past": N_("A show is planned ahead: choose a day and time still to come."),
    "starts_season": N_("The show must fall within the plan's season."),
    "starts_outdoor": N_("No outdoor evening show in winter or the farming season: choose an indoor venue or an afternoon time."),
    "ends_at": N_("The show must end after it starts, on the same day (hours and minutes, e.g. 21:30)."),
    "subsidy": N_("Enter the subsidy in yuan, e.g. 5000 or 4800.50; empty: the community's setting."),
    "reason": N_("Say why the show is cancelled, at most 500 characters."),
    "show_closed": N_("This show took place or was cancelled: it cannot be changed any more."),
    "other": N_("Nothing was saved: %(detail)s"),
}
DONE = {
    "plan_created": N_("The tour plan is created: schedule its shows now."),
    "plan_saved": N_("The tour plan is saved."),
    "show_created": N_("The show is scheduled: the residents of the venue's grids are reminded the day before and on the day."),
    "show_moved": N_("The show is moved: reminders not yet sent follow the new time."),
    "show_cancelled": N_("The show is cancelled: its reminders not yet sent are cancelled."),
}


# -- reading a form ---------------------------------------------------------------------------


def _body(cls: type[Any], fields: dict[str, Any], form: FormFields) -> Any:
    """The API's body from the form's fields; msgspec's own checks (lengths, a decimal) become field errors too."""
    form.check()
    try:
        return msgspec.convert({k: v for k, v in fields.items() if v is not None}, cls, strict=False)
    except msgspec.ValidationError as err:
        found = re.search(r"\$\.(\w+)", str(err))
        name = found.group(1) if found and found.group(1) in MESSAGES else "other"
        raise FormError({name: name}) from err


def _service_problem(err: MeihaoError) -> dict[str, str]:
    """What a service refused, at the form's field; a missing record (no field) or a server fault is not a form problem."""
    if err.status_code >= 500 or (err.status_code == 404 and not err.field):
        raise err
    name = err.field or err.message.split(":", 1)[0]
    if name == "starts_at":
        if "outdoor evening" in err.message:
            return {"starts_at": "starts_outdoor"}
        return {"starts_at": "starts_season" if "season" in err.message else "starts_past"}
    if name == "status":
        return {"other": "show_closed"}
    if name in ("season_start", "season_end") and "has a show" in err.message:
        return {name: "season_shows"}
    return {name: name} if name in MESSAGES else {"other": "other"}


def _page(community: CommunityInfo, path: str = "") -> str:
    return f"/c/{community.slug}/{SCENE}/{path}"


async def _organisers(community: CommunityInfo) -> list[tuple[int, str]]:
    """(id, name) of the active staff ``staff_works_in`` accepts as organiser: a role in this community, or the street's."""
    rows = await StaffAssignment.select(StaffAssignment.staff.as_alias("id"), StaffAssignment.staff.name.as_alias("name")).where(
        (StaffAssignment.community == community.id) | (StaffAssignment.role == "street_admin"), StaffAssignment.staff.active.eq(True),
    ).order_by(StaffAssignment.staff.name).order_by(StaffAssignment.staff)
    return list({r["id"]: (r["id"], r["name"]) for r in rows}.values())


# -- the planning page ---------------------------------------------------------------------------


@get("/manage", guards=[page_requires(MANAGE)])
async def manage_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """The tour plans with a button to schedule a show in each, and the coming shows to move or cancel."""
    now = meihao.clock.now()
    coming = [s for s in await shows.list_shows(community, principal, status="scheduled") if s.starts_at > now]
    return render_page(
        request, "culture/manage/manage.html", community=community, plans=await plans.list_plans(community, principal),
        coming=[{"show": s, "starts": s.starts_at.astimezone(community.tz)} for s in coming],
        done=DONE.get(request.query_params.get("done", ""), ""),
    )


# -- tour plans ------------------------------------------------------------------------------------------


async def _plan_form(
    request: Request[Any, Any, Any], community: CommunityInfo, *, values: dict[str, str], errors: dict[str, str] | None = None,
    status_code: int = 200, detail: str = "", plan: Any = None,
) -> Response[str]:
    return render_page(request, "culture/manage/plan_form.html", status_code=status_code, community=community, values=values, plan=plan,
                       errors=errors or {}, messages=MESSAGES, detail=detail, organisers=await _organisers(community))


@get("/plans/new", guards=[page_requires(MANAGE)])
async def new_plan_page(request: Request[Any, Any, Any], community: CurrentCommunity) -> Response[str]:
    return await _plan_form(request, community, values={})


@post("/plans/new", guards=[page_requires(MANAGE)])
async def create_plan(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[Any]:
    """POST /plans of the API: a season of shows with its procurement lot and organiser."""
    form = await FormFields.read(request)
    values = form.values
    try:
        created = await plans.create_plan(meihao, community, _body(PlanIn, _plan_fields(form), form), principal)
    except FormError as err:
        return await _plan_form(request, community, values=values, errors=err.errors, status_code=400)
    except MeihaoError as err:
        return await _plan_form(request, community, values=values, errors=_service_problem(err), status_code=400, detail=err.message)
    return Redirect(_page(community, f"manage?done=plan_created#p{created.id}"), status_code=303)


def _plan_fields(form: FormFields) -> dict[str, Any]:
    return {"name": form.text("name"), "season_start": form.day("season_start", required=True),
            "season_end": form.day("season_end", required=True), "procurement_lot": form.text("procurement_lot"),
            "organiser_staff_id": form.whole("organiser_staff_id")}


@get("/plans/{plan_id:int}/edit", guards=[page_requires(MANAGE)])
async def edit_plan_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, plan_id: FromPath[int]) -> Response[str]:
    plan = await plans.get_plan(community, plan_id, principal)
    values = {"name": plan.name, "season_start": plan.season_start.isoformat(), "season_end": plan.season_end.isoformat(),
              "procurement_lot": plan.procurement_lot, "organiser_staff_id": "" if plan.organiser_staff_id is None else str(plan.organiser_staff_id)}
    return await _plan_form(request, community, values=values, plan=plan)


@post("/plans/{plan_id:int}/edit", guards=[page_requires(MANAGE)])
async def update_plan(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, plan_id: FromPath[int]
) -> Response[Any]:
    """PATCH /plans/{id} of the API: name, season (its shows must stay inside), procurement lot, organiser."""
    plan = await plans.get_plan(community, plan_id, principal)
    form = await FormFields.read(request)
    values = form.values
    try:
        await plans.update_plan(meihao, community, plan_id, _body(PlanPatch, _plan_fields(form), form), principal)
    except FormError as err:
        return await _plan_form(request, community, values=values, errors=err.errors, status_code=400, plan=plan)
    except MeihaoError as err:
        return await _plan_form(request, community, values=values, errors=_service_problem(err), status_code=400, detail=err.message, plan=plan)
    return Redirect(_page(community, f"manage?done=plan_saved#p{plan_id}"), status_code=303)


# -- shows ------------------------------------------------------------------------------------------------


async def _show_form(
    request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, plan_id: int, *, values: dict[str, str],
    errors: dict[str, str] | None = None, status_code: int = 200, detail: str = "",
) -> Response[str]:
    plan = await plans.get_plan(community, plan_id, principal)
    return render_page(
        request, "culture/manage/show_form.html", status_code=status_code, community=community, plan=plan, values=values,
        errors=errors or {}, messages=MESSAGES, detail=detail, settings=await settings_of(mh, community),
        venues=[(v.id, v.name) for v in await venues.list_venues(community, principal)], troupes=await troupes.list_troupes(community),
    )


@get("/plans/{plan_id:int}/shows/new", guards=[page_requires(MANAGE)])
async def new_show_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, plan_id: FromPath[int]
) -> Response[str]:
    return await _show_form(request, meihao, community, principal, plan_id, values={"starts_at": "19:00"})


def _times(form: FormFields) -> dict[str, datetime | None]:
    """``starts_at`` and ``ends_at`` (local, naive: the service reads them in the community's time) from the day and two clock times."""
    day = form.day("day", required=True)
    starts = form.clock("starts_at", required=True)
    ends = form.clock("ends_at")
    return {"starts_at": datetime.combine(day, starts) if day and starts else None,
            "ends_at": datetime.combine(day, ends) if day and ends else None}


def _read_show(form: FormFields) -> ShowIn:
    fields = {
        "venue_id": form.whole("venue_id", required=True), "troupe_id": form.whole("troupe_id", required=True),
        "play_id": form.whole("play_id", required=True), **_times(form),
        "elders_first": form.text("elders_first") == "yes", "subsidy": form.text("subsidy") or None,
    }
    return _body(ShowIn, fields, form)


@post("/plans/{plan_id:int}/shows/new", guards=[page_requires(MANAGE)])
async def create_show(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, plan_id: FromPath[int]
) -> Response[Any]:
    """POST /plans/{id}/shows of the API: a show, and its reminders to the residents of the venue's grids."""
    await plans.get_plan(community, plan_id, principal)  # another community's plan: the 404 page before anything else
    form = await FormFields.read(request)
    values = form.values
    try:
        created = await shows.create_show(meihao, community, plan_id, _read_show(form), principal)
    except FormError as err:
        return await _show_form(request, meihao, community, principal, plan_id, values=values, errors=err.errors, status_code=400)
    except MeihaoError as err:
        return await _show_form(request, meihao, community, principal, plan_id, values=values, errors=_service_problem(err),
                                status_code=400, detail=err.message)
    return Redirect(_page(community, f"manage?done=show_created#s{created.id}"), status_code=303)


async def _edit_form(
    request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, show_id: int, *,
    values: dict[str, str] | None = None, errors: dict[str, str] | None = None, status_code: int = 200, detail: str = "",
) -> Response[str]:
    show = await shows.get_show(community, show_id, principal)
    starts, ends = show.starts_at.astimezone(community.tz), show.ends_at.astimezone(community.tz)
    if values is None:
        values = {"day": starts.date().isoformat(), "starts_at": starts.strftime("%H:%M"), "ends_at": ends.strftime("%H:%M")}
    return render_page(
        request, "culture/manage/show_edit.html", status_code=status_code, community=community, show=show, starts=starts, ends=ends,
        values=values, errors=errors or {}, messages=MESSAGES, detail=detail,
        changeable=show.status == "scheduled" and show.starts_at > mh.clock.now(),
    )


@get("/shows/{show_id:int}/edit", guards=[page_requires(MANAGE)])
async def edit_show_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, show_id: FromPath[int]
) -> Response[str]:
    return await _edit_form(request, meihao, community, principal, show_id)


@post("/shows/{show_id:int}/edit", guards=[page_requires(MANAGE)])
async def reschedule_show(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, show_id: FromPath[int]
) -> Response[Any]:
    """PATCH /shows/{id} of the API: a new day and time; reminders not yet sent are planned again for it."""
    await shows.get_show(community, show_id, principal)
    form = await FormFields.read(request)
    values = form.values
    fields = _times(form)
    try:
        await shows.reschedule_show(meihao, community, show_id, _body(ShowPatch, fields, form), principal)
    except FormError as err:
        return await _edit_form(request, meihao, community, principal, show_id, values=values, errors=err.errors, status_code=400)
    except MeihaoError as err:
        return await _edit_form(request, meihao, community, principal, show_id, values=values, errors=_service_problem(err),
                                status_code=409 if err.status_code == 409 else 400, detail=err.message)
    return Redirect(_page(community, f"manage?done=show_moved#s{show_id}"), status_code=303)


@post("/shows/{show_id:int}/cancel", guards=[page_requires(MANAGE)])
async def cancel_show(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, show_id: FromPath[int]
) -> Response[Any]:
    """POST /shows/{id}/cancel of the API: the show is off, its reminders not yet sent are cancelled."""
    await shows.get_show(community, show_id, principal)
    form = await FormFields.read(request)
    values = form.values
    try:
        body = _body(ReasonIn, {"reason": values.get("reason", "")}, form)
        await shows.cancel_show(meihao, community, show_id, body.reason, principal)
    except FormError:
        return await _edit_form(request, meihao, community, principal, show_id, values=values, errors={"reason": "reason"}, status_code=400)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        return await _edit_form(request, meihao, community, principal, show_id, values=values, errors={"reason": "show_closed"}, status_code=409)
    return Redirect(_page(community, f"manage?done=show_cancelled#s{show_id}"), status_code=303)


HANDLERS = [manage_page, new_plan_page, create_plan, edit_plan_page, update_plan, new_show_page, create_show, edit_show_page, reschedule_show, cancel_show]
