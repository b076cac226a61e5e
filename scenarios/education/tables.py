"""The education scenario's tables: the 1+N venues, courses, sessions and enrolments (with attendance)."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.tables import Community, Grid, Resident, Staff


class Venue(Table, tablename="education_venue"):
    """A venue of the "1+N" matrix: the main classroom (主课堂), an indoor training room (室内培训场地) or an outdoor
    practice base (户外实践基地), provided by the community, the street, a department, a party-service centre, a
    shopping area or the industrial park."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    #: ``main``, ``indoor`` or ``outdoor``.
    kind = Varchar(length=16)
    #: ``community``, ``street``, ``department``, ``party_centre``, ``business`` or ``industrial_park``.
    host = Varchar(length=20, default="community")
    address = Varchar(length=200, default="")
    capacity = Integer()
    #: A JSON list of what it has (投影, 电脑, 实训设备 …).
    facilities = JSON(default="[]")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Course(Table, tablename="education_course"):
    """A course of the grid academy: required (必修) or elective (选修); each attended session counts its 学时 and 学分."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=100)
    #: ``required`` or ``elective``.
    kind = Varchar(length=16)
    hours = Integer()
    credits = Integer()
    #: ``staff`` (the grid team, held to the yearly requirement) or ``residents`` (e.g. the elders' smartphone class).
    learners = Varchar(length=16, default="staff")
    #: A JSON list of the staff roles it is for (empty: every role of the requirement).
    roles = JSON(default="[]")
    min_age = Integer(null=True, default=None)
    description = Text(default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Session(Table, tablename="education_session"):
    """One session of a course at a venue, a kernel activity; ``status`` ``scheduled`` or ``cancelled``."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    course = ForeignKey(Course, on_delete=OnDelete.restrict, index=True)
    venue = ForeignKey(Venue, on_delete=OnDelete.restrict, index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    #: Local date of the start, for counting per year.
    day = Date(index=True)
    #: The course's 学时 and 学分 when the session was planned (a later change of the course does not rewrite the past).
    hours = Integer()
    credits = Integer()
    capacity = Integer()
    teacher = Varchar(length=64, default="")
    status = Varchar(length=16, default="scheduled", index=True)
    cancel_reason = Varchar(length=200, default="")
    activity = Integer(index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    #: 改期: the start before the last reschedule, its reason, and how many times the session was moved.
    rescheduled_from = Timestamptz(null=True, default=None)
    reschedule_reason = Varchar(length=200, default="")
    reschedules = Integer(default=0)


class Enrolment(Table, tablename="education_enrolment"):
    """A learner on a session: a staff member or a resident. ``status``: ``enrolled``, ``waiting`` (候补, in the order of
    ``id``) or ``cancelled``; attended when checked in and out."""

    session = ForeignKey(Session, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    #: The resident's grid, for scope (None for staff).
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    status = Varchar(length=16, index=True)
    checked_in_at = Timestamptz(null=True, default=None)
    checked_out_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    promoted_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)


TABLES: list[type[Table]] = [Venue, Course, Session, Enrolment]
