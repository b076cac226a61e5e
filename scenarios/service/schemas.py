"""service's settings and API bodies (msgspec Structs); every default names its source (docs/scenes/service.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

Channel = Literal["visit", "phone", "hotline", "grid", "online"]
RequestType = Literal["consultation", "help", "complaint", "report", "suggestion"]
Action = Literal["dispatch", "sign", "start", "reply", "close", "return", "redispatch", "reopen"]
CallbackResult = Literal["satisfied", "basically_satisfied", "unsatisfied", "unreachable"]

CHANNELS: dict[str, str] = {"visit": "来访", "phone": "电话", "hotline": "12345转办", "grid": "网格员上报", "online": "线上"}
TYPES: dict[str, str] = {"consultation": "咨询", "help": "求助", "complaint": "投诉", "report": "举报", "suggestion": "建议"}
STATES: dict[str, str] = {
    "received": "受理", "dispatched": "分办", "signed": "签收", "in_progress": "办理", "replied": "答复",
    "visited": "回访", "closed": "办结", "returned": "退回", "reopened": "重办",
    "handed_over": "已转网格事件",
}


class ServiceSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a community can tune (docs/scenes/service.md has each source)."""

    #: 签收 within 2 working hours of 分办, every type (晴隆 县 rule [V][L], domain-rules §1).
    sign_off_working_hours: float = 2.0
    #: 办结 by type, working days to the close of the day (晴隆 [V][L]): 咨询 1, 求助/建议 5, 投诉/举报 10.
    consultation_working_days: int = 1
    help_working_days: int = 5
    suggestion_working_days: int = 5
    complaint_working_days: int = 10
    report_working_days: int = 10
    #: 12345 transfers: 5 working days unless the platform gives its own (山东省政务服务热线管理办法 2020 [V]).
    hotline_working_days: int = 5
    #: One extension (延期) of at most 10 working days (same rule; 山东 2017: one extension).
    max_extensions: int = 1
    max_extension_working_days: int = 10
    #: 退回 a wrong-owner request within 2 working days of 分办, with a reason (山东 2020 [V]).
    return_within_working_days: int = 2
    #: 重办 after an unsatisfied call-back: a new deadline of this many working days (design default,
    #: the 求助 length; no published rule found).
    reopen_working_days: int = 5
    #: Channels of the morning digest to the 首席接访员 and the community's admins.
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])
    #: Where the answers and closings of 12345 work orders are posted back (the platform's webhook, signed as the kernel's
    #: webhook channel signs); empty: they are not sent.
    hotline_reply_url: str = ""
    #: Tries before a reply to the platform is given up (1, 2, 4 … minutes apart).
    hotline_reply_attempts: int = 6
    #: 三强化: the helper (帮扶责任人) visits each monitored household this many times a month (济北街道: 每月开展入户走访).
    assistance_visits_per_month: int = 1
    #: The monitored households' categories (防返贫监测对象; data, domain-rules §4).
    household_categories: list[str] = msgspec.field(default_factory=lambda: ["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"])
    #: Drinking water (农村饮水安全评价准则): at least this many litres a person a day (35; 20 in dry areas).
    water_min_litres: int = 35
    #: Drinking water: a single trip to fetch water takes at most this many minutes.
    water_max_trip_minutes: int = 20
    #: Drinking water: at most this many days without water in a year.
    water_max_outage_days: int = 36
    #: A problem a visit finds is rectified within this many working days (design default; confirm locally).
    assistance_problem_working_days: int = 10
    #: 三强化 信息互通: the departments called to the quarterly joint meeting (济北街道: 每季度组织住建、民政、残联等业务科室召开一次专题会议).
    joint_meeting_departments: list[str] = msgspec.field(default_factory=lambda: ["住建", "民政", "残联"])
    #: Joint meetings a quarter (same source: 每季度……一次).
    joint_meetings_per_quarter: int = 1
    #: Remind the community's admins when the quarter is this many days from its end without its meeting(s) (design default).
    joint_meeting_remind_days: int = 15
    #: A planned joint meeting reminds the staff invited this many minutes before it starts: a day and two hours (design default).
    joint_meeting_reminder_offsets: list[int] = msgspec.field(default_factory=lambda: [1440, 120])
    #: A meeting's decision that needs doing is done within this many working days (design default; confirm locally).
    meeting_action_working_days: int = 10
    #: 三强化 督导检查: what the discipline office (纪工委) checks (济北街道: 对政策落实、户档案整理等开展督导检查; data).
    inspection_categories: list[str] = msgspec.field(default_factory=lambda: ["政策落实", "户档案整理", "帮扶责任落实"])
    #: A problem on the discipline office's list (问题清单) is rectified within this many working days (design default).
    inspection_rectify_working_days: int = 15

    def __post_init__(self) -> None:
        if not 0 < self.sign_off_working_hours <= 24:
            raise ValueError("sign_off_working_hours must be above 0 and at most 24")
        for name in ("consultation_working_days", "help_working_days", "suggestion_working_days", "complaint_working_days",
                     "report_working_days", "hotline_working_days", "reopen_working_days"):
            if not 1 <= getattr(self, name) <= 60:
                raise ValueError(f"{name} must be between 1 and 60")
        if not 0 <= self.max_extensions <= 5:
            raise ValueError("max_extensions must be between 0 and 5")
        if not 1 <= self.max_extension_working_days <= 30:
            raise ValueError("max_extension_working_days must be between 1 and 30")
        if not 1 <= self.return_within_working_days <= 10:
            raise ValueError("return_within_working_days must be between 1 and 10")
        if self.hotline_reply_url and not self.hotline_reply_url.startswith(("http://", "https://")):
            raise ValueError("hotline_reply_url must be an http:// or https:// address, or empty")
        if not 1 <= self.hotline_reply_attempts <= 20:
            raise ValueError("hotline_reply_attempts must be between 1 and 20")
        if not 1 <= self.assistance_visits_per_month <= 31:
            raise ValueError("assistance_visits_per_month must be between 1 and 31")
        if not self.household_categories or any(not c.strip() or len(c) > 32 for c in self.household_categories):
            raise ValueError("household_categories must name at least one category, each 1 to 32 characters")
        if not 1 <= self.water_min_litres <= 500:
            raise ValueError("water_min_litres must be between 1 and 500")
        if not 1 <= self.water_max_trip_minutes <= 240:
            raise ValueError("water_max_trip_minutes must be between 1 and 240")
        if not 0 <= self.water_max_outage_days <= 365:
            raise ValueError("water_max_outage_days must be between 0 and 365")
        if not 1 <= self.assistance_problem_working_days <= 60:
            raise ValueError("assistance_problem_working_days must be between 1 and 60")
        if not self.joint_meeting_departments or any(not d.strip() or len(d) > 32 for d in self.joint_meeting_departments):
            raise ValueError("joint_meeting_departments must name at least one department, each 1 to 32 characters")
        if not 1 <= self.joint_meetings_per_quarter <= 13:
            raise ValueError("joint_meetings_per_quarter must be between 1 and 13")
        if not 1 <= self.joint_meeting_remind_days <= 90:
            raise ValueError("joint_meeting_remind_days must be between 1 and 90")
        if not 1 <= len(self.joint_meeting_reminder_offsets) <= 5 or not all(
                0 <= m <= 30 * 1440 for m in self.joint_meeting_reminder_offsets):
            raise ValueError("joint_meeting_reminder_offsets: one to five offsets, each 0 to 43200 minutes (30 days)")
        if not 1 <= self.meeting_action_working_days <= 60:
            raise ValueError("meeting_action_working_days must be between 1 and 60")
        if not self.inspection_categories or any(not c.strip() or len(c) > 32 for c in self.inspection_categories):
            raise ValueError("inspection_categories must name at least one category, each 1 to 32 characters")
        if not 1 <= self.inspection_rectify_working_days <= 60:
            raise ValueError("inspection_rectify_working_days must be between 1 and 60")

    def working_days_for(self, request_type: str, channel: str) -> int:
        if channel == "hotline":
            return self.hotline_working_days
        return getattr(self, f"{request_type}_working_days")


class RequestIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request as the first receiver takes it; ``requester`` a resident's id, or None (anonymous)."""

    channel: Channel
    type: RequestType
    text: str = msgspec.field()
    requester: int | None = None
    grid: int | None = None
    building: int | None = None
    #: 简单事项当场办结: a matter settled on the spot, with what was said or done.
    settled_on_the_spot: str = ""


class HotlineOrderIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A 12345 work order pushed by the city hotline platform; ``external_id`` is its number (idempotent)."""

    external_id: str
    type: RequestType
    text: str
    #: The platform's own limit in working days (None: the setting ``hotline_working_days``).
    working_days: int | None = None
    grid: int | None = None


class ActionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A step of the request's workflow; ``expected`` the state the caller saw (a second signer gets 409)."""

    action: Action
    reason: str = ""
    #: 分办 / 再分办: to whom (a staff member of the community).
    assignee: int | None = None
    #: 答复: what the requester was told.
    reply: str = ""
    expected: str | None = None


class HandOverIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """转为网格事件/吹哨: why the community cannot solve it, and, if known, the event's class (a governance category code)
    and where it is; ``expected`` the state the caller saw."""

    reason: str
    category: str | None = None
    place: str = ""
    expected: str | None = None


class ExtensionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    working_days: int
    reason: str


class CallbackIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    result: CallbackResult
    contacted: bool | None = None
    resolved: bool | None = None
    note: str = ""


class ClockOut(msgspec.Struct, kw_only=True):
    name: str
    due_at: datetime | None
    stopped_at: datetime | None
    flag: str
    extensions: int


class RequestOut(msgspec.Struct, kw_only=True):
    id: int
    item: int
    channel: str
    channel_zh: str
    type: str
    type_zh: str
    state: str
    state_zh: str
    flag: str
    text: str
    requester: int | None
    requester_name: str
    anonymous: bool
    grid: int | None
    building: int | None
    received_by: int | None
    assignee: int | None
    received_at: datetime
    closed_at: datetime | None
    external_id: str | None
    reply: str
    clocks: list[ClockOut]
    #: Handed over to another scene: its reference (``governance.event:7``) and console path (``/governance/events/7``).
    handed_to: str = ""
    handed_path: str = ""


class RequestPage(msgspec.Struct, kw_only=True):
    items: list[RequestOut]
    total: int
    page: int
    page_size: int


class CallbackOut(msgspec.Struct, kw_only=True):
    id: int
    result: str
    contacted: bool
    resolved: bool
    note: str
    at: datetime
    actor: str
    latest: bool


class DutyIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    day: date
    staff: int


class DutyOut(msgspec.Struct, kw_only=True):
    day: date
    staff: int
    staff_name: str


class RatesOut(msgspec.Struct, kw_only=True):
    key: str
    label: str
    items: int
    closed: int
    closed_on_time: int
    valid: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    on_time_rate: float | None
    score: float | None


# -- 三强化 assistance visits -----------------------------------------------------------------

#: The visit's checklist: 两不愁三保障 and drinking water (domain-rules §4).
CHECKS: dict[str, str] = {
    "food_clothing": "不愁吃、不愁穿", "schooling": "义务教育有保障", "medical": "基本医疗有保障", "housing": "住房安全有保障",
    "water": "饮水安全有保障",
}
CheckStatus = Literal["ok", "problem", "not_checked"]
HousingGrade = Literal["A", "B", "C", "D"]


class AssistedHouseholdIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A household put under monitoring (防返贫监测对象) with its helper (帮扶责任人)."""

    household: int
    category: str
    helper: int
    since: date | None = None


class AssistedHouseholdOut(msgspec.Struct, kw_only=True):
    id: int
    household: int
    grid: int
    category: str
    helper: int | None
    helper_name: str
    since: date
    active: bool
    last_visited_on: date | None
    housing_grade: str
    water_ok: bool | None
    ended_on: date | None = None
    end_reason: str = ""


class EndMonitoringIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Take a household off monitoring (风险消除, moved away …), saying why."""

    reason: str


class CheckIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    status: CheckStatus
    note: str = ""


class AssistanceVisitIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One monthly visit: each item of the checklist ok / problem / not checked; the house's safety grade and the water
    figures, when measured, decide the housing and water items against the settings' thresholds."""

    checks: dict[str, CheckIn]
    visited_on: date | None = None
    housing_grade: HousingGrade | None = None
    water_litres: int | None = None
    water_trip_minutes: int | None = None
    water_outage_days: int | None = None
    note: str = ""


class AssistanceVisitOut(msgspec.Struct, kw_only=True):
    id: int
    household: int
    visited_on: date
    helper: int | None
    checks: dict[str, dict[str, str]]
    housing_grade: str
    water_litres: int | None
    water_trip_minutes: int | None
    water_outage_days: int | None
    problems: list[int]
    note: str


class PlanRow(msgspec.Struct, kw_only=True):
    household: AssistedHouseholdOut
    visits: int
    due: int
    done: bool


class AssistancePlanOut(msgspec.Struct, kw_only=True):
    """The month's plan: each monitored household, its visits this month against the setting; 月走访覆盖率."""

    month: str
    visits_per_month: int
    households: int
    covered: int
    coverage: float | None
    rows: list[PlanRow]


class RectifyIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: str


# -- 三强化 quarterly joint meetings and the discipline office's problem list ------------------


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A decision of a joint meeting; with an ``assignee`` (a staff member of the community) it needs doing: a work item."""

    text: str
    assignee: int | None = None


class JointMeetingIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A quarterly joint meeting (专题会议) held: the departments that came, the monitored households discussed, the
    minutes and the decisions."""

    held_on: date
    departments: list[str]
    minutes: str
    households: list[int] = msgspec.field(default_factory=list)
    decisions: list[DecisionIn] = msgspec.field(default_factory=list)
    title: str = ""
    #: The planned meeting (``PlannedMeetingOut.activity``) this record is of; left out for one that was not planned.
    activity: int | None = None


class JointMeetingPlanIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A quarterly joint meeting planned ahead: a kernel activity for the community's admins and the staff invited
    (the departments' staff who will come), reminded ``meeting_reminder_offsets`` minutes before."""

    starts_at: datetime
    ends_at: datetime
    venue: str
    departments: list[str]
    staff: list[int] = msgspec.field(default_factory=list)
    title: str = ""


class PlannedMeetingOut(msgspec.Struct, kw_only=True):
    """A planned joint meeting (a kernel activity) and whether it has been recorded (``meeting``: the record's id)."""

    activity: int
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    departments: list[str]
    staff: list[int]
    meeting: int | None


class DecisionOut(msgspec.Struct, kw_only=True):
    text: str
    assignee: int | None
    assignee_name: str
    item: int | None
    state: str
    due_at: datetime | None
    flag: str


class JointMeetingOut(msgspec.Struct, kw_only=True):
    id: int
    quarter: str
    title: str
    held_on: date
    departments: list[str]
    households: list[int]
    minutes: str
    decisions: list[DecisionOut]
    recorded_by_name: str
    activity: int | None = None


class QuarterOut(msgspec.Struct, kw_only=True):
    """The quarter's plan: ``planned`` meetings (the setting), ``held`` so far, the quarter's last day."""

    quarter: str
    planned: int
    held: int
    ends_on: date
    meetings: list[JointMeetingOut]
    #: The joint meetings planned as activities that start in the quarter, recorded or not.
    planned_meetings: list[PlannedMeetingOut] = msgspec.field(default_factory=list)


class DoneIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: str


class InspectionProblemIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A problem the discipline office (纪工委) found in a 督导检查: its category (one of the settings'), what was found,
    the monitored household it concerns (if one), the day."""

    category: str
    text: str
    household: int | None = None
    found_on: date | None = None


class InspectionProblemOut(msgspec.Struct, kw_only=True):
    id: int
    item: int
    category: str
    text: str
    household: int | None
    found_on: date
    found_by_name: str
    state: str
    due_at: datetime | None
    flag: str
    rectification: str
