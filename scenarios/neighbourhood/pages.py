"""neighbourhood's console pages: the bodies and their members, motions by stage with seconds and the party organisation's
review, a meeting (agenda, sign-in, votes per motion, the count and its result, minutes, the second call), and a
resolution's follow-up tasks. They call the API's services with the viewer's permissions; a motion outside the
viewer's grids is the 404 page, as in the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from meihao import (
    Caller,
    CardFigure,
    CommunityInfo,
    ConsoleCard,
    ConsolePages,
    CurrentCommunity,
    FormFields,
    MeihaoError,
    NavLink,
    NotFound,
    Principal,
    Runtime,
    page_requires,
    render_page,
)
from meihao.tables import StaffAssignment

from .schemas import ProgressIn, ReviewIn, SecondCallIn, TaskIn, VoteIn, parse_quorum
from .services import council, figures, follow_up
from .tables import Ballot

HERE = Path(__file__).parent
SCENE = "neighbourhood"
READ, PROPOSE, REVIEW, MEETINGS = "neighbourhood.read", "neighbourhood.motion.write", "neighbourhood.motion.review", "neighbourhood.meeting.manage"


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it where it is shown."""
    return message


BODY_KINDS = {"residents_meeting": N_("Residents' meeting"), "representatives": N_("Residents' representatives' meeting"),
              "council": N_("Doorstep council"), "design_committee": N_("Better Life Design Committee")}
MEETING_KINDS = {**BODY_KINDS, "evening_talk": N_("Evening talk")}
ROLES = {"representative": N_("Residents' representative"), "party_member": N_("Party member"), "property": N_("Property company"),
         "owners_committee": N_("Owners' committee"), "resident": N_("Resident")}
#: The stages of a motion, in the order a motion goes through them.
STAGES = {"proposed": N_("Waiting for seconds"), "seconded": N_("Waiting for review"), "approved": N_("Approved, not on an agenda"),
          "scheduled": N_("On an agenda"), "passed": N_("Passed, on notice"), "resolved": N_("Resolution"), "failed": N_("Not passed"),
          "declined": N_("Declined at review")}
MEETING_STATES = {"planned": N_("Planned"), "held": N_("Held"), "cancelled": N_("Cancelled"), "adjourned": N_("Adjourned: no quorum")}
CHOICES = {"yes": N_("For"), "no": N_("Against"), "abstain": N_("Abstain")}
TASK_STATES = {"open": N_("Not started"), "in_progress": N_("In progress"), "done": N_("Done"), "cancelled": N_("Cancelled")}
FLAGS = {"green": N_("On time"), "yellow": N_("Due soon"), "red": N_("Overdue"), "met": N_("Done on time"), "met_late": N_("Done late")}
FLAG_TONES = {"green": "ok", "yellow": "warn", "red": "alert", "met": "ok", "met_late": "warn"}
DONE = {"reviewed": N_("The review is recorded."), "task": N_("The task is set."), "report": N_("The progress report is recorded."),
        "signed": N_("Sign-in recorded."), "voted": N_("The vote is recorded."), "counted": N_("The votes are counted; the results are on notice."),
        "minutes": N_("The minutes are saved."), "called": N_("The meeting is called again.")}
#: What a form's field needs, shown at the field when the service refused it.
FIELD_MESSAGES = {
    "note": N_("Write what was done (up to 2000 characters)."), "title": N_("Write what is to be done (up to 200 characters)."),
    "owner_id": N_("Choose a staff member of this community."), "due_on": N_("Choose a working day after today, within a year."),
    "member_ids": N_("Choose members of the body in their term."), "member_id": N_("This member has not signed in, or has voted already."),
    "choice": N_("Choose for, against or abstain."), "minutes": N_("Write the minutes (up to 20000 characters)."),
    "starts_at": N_("Choose a start in the future; the end after it, the same day."), "state": N_("This task has moved on; reload the page."),
}
CONFLICTS = {"review": N_("This motion is not waiting for review (it needs its seconds first, or was reviewed already)."),
             "task": N_("Tasks are set on a resolution, after its notice period."),
             "count": N_("This meeting cannot be counted now."), "call": N_("This meeting cannot be called again."),
             "vote": N_("This motion is not open for votes.")}


RULES = {True: N_("more than %(n)s/%(d)s"), False: N_("at least %(n)s/%(d)s")}


def _rule(rule: str) -> dict[str, Any]:
    """A quorum rule (``>=2/3``) as the message and its numbers, for the template to translate."""
    strict, num, den = parse_quorum(rule, "quorum")
    return {"message": RULES[strict], "n": num, "d": den}


def _local(value: Any, community: CommunityInfo) -> Any:
    return value.astimezone(community.tz) if value is not None else None


