"""A learner's record, the year-end credit report (per person, role and community), the reminders to those behind, the figures.

Attended = checked in and out; each attended session of the year counts its 学时 and 学分 (as planned). A staff
member's requirement is their role's (the first of the requirement's roles they hold in the community, in the
order 社区工作人员, 网格长, 专职网格员, 兼职网格员, 下沉力量).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from meihao import (
    CommunityInfo,
    NotFound,
    NoticeIn,
    Principal,
    community_today,
    notify,
    working_calendar,
)
from meihao.tables import Community, StaffAssignment

from ..schemas import (
    STAFF_ROLES,
    EducationSettings,
    LearnerRecordOut,
    RecordEntry,
    ReportGroup,
    ReportOut,
    ReportRow,
    StreetReportOut,
    StreetRow,
    VenueUseOut,
)
from ..tables import Course, Enrolment, Session, Venue
from .common import REPORT, SCENARIO, behind, settings_of


def _attended(year: int) -> list[Any]:
    """Enrolments attended (checked in and out) at a session of ``year`` that was not cancelled."""
    return [Enrolment.status == "enrolled", Enrolment.checked_out_at.is_not_null(), Enrolment.session.status == "scheduled",
            Enrolment.session.day >= date(year, 1, 1), Enrolment.session.day <= date(year, 12, 31)]


async def totals(staff_ids: list[int], year: int) -> dict[int, tuple[int, int]]:
    """学时 and 学分 attended in ``year`` per staff member, summed in SQL (sessions of every community count)."""
    if not staff_ids:
        return {}
    rows = await Enrolment.select(
        Enrolment.staff, Sum(Enrolment.session.hours).as_alias("hours"), Sum(Enrolment.session.credits).as_alias("credits"),
    ).where(Enrolment.staff.is_in(staff_ids), *_attended(year)).group_by(Enrolment.staff)
    return {r["staff"]: (int(r["hours"] or 0), int(r["credits"] or 0)) for r in rows}


async def people(community: CommunityInfo, settings: EducationSettings) -> list[dict[str, Any]]:
    """The active staff held to the requirement in the community, each with the role that sets it and its grid."""
    rows = await StaffAssignment.select(
        StaffAssignment.staff, StaffAssignment.staff.name.as_alias("name"), StaffAssignment.role, StaffAssignment.grid.name.as_alias("grid"),
    ).where(StaffAssignment.community == community.id, StaffAssignment.role.is_in(settings.roles), StaffAssignment.staff.active.eq(True))
    order = {role: n for n, role in enumerate(STAFF_ROLES)}
    chosen: dict[int, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (order[r["role"]], r["grid"] or "")):
        chosen.setdefault(r["staff"], {"staff_id": r["staff"], "name": r["name"], "role": r["role"], "grid": r["grid"] or ""})
    return sorted(chosen.values(), key=lambda p: (order[p["role"]], p["grid"], p["name"], p["staff_id"]))


def _on_track(hours: int, credits: int, role: str, settings: EducationSettings, today: date, year: int) -> bool:
    if year < today.year:
        return hours >= settings.hours_for(role) and credits >= settings.credits_for(role)
    return not behind(hours, credits, settings.hours_for(role), settings.credits_for(role), today.month)


async def learner_record(mh: Any, principal: Principal, community: CommunityInfo, staff_id: int, year: int) -> LearnerRecordOut:
    """One staff member's year. Their own for everyone; another's for holders of education.report.read who work in or manage
    the community (404 otherwise, as for nobody)."""
    settings = await settings_of(mh, community)
    everyone = {p["staff_id"]: p for p in await people(community, settings)}
    person = everyone.get(staff_id)
    allowed = staff_id == principal.staff_id or (principal.can(REPORT) and principal.manages_community(community.id))
    if person is None or not allowed:
        raise NotFound(f"learner {staff_id} not found")
    rows = await Enrolment.select(
        Enrolment.session, Enrolment.session.course.title.as_alias("course"), Enrolment.session.course.kind.as_alias("kind"),
        Enrolment.session.venue.name.as_alias("venue"), Enrolment.session.day.as_alias("day"), Enrolment.session.hours.as_alias("hours"),
        Enrolment.session.credits.as_alias("credits"),
    ).where(Enrolment.staff == staff_id, *_attended(year)).order_by(Enrolment.session.starts_at)
    entries = [RecordEntry(session_id=r["session"], course=r["course"], kind=r["kind"], venue=r["venue"], day=r["day"], hours=r["hours"],
                           credits=r["credits"]) for r in rows]
    hours, credits = sum(e.hours for e in entries), sum(e.credits for e in entries)
    role = person["role"]
    today = community_today(mh, community)
    return LearnerRecordOut(
        staff_id=staff_id, name=person["name"], year=year, role=role, hours=hours, credits=credits,
        required_hours=settings.hours_for(role), required_credits=settings.credits_for(role),
        met=hours >= settings.hours_for(role) and credits >= settings.credits_for(role),
        on_track=_on_track(hours, credits, role, settings, today, year), sessions=entries,
    )


async def report(mh: Any, principal: Principal, community: CommunityInfo, year: int) -> ReportOut:
    """学时学分年度统计: every person held to the requirement (one's own row only without education.report.read), by role and in all."""
    settings = await settings_of(mh, community)
    everyone = await people(community, settings)
    if not (principal.can(REPORT) and principal.manages_community(community.id)):
        everyone = [p for p in everyone if p["staff_id"] == principal.staff_id]
    done = await totals([p["staff_id"] for p in everyone], year)
    rows = []
    for p in everyone:
        hours, credits = done.get(p["staff_id"], (0, 0))
        need_h, need_c = settings.hours_for(p["role"]), settings.credits_for(p["role"])
        rows.append(ReportRow(staff_id=p["staff_id"], name=p["name"], role=p["role"], role_zh=STAFF_ROLES[p["role"]], community=community.name,
                              grid=p["grid"], hours=hours, credits=credits, required_hours=need_h, required_credits=need_c,
                              met=hours >= need_h and credits >= need_c))

    def group(key: str, label: str, members: list[ReportRow]) -> ReportGroup:
        return ReportGroup(key=key, label=label, people=len(members), met=sum(r.met for r in members), hours=sum(r.hours for r in members),
                           credits=sum(r.credits for r in members))

    by_role = [group(role, zh, [r for r in rows if r.role == role]) for role, zh in STAFF_ROLES.items() if any(r.role == role for r in rows)]
    return ReportOut(year=year, people=rows, by_role=by_role, by_community=[group(community.slug, community.name, rows)] if rows else [])


REPORT_HEADER = ["姓名", "岗位", "社区", "网格", "学时", "学分", "应修学时", "应修学分", "是否达标"]


def report_lines(result: ReportOut) -> list[list[Any]]:
    return [REPORT_HEADER] + [[r.name, r.role_zh, r.community, r.grid, r.hours, r.credits, r.required_hours, r.required_credits,
                               "达标" if r.met else "未达标"] for r in result.people]


# -- the street-wide report ------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def _counted(rows: list[dict[str, Any]], key: str = "n") -> dict[int, int]:
    return {r["community"]: int(r[key] or 0) for r in rows}


async def street_report(mh: Any, principal: Principal, year: int) -> StreetReportOut:
    """街道网格学院统计: per community where the academy is set up (it has a venue) and the caller manages (the street: all;
    a community's admin: their own), the year's venues, courses, sessions held / planned / cancelled, places taken, attendances,
    learners, 学时, the attendance rate (attended / places taken, on the sessions held), the staff held to the requirement and those who met it; and the total of those rows
    only. Counted in SQL grouped by community; a community out of reach is not in any sum."""
    ids = sorted({r["community"] for r in await Venue.select(Venue.community).distinct()})
    ids = [i for i in ids if principal.manages_community(i)]
    if not ids:
        empty = StreetRow(slug="", community="合计", venues=0, courses=0, sessions_held=0, sessions_planned=0, sessions_cancelled=0,
                          enrolments=0, attendances=0, learners=0, hours=0, attendance_rate=None, staff=0, staff_met=0, completion_rate=None)
        return StreetReportOut(year=year, communities=[], total=empty)
    start, end, now = date(year, 1, 1), date(year, 12, 31), mh.clock.now()
    communities = await Community.select(Community.id, Community.slug, Community.name, Community.timezone).where(
        Community.id.is_in(ids)).order_by(Community.id)
    venues = _counted(await Venue.select(Venue.community, Count(Venue.id).as_alias("n")).where(
        Venue.community.is_in(ids), Venue.active.eq(True)).group_by(Venue.community))
    courses = _counted(await Course.select(Course.community, Count(Course.id).as_alias("n")).where(
        Course.community.is_in(ids), Course.active.eq(True)).group_by(Course.community))
    in_year = (Session.community.is_in(ids), Session.day >= start, Session.day <= end)
    held = _counted(await Session.select(Session.community, Count(Session.id).as_alias("n")).where(
        *in_year, Session.status == "scheduled", Session.ends_at <= now).group_by(Session.community))
    planned = _counted(await Session.select(Session.community, Count(Session.id).as_alias("n")).where(
        *in_year, Session.status == "scheduled", Session.ends_at > now).group_by(Session.community))
    cancelled = _counted(await Session.select(Session.community, Count(Session.id).as_alias("n")).where(
        *in_year, Session.status == "cancelled").group_by(Session.community))
    places = (Enrolment.community.is_in(ids), Enrolment.status == "enrolled", Enrolment.session.status == "scheduled",
              Enrolment.session.day >= start, Enrolment.session.day <= end)
    taken = _counted(await Enrolment.select(Enrolment.community, Count(Enrolment.id).as_alias("n")).where(*places).group_by(
        Enrolment.community))
    taken_held = _counted(await Enrolment.select(Enrolment.community, Count(Enrolment.id).as_alias("n")).where(
        *places, Enrolment.session.ends_at <= now).group_by(Enrolment.community))
    came = (Enrolment.community.is_in(ids), *_attended(year))
    attended = await Enrolment.select(Enrolment.community, Count(Enrolment.id).as_alias("n"),
                                      Sum(Enrolment.session.hours).as_alias("hours")).where(*came).group_by(Enrolment.community)
    came_held = _counted(await Enrolment.select(Enrolment.community, Count(Enrolment.id).as_alias("n")).where(
        *came, Enrolment.session.ends_at <= now).group_by(Enrolment.community))
    who = await Enrolment.select(Enrolment.community, Enrolment.staff, Enrolment.resident).where(*came).distinct()
    learners: dict[int, int] = {}
    for r in who:
        learners[r["community"]] = learners.get(r["community"], 0) + 1
    rows = []
    for c in communities:
        info = CommunityInfo(id=c["id"], slug=c["slug"], name=c["name"], brand_name="", brand_slogan="", timezone=c["timezone"])
        settings = await settings_of(mh, info)
        everyone = await people(info, settings)
        done = await totals([p["staff_id"] for p in everyone], year)
        met = sum(1 for p in everyone if done.get(p["staff_id"], (0, 0))[0] >= settings.hours_for(p["role"])
                  and done.get(p["staff_id"], (0, 0))[1] >= settings.credits_for(p["role"]))
        a = next((r for r in attended if r["community"] == c["id"]), {"n": 0, "hours": 0})
        rows.append(StreetRow(
            slug=c["slug"], community=c["name"], venues=venues.get(c["id"], 0), courses=courses.get(c["id"], 0),
            sessions_held=held.get(c["id"], 0), sessions_planned=planned.get(c["id"], 0), sessions_cancelled=cancelled.get(c["id"], 0),
            enrolments=taken.get(c["id"], 0), attendances=int(a["n"] or 0), learners=learners.get(c["id"], 0), hours=int(a["hours"] or 0),
            attendance_rate=_rate(came_held.get(c["id"], 0), taken_held.get(c["id"], 0)), staff=len(everyone), staff_met=met,
            completion_rate=_rate(met, len(everyone))))
    total = StreetRow(
        slug="", community="合计", **{k: sum(getattr(r, k) for r in rows) for k in (
            "venues", "courses", "sessions_held", "sessions_planned", "sessions_cancelled", "enrolments", "attendances", "learners", "hours",
            "staff", "staff_met")}, attendance_rate=None, completion_rate=None)
    total.completion_rate = _rate(total.staff_met, total.staff)
    total.attendance_rate = _rate(sum(came_held.get(i, 0) for i in ids), sum(taken_held.get(i, 0) for i in ids))
    return StreetReportOut(year=year, communities=rows, total=total)


#: The page's columns, in the page's order.
STREET_HEADER = ["社区", "培训场地", "课程", "已开课次", "待开课次", "取消课次", "报名人次", "签到签退人次", "到课率", "参训人数", "学时",
                 "应训人员", "已达标", "完成率"]


def street_lines(result: StreetReportOut) -> list[list[Any]]:
    def pct(rate: float | None) -> str:
        return "—" if rate is None else f"{rate * 100:.1f}%"

    return [STREET_HEADER] + [[r.community, r.venues, r.courses, r.sessions_held, r.sessions_planned, r.sessions_cancelled, r.enrolments,
                               r.attendances, pct(r.attendance_rate), r.learners, r.hours, r.staff, r.staff_met, pct(r.completion_rate)]
                              for r in [*result.communities, result.total]]


# -- the quarterly reminder ------------------------------------------------------------------------------


async def first_working_day(mh: Any, community: CommunityInfo, year: int, month: int) -> date:
    calendar = await working_calendar(mh, community)
    day = date(year, month, 1)
    while not calendar.is_workday(day):
        day = date.fromordinal(day.toordinal() + 1)
    return day


async def remind_behind(mh: Any, community: CommunityInfo) -> int:
    """On the first working day of a reminder month, tell each staff member behind the months gone what they still need (once)."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    if today.month not in settings.reminder_months or today != await first_working_day(mh, community, today.year, today.month):
        return 0
    everyone = await people(community, settings)
    done = await totals([p["staff_id"] for p in everyone], today.year)
    sent = 0
    for p in everyone:
        hours, credits = done.get(p["staff_id"], (0, 0))
        need_h, need_c = settings.hours_for(p["role"]), settings.credits_for(p["role"])
        if not behind(hours, credits, need_h, need_c, today.month):
            continue
        notice = await notify(mh, community.slug, NoticeIn(
            key=f"education.behind:{today.year}-{today.month:02d}:{p['staff_id']}", title="网格学院学时提醒",
            body=(f"{p['name']}：今年您已修{hours}学时、{credits}学分，全年要求{need_h}学时、{need_c}学分，进度落后了。"
                  "请在网格学院报名近期的课程。"),
            staff=[p["staff_id"]], channels=list(settings.channels)), scenario=SCENARIO)
        sent += notice is not None
    return sent


# -- figures -----------------------------------------------------------------------------------------------


async def venue_use(community: CommunityInfo, year: int) -> list[VenueUseOut]:
    """Sessions held (not cancelled) and attendances per venue of the 1+N in ``year``, every venue listed."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    venues = await Venue.select(Venue.id, Venue.name, Venue.kind).where(Venue.community == community.id).order_by(Venue.id)
    held = await Session.select(Session.venue, Count(Session.id).as_alias("n")).where(
        Session.community == community.id, Session.status == "scheduled", Session.day >= start, Session.day <= end).group_by(Session.venue)
    came = await Enrolment.select(Enrolment.session.venue.as_alias("venue"), Count(Enrolment.id).as_alias("n")).where(
        Enrolment.community == community.id, *_attended(year)).group_by(Enrolment.session.venue)
    sessions = {r["venue"]: r["n"] for r in held}
    attendances = {r["venue"]: r["n"] for r in came}
    order = {"main": 0, "indoor": 1, "outdoor": 2}
    return [VenueUseOut(venue_id=v["id"], name=v["name"], kind=v["kind"], sessions=sessions.get(v["id"], 0),
                        attendances=attendances.get(v["id"], 0)) for v in sorted(venues, key=lambda v: (order[v["kind"]], v["id"]))]


async def figures(mh: Any, principal: Principal, community: CommunityInfo) -> dict[str, Any]:
    """This year: sessions held so far, distinct learners who attended, 学时 attended (all learners), the share of staff on track."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    now = mh.clock.now()
    held = await Session.count().where(Session.community == community.id, Session.status == "scheduled", Session.day >= date(today.year, 1, 1),
                                       Session.ends_at <= now)
    mine = (Enrolment.community == community.id, *_attended(today.year))
    learners = len(await Enrolment.select(Enrolment.staff, Enrolment.resident).where(*mine).distinct())
    summed = await Enrolment.select(Sum(Enrolment.session.hours).as_alias("hours")).where(*mine).first()
    hours = int(summed["hours"] or 0) if summed else 0
    everyone = await people(community, settings)
    done = await totals([p["staff_id"] for p in everyone], today.year)
    on_track = sum(1 for p in everyone if _on_track(*done.get(p["staff_id"], (0, 0)), p["role"], settings, today, today.year))
    return {"sessions": held, "learners": learners, "hours": hours, "staff": len(everyone), "on_track": on_track,
            "on_track_share": None if not everyone else round(on_track / len(everyone), 4), "venues": await venue_use(community, today.year)}
