"""Sessions of the grid academy as kernel activities, enrolment with capacity and a waiting list, check-in and check-out.

A session's enrolments take turns (``meihao.transaction``'s lock per session): the last place goes to one
learner, the rest wait (候补) in the order they asked, and a cancellation moves the first one waiting up.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from meihao import (
    ActivityIn,
    ActivityPatch,
    CommunityInfo,
    Conflict,
    InvalidInput,
    NotFound,
    NoticeIn,
    Principal,
    audit,
    cancel_activity,
    community_today,
    create_activity,
    notify,
    scoped_resident,
    scoped_staff,
    transaction,
    update_activity,
    zh_when,
)
from meihao.tables import StaffAssignment

from ..schemas import ENROLMENT_STATES, STAFF_ROLES, EnrolIn, EnrolmentOut, RescheduleIn, SessionIn, SessionOut
from ..tables import Course, Enrolment, Session
from .catalogue import _list, course_in, venue_in
from .common import ATTENDANCE, ENROL, SCENARIO, SESSION_LOCK, aware, settings_of

SESSION_COLUMNS = (
    Session.id, Session.course, Session.course.title.as_alias("course_title"), Session.course.kind.as_alias("kind"), Session.venue,
    Session.venue.name.as_alias("venue_name"), Session.starts_at, Session.ends_at, Session.day, Session.hours, Session.credits,
    Session.capacity, Session.teacher, Session.status, Session.activity, Session.rescheduled_from, Session.reschedule_reason,
    Session.reschedules,
)


async def _counts(session_ids: list[int]) -> dict[tuple[int, str], int]:
    if not session_ids:
        return {}
    rows = await Enrolment.select(Enrolment.session, Enrolment.status, Count(Enrolment.id).as_alias("n")).where(
        Enrolment.session.is_in(session_ids), Enrolment.status.is_in(["enrolled", "waiting"])).group_by(Enrolment.session, Enrolment.status)
    return {(r["session"], r["status"]): r["n"] for r in rows}


def _out(row: dict[str, Any], counts: dict[tuple[int, str], int]) -> SessionOut:
    return SessionOut(
        id=row["id"], course_id=row["course"], course=row["course_title"], kind=row["kind"], venue_id=row["venue"], venue=row["venue_name"],
        starts_at=row["starts_at"], ends_at=row["ends_at"], day=row["day"], hours=row["hours"], credits=row["credits"],
        capacity=row["capacity"], enrolled=counts.get((row["id"], "enrolled"), 0), waiting=counts.get((row["id"], "waiting"), 0),
        teacher=row["teacher"], status=row["status"], activity_id=row["activity"], rescheduled_from=row["rescheduled_from"],
        reschedule_reason=row["reschedule_reason"], reschedules=row["reschedules"],
    )


async def list_sessions(community: CommunityInfo, *, start: date, end: date, course_id: int | None = None,
                        venue_id: int | None = None) -> list[SessionOut]:
    """Sessions from ``start`` to ``end`` (local days, both included), soonest first."""
    where = [Session.community == community.id, Session.day >= start, Session.day <= end]
    if course_id is not None:
        where.append(Session.course == course_id)
    if venue_id is not None:
        where.append(Session.venue == venue_id)
    rows = await Session.select(*SESSION_COLUMNS).where(*where).order_by(Session.starts_at).order_by(Session.id)
    counts = await _counts([r["id"] for r in rows])
    return [_out(r, counts) for r in rows]


async def _session_row(community: CommunityInfo, session_id: int, field: str | None = None) -> dict[str, Any]:
    row = await Session.select(*SESSION_COLUMNS).where(Session.id == session_id, Session.community == community.id).first()
    if row is None:
        raise NotFound(f"{field + ': ' if field else ''}session {session_id} not found", field=field)
    return row


async def get_session(community: CommunityInfo, session_id: int) -> SessionOut:
    row = await _session_row(community, session_id)
    return _out(row, await _counts([row["id"]]))


async def course_audience(community: CommunityInfo, course: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    """Who a session is for: the staff holding the course's roles in the community, or the community's residents (from an age)."""
    if course["learners"] == "residents":
        return {"min_age": course["min_age"]} if course["min_age"] is not None else {"everyone": True}
    wanted = _list(course["roles"]) or roles
    rows = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.community == community.id, StaffAssignment.role.is_in(wanted), StaffAssignment.staff.active.eq(True)).distinct()
    staff = sorted({r["staff"] for r in rows})
    if not staff:
        raise Conflict("course_id: nobody in the community holds the course's roles "
                       f"({', '.join(STAFF_ROLES[r] for r in wanted)}); assign them first", field="course_id")
    return {"staff": staff}


async def plan_session(mh: Any, principal: Principal, community: CommunityInfo, data: SessionIn, *, ahead: bool = True,
                       remind: bool = True) -> SessionOut:
    """A session of a course at a venue, with its kernel activity. ``ahead``: only in the future (the API); the demo writes a past
    year, without reminders (``remind``) for the sessions already held."""
    settings = await settings_of(mh, community)
    course = await course_in(community, data.course_id)
    venue = await venue_in(community, data.venue_id)
    starts, ends = aware(data.starts_at, community), aware(data.ends_at, community)
    if ends <= starts:
        raise InvalidInput("ends_at: must be after starts_at", field="ends_at")
    if ends - starts > timedelta(hours=12):
        raise InvalidInput("ends_at: a session lasts at most 12 hours (one day)", field="ends_at")
    if ahead and starts <= mh.clock.now():
        raise InvalidInput("starts_at: a session is planned ahead, not in the past", field="starts_at")
    capacity = venue["capacity"] if data.capacity is None else data.capacity
    if capacity > venue["capacity"]:
        raise InvalidInput(f"capacity: the venue {venue['name']} holds {venue['capacity']}", field="capacity")
    audience = await course_audience(community, course, settings.roles)
    staff_course = course["learners"] == "staff"
    async with transaction(mh):
        session = Session(
            community=community.id, course=course["id"], venue=venue["id"], starts_at=starts, ends_at=ends,
            day=starts.astimezone(community.tz).date(), hours=course["hours"], credits=course["credits"], capacity=capacity,
            teacher=data.teacher.strip(), status="scheduled", activity=0,
        )
        await session.save()
        kind = "必修" if course["kind"] == "required" else "选修"
        activity = await create_activity(mh, community.slug, ActivityIn(
            scene=SCENARIO, title=f"网格学院·{course['title']}", venue=venue["name"], starts_at=starts, ends_at=ends,
            description=f"{kind}课，{course['hours']}学时、{course['credits']}学分" + (f"；授课：{session.teacher}" if session.teacher else ""),
            audience=audience, reminder_offsets=[settings.remind_before_minutes] if staff_course and remind else [],
            channels=list(settings.channels), source=f"education.session:{session.id}"), scenario=SCENARIO)
        await Session.update({Session.activity: activity["id"]}).where(Session.id == session.id)
        await audit(principal, "education.session.create", "education.session", session.id, community_id=community.id,
                    detail={"course": course["title"], "venue": venue["name"], "starts_at": starts.isoformat(), "capacity": capacity})
    return await get_session(community, session.id)


async def cancel_session(mh: Any, principal: Principal, community: CommunityInfo, session_id: int, reason: str) -> SessionOut:
    row = await _session_row(community, session_id)
    if row["status"] == "cancelled":
        raise Conflict(f"status: session {session_id} is cancelled already", field="status")
    if row["ends_at"] <= mh.clock.now():
        raise Conflict(f"status: session {session_id} is over", field="status")
    async with transaction(mh, lock=(SESSION_LOCK, session_id)):
        await Session.update({Session.status: "cancelled", Session.cancel_reason: reason.strip()}).where(Session.id == session_id)
        await audit(principal, "education.session.cancel", "education.session", session_id, community_id=community.id, reason=reason)
    await cancel_activity(mh, row["activity"], reason=reason.strip())
    return await get_session(community, session_id)


async def reschedule_session(mh: Any, principal: Principal, community: CommunityInfo, session_id: int, data: RescheduleIn) -> SessionOut:
    """改期: a scheduled session not yet begun moves to a new time ahead, with a reason. Its kernel activity is moved
    (``update_activity``: the reminders not yet sent are cancelled and planned again for the new time), and everyone
    on it (enrolled and waiting) gets one notice per reschedule (key ``education.rescheduled:<session>:<n>``)."""
    row = await _session_row(community, session_id)
    starts, ends = aware(data.starts_at, community), aware(data.ends_at, community)
    reason = data.reason.strip()
    if not reason:
        raise InvalidInput("reason: say why the session moves (the learners are told)", field="reason")
    if ends <= starts:
        raise InvalidInput("ends_at: must be after starts_at", field="ends_at")
    if ends - starts > timedelta(hours=12):
        raise InvalidInput("ends_at: a session lasts at most 12 hours (one day)", field="ends_at")
    if starts <= mh.clock.now():
        raise InvalidInput("starts_at: the new time must be ahead, not in the past", field="starts_at")
    if starts == row["starts_at"] and ends == row["ends_at"]:
        raise InvalidInput("starts_at: that is the session's time already", field="starts_at")
    async with transaction(mh, lock=(SESSION_LOCK, session_id)):
        current = await Session.select(Session.status, Session.starts_at, Session.reschedules).where(Session.id == session_id).first()
        if current["status"] != "scheduled":
            raise Conflict(f"status: session {session_id} is cancelled", field="status")
        if current["starts_at"] <= mh.clock.now():
            raise Conflict(f"status: session {session_id} has begun; it cannot be moved", field="status")
        count = current["reschedules"] + 1
        await Session.update({Session.starts_at: starts, Session.ends_at: ends, Session.day: starts.astimezone(community.tz).date(),
                              Session.rescheduled_from: current["starts_at"], Session.reschedule_reason: reason,
                              Session.reschedules: count}).where(Session.id == session_id)
        await update_activity(mh, row["activity"], ActivityPatch(starts_at=starts, ends_at=ends))
        await audit(principal, "education.session.reschedule", "education.session", session_id, community_id=community.id, reason=reason,
                    detail={"from": current["starts_at"].isoformat(), "to": starts.isoformat(), "ends_at": ends.isoformat()})
    await _tell_rescheduled(mh, community, session_id, current["starts_at"], count)
    return await get_session(community, session_id)


async def _tell_rescheduled(mh: Any, community: CommunityInfo, session_id: int, before: Any, count: int) -> None:
    settings = await settings_of(mh, community)
    session = await Session.select(Session.course.title.as_alias("course"), Session.venue.name.as_alias("venue"), Session.starts_at,
                                   Session.reschedule_reason).where(Session.id == session_id).first()
    people = await Enrolment.select(Enrolment.staff, Enrolment.resident).where(
        Enrolment.session == session_id, Enrolment.status.is_in(["enrolled", "waiting"]))
    staff = sorted({p["staff"] for p in people if p["staff"] is not None})
    residents = sorted({p["resident"] for p in people if p["resident"] is not None})
    if not staff and not residents:
        return
    old, new = zh_when(before.astimezone(community.tz)), zh_when(session["starts_at"].astimezone(community.tz))
    await notify(mh, community.slug, NoticeIn(
        key=f"education.rescheduled:{session_id}:{count}", title="网格学院课程改期",
        body=f"您报名的“{session['course']}”改期了：原定{old}，改到{new}，{session['venue']}。原因：{session['reschedule_reason']}。"
             "如不能参加，请及时取消报名。",
        staff=staff, residents=residents, channels=list(settings.channels)), scenario=SCENARIO)


# -- enrolment ---------------------------------------------------------------------------------------------


async def _learner(mh: Any, principal: Principal, community: CommunityInfo, course: dict[str, Any], roles: list[str], data: EnrolIn) -> dict[str, Any]:
    """The learner of an enrolment: ``staff`` or ``resident`` with ``id``, ``name`` and (residents) ``grid``."""
    if data.staff_id is not None and data.resident_id is not None:
        raise InvalidInput("staff_id: give a staff member or a resident, not both", field="staff_id")
    if data.resident_id is not None:
        principal.require(ENROL)
        resident = await scoped_resident(principal, community, data.resident_id, "resident_id")
        if course["min_age"] is not None:
            born = resident["birth_date"]
            today = community_today(mh, community)
            if today.year - born.year - ((today.month, today.day) < (born.month, born.day)) < course["min_age"]:
                raise InvalidInput(f"resident_id: the course is for residents of {course['min_age']} and over", field="resident_id")
        return {"kind": "resident", "id": resident["id"], "name": resident["name"], "grid": resident["grid"]}
    staff_id = data.staff_id if data.staff_id is not None else principal.staff_id
    if staff_id is None:
        raise InvalidInput("staff_id: give the staff member or the resident to enrol", field="staff_id")
    if staff_id != principal.staff_id:
        principal.require(ENROL)
    if course["learners"] == "residents":
        raise InvalidInput("staff_id: the course is for residents", field="staff_id")
    wanted = _list(course["roles"]) or roles
    staff = await scoped_staff(principal, community, staff_id, "staff_id")
    if not await StaffAssignment.exists().where(StaffAssignment.staff == staff_id, StaffAssignment.community == community.id,
                                                StaffAssignment.role.is_in(wanted)):
        raise InvalidInput(f"staff_id: the course is for {', '.join(STAFF_ROLES[r] for r in wanted)}", field="staff_id")
    return {"kind": "staff", "id": staff["id"], "name": staff["name"], "grid": None}


async def enrol(mh: Any, principal: Principal, community: CommunityInfo, session_id: int, data: EnrolIn) -> EnrolmentOut:
    """报名: a place while there is one, else the waiting list (候补). Once per learner and session."""
    settings = await settings_of(mh, community)
    row = await _session_row(community, session_id)
    course = await Course.select().where(Course.id == row["course"]).first()
    learner = await _learner(mh, principal, community, course, settings.roles, data)
    column = Enrolment.staff if learner["kind"] == "staff" else Enrolment.resident
    async with transaction(mh, lock=(SESSION_LOCK, session_id)):
        session = await Session.select(Session.status, Session.starts_at, Session.capacity).where(Session.id == session_id).first()
        if session["status"] != "scheduled":
            raise Conflict(f"status: session {session_id} is cancelled", field="status")
        if session["starts_at"] <= mh.clock.now():
            raise Conflict(f"status: session {session_id} has started; enrolment is closed", field="status")
        if await Enrolment.exists().where(Enrolment.session == session_id, column == learner["id"], Enrolment.status != "cancelled"):
            raise Conflict(f"{learner['kind']}_id: {learner['name']} is on this session already", field=f"{learner['kind']}_id")
        taken = await Enrolment.count().where(Enrolment.session == session_id, Enrolment.status == "enrolled")
        status = "enrolled" if taken < session["capacity"] else "waiting"
        enrolment = Enrolment(session=session_id, community=community.id, status=status, grid=learner["grid"], created_at=mh.clock.now(),
                              **{learner["kind"]: learner["id"]})
        await enrolment.save()
        await audit(principal, "education.enrol", "education.enrolment", enrolment.id, community_id=community.id,
                    detail={"session": session_id, "learner": learner["kind"], "status": status})
    return await get_enrolment(principal, community, enrolment.id)


ENROLMENT_COLUMNS = (
    Enrolment.id, Enrolment.session, Enrolment.staff, Enrolment.resident, Enrolment.status, Enrolment.checked_in_at,
    Enrolment.checked_out_at, Enrolment.staff.name.as_alias("staff_name"), Enrolment.resident.name.as_alias("resident_name"),
)


def _scope(principal: Principal, community: CommunityInfo) -> list[Any]:
    """Staff learners for anyone who reaches the community; resident learners only in the caller's scope."""
    return [Enrolment.community == community.id,
            Enrolment.resident.is_null() | Enrolment.resident.is_in(principal.residents_in(community.id))]