def _errors(err: MeihaoError, conflict: str) -> dict[str, str]:
    """A refusal as the message at its field (or at the top, ``_``)."""
    if err.field in FIELD_MESSAGES:
        return {err.field: FIELD_MESSAGES[err.field]}
    return {"_": CONFLICTS[conflict]}


# -- the index: bodies and members, motions by stage, meetings ------------------------------------------------------


@get(["/", "/motions"], guards=[page_requires(READ)])
async def index_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """议事: the bodies with their members, the motions in the viewer's scope by stage, and the meetings."""
    bodies = await council.list_bodies(community)
    members = {b.id: await council.list_members(community, b.id) for b in bodies}
    names = await _resident_names([m.resident for ms in members.values() for m in ms if m.resident])
    motions = await council.list_motions(meihao, principal, community)
    by_stage: dict[str, list[Any]] = {s: [] for s in STAGES}
    for m in motions:
        by_stage.setdefault(m.state, []).append(m)
    return render_page(
        request, "neighbourhood/index.html", community=community, bodies=bodies, members=members, names=names, by_stage=by_stage,
        meetings=[m for m in await council.list_meetings(community)][:30], body_names={b.id: b.name for b in bodies},
        stages=STAGES, body_kinds=BODY_KINDS, meeting_kinds=MEETING_KINDS, roles=ROLES, meeting_states=MEETING_STATES,
        local=lambda v: _local(v, community), today=meihao.clock.now().astimezone(community.tz).date(),
    )


async def _resident_names(ids: list[int]) -> dict[int, str]:
    from meihao.tables import Resident

    return {r["id"]: r["name"] for r in await Resident.select(Resident.id, Resident.name).where(Resident.id.is_in(ids or [0]))}


# -- a motion: seconds, review, result, follow-up tasks ----------------------------------------------------------------


@get("/motions/{motion_id:int}", guards=[page_requires(READ)])
async def motion_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                      motion_id: FromPath[int]) -> Response[str]:
    return await _render_motion(request, meihao, community, principal, motion_id, done=request.query_params.get("done", ""))


async def _team(community: CommunityInfo) -> list[dict[str, Any]]:
    """The community's active staff (its own roles and its grids' teams), to own a task."""
    rows = await StaffAssignment.select(StaffAssignment.staff, StaffAssignment.staff.name.as_alias("name")).where(
        (StaffAssignment.community == community.id) | (StaffAssignment.grid.community == community.id), StaffAssignment.staff.active.eq(True)
    ).order_by(StaffAssignment.staff)
    return list({r["staff"]: {"id": r["staff"], "name": r["name"]} for r in rows}.values())


async def _render_motion(request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, motion_id: int, *,
                         status_code: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                         done: str = "") -> Response[str]:
    motion = await council.get_motion(mh, principal, community, motion_id)  # out of scope: the 404 page
    body = next((b for b in await council.list_bodies(community) if b.id == motion.body), None)
    proposer = (await _resident_names([motion.proposer]))[motion.proposer] if motion.proposer else ""
    can_manage = principal.can(MEETINGS)
    return render_page(
        request, "neighbourhood/motion.html", status_code=status_code, community=community, motion=motion, body=body, proposer=proposer,
        stages=STAGES, body_kinds=BODY_KINDS, task_states=TASK_STATES, flags=FLAGS, flag_tones=FLAG_TONES,
        can_review=principal.can(REVIEW) and motion.state == "seconded", can_manage=can_manage, can_report=principal.can(PROPOSE),
        team=await _team(community) if can_manage and motion.state == "resolved" else [], errors=errors or {}, values=values or {},
        done=DONE.get(done, ""), local=lambda v: _local(v, community),
    )


def _back(community: CommunityInfo, where: str, done: str) -> Redirect:
    return Redirect(f"/c/{community.slug}/{SCENE}/{where}?done={done}", status_code=303)


@post("/motions/{motion_id:int}/review", guards=[page_requires(REVIEW)])
async def review(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                 motion_id: FromPath[int]) -> Response[Any]:
    """党组织审核: approve, or decline with a note."""
    await council.get_motion(meihao, principal, community, motion_id)
    form = await FormFields.read(request)
    try:
        await council.review(meihao, principal, community, motion_id, ReviewIn(approve=form.text("decision") == "approve",
                                                                                 note=form.text("note")))
    except MeihaoError as err:
        if err.status_code not in (400, 409):
            raise
        errors = {"note": N_("Say why the motion is declined.")} if err.field == "note" else _errors(err, "review")
        return await _render_motion(request, meihao, community, principal, motion_id, status_code=err.status_code, errors=errors,
                                    values=form.values)
    return _back(community, f"motions/{motion_id}", "reviewed")


