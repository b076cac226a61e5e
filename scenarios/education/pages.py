"""education's console pages: courses and sessions, a session's enrolment list with check-in on a phone, the credit report.

They call the same services as the API with the same permissions: a grid worker's report is their own row, a
resident learner outside the viewer's grids is not listed.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Stream

from meihao import (
    Caller,
    CardFigure,
    CommunityInfo,
    ConsoleCard,
    ConsolePages,
    CurrentCommunity,
    MeihaoError,
    NavLink,
    Principal,
    Runtime,
    community_today,
    csv_download,
    page_requires,
    render_page,
)

from .services import catalogue, records, sessions
from .services.common import ATTENDANCE, ENROL, READ, REPORT, check_year, settings_of

HERE = Path(__file__).parent
SCENE = "education"


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it where it is shown."""
    return message


KINDS = {"required": N_("Required course"), "elective": N_("Elective course")}
VENUE_KINDS = {"main": N_("Main classroom"), "indoor": N_("Indoor training room"), "outdoor": N_("Outdoor practice base")}
STATES = {"enrolled": N_("Enrolled"), "waiting": N_("Waiting list"), "cancelled": N_("Cancelled")}
ROLES = {"community_admin": N_("Community staff"), "grid_leader": N_("Grid leader"), "grid_worker": N_("Full-time grid worker"),
         "grid_part_time": N_("Part-time grid worker"), "dispatched": N_("Sent down from a department")}
DONE = {"in": N_("Checked in."), "out": N_("Checked out: the hours count."), "enrolled": N_("Enrolled."), "cancelled": N_("Cancelled.")}
PROBLEMS = {"attendance": N_("This learner cannot be checked in or out now (not enrolled, too early, or done already)."),
            "enrol": N_("No place could be taken: the session has started, is cancelled, or you are on it already.")}


def _local(value: Any, community: CommunityInfo) -> Any:
    return value.astimezone(community.tz) if value is not None else None


@get(["/", "/sessions"], guards=[page_requires(READ)])
async def sessions_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """The courses, the sessions of the coming weeks and those held lately, and the venues of the 1+N with their use this year."""
    today = community_today(meihao, community)
    coming = await sessions.list_sessions(community, start=today, end=today + timedelta(days=60))
    held = await sessions.list_sessions(community, start=date(today.year, 1, 1), end=today - timedelta(days=1))
    return render_page(
        request, "education/sessions.html", community=community, courses=await catalogue.list_courses(community),
        coming=coming, held=list(reversed(held))[:12], held_total=len(held), venues=await records.venue_use(community, today.year),
        kinds=KINDS, venue_kinds=VENUE_KINDS, local=lambda v: _local(v, community), year=today.year,
    )


@get("/sessions/{session_id:int}", guards=[page_requires(READ)])
async def session_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                       session_id: FromPath[int]) -> Response[str]:
    return await _render_session(request, meihao, community, principal, session_id, done=request.query_params.get("done", ""),
                                 problem=request.query_params.get("problem", ""))


async def _render_session(request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, session_id: int, *,
                          done: str = "", problem: str = "") -> Response[str]:
    session = await sessions.get_session(community, session_id)
    enrolments = await sessions.list_enrolments(principal, community, session_id)
    now = mh.clock.now()
    settings = await settings_of(mh, community)
    opens = session.starts_at - timedelta(minutes=settings.check_in_opens_minutes)
    mine = next((e for e in enrolments if e.staff_id is not None and e.staff_id == principal.staff_id and e.status != "cancelled"), None)
    return render_page(
        request, "education/session.html", community=community, session=session, enrolments=enrolments, states=STATES, kinds=KINDS,
        starts=_local(session.starts_at, community), ends=_local(session.ends_at, community), local=lambda v: _local(v, community),
        can_check=principal.can(ATTENDANCE) and session.status == "scheduled", can_enrol_self=principal.staff_id is not None and mine is None
        and session.status == "scheduled" and session.starts_at > now, mine=mine, can_enrol=principal.can(ENROL),
        done=DONE.get(done, ""), problem=PROBLEMS.get(problem, ""), started=session.starts_at <= now,
        check_open=opens <= now <= session.ends_at, opens_minutes=settings.check_in_opens_minutes,
    )


def _back(community: CommunityInfo, session_id: int, **query: str) -> Redirect:
    tail = "&".join(f"{k}={v}" for k, v in query.items())
    return Redirect(f"/c/{community.slug}/{SCENE}/sessions/{session_id}?{tail}#list", status_code=303)


