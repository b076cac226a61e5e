"""The 1+N venues and the course catalogue of the grid academy (网格学院)."""

from __future__ import annotations

import json
from typing import Any

from meihao import CommunityInfo, Conflict, InvalidInput, NotFound, Principal, audit, transaction

from ..schemas import COURSE_KINDS, HOSTS, STAFF_ROLES, VENUE_KINDS, CourseIn, CourseOut, VenueIn, VenueOut
from ..tables import Course, Venue


def _list(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def venue_out(row: dict[str, Any]) -> VenueOut:
    return VenueOut(
        id=row["id"], name=row["name"], kind=row["kind"], kind_zh=VENUE_KINDS[row["kind"]], host=row["host"], host_zh=HOSTS[row["host"]],
        address=row["address"], capacity=row["capacity"], facilities=_list(row["facilities"]), active=row["active"],
    )


def course_out(row: dict[str, Any]) -> CourseOut:
    return CourseOut(
        id=row["id"], title=row["title"], kind=row["kind"], kind_zh=COURSE_KINDS[row["kind"]], hours=row["hours"], credits=row["credits"],
        learners=row["learners"], roles=_list(row["roles"]), min_age=row["min_age"], description=row["description"], active=row["active"],
    )


async def list_venues(community: CommunityInfo) -> list[VenueOut]:
    """The main classroom first, then the indoor rooms and the outdoor bases, by name."""
    rows = await Venue.select().where(Venue.community == community.id, Venue.active.eq(True)).order_by(Venue.id)
    order = {kind: n for n, kind in enumerate(VENUE_KINDS)}
    return [venue_out(r) for r in sorted(rows, key=lambda r: (order[r["kind"]], r["id"]))]


async def venue_in(community: CommunityInfo, venue_id: int, field: str = "venue_id") -> dict[str, Any]:
    row = await Venue.select().where(Venue.id == venue_id, Venue.community == community.id, Venue.active.eq(True)).first()
    if row is None:
        raise NotFound(f"{field}: venue {venue_id} not found", field=field)
    return row


async def create_venue(mh: Any, principal: Principal, community: CommunityInfo, data: VenueIn) -> VenueOut:
    async with transaction(mh, lock=("education.venues", community.id)):
        if data.kind == "main" and await Venue.exists().where(Venue.community == community.id, Venue.kind == "main", Venue.active.eq(True)):
            raise Conflict("kind: the community has its main classroom (主课堂) already; the 1+N matrix has one", field="kind")
        venue = Venue(community=community.id, name=data.name.strip(), kind=data.kind, host=data.host, address=data.address.strip(),
                      capacity=data.capacity, facilities=json.dumps([f.strip() for f in data.facilities], ensure_ascii=False))
        await venue.save()
        await audit(principal, "education.venue.create", "education.venue", venue.id, community_id=community.id,
                    detail={"name": venue.name, "kind": data.kind})
    return venue_out(await Venue.select().where(Venue.id == venue.id).first())


async def list_courses(community: CommunityInfo) -> list[CourseOut]:
    rows = await Course.select().where(Course.community == community.id, Course.active.eq(True)).order_by(Course.id)
    return [course_out(r) for r in sorted(rows, key=lambda r: (r["kind"] != "required", r["id"]))]


async def course_in(community: CommunityInfo, course_id: int, field: str = "course_id") -> dict[str, Any]:
    row = await Course.select().where(Course.id == course_id, Course.community == community.id, Course.active.eq(True)).first()
    if row is None:
        raise NotFound(f"{field}: course {course_id} not found", field=field)
    return row


async def create_course(mh: Any, principal: Principal, community: CommunityInfo, data: CourseIn) -> CourseOut:
    unknown = sorted(set(data.roles) - set(STAFF_ROLES))
    if unknown:
        raise InvalidInput(f"roles: unknown role {unknown[0]!r}; choose from {', '.join(STAFF_ROLES)}", field="roles")
    if data.learners == "residents" and data.roles:
        raise InvalidInput("roles: a residents' course is for residents, not staff roles", field="roles")
    if data.learners == "staff" and data.min_age is not None:
        raise InvalidInput("min_age: only a residents' course has an age", field="min_age")
    async with transaction(mh):
        course = Course(community=community.id, title=data.title.strip(), kind=data.kind, hours=data.hours, credits=data.credits,
                        learners=data.learners, roles=json.dumps(data.roles), min_age=data.min_age, description=data.description.strip())
        await course.save()
        await audit(principal, "education.course.create", "education.course", course.id, community_id=community.id,
                    detail={"title": course.title, "kind": data.kind, "hours": data.hours, "credits": data.credits})
    return course_out(await Course.select().where(Course.id == course.id).first())