async def _places(session_id: int) -> dict[int, int]:
    waiting = await Enrolment.select(Enrolment.id).where(Enrolment.session == session_id, Enrolment.status == "waiting").order_by(Enrolment.id)
    return {r["id"]: n for n, r in enumerate(waiting, start=1)}


def _enrolment_out(row: dict[str, Any], places: dict[int, int]) -> EnrolmentOut:
    staff = row["staff"] is not None
    return EnrolmentOut(
        id=row["id"], session_id=row["session"], learner="staff" if staff else "resident", staff_id=row["staff"], resident_id=row["resident"],
        name=row["staff_name"] if staff else row["resident_name"], status=row["status"], status_zh=ENROLMENT_STATES[row["status"]],
        waiting_place=places.get(row["id"]), checked_in_at=row["checked_in_at"], checked_out_at=row["checked_out_at"],
        attended=row["checked_out_at"] is not None,
    )


async def list_enrolments(principal: Principal, community: CommunityInfo, session_id: int) -> list[EnrolmentOut]:
    """A session's list: enrolled first (by name order of asking), then the waiting list in its order; cancelled last."""
    await _session_row(community, session_id)
    rows = await Enrolment.select(*ENROLMENT_COLUMNS).where(Enrolment.session == session_id, *_scope(principal, community)).order_by(Enrolment.id)
    order = {"enrolled": 0, "waiting": 1, "cancelled": 2}
    places = await _places(session_id)
    return [_enrolment_out(r, places) for r in sorted(rows, key=lambda r: (order[r["status"]], r["id"]))]


