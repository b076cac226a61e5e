"""health's settings and API bodies (msgspec Structs); every default names its source (docs/scenes/health.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

Condition = Literal["hypertension", "diabetes"]
CONDITIONS: dict[str, str] = {"hypertension": "高血压", "diabetes": "2型糖尿病"}
#: What a follow-up decides (the three branches of the 规范 and the emergency referral).
DECISIONS: dict[str, str] = {"controlled": "控制满意", "recheck": "两周内复查", "referral": "转诊", "emergency": "紧急转诊"}
#: What grid staff see of a patient: due, overdue or referred, never why.
STATUS_ZH: dict[str, str] = {"due": "待随访", "overdue": "已逾期", "referred": "已转诊"}
PACKAGES: dict[str, str] = {"basic": "基础包", "chronic": "慢病管理包", "elderly": "老年人包", "rehab": "康复护理包", "home": "上门服务包"}
PRIORITY_GROUPS: dict[str, str] = {
    "elderly": "老年人", "maternal": "孕产妇", "child": "儿童", "disabled": "残疾人", "hypertension": "高血压患者",
    "diabetes": "糖尿病患者", "tuberculosis": "结核病患者", "mental": "严重精神障碍患者",
}

Text = Annotated[str, msgspec.Meta(max_length=2000)]


class HealthSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a community can tune (docs/scenes/health.md has each source)."""

    #: 35+ residents with hypertension / type-2 diabetes are managed (国家基本公共卫生服务规范 第三版).
    min_age: int = 35
    #: 控制满意 below 140/90 mmHg (规范 第三版, hypertension follow-up).
    systolic_controlled_below: int = 140
    diastolic_controlled_below: int = 90
    #: 空腹血糖 below 7.0 mmol/L is 控制满意 (规范 第三版, type-2 diabetes follow-up).
    glucose_controlled_below: float = 7.0
    #: 紧急转诊 at 收缩压 ≥180 and/or 舒张压 ≥110 mmHg (规范 第三版).
    systolic_emergency_at: int = 180
    diastolic_emergency_at: int = 110
    #: 紧急转诊 at 血糖 ≥16.7 or ≤3.9 mmol/L (规范 第三版, diabetes).
    glucose_high_emergency_at: float = 16.7
    glucose_low_emergency_at: float = 3.9
    #: 控制满意: the next visit in a quarter (≥4 face-to-face follow-ups a year, 规范 第三版).
    routine_interval_days: int = 90
    #: 第一次控制不满意 or 药物不良反应: recheck within 2 weeks (规范 第三版).
    recheck_within_days: int = 14
    #: 转诊 (two uncontrolled in a row, a new complication, an emergency): follow up within 2 weeks (规范 第三版).
    referral_follow_up_days: int = 14
    #: How many uncontrolled follow-ups in a row lead to a referral (规范 第三版: 连续两次).
    uncontrolled_in_a_row_for_referral: int = 2
    #: At least 4 face-to-face follow-ups a year count as 规范管理 (规范 第三版).
    follow_ups_per_year: int = 4
    #: A follow-up missed by this many working days becomes a tracing task for the grid worker (design default).
    tracing_after_working_days: int = 1
    #: The grid worker reminds the patient within this many working days (design default).
    tracing_working_days: int = 3
    #: 老年人健康管理: residents of this age and over get the yearly health check (规范 第三版).
    check_age: int = 65
    #: 家庭医生签约: a contract runs at least a year (国卫基层发〔2018〕35号).
    contract_min_days: int = 365
    #: Renewal reminder this many days before a contract ends (issue 15; design default).
    renewal_reminder_days: int = 30
    #: Channels of the notices to the doctor team, the grid worker and the resident.
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])

    def __post_init__(self) -> None:
        for name in ("min_age", "check_age"):
            if not 0 <= getattr(self, name) <= 120:
                raise ValueError(f"{name} must be between 0 and 120")
        if not 0 < self.systolic_controlled_below < self.systolic_emergency_at <= 300:
            raise ValueError("systolic_controlled_below must be above 0 and below systolic_emergency_at (at most 300)")
        if not 0 < self.diastolic_controlled_below < self.diastolic_emergency_at <= 200:
            raise ValueError("diastolic_controlled_below must be above 0 and below diastolic_emergency_at (at most 200)")
        if not 0 < self.glucose_low_emergency_at < self.glucose_controlled_below < self.glucose_high_emergency_at <= 50:
            raise ValueError("glucose_low_emergency_at < glucose_controlled_below < glucose_high_emergency_at (at most 50) is required")
        for name in ("routine_interval_days", "recheck_within_days", "referral_follow_up_days"):
            if not 1 <= getattr(self, name) <= 366:
                raise ValueError(f"{name} must be between 1 and 366")
        if not 1 <= self.uncontrolled_in_a_row_for_referral <= 10:
            raise ValueError("uncontrolled_in_a_row_for_referral must be between 1 and 10")
        if not 1 <= self.follow_ups_per_year <= 52:
            raise ValueError("follow_ups_per_year must be between 1 and 52")
        if not 1 <= self.tracing_after_working_days <= 30 or not 1 <= self.tracing_working_days <= 30:
            raise ValueError("tracing_after_working_days must be 1 to 30 and tracing_working_days 1 to 30")
        if not 1 <= self.contract_min_days <= 3660 or not 1 <= self.renewal_reminder_days <= 366:
            raise ValueError("contract_min_days must be 1 to 3660 and renewal_reminder_days 1 to 366")


class TeamIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    provider: Annotated[str, msgspec.Meta(max_length=64)] = ""
    #: Staff of the community (doctors, nurses, public-health workers).
    members: list[int] = msgspec.field(default_factory=list)


class TeamOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    provider: str
    members: list[int]


class PatientIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    resident_id: int
    condition: Condition
    team_id: int
    #: The first follow-up's date (None: today, moved to a working day).
    first_due: date | None = None


class PatientOut(msgspec.Struct, kw_only=True):
    """A patient as the caller may see them: grid staff get ``status`` (due / overdue / referred) and the due date only;
    ``condition``, ``decision`` and ``uncontrolled`` are None for whoever may not read health data."""

    id: int
    resident_id: int
    name: str
    grid_id: int | None
    status: str
    status_zh: str
    next_due: date
    tracing_item: int | None
    condition: str | None = None
    condition_zh: str | None = None
    team_id: int | None = None
    decision: str | None = None
    uncontrolled: int | None = None


#: The readings a follow-up accepts (what a sphygmomanometer and a glucose meter can show; anything outside is a typing
#: mistake): systolic and diastolic mmHg, fasting glucose mmol/L. The API and the console's form check the same ranges.
SYSTOLIC_RANGE = (40, 300)
DIASTOLIC_RANGE = (20, 200)
GLUCOSE_RANGE = (0.5, 50.0)


class FollowUpIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A face-to-face follow-up; blood pressure for hypertension, fasting glucose (mmol/L) for diabetes (BP optional)."""

    visited_on: date | None = None
    systolic: Annotated[int, msgspec.Meta(ge=SYSTOLIC_RANGE[0], le=SYSTOLIC_RANGE[1])] | None = None
    diastolic: Annotated[int, msgspec.Meta(ge=DIASTOLIC_RANGE[0], le=DIASTOLIC_RANGE[1])] | None = None
    glucose: Annotated[float, msgspec.Meta(ge=GLUCOSE_RANGE[0], le=GLUCOSE_RANGE[1])] | None = None
    symptoms: Text = ""
    side_effects: bool = False
    new_complication: bool = False
    #: 紧急转诊 signs seen at the visit (意识改变、剧烈头痛、恶心呕吐、视力模糊、胸闷喘憋、妊娠期血压高 …).
    emergency_signs: bool = False
    medication_change: Text = ""


class FollowUpOut(msgspec.Struct, kw_only=True):
    id: int
    patient_id: int
    visited_on: date
    systolic: int | None
    diastolic: int | None
    glucose: float | None
    symptoms: str
    side_effects: bool
    new_complication: bool
    medication_change: str
    decision: str
    decision_zh: str
    next_due: date


class CheckIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    resident_id: int
    checked_on: date | None = None
    #: The items recorded (生活自理能力评估, 体格检查, 辅助检查, 健康指导): name → value.
    items: dict[str, Any] = msgspec.field(default_factory=dict)


class CheckOut(msgspec.Struct, kw_only=True):
    id: int
    resident_id: int
    year: int
    checked_on: date
    items: dict[str, Any] | None


class DueCheckOut(msgspec.Struct, kw_only=True):
    resident_id: int
    name: str
    age: int
    grid_id: int | None


class ContractIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    resident_id: int
    team_id: int
    starts_on: date
    ends_on: date
    packages: list[str] = msgspec.field(default_factory=lambda: ["basic"])
    priority_groups: list[str] = msgspec.field(default_factory=list)


class ContractOut(msgspec.Struct, kw_only=True):
    id: int
    resident_id: int
    name: str
    team_id: int
    starts_on: date
    ends_on: date
    #: None for whoever may not read health data (a package or a group can name a disease).
    packages: list[str] | None
    priority_groups: list[str] | None
    status: str


class ContractEnd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """解约: end a running contract early (the resident moved away, chose another team)."""

    #: The contract's last day (None: today); not before it starts, not after its end.
    ends_on: date | None = None
    #: Why (kept in the audit row).
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class TracingOut(msgspec.Struct, kw_only=True):
    """A tracing task (失访追踪) as the grid worker sees it: who to remind, by when; no health data."""

    id: int
    title: str
    state: str
    state_zh: str
    patient_id: int | None
    assignee: int | None
    grid_id: int | None
    due_at: datetime | None
    flag: str
    opened_at: datetime


class RemindedIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    #: How the patient was reminded (电话, 上门, 家属转告).
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


#: A referral's status (转介 from another scene): what everyone in scope sees.
REFERRAL_STATUS_ZH: dict[str, str] = {"open": "已转介", "closed": "已处理"}


class ReferralOut(msgspec.Struct, kw_only=True):
    """转介 a health concern handed over by another scene (an elder visit). Everyone in scope sees who, when, from where
    and ``status`` (``open`` 已转介 / ``closed``); ``reason`` and ``outcome`` (health data) are None for whoever is
    neither on the resident's doctor team nor holds ``health.reading.read``."""

    id: int
    resident_id: int
    name: str
    grid_id: int | None
    source: str
    title: str
    status: str
    status_zh: str
    team_id: int | None
    created_at: datetime
    closed_at: datetime | None
    reason: str | None = None
    outcome: str | None = None


class ReferralClose(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    #: What the doctor team did (saw the resident, put them on the register, nothing needed).
    outcome: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
