"""elder_care's settings and API bodies (msgspec Structs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

CareLevel = Literal["high_risk", "key", "general"]
Disability = Literal["none", "partial", "full"]
Method = Literal["home", "phone", "video"]
EndedReason = Literal["moved", "deceased", "nursing_home", "other"]
AreaStatus = Literal["ok", "concern"]

CARE_LEVELS: dict[str, tuple[str, str]] = {
    "high_risk": ("高风险", "high risk"),
    "key": ("重点", "key"),
    "general": ("一般", "general"),
}
#: The visit checklist (探访内容), domain-rules §7 (唐山民政局 2025): 健康, 经济/保障待遇,
#: 赡养人是否履责, 住房与水电气暖安全隐患, 服务需求.
CHECKLIST: dict[str, tuple[str, str]] = {
    "health": ("健康状况", "health"),
    "finances": ("经济与保障待遇", "finances and benefits"),
    "carers": ("赡养人履责", "carers doing their duty"),
    "housing_safety": ("住房与水电气暖安全", "housing, water, power, gas and heating safety"),
    "needs": ("服务需求", "service needs"),
}
#: Service needs (服务需求) named by the same source: 照料, 康复, 精神慰藉, 适老化改造.
NEEDS = ("care", "rehabilitation", "companionship", "home_adaptation", "meals", "medical")


class ElderCareSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a community can tune; every default names its source (docs/scenes/elder_care.md)."""

    #: Age from which a resident counts as an elder: 60 (domain-rules §7: the national 探访关爱
    #: targets and Beijing's list start at 60+; 《老年人权益保障法》 art. 2).
    elder_age: int = 60
    #: 80+ living alone (独居/空巢) is 高风险 high risk (domain-rules §7, 内蒙古 意见 [L]).
    high_risk_age: int = 80
    #: Visit intervals by care level (domain-rules §7, 内蒙古 意见 [V][L]): 高风险 ≥1/week,
    #: 重点 ≥1/month, 一般 ≥1/quarter. National goal: monthly visits for every special-difficulty
    #: elder by end-2025 (民政部等10部门 2022) — a community may shorten ``general`` to 30.
    high_risk_interval_days: int = 7
    key_interval_days: int = 30
    general_interval_days: int = 91
    #: Tell the grid leaders once an elder has missed this many intervals (issue 5: "escalating
    #: to the grid leader when overdue twice").
    escalate_after_missed: int = 2
    #: Channels for the overdue notices and greetings (the kernel's inbox by default).
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])
    #: Birthday greetings to registered elders (issue 5).
    birthday_greetings: bool = True
    #: The kernel addresses it (尊敬的王奶奶：) and signs it (——荷畔社区居民委员会): write only the wish.
    birthday_message: str = "{community}祝您生日快乐、健康长寿！"
    #: The yearly Double Ninth (重阳, lunar 9/9) activity for the community's elders (issue 5).
    double_ninth: bool = True
    double_ninth_title: str = "重阳节敬老活动"
    double_ninth_venue: str = "社区党群服务中心"
    #: Local start time, HH:MM, and length in minutes.
    double_ninth_start: str = "09:00"
    double_ninth_minutes: int = 120
    #: Reminders a day and two hours before (minutes before the start).
    double_ninth_reminder_offsets: list[int] = msgspec.field(default_factory=lambda: [1440, 120])
    #: The nursing home (敬老院) volunteers usually visit, the default for new visits.
    nursing_home: str = "街道敬老院"

    def __post_init__(self) -> None:
        if not 50 <= self.elder_age <= 100:
            raise ValueError("elder_age must be between 50 and 100")
        if not self.elder_age <= self.high_risk_age <= 120:
            raise ValueError("high_risk_age must be between elder_age and 120")
        for name in ("high_risk_interval_days", "key_interval_days", "general_interval_days"):
            if not 1 <= getattr(self, name) <= 366:
                raise ValueError(f"{name} must be between 1 and 366")
        if not 1 <= self.escalate_after_missed <= 12:
            raise ValueError("escalate_after_missed must be between 1 and 12")
        hours, _, minutes = self.double_ninth_start.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60 and len(minutes) == 2):
            raise ValueError("double_ninth_start must be HH:MM, e.g. 09:00")
        if not 15 <= self.double_ninth_minutes <= 12 * 60:
            raise ValueError("double_ninth_minutes must be between 15 and 720")
        if not self.channels:
            raise ValueError("channels must name at least one channel")

    def interval_for(self, care_level: str) -> int:
        return {
            "high_risk": self.high_risk_interval_days,
            "key": self.key_interval_days,
            "general": self.general_interval_days,
        }[care_level]


# -- elders ----------------------------------------------------------------------


