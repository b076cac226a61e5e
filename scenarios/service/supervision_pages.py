"""三强化 console pages for the leaders and the street: the quarterly joint meetings (record one, list them, carry out
their decisions) and the discipline office's problem list (问题清单: record, 整改, 销号 or 退回).

The pages call services/supervision.py with the viewer's principal and the API's permissions, so a page does exactly
what the API would; a community out of the viewer's reach is the same 404 page as a missing one.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from meihao import (
    Caller,
    CommunityInfo,
    CurrentCommunity,
    InvalidInput,
    MeihaoError,
    NotFound,
    PathId,
    Principal,
    Runtime,
    community_today,
    page_requires,
    render_page,
    zh_date,
    zh_when,
)

from .routes import INSPECTION_READ, INSPECTION_RECORD, INSPECTION_RECTIFY, MEETING_MANAGE, MEETING_READ
from .schemas import DecisionIn, InspectionProblemIn, JointMeetingIn, JointMeetingPlanIn
from .services import assistance, supervision


def N_(message: str) -> str:
    return message


#: Decision rows on the meeting form.
DECISION_ROWS = 4
MESSAGES = {
    "held_on": N_("The meeting day is within the last three months, not in the future."),
    "departments": N_("Tick or name at least one department that came."),
    "minutes": N_("Write the minutes (at most 10000 characters)."),
    "title": N_("The title has at most 100 characters."),
    "households": N_("Choose the monitored households discussed from the list."),
    "decision_text": N_("Say what was decided for each decision given to someone (at most 500 characters)."),
    "decision_assignee": N_("Choose who carries out the decision from the community's team."),
    "note": N_("Say what was done (at most 2000 characters)."),
    "action": N_("Say how the decision was carried out (at most 2000 characters)."),
    "return": N_("Say what is still wrong (at most 2000 characters)."),
    "category": N_("Choose one of the categories."),
    "text": N_("Say what was found (at most 2000 characters)."),
    "found_on": N_("The day found is today or within the last month."),
    "household": N_("Choose the household from the list."),
    "state": N_("Someone else changed this problem meanwhile; here it is as it is now."),
    "form": N_("Something in the form is not right."),
    "starts_at": N_("Give the day and the start time; a meeting planned ahead starts later than now."),
    "ends_at": N_("The end time is after the start, at most 12 hours later."),
    "venue": N_("Say where the meeting is held (at most 200 characters)."),
    "staff": N_("Choose the people invited from the list."),
    "activity": N_("This planned meeting is recorded already, or was not found."),
}
ACTION_STATES = {"open": N_("To do"), "done": N_("Done")}
INSPECTION_STATES = {"open": N_("To rectify"), "rectified": N_("Rectified, to be checked"), "closed": N_("Closed off the list")}
STATUS_FILTERS = {"open": N_("To rectify"), "rectified": N_("To be checked"), "closed": N_("Closed off the list")}


def _base(community: CommunityInfo) -> str:
    return f"/c/{community.slug}/service"


def _labels() -> dict[str, Any]:
    return {"zh_date": zh_date, "zh_when": zh_when, "action_states": ACTION_STATES, "inspection_states": INSPECTION_STATES,
            "messages": MESSAGES}


def _day(raw: str, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as err:
        raise InvalidInput(f"{field}: a day as 2026-12-01", field=field) from err


# -- joint meetings ------------------------------------------------------------------------------


@get("/assistance/meetings", guards=[page_requires(MEETING_READ)])
async def meetings_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                        done: FromQuery[str | None] = None) -> Response[str]:
    """This quarter's joint meetings planned and held, and every meeting, newest first, with its decisions."""
    return await _meetings(request, meihao, principal, community, done=done)