@post("/motions/{motion_id:int}/tasks", guards=[page_requires(MEETINGS)])
async def add_task(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                   motion_id: FromPath[int]) -> Response[Any]:
    await council.get_motion(meihao, principal, community, motion_id)
    form = await FormFields.read(request)
    owner, due = form.whole("owner_id", required=True), form.day("due_on", required=True)
    errors = {k: FIELD_MESSAGES[k] for k in form.errors}
    if not errors:
        try:
            await follow_up.add_task(meihao, principal, community, motion_id, TaskIn(title=form.text("title"), owner_id=owner, due_on=due))
        except MeihaoError as err:
            if err.status_code not in (400, 404, 409) or (err.status_code == 404 and err.field != "owner_id"):
                raise
            errors = _errors(err, "task")
    if errors:
        return await _render_motion(request, meihao, community, principal, motion_id, status_code=400, errors=errors, values=form.values)
    return _back(community, f"motions/{motion_id}", "task")


@post("/motions/{motion_id:int}/tasks/{task_id:int}/report", guards=[page_requires(PROPOSE)])
async def report(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                 motion_id: FromPath[int], task_id: FromPath[int]) -> Response[Any]:
    """进展: a progress report on a task, or the task done or cancelled."""
    await council.get_motion(meihao, principal, community, motion_id)
    form = await FormFields.read(request)
    try:
        await follow_up.report(meihao, principal, community, motion_id, task_id,
                               ProgressIn(state=form.text("state"), note=form.text("note"), expected=form.text("expected") or None))
    except MeihaoError as err:
        if err.status_code not in (400, 409):
            raise
        errors = {f"{k}-{task_id}": v for k, v in _errors(err, "task").items()} if err.field in FIELD_MESSAGES else _errors(err, "task")
        return await _render_motion(request, meihao, community, principal, motion_id, status_code=400, errors=errors,
                                    values={f"note-{task_id}": form.text("note")})
    return _back(community, f"motions/{motion_id}", "report")


# -- a meeting ---------------------------------------------------------------------------------------------------------


@get("/meetings/{meeting_id:int}", guards=[page_requires(READ)])
async def meeting_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                       meeting_id: FromPath[int]) -> Response[str]:
    return await _render_meeting(request, meihao, community, principal, meeting_id, done=request.query_params.get("done", ""))


async def _render_meeting(request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, meeting_id: int, *,
                          status_code: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                          done: str = "") -> Response[str]:
    meeting = await council.get_meeting(community, meeting_id)
    body = next((b for b in await council.list_bodies(community) if b.id == meeting.body), None)
    members: list[Any] = []
    signed: set[int] = set()
    if body is not None:
        day = meeting.starts_at.astimezone(community.tz).date()
        members = [m for m in await council.list_members(community, body.id) if m.term_start <= day <= m.term_end]
        signed = set(await council.signed_in(meeting_id))
    names = await _resident_names([m.resident for m in members if m.resident])
    agenda = []
    for motion_id in meeting.agenda:  # a motion of another grid is not shown to grid staff, as in the API
        try:
            agenda.append(await council.get_motion(mh, principal, community, motion_id))
        except NotFound:
            continue
    voted = {(r["motion"], r["member"]): r["choice"] for r in await Ballot.select(Ballot.motion, Ballot.member, Ballot.choice).where(
        Ballot.motion.is_in(meeting.agenda or [0]))}
    secret = {m.id for m in agenda if m.ballot == "secret"}
    settings = await council.settings_of(mh, community)
    quorum = None
    if body is not None:
        entitled, present = await council.turnout(community, {"id": body.id, "vote_by": body.vote_by},
                                                  {"id": meeting_id, "starts_at": meeting.starts_at})
        rule = council.quorum_of(settings, body.kind, {"second_call_of": meeting.second_call_of})
        from .services import tally

        second = getattr(settings, f"{body.kind}_second_call")
        quorum = {"entitled": entitled, "present": present, "rule": _rule(rule), "met": tally.quorum_met(rule, entitled, present),
                  "second_call": _rule(second) if second else None}
    return render_page(
        request, "neighbourhood/meeting.html", status_code=status_code, community=community, meeting=meeting, body=body, members=members,
        names=names, signed=signed, agenda=agenda, voted=voted, recorded={m.id: sum(1 for k in voted if k[0] == m.id) for m in agenda}, secret=secret, quorum=quorum, choices=CHOICES, roles=ROLES,
        stages=STAGES, meeting_kinds=MEETING_KINDS, meeting_states=MEETING_STATES, can_manage=principal.can(MEETINGS),
        errors=errors or {}, values=values or {}, done=DONE.get(done, ""), starts=_local(meeting.starts_at, community),
        ends=_local(meeting.ends_at, community),
    )