async def _enrolment_row(principal: Principal, community: CommunityInfo, enrolment_id: int) -> dict[str, Any]:
    row = await Enrolment.select(*ENROLMENT_COLUMNS).where(Enrolment.id == enrolment_id, *_scope(principal, community)).first()
    if row is None:
        raise NotFound(f"enrolment {enrolment_id} not found")
    return row


async def get_enrolment(principal: Principal, community: CommunityInfo, enrolment_id: int) -> EnrolmentOut:
    row = await _enrolment_row(principal, community, enrolment_id)
    return _enrolment_out(row, await _places(row["session"]))


async def cancel_enrolment(mh: Any, principal: Principal, community: CommunityInfo, enrolment_id: int) -> EnrolmentOut:
    """A learner's own cancellation, or staff with education.enrol for them; a freed place goes to the first one waiting."""
    row = await _enrolment_row(principal, community, enrolment_id)
    if row["staff"] is None or row["staff"] != principal.staff_id:
        principal.require(ENROL)
    promoted: dict[str, Any] | None = None
    async with transaction(mh, lock=(SESSION_LOCK, row["session"])):
        current = await Enrolment.select(Enrolment.status).where(Enrolment.id == enrolment_id).first()
        if current["status"] == "cancelled":
            raise Conflict(f"status: enrolment {enrolment_id} is cancelled already", field="status")
        session = await Session.select(Session.starts_at, Session.status).where(Session.id == row["session"]).first()
        now = mh.clock.now()
        if session["starts_at"] <= now:
            raise Conflict("status: the session has started; mark the learner absent instead of cancelling", field="status")
        await Enrolment.update({Enrolment.status: "cancelled", Enrolment.cancelled_at: now}).where(Enrolment.id == enrolment_id)
        if current["status"] == "enrolled" and session["status"] == "scheduled":
            promoted = await Enrolment.select(Enrolment.id, Enrolment.staff, Enrolment.resident).where(
                Enrolment.session == row["session"], Enrolment.status == "waiting").order_by(Enrolment.id).first()
            if promoted is not None:
                await Enrolment.update({Enrolment.status: "enrolled", Enrolment.promoted_at: now}).where(Enrolment.id == promoted["id"])
        await audit(principal, "education.enrol.cancel", "education.enrolment", enrolment_id, community_id=community.id,
                    detail={"session": row["session"], "promoted": promoted["id"] if promoted else None})
    if promoted is not None:
        await _tell_promoted(mh, community, row["session"], promoted)
    return await get_enrolment(principal, community, enrolment_id)


