"""neighbourhood's settings and API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

#: Body kinds and meeting kinds (闻韶夜话 ``evening_talk`` is a meeting without a body and without votes).
BODY_KINDS = ("residents_meeting", "representatives", "council", "design_committee")
MEETING_KINDS = ("residents_meeting", "representatives", "council", "evening_talk")
MEMBER_ROLES = ("representative", "party_member", "property", "owners_committee", "resident")
CHOICES = ("yes", "no", "abstain")


def parse_quorum(rule: str, field: str) -> tuple[bool, int, int]:
    """``">1/2"`` (more than half) or ``">=2/3"`` (at least two thirds) as (strict, numerator, denominator)."""
    strict = rule.startswith(">") and not rule.startswith(">=")
    body = rule[1:] if strict else rule[2:] if rule.startswith(">=") else ""
    try:
        num, den = (int(part) for part in body.split("/"))
    except ValueError:
        raise ValueError(f"{field}: write it as >N/D (more than) or >=N/D (at least), got {rule!r}") from None
    if not (0 < num <= den <= 100):
        raise ValueError(f"{field}: a fraction from 1/100 to 1/1, got {rule!r}")
    return strict, num, den


class NeighbourhoodSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Every number of the scene, with its source in docs/scenes/neighbourhood.md."""

    #: 附议: seconders a motion needs before the party organisation reviews it (design default).
    seconders_required: int = 3
    #: The agenda goes out this many days before a meeting (社区居民议事会议制度: 2–3 days).
    agenda_days_ahead: int = 3
    #: Reminders to members, minutes before the start: 3 days (the agenda) and 2 hours.
    reminder_offsets: list[int] = msgspec.field(default_factory=lambda: [4320, 120])
    #: 公示: a result stays on the notice board this many days before it becomes a resolution.
    notice_days: int = 5
    #: Quorum (``>N/D`` more than, ``>=N/D`` at least, of the members or households entitled) and the passing rule
    #: (``present``: ayes more than half of those present, abstentions counting against;
    #: ``cast``: ayes more than noes, a tie fails, abstentions recorded only) per body kind.
    #: 居民会议: 居委会组织法 (2018) art. 9; 代表会议: local 代表会议制度 (≥2/3 present, majority of those present);
    #: 议事会 and 设计委员会: 民情议事会 sample (≥2/3) and 南塘 rules (赞成 > 反对).
    residents_meeting_quorum: str = ">1/2"
    residents_meeting_pass: str = "present"
    representatives_quorum: str = ">=2/3"
    representatives_pass: str = "present"
    council_quorum: str = ">=2/3"
    council_pass: str = "cast"
    design_committee_quorum: str = ">=2/3"
    design_committee_pass: str = "cast"
    #: 二次召集: the quorum of a meeting called again after one that lacked its quorum, per body kind; ``""`` where the
    #: body's rules have no second call. 居民会议 and 代表会议: none (the law's and the local rules' quorum is not lowered);
    #: 议事会 and 设计委员会: at least half, a design default (no published rule found).
    residents_meeting_second_call: str = ""
    representatives_second_call: str = ""
    council_second_call: str = ">=1/2"
    design_committee_second_call: str = ">=1/2"

    def __post_init__(self) -> None:
        if not 0 <= self.seconders_required <= 100:
            raise ValueError("seconders_required: 0 to 100")
        if not 1 <= self.agenda_days_ahead <= 30:
            raise ValueError("agenda_days_ahead: 1 to 30 days")
        if not 1 <= self.notice_days <= 60:
            raise ValueError("notice_days: 1 to 60 days")
        if not self.reminder_offsets or any(not 0 < m <= 43200 for m in self.reminder_offsets):
            raise ValueError("reminder_offsets: minutes before the start, 1 to 43200 each")
        for kind in BODY_KINDS:
            parse_quorum(getattr(self, f"{kind}_quorum"), f"{kind}_quorum")
            if getattr(self, f"{kind}_pass") not in ("present", "cast"):
                raise ValueError(f"{kind}_pass: present or cast")
            if getattr(self, f"{kind}_second_call"):
                parse_quorum(getattr(self, f"{kind}_second_call"), f"{kind}_second_call")


class BodyIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    name: str
    vote_by: str = "member"


class BodyOut(msgspec.Struct):
    id: int
    kind: str
    name: str
    vote_by: str
    members: int


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    role: str
    term_start: date
    term_end: date
    resident_id: int | None = None
    name: str = ""


class MemberOut(msgspec.Struct):
    id: int
    body: int
    resident: int | None
    household: int | None
    name: str
    role: str
    term_start: date
    term_end: date


class MotionIn(msgspec.Struct, forbid_unknown_fields=True):
    body_id: int
    title: str
    text: str = ""
    proposer_id: int | None = None
    ballot: str = "open"


class MotionOut(msgspec.Struct):
    id: int
    body: int
    grid: int | None
    title: str
    text: str
    proposer: int | None
    ballot: str
    state: str
    seconds: int
    seconds_required: int
    review_note: str
    meeting: int | None
    eligible: int | None
    present: int | None
    ayes: int | None
    noes: int | None
    abstentions: int | None
    quorum_met: bool | None
    decided_at: datetime | None
    notice_until: datetime | None
    #: A resolution's follow-up tasks (in the motion's detail; empty in lists).
    tasks: list[TaskOut] = []


class SecondIn(msgspec.Struct, forbid_unknown_fields=True):
    resident_id: int


class ReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool
    note: str = ""


class MeetingIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    body_id: int | None = None
    venue: str = ""
    rules: str = ""
    motion_ids: list[int] = []


class MeetingOut(msgspec.Struct):
    id: int
    kind: str
    body: int | None
    title: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    activity: int | None
    rules: str
    minutes: str
    state: str
    agenda: list[int]
    attendance: int
    #: The meeting this one calls again (二次召集), or None.
    second_call_of: int | None = None


class SecondCallIn(msgspec.Struct, forbid_unknown_fields=True):
    """二次召集: when and where the meeting that lacked its quorum meets again."""

    starts_at: datetime
    ends_at: datetime
    venue: str = ""


class TaskIn(msgspec.Struct, forbid_unknown_fields=True):
    """A resolution's follow-up task: what, the staff member who owns it, the working day it is due."""

    title: str
    owner_id: int
    due_on: date


class TaskOut(msgspec.Struct):
    id: int
    motion: int
    item: int
    title: str
    owner_id: int | None
    owner: str
    due_on: date
    #: ``open``, ``in_progress``, ``done``, ``cancelled`` (the work item's state).
    state: str
    #: The work item's flag: green, yellow, red, met, met_late.
    flag: str
    due_at: datetime | None
    closed_at: datetime | None
    #: The progress reports, oldest first: state, note, who, when.
    reports: list[dict[str, Any]] = []


class ProgressIn(msgspec.Struct, forbid_unknown_fields=True):
    """A progress report: the task's new state (``in_progress``, ``done``, ``cancelled``) and what was done."""

    state: str
    note: str
    expected: str | None = None


class AttendanceIn(msgspec.Struct, forbid_unknown_fields=True):
    member_ids: list[int]


class VoteIn(msgspec.Struct, forbid_unknown_fields=True):
    member_id: int
    choice: str


class MinutesIn(msgspec.Struct, forbid_unknown_fields=True):
    minutes: str


class RaisedIn(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    resident_id: int | None = None
    as_motion_of: int | None = None


class RaisedOut(msgspec.Struct):
    id: int
    meeting: int
    resident: int | None
    text: str
    motion: int | None


class FestivalEventIn(msgspec.Struct, forbid_unknown_fields=True):
    festival: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    volunteers_needed: int = 0


class FestivalEventOut(msgspec.Struct):
    id: int
    festival: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    volunteers_needed: int
    participants: int
    volunteers: int


class SignupIn(msgspec.Struct, forbid_unknown_fields=True):
    resident_id: int
    role: str = "participant"


class ShiftIn(msgspec.Struct, forbid_unknown_fields=True):
    resident_id: int
    hours: float
