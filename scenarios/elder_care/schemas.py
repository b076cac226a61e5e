"""elder_care's settings and API bodies (msgspec Structs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

CareLevel = Literal["high_risk", "key", "general"]
#: Loss of self-care (失能), an assessed level: none, 半失能, 失能.
SelfCareLoss = Literal["none", "partial", "full"]
Method = Literal["home", "phone", "video"]
EndedReason = Literal["moved", "deceased", "nursing_home", "other"]
#: A checklist area: fine, a concern, or not looked at (未查: never recorded as fine).
AreaStatus = Literal["ok", "concern", "not_checked"]
#: The civil-affairs ledger's categories kept as flags (失能 and 重残 are ``self_care_loss`` and ``disability_grade``).
Category = Literal["dementia", "family_planning_special", "dispersed_extreme_poverty", "subsistence_allowance"]

CARE_LEVELS: dict[str, tuple[str, str]] = {
    "high_risk": ("高风险", "high risk"),
    "key": ("重点", "key"),
    "general": ("一般", "general"),
}
#: The categories of the civil-affairs ledger (民政 台账) and of the national guidance on visiting elders in special
#: difficulty (民政部等10部门 2022: 独居、空巢、留守、失能、重残、计划生育特殊家庭), as shown; ``self_care_loss`` and
#: ``severe_disability`` are derived from the fields of the same meaning.
CATEGORIES: dict[str, tuple[str, str]] = {
    "self_care_loss": ("失能", "loss of self-care"),
    "dementia": ("失智", "dementia"),
    "severe_disability": ("重残", "severe disability (grade 1–2)"),
    "family_planning_special": ("计划生育特殊家庭", "family-planning special family"),
    "dispersed_extreme_poverty": ("分散供养特困", "extreme poverty, supported at home"),
    "subsistence_allowance": ("低保", "subsistence allowance"),
}
#: 失能 levels as shown.
SELF_CARE_LOSS: dict[str, tuple[str, str]] = {"none": ("能自理", "self-caring"), "partial": ("半失能", "partly dependent"), "full": ("失能", "dependent")}
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


#: 加密探访 target groups: (zh, en).
CAMPAIGN_GROUPS: dict[str, tuple[str, str]] = {
    "special_difficulty": ("特殊困难老年人", "elders in special difficulty"),
    "high_risk": ("高风险老人", "high-risk elders"),
    "living_alone": ("独居老人", "elders living alone"),
    "empty_nest": ("空巢老人", "empty-nest elders"),
    "left_behind": ("留守老人", "elders left behind"),
    "over_80": ("80岁以上老人", "elders 80 and over"),
    "self_care_loss": ("失能半失能老人", "elders who lost self-care"),
}
#: Why a campaign: extreme weather, a holiday, something else.
CAMPAIGN_REASONS: dict[str, tuple[str, str]] = {
    "weather": ("极端天气", "extreme weather"), "holiday": ("节假日", "holiday"), "other": ("其他", "other"),
}


class ElderCareSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a community can tune; every default names its source (docs/scenes/elder_care.md)."""

    #: Age from which a resident counts as an elder: 60 (domain-rules §7: the national 探访关爱
    #: targets and Beijing's list start at 60+; 《老年人权益保障法》 art. 2).
    elder_age: int = 60
    #: 80+ living alone, 空巢 or 留守 is 高风险 high risk (domain-rules §7, 内蒙古 意见 [L]).
    high_risk_age: int = 80
    #: 重残: a disability certificate of grade 1 or 2 (残疾证 一、二级; 民政部等10部门 2022 lists 重残 elders).
    severe_disability_max_grade: int = 2
    #: Visit intervals by care level (domain-rules §7, 内蒙古 意见 [V][L]): 高风险 ≥1/week,
    #: 重点 ≥1/month, 一般 ≥1/quarter. National goal: monthly visits for every special-difficulty
    #: elder by end-2025 (民政部等10部门 2022) — a community may shorten ``general`` to 30.
    high_risk_interval_days: int = 7
    key_interval_days: int = 30
    general_interval_days: int = 91
    #: Ignored since issue 16 (escalation counts days overdue per care level, below); kept so that stored settings load.
    escalate_after_missed: int = 2
    #: Tell the grid leaders once an elder is this many days past the due date, per care level (issue 16: by days
    #: overdue per tier, not by missed intervals). Design defaults, no published rule found (confirm locally):
    #: half a week for the weekly 高风险, a week for the monthly 重点, two weeks for the quarterly 一般.
    escalate_after_days_high_risk: int = 3
    escalate_after_days_key: int = 7
    escalate_after_days_general: int = 14
    #: A visit that asks for a follow-up opens a work item due this many working days later, to the close of the day
    #: (山东省政务服务热线管理办法 2020: 5 working days to finish a matter [V], domain-rules §1).
    follow_up_working_days: int = 5
    #: …and the next visit is due within this many days at the latest (design default: the 高风险 weekly rhythm of
    #: the 内蒙古 意见, domain-rules §7, until the matter is settled).
    follow_up_revisit_days: int = 7
    #: 月探访率 target in percent: the national goal of monthly visits to every elder in special difficulty by end-2025
    #: (民政部等10部门 2022, domain-rules §7).
    monthly_visit_target_percent: int = 100
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
    #: Where volunteer visits usually go, the default for new ones: the street's 综合养老服务中心 (or a community's
    #: 日间照料中心); 敬老院 are the towns' (乡镇) institutions, not a sub-district's (issue 16).
    nursing_home: str = "街道综合养老服务中心"
    #: 加密探访 (extra visits in extreme weather and on holidays): the groups a campaign targets when staff name none —
    #: the elders in special difficulty, whom Qinghai visits at least monthly "and more in extreme weather and on
    #: holidays" (domain-rules §7 [V][L]).
    campaign_groups: list[str] = msgspec.field(default_factory=lambda: ["special_difficulty"])
    #: The visitors of the elders not yet visited are reminded this many days before a campaign's last day (design
    #: default: one day, so that a day is left to go).
    campaign_reminder_days_before_end: int = 1
    #: The longest campaign in days (design default: a holiday week or a heat wave lasts days to weeks; a month
    #: catches a mistyped date).
    campaign_max_days: int = 31

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
        for name in ("escalate_after_days_high_risk", "escalate_after_days_key", "escalate_after_days_general"):
            if not 1 <= getattr(self, name) <= 366:
                raise ValueError(f"{name} must be between 1 and 366")
        if not 1 <= self.severe_disability_max_grade <= 4:
            raise ValueError("severe_disability_max_grade must be between 1 and 4")
        if not 1 <= self.follow_up_working_days <= 60:
            raise ValueError("follow_up_working_days must be between 1 and 60")
        if not 1 <= self.follow_up_revisit_days <= 366:
            raise ValueError("follow_up_revisit_days must be between 1 and 366")
        if not 1 <= self.monthly_visit_target_percent <= 100:
            raise ValueError("monthly_visit_target_percent must be between 1 and 100")
        hours, _, minutes = self.double_ninth_start.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60 and len(minutes) == 2):
            raise ValueError("double_ninth_start must be HH:MM, e.g. 09:00")
        if not 15 <= self.double_ninth_minutes <= 12 * 60:
            raise ValueError("double_ninth_minutes must be between 15 and 720")
        if not self.channels:
            raise ValueError("channels must name at least one channel")
        unknown = [g for g in self.campaign_groups if g not in CAMPAIGN_GROUPS]
        if unknown or not self.campaign_groups:
            raise ValueError(f"campaign_groups: choose among {', '.join(CAMPAIGN_GROUPS)}")
        if not 0 <= self.campaign_reminder_days_before_end <= 30:
            raise ValueError("campaign_reminder_days_before_end must be between 0 and 30")
        if not 1 <= self.campaign_max_days <= 92:
            raise ValueError("campaign_max_days must be between 1 and 92")

    def interval_for(self, care_level: str) -> int:
        return {
            "high_risk": self.high_risk_interval_days,
            "key": self.key_interval_days,
            "general": self.general_interval_days,
        }[care_level]

    def escalate_after_days(self, care_level: str) -> int:
        return {
            "high_risk": self.escalate_after_days_high_risk,
            "key": self.escalate_after_days_key,
            "general": self.escalate_after_days_general,
        }[care_level]