async def _meetings(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, *,
                    done: str | None = None, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                    status_code: int = 200) -> Response[str]:
    quarter = await supervision.quarter(meihao, principal, community)
    labels = await assistance.household_labels(sorted({h for m in quarter.meetings for h in m.households}))
    settings = await assistance.settings_of(meihao, community)
    return render_page(request, "service/meetings.html", status_code=status_code, community=community, base=_base(community),
                       quarter=quarter, labels=labels, can_manage=principal.can(MEETING_MANAGE), done=done,
                       departments=settings.joint_meeting_departments, invitees=await supervision.invitees(community),
                       values=values or {}, errors=errors or {}, today=community_today(meihao, community), **_labels())


@post("/assistance/meetings/plan", guards=[page_requires(MEETING_MANAGE)])
async def plan_meeting(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    """Plan a joint meeting ahead: the day, the times, the venue, the departments and the departments' staff invited."""
    form = await request.form()
    values: dict[str, Any] = {k: str(v).strip() for k, v in form.items() if k != "_csrf_token"}
    values["departments"] = [str(d) for d in form.getall("departments", [])]
    values["staff"] = [str(d) for d in form.getall("staff", [])]
    other = [d for d in re.split(r"[、,，\s]+", values.get("other_departments", "")) if d]
    try:
        day = _day(values.get("day", ""), "starts_at")
        times = []
        for name, field in (("start", "starts_at"), ("end", "ends_at")):
            try:
                times.append(time.fromisoformat(values.get(name, "")))
            except ValueError as err:
                raise InvalidInput(f"{field}: a time as 09:00", field=field) from err
        if day is None:
            raise InvalidInput("starts_at: the day of the meeting", field="starts_at")
        if not all(s.isdigit() for s in values["staff"]):
            raise InvalidInput("staff: ids", field="staff")
        await supervision.plan_meeting(meihao, principal, community, JointMeetingPlanIn(
            starts_at=datetime.combine(day, times[0], community.tz), ends_at=datetime.combine(day, times[1], community.tz),
            venue=values.get("venue", ""), departments=values["departments"] + other, staff=[int(s) for s in values["staff"]]))
    except MeihaoError as err:
        if err.status_code == 403:
            raise
        field = err.field or "form"
        return await _meetings(request, meihao, principal, community, values=values,
                               errors={field if field in MESSAGES else "form": MESSAGES.get(field, MESSAGES["form"])},
                               status_code=err.status_code)
    return Redirect(f"{_base(community)}/assistance/meetings?done=planned#planned-h", status_code=303)


async def _meeting_form(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, *,
                        values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status_code: int = 200) -> Response[str]:
    settings = await assistance.settings_of(meihao, community)
    households = await assistance.list_households(principal, community)
    return render_page(
        request, "service/meeting_new.html", status_code=status_code, community=community, base=_base(community),
        departments=settings.joint_meeting_departments, households=households,
        labels=await assistance.household_labels([h.id for h in households]), team=await assistance.helpers(principal, community),
        values=values or {}, errors=errors or {}, rows=range(DECISION_ROWS), today=community_today(meihao, community), **_labels())


@get("/assistance/meetings/new", guards=[page_requires(MEETING_MANAGE)])
async def new_meeting(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                      activity: FromQuery[int | None] = None) -> Response[str]:
    """Record a joint meeting held: the day, departments, households discussed, minutes, decisions and who does them;
    ``?activity=`` records a planned one (its day and departments filled in)."""
    if activity is None:
        return await _meeting_form(request, meihao, principal, community)
    plan = next((p for p in await supervision.planned_meetings(community, activity=activity) if p.meeting is None), None)
    if plan is None:
        raise NotFound(f"planned meeting {activity} not found")
    values = {"activity": str(activity), "held_on": plan.starts_at.astimezone(community.tz).date().isoformat(),
              "departments": plan.departments, "title": plan.title}
    return await _meeting_form(request, meihao, principal, community, values=values)


@post("/assistance/meetings/new", guards=[page_requires(MEETING_MANAGE)])
async def record_meeting(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    form = await request.form()
    values: dict[str, Any] = {k: str(v).strip() for k, v in form.items() if k != "_csrf_token"}
    values["departments"] = [str(d) for d in form.getall("departments", [])]
    values["households"] = [str(h) for h in form.getall("households", [])]
    other = [d for d in re.split(r"[、,，\s]+", values.get("other_departments", "")) if d]
    try:
        held_on = _day(values.get("held_on", ""), "held_on")
        if held_on is None:
            raise InvalidInput("held_on: the day of the meeting", field="held_on")
        if not all(h.isdigit() for h in values["households"]):
            raise InvalidInput("households: ids", field="households")
        decisions = []
        for n in range(DECISION_ROWS):
            text, who = values.get(f"decision_{n}", ""), values.get(f"assignee_{n}", "")
            if who and not who.isdigit():
                raise InvalidInput(f"decisions.{n}.assignee: a staff member", field=f"decisions.{n}.assignee")
            decisions.append(DecisionIn(text=text, assignee=int(who) if who else None))
        meeting = await supervision.record_meeting(meihao, principal, community, JointMeetingIn(
            held_on=held_on, departments=values["departments"] + other, minutes=values.get("minutes", ""),
            households=[int(h) for h in values["households"]], decisions=decisions, title=values.get("title", ""),
            activity=int(values["activity"]) if values.get("activity", "").isdigit() else None))
    except MeihaoError as err:
        if err.status_code == 403:
            raise
        field = err.field or "form"
        key = ("decision_assignee" if field.endswith("assignee") else "decision_text") if field.startswith("decisions.") else field
        errors = {key if key in MESSAGES else "form": MESSAGES.get(key, MESSAGES["form"])}
        if field.startswith("decisions."):
            errors["row"] = field.split(".")[1]
        return await _meeting_form(request, meihao, principal, community, values=values, errors=errors, status_code=err.status_code)
    return Redirect(f"{_base(community)}/assistance/meetings/{meeting.id}?done=recorded", status_code=303)


async def _meeting_page(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, meeting_id: int,
                        *, done: str = "", problem_item: int | None = None, values: dict[str, str] | None = None,
                        status_code: int = 200) -> Response[str]:
    meeting = await supervision.get_meeting(meihao, principal, community, meeting_id)
    return render_page(request, "service/meeting.html", status_code=status_code, community=community, base=_base(community),
                       meeting=meeting, labels=await assistance.household_labels(meeting.households), done=done,
                       can_manage=principal.can(MEETING_MANAGE), problem_item=problem_item, values=values or {}, **_labels())


@get("/assistance/meetings/{meeting_id:int}", guards=[page_requires(MEETING_READ)])
async def meeting_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       meeting_id: PathId, done: FromQuery[str | None] = None) -> Response[str]:
    """A meeting: departments, households discussed, minutes, decisions with their state and deadline."""
    return await _meeting_page(request, meihao, principal, community, meeting_id, done=done if done in ("recorded", "action") else "")


@post("/assistance/meetings/{meeting_id:int}/actions/{item_id:int}", guards=[page_requires(MEETING_MANAGE)])
async def finish_action(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                        meeting_id: PathId, item_id: PathId) -> Response[Any]:
    """A decision carried out, with what was done."""
    meeting = await supervision.get_meeting(meihao, principal, community, meeting_id)
    note = str((await request.form()).get("note", "")).strip()
    if item_id not in [d.item for d in meeting.decisions if d.item]:
        raise NotFound(f"decision {item_id} not found")
    try:
        await supervision.finish_action(meihao, principal, community, item_id, note)
    except MeihaoError as err:
        if err.status_code in (403, 404):
            raise
        return await _meeting_page(request, meihao, principal, community, meeting_id, problem_item=item_id, values={"note": note},
                                   status_code=err.status_code)
    return Redirect(f"{_base(community)}/assistance/meetings/{meeting_id}?done=action", status_code=303)


# -- the discipline office's problem list --------------------------------------------------------


async def _inspection(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, status: str | None,
                      *, done: str = "", errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                      problem_item: int | None = None, status_code: int = 200) -> Response[str]:
    settings = await assistance.settings_of(meihao, community)
    every = await supervision.list_problems(meihao, principal, community)
    counts = {s: sum(1 for p in every if p.state == s) for s in INSPECTION_STATES}
    overdue = sum(1 for p in every if p.flag == "red")
    shown = [p for p in every if (p.state == status if status else p.state != "closed")]
    shown.sort(key=lambda p: (p.flag != "red", p.found_on, p.id))  # overdue first
    households = await assistance.list_households(principal, community)
    labels = await assistance.household_labels(sorted({h.id for h in households} | {p.household for p in every if p.household}))
    return render_page(
        request, "service/inspection.html", status_code=status_code, community=community, base=_base(community), rows=shown,
        counts=counts, overdue=overdue, status=status or "", filters=STATUS_FILTERS, households=households, labels=labels,
        categories=settings.inspection_categories, working_days=settings.inspection_rectify_working_days,
        can_record=principal.can(INSPECTION_RECORD), can_rectify=principal.can(INSPECTION_RECTIFY), done=done,
        errors=errors or {}, values=values or {}, problem_item=problem_item, today=community_today(meihao, community), **_labels())


@get("/assistance/inspection", guards=[page_requires(INSPECTION_READ)])
async def inspection_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                          status: FromQuery[str | None] = None, done: FromQuery[str | None] = None) -> Response[str]:
    """问题清单: the problems in hand (overdue first) or of one state, with what each viewer may do."""
    if status is not None and status not in STATUS_FILTERS:
        status = None
    return await _inspection(request, meihao, principal, community, status,
                             done=done if done in ("recorded", "rectified", "closed", "open") else "")


