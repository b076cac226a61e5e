"""education's routes, mounted by the kernel under /api/communities/{slug}/education. Thin: the work is in services."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody
from litestar.response import Stream

from meihao import Caller, CurrentCommunity, PathId, QueryYear, Runtime, community_today, csv_download, requires

from .schemas import (
    CancelIn,
    CourseIn,
    CourseOut,
    EnrolIn,
    EnrolmentOut,
    LearnerRecordOut,
    ReportOut,
    RescheduleIn,
    SessionIn,
    SessionOut,
    StreetReportOut,
    VenueIn,
    VenueOut,
    VenueUseOut,
)
from .services import catalogue, records, sessions
from .services.common import ATTENDANCE, MANAGE, READ, REPORT, check_year


class VenueController(Controller):
    """"1+N" 培训实践阵地 the main classroom, the indoor rooms and the outdoor bases."""

    path = "/venues"

    @get("/", guards=[requires(READ)])
    async def list_venues(self, community: CurrentCommunity) -> list[VenueOut]:
        return await catalogue.list_venues(community)

    @post("/", guards=[requires(MANAGE)])
    async def create_venue(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[VenueIn]) -> VenueOut:
        return await catalogue.create_venue(meihao, principal, community, data)

    @get("/use", guards=[requires(READ)])
    async def venue_use(self, community: CurrentCommunity, meihao: Runtime, year: QueryYear = None) -> list[VenueUseOut]:
        """Sessions held and attendances per venue in a year (default: this year)."""
        return await records.venue_use(community, check_year(year, community_today(meihao, community)))


class CourseController(Controller):
    """课程 the academy's courses: required or elective, 学时 and 学分 per session, for staff roles or residents."""

    path = "/courses"

    @get("/", guards=[requires(READ)])
    async def list_courses(self, community: CurrentCommunity) -> list[CourseOut]:
        return await catalogue.list_courses(community)

    @post("/", guards=[requires(MANAGE)])
    async def create_course(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[CourseIn]) -> CourseOut:
        return await catalogue.create_course(meihao, principal, community, data)


class SessionController(Controller):
    """课次 sessions (kernel activities) and their enrolments."""

    path = "/sessions"

    @get("/", guards=[requires(READ)])
    async def list_sessions(
        self, community: CurrentCommunity, meihao: Runtime, year: QueryYear = None, course_id: FromQuery[int | None] = None,
        venue_id: FromQuery[int | None] = None,
    ) -> list[SessionOut]:
        """A year's sessions (default: this year), soonest first."""
        chosen = check_year(year, community_today(meihao, community))
        return await sessions.list_sessions(community, start=date(chosen, 1, 1), end=date(chosen, 12, 31), course_id=course_id,
                                            venue_id=venue_id)

    @post("/", guards=[requires(MANAGE)])
    async def plan_session(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[SessionIn]) -> SessionOut:
        return await sessions.plan_session(meihao, principal, community, data)

    @get("/{session_id:int}", guards=[requires(READ)])
    async def get_session(self, community: CurrentCommunity, session_id: PathId) -> SessionOut:
        return await sessions.get_session(community, session_id)

    @post("/{session_id:int}/cancel", guards=[requires(MANAGE)], status_code=200)
    async def cancel_session(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, session_id: PathId, data: JSONBody[CancelIn],
    ) -> SessionOut:
        return await sessions.cancel_session(meihao, principal, community, session_id, data.reason)

    @post("/{session_id:int}/reschedule", guards=[requires(MANAGE)], status_code=200)
    async def reschedule_session(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, session_id: PathId, data: JSONBody[RescheduleIn],
    ) -> SessionOut:
        """改期: a new time ahead and a reason; the reminders move with it and everyone on the session is told once."""
        return await sessions.reschedule_session(meihao, principal, community, session_id, data)

    @get("/{session_id:int}/enrolments", guards=[requires(READ)])
    async def list_enrolments(self, community: CurrentCommunity, principal: Caller, session_id: PathId) -> list[EnrolmentOut]:
        """Enrolled, then the waiting list in its order; residents only within the caller's scope."""
        return await sessions.list_enrolments(principal, community, session_id)

    @post("/{session_id:int}/enrolments", guards=[requires(READ)])
    async def enrol(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, session_id: PathId, data: JSONBody[EnrolIn],
    ) -> EnrolmentOut:
        """报名: oneself (an empty body), or — with education.enrol — a colleague or a resident; a full session puts them on the waiting list."""
        return await sessions.enrol(meihao, principal, community, session_id, data)


class EnrolmentController(Controller):
    """One enrolment: cancel it (the first one waiting moves up), check the learner in and out."""

    path = "/enrolments"

    @post("/{enrolment_id:int}/cancel", guards=[requires(READ)], status_code=200)
    async def cancel(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, enrolment_id: PathId) -> EnrolmentOut:
        """One's own enrolment, or with education.enrol anyone's in scope."""
        return await sessions.cancel_enrolment(meihao, principal, community, enrolment_id)

    @post("/{enrolment_id:int}/check-in", guards=[requires(ATTENDANCE)], status_code=200)
    async def check_in(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, enrolment_id: PathId) -> EnrolmentOut:
        return await sessions.check_in(meihao, principal, community, enrolment_id)

    @post("/{enrolment_id:int}/check-out", guards=[requires(ATTENDANCE)], status_code=200)
    async def check_out(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, enrolment_id: PathId) -> EnrolmentOut:
        return await sessions.check_out(meihao, principal, community, enrolment_id)


class RecordController(Controller):
    """学时学分 a learner's record and the year-end report (per person, role and community)."""

    path = ""

    @get("/learners/{staff_id:int}", guards=[requires(READ)])
    async def learner(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, staff_id: PathId,
                      year: QueryYear = None) -> LearnerRecordOut:
        """One's own record; another's with education.report.read in a community one manages (else 404, as for nobody)."""
        return await records.learner_record(meihao, principal, community, staff_id, check_year(year, community_today(meihao, community)))

    @get("/report", guards=[requires(READ)])
    async def report(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, year: QueryYear = None) -> ReportOut:
        """Everyone held to the requirement with education.report.read; else one's own row."""
        return await records.report(meihao, principal, community, check_year(year, community_today(meihao, community)))

    @get("/report.csv", guards=[requires(READ)], media_type="text/csv; charset=utf-8")
    async def report_csv(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, year: QueryYear = None) -> Stream:
        """The same report as a CSV (UTF-8 with a BOM, for Excel)."""
        chosen = check_year(year, community_today(meihao, community))
        result = await records.report(meihao, principal, community, chosen)

        async def rows() -> Any:
            for line in records.report_lines(result):
                yield line

        return csv_download(rows(), f"education-credits-{community.slug}-{chosen}.csv")

    @get("/street-report", guards=[requires(REPORT)])
    async def street_report(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, year: QueryYear = None) -> StreetReportOut:
        """街道网格学院统计: a row per community the caller manages where the academy is set up (the street: every one), and their total."""
        return await records.street_report(meihao, principal, check_year(year, community_today(meihao, community)))

    @get("/street-report.csv", guards=[requires(REPORT)], media_type="text/csv; charset=utf-8")
    async def street_report_csv(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, year: QueryYear = None) -> Stream:
        chosen = check_year(year, community_today(meihao, community))
        result = await records.street_report(meihao, principal, chosen)

        async def rows() -> Any:
            for line in records.street_lines(result):
                yield line

        return csv_download(rows(), f"education-street-{chosen}.csv")


HANDLERS = [VenueController, CourseController, SessionController, EnrolmentController, RecordController]
