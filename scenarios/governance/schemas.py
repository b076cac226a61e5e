"""governance's settings, its data (the urban-management categories) and its API bodies (msgspec Structs)."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal

import msgspec

Source = Literal["patrol", "hotline", "resident", "service_desk", "handed_over"]
WhistleLevel = Literal["advance", "tackle"]
WhistleReason = Literal["beyond_power", "joint_enforcement", "emergency"]
ReportKind = Literal["on_site", "reply"]
PatrolFrequency = Literal["daily", "workdays"]
CallbackResult = Literal["satisfied", "basically_satisfied", "unsatisfied", "unreachable"]

SOURCES: dict[str, tuple[str, str]] = {
    "patrol": ("网格员巡查发现", "found on patrol"),
    "hotline": ("12345热线转办", "12345 hotline transfer"),
    "resident": ("居民反映", "reported by a resident"),
    "service_desk": ("服务站转来", "from the service desk"),
    "handed_over": ("其他业务转来", "handed over by another scene"),
}
#: domain-rules §1 (南京鼓楼 [V][L]): 工作推进哨 blown by a member of the leadership, 攻坚克难哨 by the secretary/director.
WHISTLE_LEVELS: dict[str, tuple[str, str]] = {"advance": ("工作推进哨", "work-advancing whistle"), "tackle": ("攻坚克难哨", "hard-problem whistle")}
#: domain-rules §1 (北京 吹哨报到, three situations [V]).
WHISTLE_REASONS: dict[str, tuple[str, str]] = {
    "beyond_power": ("群众反映突出、街道解决不了", "beyond the street's power"),
    "joint_enforcement": ("需要综合执法", "joint law enforcement"),
    "emergency": ("应急处置", "emergency"),
}

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Rating = Annotated[int, msgspec.Meta(ge=1, le=5)]


def _load_categories() -> dict[str, dict[str, str]]:
    data = tomllib.loads((Path(__file__).parent / "categories.toml").read_text(encoding="utf-8"))
    return {row["code"]: {"kind": kind, "zh": row["zh"], "en": row["en"]} for kind in ("component", "event") for row in data[kind]}


#: The classes of the urban-management standard (部件 5, 事件 6), read from categories.toml.
CATEGORIES: dict[str, dict[str, str]] = _load_categories()


class GovernanceSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a community can tune; every default names its source (docs/scenes/governance.md)."""

    #: 核实确认 + 立案派遣 within 1 working hour of the report (domain-rules §2, 福州 实施办法 [V][L]).
    event_dispatch_working_hours: float = 1.0
    #: The responsible unit reads and accepts (签收) an order within 1 working hour (same source).
    order_sign_working_hours: float = 1.0
    #: An order is handled and fed back within 5 working days (domain-rules §2: typical grid-event
    #: turnaround 5–7 working days [V][L]; §1 Shandong 2020: 5 working days [V]).
    order_resolution_working_days: int = 5
    #: The reporting grid worker checks (核查) the feedback within 1 working day (design default: no
    #: published number found; CJ/T 292 names an 按时核查率 without it).
    event_check_working_days: int = 1
    #: A summoned department signs the whistle within 1 working hour (domain-rules §1, 南京鼓楼 [V][L]).
    whistle_sign_working_hours: float = 1.0
    #: … contacts the street within 24 hours (same source), counted as one working day: the kernel
    #: counts working time, so a whistle blown on Friday 15:00 is to be answered by Monday 15:00.
    whistle_contact_working_days: int = 1
    #: … reports on site or replies within 3 working days (工作推进哨) or 5 (攻坚克难哨) (same source).
    whistle_advance_working_days: int = 3
    whistle_tackle_working_days: int = 5
    #: Full-time grid workers patrol their grid every day (domain-rules §2 [V][L]); ``workdays``: on working days only.
    patrol_frequency: PatrolFrequency = "daily"
    #: Channels for notices (督办, patrols missed).
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])

    def __post_init__(self) -> None:
        for name in ("event_dispatch_working_hours", "order_sign_working_hours", "whistle_sign_working_hours"):
            if not 0.25 <= getattr(self, name) <= 24:
                raise ValueError(f"{name} must be between 0.25 and 24")
        for name in ("order_resolution_working_days", "event_check_working_days", "whistle_contact_working_days",
                     "whistle_advance_working_days", "whistle_tackle_working_days"):
            if not 1 <= getattr(self, name) <= 60:
                raise ValueError(f"{name} must be between 1 and 60")
        if not self.channels:
            raise ValueError("channels must name at least one channel")


# -- events and orders ----------------------------------------------------------------------


class EventIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A grid event (网格事件) found on patrol or reported: where, what class, what."""

    grid_id: int
    source: Source = "patrol"
    category: str
    text: Text
    building_id: int | None = None
    place: Annotated[str, msgspec.Meta(max_length=200)] = ""
    #: 12345 work-order number, when the event came from the hotline.
    external_id: Annotated[str, msgspec.Meta(max_length=64)] = ""


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """立案: the event is confirmed; the category may be corrected."""

    category: str | None = None


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason


class DispatchIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """派遣: to a department (its code) or to someone of the grid's team (小事不出网格), not both."""

    department: str | None = None
    assignee_id: int | None = None


class FeedbackIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    text: Text


class CheckIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """核查: ``passed`` closes the loop's check; otherwise the order goes back to its handler with the reason (返工)."""

    passed: bool
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class OrderOut(msgspec.Struct):
    id: int
    event_id: int
    state: str
    department: str | None
    department_name: str | None
    assignee_id: int | None
    dispatched_at: datetime
    sign_due_at: datetime | None
    signed_at: datetime | None
    signed_by: str | None
    resolve_due_at: datetime | None
    fed_back_at: datetime | None
    feedback: str
    returned_at: datetime | None
    return_reason: str
    reworks: int
    flag: str


class EventOut(msgspec.Struct):
    id: int
    grid_id: int
    building_id: int | None
    source: str
    category: str
    category_name: str
    place: str
    text: str
    external_id: str
    state: str
    reported_at: datetime
    reported_by: str | None
    checker_id: int | None
    dispatch_due_at: datetime | None
    check_due_at: datetime | None
    dismiss_reason: str
    closed_at: datetime | None
    handled_in_grid: bool | None
    closed_on_time: bool | None
    flag: str
    orders: list[OrderOut]


class CategoryOut(msgspec.Struct):
    code: str
    kind: str
    name_zh: str
    name_en: str


# -- whistles -------------------------------------------------------------------------------


class WhistleIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """吹哨: the level, why, which departments are summoned; optionally the grid event behind it."""

    level: WhistleLevel
    reason: WhistleReason
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    text: Text
    departments: Annotated[list[str], msgspec.Meta(min_length=1, max_length=20)]
    grid_id: int | None = None
    event_id: int | None = None


class ReportIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """报到: on site, or a written reply."""

    kind: ReportKind
    text: Text


class RatingIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The community rates a department's response (扬州广陵 [V][L]): speed and quality, 1–5."""

    speed: Rating
    quality: Rating
    comment: Annotated[str, msgspec.Meta(max_length=500)] = ""


class CallOut(msgspec.Struct):
    id: int
    whistle_id: int
    department: str
    department_name: str
    state: str
    sign_due_at: datetime | None
    signed_at: datetime | None
    signed_by: str | None
    contact_due_at: datetime | None
    contacted_at: datetime | None
    report_due_at: datetime | None
    reported_at: datetime | None
    report_kind: str
    report_text: str
    speed_rating: int | None
    quality_rating: int | None
    rating_comment: str
    supervised: int
    flag: str


class WhistleOut(msgspec.Struct):
    id: int
    level: str
    reason: str
    title: str
    text: str
    grid_id: int | None
    event_id: int | None
    blown_by: str | None
    blown_at: datetime
    closed_at: datetime | None
    calls: list[CallOut]


# -- patrols --------------------------------------------------------------------------------


class PatrolPlanIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    grid_id: int
    staff_id: int
    frequency: PatrolFrequency | None = None
    #: False stops the plan (kept, with its history); planning it again starts it.
    active: bool = True


class PatrolPlanOut(msgspec.Struct):
    id: int
    grid_id: int
    staff_id: int
    staff_name: str
    frequency: str
    active: bool


class PatrolLogIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    grid_id: int
    patrolled_on: date | None = None
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    events_found: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0


class PatrolLogOut(msgspec.Struct):
    id: int
    grid_id: int
    staff_id: int
    staff_name: str
    patrolled_on: date
    notes: str
    events_found: int
    recorded_at: datetime


class MissingPatrolOut(msgspec.Struct):
    grid_id: int
    grid_name: str
    staff_id: int
    staff_name: str
    day: date


# -- figures --------------------------------------------------------------------------------


class DepartmentFigures(msgspec.Struct):
    department: str
    name: str
    orders: int
    signed: int
    signed_on_time: int
    fed_back: int
    fed_back_on_time: int
    calls: int
    calls_signed_on_time: int
    calls_reported_on_time: int
    rating: float | None
    rank: int
    #: the 三率 of its orders' call-backs (the kernel's ``work_item_rates``): valid call-backs, rates 0–1, score of 100
    callbacks: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    score: float | None


class GovernanceFigures(msgspec.Struct):
    month: str
    events: int
    closed: int
    closed_on_time: int
    closed_in_grid: int
    orders: int
    signed_on_time: int
    #: shares, 0–1, None with nothing to divide by
    closed_rate: float | None
    closed_on_time_rate: float | None
    in_grid_share: float | None
    signed_on_time_rate: float | None
    whistles: int
    whistles_by_level: dict[str, int]
    #: the 三率 of the orders' call-backs (the kernel's ``work_item_rates``): valid call-backs, rates 0–1, score of 100
    callbacks: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    score: float | None


class GridFigures(msgspec.Struct):
    grid_id: int
    name: str
    events: int
    closed: int
    closed_on_time: int
    closed_in_grid: int
    orders: int
    signed_on_time: int
    closed_rate: float | None
    in_grid_share: float | None
    callbacks: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    score: float | None


class CallbackIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """回访: the person who raised the event is called back once it is closed (满意 / 基本满意 / 不满意 / 联系不上)."""

    result: CallbackResult
    #: 是否联系, 是否解决: the person's answers (required unless ``unreachable``)
    contacted: bool | None = None
    resolved: bool | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class CallbackOut(msgspec.Struct):
    id: int
    event_id: int
    order_id: int
    at: datetime
    by: str
    result: str
    contacted: bool
    resolved: bool
    note: str
