"""education's settings and API bodies (msgspec Structs); every default names its source (docs/scenes/education.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

VenueKind = Literal["main", "indoor", "outdoor"]
VENUE_KINDS: dict[str, str] = {"main": "主课堂", "indoor": "室内培训场地", "outdoor": "户外实践基地"}
#: Who provides a venue of the 1+N matrix (the source: 街道、部门单位、社区党群服务中心、商圈场所、工业园区).
HOSTS: dict[str, str] = {
    "community": "社区", "street": "街道", "department": "部门单位", "party_centre": "党群服务中心", "business": "商圈场所", "industrial_park": "工业园区",
}
CourseKind = Literal["required", "elective"]
COURSE_KINDS: dict[str, str] = {"required": "必修", "elective": "选修"}
#: Who a course is for: staff of the grid team (learners held to the yearly requirement) or residents.
LearnersKind = Literal["staff", "residents"]
#: The 2+1+N+X roles and the community's staff; the requirement applies to these.
STAFF_ROLES: dict[str, str] = {
    "community_admin": "社区工作人员", "grid_leader": "网格长", "grid_worker": "专职网格员", "grid_part_time": "兼职网格员", "dispatched": "下沉力量",
}
ENROLMENT_STATES: dict[str, str] = {"enrolled": "已报名", "waiting": "候补", "cancelled": "已取消"}

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]


class EducationSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a community can tune (docs/scenes/education.md has each source)."""

    #: 学时 a year for each staff role (福建 社区工作者岗位培训: at least 32 面授学时 a year; domain-rules.md §6).
    required_hours: int = 32
    #: 学分 a year for each staff role (福建: 4 courses × 4 学分 = 16 学分 a year; domain-rules.md §6).
    required_credits: int = 16
    #: The roles held to the yearly requirement (the 2+1+N+X grid team and the community's staff; design default).
    roles: list[str] = msgspec.field(default_factory=lambda: list(STAFF_ROLES))
    #: Another yearly 学时 for a role, e.g. {"grid_part_time": 16} (design: none; the rule above for every role).
    role_hours: dict[str, int] = msgspec.field(default_factory=dict)
    #: Another yearly 学分 for a role, e.g. {"grid_part_time": 8}.
    role_credits: dict[str, int] = msgspec.field(default_factory=dict)
    #: Months whose first working day reminds the learners behind: after each quarter, and one month before the year ends (issue 15).
    reminder_months: list[int] = msgspec.field(default_factory=lambda: [4, 7, 10, 12])
    #: Learners of a staff course are reminded of a session this many minutes before it (a day; design default).
    remind_before_minutes: int = 1440
    #: Check-in opens this many minutes before a session starts (design default).
    check_in_opens_minutes: int = 30
    #: Channels of the reminders and notices.
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])

    def __post_init__(self) -> None:
        if not 0 <= self.required_hours <= 500 or not 0 <= self.required_credits <= 200:
            raise ValueError("required_hours must be 0 to 500 and required_credits 0 to 200")
        for name in ("roles", "role_hours", "role_credits"):
            unknown = sorted(set(getattr(self, name)) - set(STAFF_ROLES))
            if unknown:
                raise ValueError(f"{name}: unknown role {unknown[0]!r}; choose from {', '.join(STAFF_ROLES)}")
        for name, top in (("role_hours", 500), ("role_credits", 200)):
            if any(not 0 <= v <= top for v in getattr(self, name).values()):
                raise ValueError(f"{name}: each value must be 0 to {top}")
        if any(not 1 <= m <= 12 for m in self.reminder_months):
            raise ValueError("reminder_months: months are 1 to 12")
        if not 0 <= self.remind_before_minutes <= 10080:
            raise ValueError("remind_before_minutes must be 0 to 10080 (a week)")
        if not 0 <= self.check_in_opens_minutes <= 240:
            raise ValueError("check_in_opens_minutes must be 0 to 240")

    def hours_for(self, role: str) -> int:
        return self.role_hours.get(role, self.required_hours)

    def credits_for(self, role: str) -> int:
        return self.role_credits.get(role, self.required_credits)


class VenueIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    kind: VenueKind
    host: Literal["community", "street", "department", "party_centre", "business", "industrial_park"] = "community"
    address: Short = ""
    capacity: Annotated[int, msgspec.Meta(ge=1, le=2000)]
    #: What it has: 投影, 电脑, 音响, 实训设备 …
    facilities: list[Annotated[str, msgspec.Meta(min_length=1, max_length=32)]] = msgspec.field(default_factory=list)


class VenueOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    kind: str
    kind_zh: str
    host: str
    host_zh: str
    address: str
    capacity: int
    facilities: list[str]
    active: bool