async def _meeting_action(request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, meeting_id: int,
                          conflict: str, done: str, action: Any) -> Response[Any]:
    await council.get_meeting(community, meeting_id)  # another community's meeting: the 404 page
    form = await FormFields.read(request)
    try:
        await action(form)
    except MeihaoError as err:
        if err.status_code not in (400, 404, 409) or (err.status_code == 404 and err.field is None):
            raise
        return await _render_meeting(request, mh, community, principal, meeting_id, status_code=400 if err.status_code == 404 else err.status_code,
                                     errors=_errors(err, conflict), values=form.values)
    return _back(community, f"meetings/{meeting_id}", done)


@post("/meetings/{meeting_id:int}/attendance", guards=[page_requires(MEETINGS)])
async def sign_in(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                  meeting_id: FromPath[int]) -> Response[Any]:
    async def act(form: FormFields) -> None:
        ids = [int(v) for v in (await request.form()).getall("member") if str(v).isascii() and str(v).isdigit()]
        await council.sign_in(meihao, principal, community, meeting_id, ids)

    return await _meeting_action(request, meihao, community, principal, meeting_id, "count", "signed", act)


@post("/meetings/{meeting_id:int}/motions/{motion_id:int}/votes", guards=[page_requires(MEETINGS)])
async def vote(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
               meeting_id: FromPath[int], motion_id: FromPath[int]) -> Response[Any]:
    """One member's vote on a motion of the agenda."""
    async def act(form: FormFields) -> None:
        member = form.whole("member_id", required=True)
        if member is None:
            from meihao import InvalidInput

            raise InvalidInput("member_id: choose a member", field="member_id")
        await council.vote(meihao, principal, community, meeting_id, motion_id, VoteIn(member_id=member, choice=form.text("choice")))

    return await _meeting_action(request, meihao, community, principal, meeting_id, "vote", "voted", act)


@post("/meetings/{meeting_id:int}/count", guards=[page_requires(MEETINGS)])
async def count(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                meeting_id: FromPath[int]) -> Response[Any]:
    async def act(form: FormFields) -> None:
        await council.count(meihao, principal, community, meeting_id)

    return await _meeting_action(request, meihao, community, principal, meeting_id, "count", "counted", act)


@post("/meetings/{meeting_id:int}/minutes", guards=[page_requires(MEETINGS)])
async def minutes(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                  meeting_id: FromPath[int]) -> Response[Any]:
    async def act(form: FormFields) -> None:
        await council.write_minutes(meihao, principal, community, meeting_id, form.text("minutes"))

    return await _meeting_action(request, meihao, community, principal, meeting_id, "count", "minutes", act)


@post("/meetings/{meeting_id:int}/second-call", guards=[page_requires(MEETINGS)])
async def second_call(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller,
                      meeting_id: FromPath[int]) -> Response[Any]:
    """二次召集 from the meeting's page: the day and times of the second call."""
    from datetime import datetime

    form = await FormFields.read(request)
    day, start, end = form.day("day", required=True), form.clock("start", required=True), form.clock("end", required=True)
    if form.errors:
        return await _render_meeting(request, meihao, community, principal, meeting_id, status_code=400,
                                     errors={"starts_at": FIELD_MESSAGES["starts_at"]}, values=form.values)
    try:
        again = await council.call_again(meihao, principal, community, meeting_id, SecondCallIn(
            starts_at=datetime.combine(day, start, community.tz), ends_at=datetime.combine(day, end, community.tz), venue=form.text("venue")))
    except MeihaoError as err:
        if err.status_code not in (400, 409):
            raise
        return await _render_meeting(request, meihao, community, principal, meeting_id, status_code=err.status_code,
                                     errors=_errors(err, "call"), values=form.values)
    return _back(community, f"meetings/{again.id}", "called")


# -- the card -----------------------------------------------------------------------------------------------------------


async def card_figures(mh: Any, principal: Principal, community: CommunityInfo) -> list[CardFigure]:
    f = await figures.figures(mh, community)
    waiting = len(await council.list_motions(mh, principal, community, "seconded"))  # in the viewer's grids
    return [
        CardFigure("待审核议题", "Motions waiting for review", waiting, "warn" if waiting else "ok"),
        CardFigure("形成决议", "Resolutions", f["resolved"]),
        CardFigure("决议已落实", "Resolutions carried out", f["carried_out"]),
    ]


PAGES = ConsolePages(
    handlers=[index_page, motion_page, review, add_task, report, meeting_page, sign_in, vote, count, minutes, second_call],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[NavLink("议事", "Self-governance", "motions", permission=READ)],
    cards=[ConsoleCard("neighbourhood", "邻里议事", "Neighbourhood self-governance", card_figures, link="motions", permission=READ)],
)