class EmergencyContact(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str = ""
    relation: str = ""
    phone: str = ""


class ElderIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Register a resident as an elder. Missing care level: suggested from age, living alone and disability."""

    resident_id: int
    care_level: CareLevel | None = None
    #: Missing: taken from the resident's ``living_alone`` tag.
    living_alone: bool | None = None
    disability: Disability = "none"
    emergency_contact: EmergencyContact | None = None
    #: The responsible visitor: one of a staff member or a volunteer resident.
    visitor_staff_id: int | None = None
    visitor_resident_id: int | None = None
    #: Overrides the care level's interval.
    interval_days: int | None = None
    #: Count the first interval from this day (default: today).
    plan_starts_on: date | None = None
    notes: str = ""


class ElderPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """Change a register entry: only the fields given change; ``null`` clears a visitor or the interval."""

    care_level: CareLevel | None = None
    living_alone: bool | None = None
    disability: Disability | None = None
    emergency_contact: EmergencyContact | None = None
    visitor_staff_id: int | None | msgspec.UnsetType = msgspec.UNSET
    visitor_resident_id: int | None | msgspec.UnsetType = msgspec.UNSET
    interval_days: int | None | msgspec.UnsetType = msgspec.UNSET
    notes: str | None = None
    #: ``false`` with ``ended_reason`` takes the elder off the register (the record stays).
    active: bool | None = None
    ended_reason: EndedReason | None = None


class VisitorOut(msgspec.Struct):
    kind: str
    id: int
    name: str


class PlanOut(msgspec.Struct):
    interval_days: int
    follows_care_level: bool
    starts_on: date
    last_contact_on: date | None
    next_due_on: date
    #: ``ok``, ``due_today`` or ``overdue``.
    status: str
    missed_intervals: int


class ElderOut(msgspec.Struct):
    """An elder on the register. ``disability`` and ``notes`` are sensitive (health, and whatever staff
    noted about the person: PIPL art. 28): ``null`` for callers without ``elder_care.elder.sensitive.read``;
    the care level (which a disability may have raised) is shown to every reader, as the visit plan follows it."""

    id: int
    resident_id: int
    name: str
    gender: str
    age: int
    grid_id: int
    care_level: str
    care_level_title: str
    living_alone: bool
    disability: str | None
    emergency_contact: EmergencyContact
    visitor: VisitorOut | None
    plan: PlanOut
    notes: str | None
    active: bool
    ended_reason: str


class CandidateOut(msgspec.Struct):
    resident_id: int
    name: str
    gender: str
    age: int
    grid_id: int
    living_alone: bool


# -- visits ----------------------------------------------------------------------


class Finding(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    status: AreaStatus = "ok"
    note: str = ""


class Findings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The checklist of a visit (探访内容): one finding per area, and the needs named."""

    health: Finding = msgspec.field(default_factory=Finding)
    finances: Finding = msgspec.field(default_factory=Finding)
    carers: Finding = msgspec.field(default_factory=Finding)
    housing_safety: Finding = msgspec.field(default_factory=Finding)
    needs: Finding = msgspec.field(default_factory=Finding)
    needs_list: list[str] = []


class VisitIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A visit or contact. Without a visitor, the caller made it. Without ``visited_at``: now."""

    method: Method
    visited_at: datetime | None = None
    visitor_staff_id: int | None = None
    visitor_resident_id: int | None = None
    findings: Findings = msgspec.field(default_factory=Findings)
    follow_up_needed: bool = False
    follow_up_note: str = ""


class VisitOut(msgspec.Struct):
    """A visit. ``findings`` and ``follow_up_note`` are sensitive (health, money, carers: PIPL art. 28):
    ``null`` for callers without ``elder_care.visit.notes.read``; the count of concerns and whether a
    follow-up is needed are shown to every reader (the alerts work from them)."""

    id: int
    elder_id: int
    visitor: VisitorOut | None
    visited_at: datetime
    method: str
    findings: Findings | None
    concerns: int
    follow_up_needed: bool
    follow_up_note: str | None


class AlertOut(msgspec.Struct):
    id: int
    elder_id: int
    name: str
    due_on: date
    level: str
    missed_intervals: int
    recipients: int
    created_at: datetime
    resolved_at: datetime | None


# -- nursing-home visits ---------------------------------------------------------------


class RosterIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    resident_id: int
    task: str = ""


class NursingHomeVisitIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A volunteer visit to a nursing home; times without an offset are the community's local time."""

    starts_at: datetime
    ends_at: datetime
    nursing_home: str = ""
    title: str = ""
    description: str = ""
    volunteers: list[RosterIn] = []
    #: Minutes before the start at which the volunteers are reminded.
    reminder_offsets: list[int] = msgspec.field(default_factory=lambda: [1440, 120])


class RosterOut(msgspec.Struct):
    resident_id: int
    name: str
    task: str


class NursingHomeVisitOut(msgspec.Struct):
    id: int
    activity_id: int
    nursing_home: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    status: str
    volunteers: list[RosterOut]