class VenueUseOut(msgspec.Struct, kw_only=True):
    """One venue's use this year: sessions held there and learners who attended them (attendances)."""

    venue_id: int
    name: str
    kind: str
    sessions: int
    attendances: int


class CourseIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Name
    kind: CourseKind
    #: 学时 a session of this course counts (each attended session).
    hours: Annotated[int, msgspec.Meta(ge=1, le=40)]
    #: 学分 a session of this course counts.
    credits: Annotated[int, msgspec.Meta(ge=0, le=20)]
    learners: LearnersKind = "staff"
    #: Of a staff course: the roles it is for (empty: every role of the requirement).
    roles: list[str] = msgspec.field(default_factory=list)
    #: Of a residents' course: from this age (e.g. 60 for the elders' smartphone class).
    min_age: Annotated[int, msgspec.Meta(ge=0, le=120)] | None = None
    description: Text = ""


class CourseOut(msgspec.Struct, kw_only=True):
    id: int
    title: str
    kind: str
    kind_zh: str
    hours: int
    credits: int
    learners: str
    roles: list[str]
    min_age: int | None
    description: str
    active: bool


class SessionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    course_id: int
    venue_id: int
    starts_at: datetime
    ends_at: datetime
    #: At most the venue's capacity (None: the venue's capacity).
    capacity: Annotated[int, msgspec.Meta(ge=1, le=2000)] | None = None
    teacher: Annotated[str, msgspec.Meta(max_length=64)] = ""


class SessionOut(msgspec.Struct, kw_only=True):
    id: int
    course_id: int
    course: str
    kind: str
    venue_id: int
    venue: str
    starts_at: datetime
    ends_at: datetime
    day: date
    hours: int
    credits: int
    capacity: int
    enrolled: int
    waiting: int
    teacher: str
    status: str
    activity_id: int
    #: The start before the last reschedule (改期), its reason, and how often it was moved (None / "" / 0: never).
    rescheduled_from: datetime | None = None
    reschedule_reason: str = ""
    reschedules: int = 0


class CancelIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class EnrolIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A staff member or a resident; a staff member enrols themselves with neither."""

    staff_id: int | None = None
    resident_id: int | None = None


class EnrolmentOut(msgspec.Struct, kw_only=True):
    id: int
    session_id: int
    learner: str
    staff_id: int | None
    resident_id: int | None
    name: str
    status: str
    status_zh: str
    #: Place on the waiting list (1 = next to move up); None when not waiting.
    waiting_place: int | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    attended: bool


class RecordEntry(msgspec.Struct, kw_only=True):
    session_id: int
    course: str
    kind: str
    venue: str
    day: date
    hours: int
    credits: int


class LearnerRecordOut(msgspec.Struct, kw_only=True):
    """A staff member's year: the sessions attended, the totals and the requirement of their role."""

    staff_id: int
    name: str
    year: int
    role: str | None
    hours: int
    credits: int
    required_hours: int
    required_credits: int
    met: bool
    on_track: bool
    sessions: list[RecordEntry]


class ReportRow(msgspec.Struct, kw_only=True):
    staff_id: int
    name: str
    role: str
    role_zh: str
    community: str
    grid: str
    hours: int
    credits: int
    required_hours: int
    required_credits: int
    met: bool


class ReportGroup(msgspec.Struct, kw_only=True):
    key: str
    label: str
    people: int
    met: int
    hours: int
    credits: int


class ReportOut(msgspec.Struct, kw_only=True):
    """The year-end credit report (学时学分年度统计): per person, per role and for the community."""

    year: int
    people: list[ReportRow]
    by_role: list[ReportGroup]
    by_community: list[ReportGroup]


class RescheduleIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """改期: the session's new time and why (told to everyone on it)."""

    starts_at: datetime
    ends_at: datetime
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class StreetRow(msgspec.Struct, kw_only=True):
    """One community's year in the grid academy (or the street's total, ``slug`` empty)."""

    slug: str
    community: str
    venues: int
    courses: int
    #: Sessions of the year not cancelled that have ended (held), not ended yet (planned), and cancelled.
    sessions_held: int
    sessions_planned: int
    sessions_cancelled: int
    #: Places taken (enrolled, not waiting or cancelled) on the year's sessions not cancelled.
    enrolments: int
    #: Enrolments checked in and out (attended), distinct people who attended, the 学时 they attended.
    attendances: int
    learners: int
    hours: int
    #: Attended / places taken on the sessions held (None: no place taken on a held session).
    attendance_rate: float | None
    #: Staff held to the yearly requirement, those who have met it (完成), the share.
    staff: int
    staff_met: int
    completion_rate: float | None


class StreetReportOut(msgspec.Struct, kw_only=True):
    """街道网格学院统计: a row per community the caller manages, and their total."""

    year: int
    communities: list[StreetRow]
    total: StreetRow
