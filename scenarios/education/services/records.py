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
from meihao.tables import StaffAssignment

from ..schemas import STAFF_ROLES, EducationSettings, LearnerRecordOut, RecordEntry, ReportGroup, ReportOut, ReportRow, VenueUseOut
from ..tables import Enrolment, Session, Venue
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