@post("/sessions/{session_id:int}/enrolments/{enrolment_id:int}/{step:str}", guards=[page_requires(ATTENDANCE)])
async def attendance(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                     session_id: FromPath[int], enrolment_id: FromPath[int], step: FromPath[str]) -> Response[Any]:
    """签到 / 签退 from the list (a button per learner, big enough for a phone)."""
    enrolment = await sessions.get_enrolment(principal, community, enrolment_id)  # out of scope: the 404 page
    if enrolment.session_id != session_id or step not in ("check-in", "check-out"):
        return Redirect(f"/c/{community.slug}/{SCENE}/sessions/{session_id}", status_code=303)
    try:
        if step == "check-in":
            await sessions.check_in(meihao, principal, community, enrolment_id)
        else:
            await sessions.check_out(meihao, principal, community, enrolment_id)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        return _back(community, session_id, problem="attendance")
    return _back(community, session_id, done="in" if step == "check-in" else "out")


@post("/sessions/{session_id:int}/enrol", guards=[page_requires(READ)])
async def enrol_self(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                     session_id: FromPath[int]) -> Response[Any]:
    from .schemas import EnrolIn

    try:
        await sessions.enrol(meihao, principal, community, session_id, EnrolIn())
    except MeihaoError as err:
        if err.status_code not in (400, 409):
            raise
        return _back(community, session_id, problem="enrol")
    return _back(community, session_id, done="enrolled")


@post("/enrolments/{enrolment_id:int}/cancel", guards=[page_requires(READ)])
async def cancel_own(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                     enrolment_id: FromPath[int]) -> Response[Any]:
    enrolment = await sessions.get_enrolment(principal, community, enrolment_id)
    try:
        await sessions.cancel_enrolment(meihao, principal, community, enrolment_id)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        return _back(community, enrolment.session_id, problem="enrol")
    return _back(community, enrolment.session_id, done="cancelled")


@get("/report", guards=[page_requires(READ)])
async def report_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """学时学分统计: everyone held to the requirement (the viewer's own row without education.report.read), by role, and one's own year."""
    year = _year(request, meihao, community)
    result = await records.report(meihao, principal, community, year)
    settings = await settings_of(meihao, community)
    return render_page(request, "education/report.html", community=community, report=result, year=year, roles=ROLES,
                       full=principal.can(REPORT) and principal.manages_community(community.id), settings=settings)


@get("/report.csv", guards=[page_requires(READ)])
async def report_csv(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Stream:
    year = _year(request, meihao, community)
    result = await records.report(meihao, principal, community, year)

    async def rows() -> Any:
        for line in records.report_lines(result):
            yield line

    return csv_download(rows(), f"education-credits-{community.slug}-{year}.csv")


@get("/street", guards=[page_requires(REPORT)])
async def street_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """街道网格学院统计: a row per community the viewer manages (the street: every community with the academy), and the total."""
    year = _year(request, meihao, community)
    result = await records.street_report(meihao, principal, year)
    return render_page(request, "education/street.html", community=community, report=result, year=year,
                       pct=lambda rate: "—" if rate is None else f"{rate * 100:.1f}%", street=principal.street)


@get("/street.csv", guards=[page_requires(REPORT)])
async def street_csv(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Stream:
    year = _year(request, meihao, community)
    result = await records.street_report(meihao, principal, year)

    async def rows() -> Any:
        for line in records.street_lines(result):
            yield line

    return csv_download(rows(), f"education-street-{year}.csv")


def _year(request: Request[Any, Any, Any], mh: Any, community: CommunityInfo) -> int:
    raw = request.query_params.get("year") or ""
    return check_year(int(raw) if raw.isascii() and raw.isdigit() else None, community_today(mh, community))


async def card_figures(mh: Any, principal: Principal, community: CommunityInfo) -> list[CardFigure]:
    f = await records.figures(mh, principal, community)
    share = f["on_track_share"]
    return [
        CardFigure("今年已开课次", "Sessions held this year", f["sessions"]),
        CardFigure("今年累计学时", "Training hours this year", f["hours"]),
        CardFigure("学时进度达标率", "Staff on track", "—" if share is None else f"{round(share * 100)}%",
                   "" if share is None else ("ok" if share >= 0.8 else "warn")),
    ]


PAGES = ConsolePages(
    handlers=[sessions_page, session_page, attendance, enrol_self, cancel_own, report_page, report_csv, street_page, street_csv],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[NavLink("课程与课次", "Courses and sessions", "sessions", permission=READ),
         NavLink("学时学分", "Credit report", "report", permission=READ),
         NavLink("各社区统计", "Across communities", "street", permission=REPORT)],
    cards=[ConsoleCard("education", "网格学院", "Grid academy", card_figures, link="sessions", permission=READ)],
)