@post("/assistance/inspection", guards=[page_requires(INSPECTION_RECORD)])
async def record_problem(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if k != "_csrf_token"}
    try:
        household = values.get("household", "")
        if household and not household.isdigit():
            raise InvalidInput("household: a monitored household", field="household")
        await supervision.record_problem(meihao, principal, community, InspectionProblemIn(
            category=values.get("category", ""), text=values.get("text", ""), household=int(household) if household else None,
            found_on=_day(values.get("found_on", ""), "found_on")))
    except MeihaoError as err:
        if err.status_code == 403:
            raise
        key = err.field if err.field in MESSAGES else "form"
        return await _inspection(request, meihao, principal, community, None, errors={key: MESSAGES[key]}, values=values,
                                 status_code=err.status_code)
    return Redirect(f"{_base(community)}/assistance/inspection?done=recorded", status_code=303)


@post("/assistance/inspection/{problem_id:int}/{action:str}", guards=[page_requires(INSPECTION_READ)])
async def move_problem(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       problem_id: PathId, action: FromPath[str]) -> Response[Any]:
    """整改 (``rectify``, the community), 销号 (``close``) or 退回 (``return``, the supervisor): the permission is the API's."""
    targets = {"rectify": ("rectified", INSPECTION_RECTIFY), "close": ("closed", INSPECTION_RECORD), "return": ("open", INSPECTION_RECORD)}
    if action not in targets:
        raise NotFound(f"action {action!r} not found")
    target, permission = targets[action]
    principal.require(permission)
    note = str((await request.form()).get("note", "")).strip()
    try:
        await supervision.move_problem(meihao, principal, community, problem_id, target, note)
    except MeihaoError as err:
        if err.status_code in (403, 404):
            raise
        key = "state" if err.status_code == 409 or err.field == "state" else "return" if action == "return" else "note"
        return await _inspection(request, meihao, principal, community, None, errors={key: MESSAGES[key]}, values={"note": note},
                                 problem_item=problem_id, status_code=err.status_code)
    return Redirect(f"{_base(community)}/assistance/inspection?done={target}", status_code=303)


HANDLERS = [meetings_page, plan_meeting, new_meeting, record_meeting, meeting_page, finish_action, inspection_page, record_problem, move_problem]