async def _tell_promoted(mh: Any, community: CommunityInfo, session_id: int, promoted: dict[str, Any]) -> None:
    settings = await settings_of(mh, community)
    session = await Session.select(Session.course.title.as_alias("course"), Session.venue.name.as_alias("venue"), Session.starts_at).where(
        Session.id == session_id).first()
    when = zh_when(session["starts_at"].astimezone(community.tz))
    await notify(mh, community.slug, NoticeIn(
        key=f"education.promoted:{promoted['id']}", title="网格学院候补转正",
        body=f"您候补的“{session['course']}”有了空位，已为您报上名：{when}，{session['venue']}。如不能参加，请及时取消。",
        staff=[promoted["staff"]] if promoted["staff"] else [], residents=[promoted["resident"]] if promoted["resident"] else [],
        channels=list(settings.channels)), scenario=SCENARIO)


# -- attendance ---------------------------------------------------------------------------------------------


async def check_in(mh: Any, principal: Principal, community: CommunityInfo, enrolment_id: int) -> EnrolmentOut:
    """签到: an enrolled learner, from ``check_in_opens_minutes`` before the start until the end."""
    principal.require(ATTENDANCE)
    settings = await settings_of(mh, community)
    row = await _enrolment_row(principal, community, enrolment_id)
    async with transaction(mh, lock=(SESSION_LOCK, row["session"])):
        current = await Enrolment.select(Enrolment.status, Enrolment.checked_in_at).where(Enrolment.id == enrolment_id).first()
        session = await Session.select(Session.starts_at, Session.ends_at, Session.status).where(Session.id == row["session"]).first()
        now = mh.clock.now()
        if current["status"] != "enrolled":
            raise Conflict(f"status: {row['staff_name'] or row['resident_name']} is {ENROLMENT_STATES[current['status']]}, not enrolled",
                           field="status")
        if session["status"] != "scheduled":
            raise Conflict("status: the session is cancelled", field="status")
        if current["checked_in_at"] is not None:
            raise Conflict("checked_in_at: checked in already", field="checked_in_at")
        opens = session["starts_at"] - timedelta(minutes=settings.check_in_opens_minutes)
        if not opens <= now <= session["ends_at"]:
            raise Conflict(f"checked_in_at: check-in is open from {settings.check_in_opens_minutes} minutes before the start to the end",
                           field="checked_in_at")
        await Enrolment.update({Enrolment.checked_in_at: now}).where(Enrolment.id == enrolment_id)
        await audit(principal, "education.check_in", "education.enrolment", enrolment_id, community_id=community.id)
    return await get_enrolment(principal, community, enrolment_id)


async def check_out(mh: Any, principal: Principal, community: CommunityInfo, enrolment_id: int) -> EnrolmentOut:
    """签退: after check-in; the session's 学时 and 学分 count from then on."""
    principal.require(ATTENDANCE)
    row = await _enrolment_row(principal, community, enrolment_id)
    async with transaction(mh, lock=(SESSION_LOCK, row["session"])):
        current = await Enrolment.select(Enrolment.checked_in_at, Enrolment.checked_out_at).where(Enrolment.id == enrolment_id).first()
        if current["checked_in_at"] is None:
            raise Conflict("checked_out_at: not checked in", field="checked_out_at")
        if current["checked_out_at"] is not None:
            raise Conflict("checked_out_at: checked out already", field="checked_out_at")
        await Enrolment.update({Enrolment.checked_out_at: mh.clock.now()}).where(Enrolment.id == enrolment_id)
        await audit(principal, "education.check_out", "education.enrolment", enrolment_id, community_id=community.id)
    return await get_enrolment(principal, community, enrolment_id)