# -- elders ----------------------------------------------------------------------


class EmergencyContact(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str = ""
    relation: str = ""
    phone: str = ""


class ElderIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Register a resident as an elder. Missing care level: suggested from age, how they live, loss of self-care,
    the disability grade and the categories (docs/scenes/elder_care.md)."""

    resident_id: int
    care_level: CareLevel | None = None
    #: Missing: taken from the resident's ``living_alone`` tag.
    living_alone: bool | None = None
    #: 空巢 and 留守.
    empty_nest: bool = False
    left_behind: bool = False
    #: 失能, an assessed level.
    self_care_loss: SelfCareLoss = "none"
    #: 残疾证 grade 1–4 (1 the most severe); null: no certificate.
    disability_grade: int | None = None
    categories: list[Category] = []
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
    empty_nest: bool | None = None
    left_behind: bool | None = None
    self_care_loss: SelfCareLoss | None = None
    #: ``null`` clears it (no certificate).
    disability_grade: int | None | msgspec.UnsetType = msgspec.UNSET
    #: The whole list (replaces the one kept).
    categories: list[Category] | None = None
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
    #: Days past the due date (0 when not overdue).
    days_overdue: int
    #: The latest day of the next visit set by a follow-up (shorter than the interval), or null.
    revisit_on: date | None


class ElderOut(msgspec.Struct):
    """An elder on the register. ``self_care_loss``, ``disability_grade``, ``categories`` and ``notes`` are sensitive
    (health, disability, 低保/特困 and whatever staff noted about the person: PIPL art. 28): ``null`` for callers without
    ``elder_care.elder.sensitive.read``; the care level and ``special_difficulty`` (which they may have raised) are shown
    to every reader, as the visit plan and the 月探访率 follow them."""

    id: int
    resident_id: int
    name: str
    gender: str
    age: int
    grid_id: int
    care_level: str
    care_level_title: str
    living_alone: bool
    empty_nest: bool
    left_behind: bool
    #: 特殊困难老年人: living alone, 空巢, 留守, 失能, 重残 or in a category (the 月探访率's denominator).
    special_difficulty: bool
    self_care_loss: str | None
    disability_grade: int | None
    #: Every category that applies, 失能 and 重残 included (``CATEGORIES``' codes).
    categories: list[str] | None
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
    #: An area not given is 未查 (not checked), never "ok".
    status: AreaStatus = "not_checked"
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
    #: The kernel work item opened for the follow-up (``meihao.workitems``), or null.
    follow_up_item_id: int | None
    #: The referral handed over to the health scene (``health.referral:7``; 已转介), or null.
    referral: str | None = None


class FollowUpOut(msgspec.Struct):
    """A follow-up a visit asked for: a kernel work item (``meihao.workitems``) with its due time."""

    id: int
    visit_id: int
    elder_id: int
    name: str
    #: ``open``, ``done`` or ``cancelled``.
    state: str
    #: The kernel's flag of its clock: ``green``, ``yellow``, ``red``, ``met``, ``met_late``.
    flag: str
    assignee_id: int | None
    opened_at: datetime
    due_at: datetime | None
    closed_at: datetime | None


class FollowUpClose(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Close a follow-up: ``done`` (what was done) or ``cancelled`` (why)."""

    note: str
    outcome: Literal["done", "cancelled"] = "done"


class MonthlyGridOut(msgspec.Struct):
    grid_id: int
    grid: str
    special_difficulty: int
    visited: int
    #: Percent, one decimal; null when the grid has no elder in special difficulty.
    rate: float | None


class MonthlyReportOut(msgspec.Struct):
    """月探访率: elders in special difficulty visited (or contacted) in the month ÷ elders in special difficulty."""

    month: str
    special_difficulty: int
    visited: int
    rate: float | None
    target_percent: int
    met_target: bool
    by_grid: list[MonthlyGridOut]
    #: Visits of the month by method (``home``, ``phone``, ``video``), every elder in scope.
    visits_by_method: dict[str, int]


class AlertOut(msgspec.Struct):
    id: int
    elder_id: int
    name: str
    due_on: date
    level: str
    missed_intervals: int
    days_overdue: int
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


# -- 加密探访 campaigns --------------------------------------------------------------


class CampaignIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Start a 加密探访: every elder in the caller's scope in one of ``groups`` (none: the setting ``campaign_groups``)
    is due for an extra visit between ``starts_on`` and ``ends_on`` (inclusive, the community's dates)."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    reason: Literal["weather", "holiday", "other"]
    starts_on: date
    ends_on: date
    groups: list[str] = []


class CampaignProgressOut(msgspec.Struct, kw_only=True):
    elder_id: int
    name: str
    grid_id: int | None
    care_level: str
    visited_on: date | None
    visit_id: int | None


class CampaignOut(msgspec.Struct, kw_only=True):
    id: int
    title: str
    reason: str
    starts_on: date
    ends_on: date
    groups: list[str]
    status: str
    #: Target elders in the caller's scope, and of them those visited or contacted within the range.
    elders: int
    visited: int
    #: visited ÷ elders in percent, one decimal; None without elders.
    rate: float | None
    created_at: datetime
    progress: list[CampaignProgressOut] | None = None
