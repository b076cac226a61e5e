"""The education scenario in the access matrix (tests/access/test_matrix.py): its world and its community routes.

Each community runs the academy: a main classroom, a residents' course and a session of it on 5 October 2030
(the world is built before its staff exist, so a residents' course: a staff course needs staff holding its roles),
each place's resident enrolled. The routes naming a session, an enrolment or a learner are in the
``# --- education (branch education) ---`` block of test_matrix.py with each role's answer written out: an
enrolment of a resident in another grid is a 404 as if missing, another community's a 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meihao import Principal
from meihao.scenarios.education.schemas import CourseIn, EnrolIn, SessionIn, VenueIn
from meihao.scenarios.education.services import catalogue, sessions
from meihao.scenarios.education.tables import Course, Enrolment, Session, Venue

ED = "/api/communities/{slug}/education"
TABLES = (Venue, Course, Session, Enrolment)


def _ed(w: Any, p: str, rest: str) -> str:
    return f"/api/communities/{w.slugs[p]}/education{rest}"


async def populate(mh: Any, world: Any, places: tuple[str, ...]) -> None:
    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import enable

    system = Principal.system()
    for slug in ("alpha", "beta"):
        await enable(mh, slug, "education", {})
        community = await get_community(slug)
        venue = await catalogue.create_venue(mh, system, community, VenueIn(name=f"{slug}主课堂", kind="main", capacity=30))
        course = await catalogue.create_course(mh, system, community, CourseIn(
            title="居民骨干培训", kind="elective", hours=2, credits=1, learners="residents"))
        session = await sessions.plan_session(mh, system, community, SessionIn(
            course_id=course.id, venue_id=venue.id, starts_at=datetime(2030, 10, 5, 9), ends_at=datetime(2030, 10, 5, 11)))
        for place in [p for p in places if world.slugs[p] == slug]:
            ids = world.places[place]
            ids.update(ed_venue_id=venue.id, ed_course_id=course.id, ed_session_id=session.id)
            enrolment = await sessions.enrol(mh, system, community, session.id, EnrolIn(resident_id=ids["resident_id"]))
            ids["ed_enrolment_id"] = enrolment.id


COMMUNITY_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{ED}/venues"): lambda w, p: (_ed(w, p, "/venues"), None),
    ("POST", f"{ED}/venues"): lambda w, p: (_ed(w, p, "/venues"), {"name": "新培训室", "kind": "indoor", "capacity": 20}),
    ("GET", f"{ED}/venues/use"): lambda w, p: (_ed(w, p, "/venues/use"), None),
    ("GET", f"{ED}/courses"): lambda w, p: (_ed(w, p, "/courses"), None),
    ("POST", f"{ED}/courses"): lambda w, p: (_ed(w, p, "/courses"), {"title": "新课程", "kind": "elective", "hours": 2, "credits": 1}),
    ("GET", f"{ED}/sessions"): lambda w, p: (_ed(w, p, "/sessions?year=2030"), None),
    ("POST", f"{ED}/sessions"): lambda w, p: (_ed(w, p, "/sessions"), {
        "course_id": w.places[p]["ed_course_id"], "venue_id": w.places[p]["ed_venue_id"], "starts_at": "2030-11-02T09:00:00",
        "ends_at": "2030-11-02T11:00:00"}),
    ("GET", f"{ED}/report"): lambda w, p: (_ed(w, p, "/report"), None),
    ("GET", f"{ED}/report.csv"): lambda w, p: (_ed(w, p, "/report.csv"), None),
    ("GET", f"{ED}/street-report"): lambda w, p: (_ed(w, p, "/street-report?year=2030"), None),
    ("GET", f"{ED}/street-report.csv"): lambda w, p: (_ed(w, p, "/street-report.csv?year=2030"), None),
}
RECORD_ROUTES: dict[tuple[str, str], Any] = {}
