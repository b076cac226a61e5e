"""The markets scenario's settings and the msgspec Structs of its API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class MarketsSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Per-community settings of 睦邻善市公益市集. Every number is a default a community may change."""

    #: Stalls per market day. Local practice of community charity markets (20–40 stalls); design default [L].
    default_capacity: int = 30
    #: Applications for a market day close this many hours before it opens. Design default [L]:
    #: two days leave time to decide and to tell the stallholders.
    applications_close_hours: int = 48
    #: Stallholders set up this long before the market opens. Design default [L].
    setup_minutes: int = 60
    #: The community is reminded this long before a market day opens: "the day before" (issue 5).
    community_reminder_minutes: int = 1440
    #: Stallholders are reminded this long before set-up: "two hours before set-up" (issue 5).
    stallholder_reminder_minutes: int = 120
    #: What a market day on an official holiday does: "skipping public holidays" (issue 5); keep,
    #: skip, next_workday or previous_workday.
    holiday_policy: str = "skip"
    #: Market days are opened for applications this many days ahead (two monthly markets). Design default.
    plan_days_ahead: int = 62
    #: When applications close, undecided ones are approved first come, first served up to the
    #: capacity and the rest wait-listed (the usual rule of sign-up lists [L]); False leaves them
    #: to the organiser.
    decide_pending_at_close: bool = True
    #: Proceeds above this for one stall and day are refused as a likely typo. A community market day raises
    #: hundreds to a few thousand yuan in all (issue 16), so one stall above 2,000 yuan is most likely a slip. Design default.
    max_proceeds_per_stall_yuan: int = 2000
    #: A weekend market day on an adjusted working day (调休上班, a make-up Saturday or Sunday, or a day the street
    #: opened): ``skip`` it, or ``move`` it to the nearest ordinary rest day after it within ``rest_day_move_days``
    #: (none there: skipped). Issue 16: weekend markets never on an adjusted working day.
    rest_day_policy: str = "skip"
    #: How far a moved market day may go. Design default: within the next week.
    rest_day_move_days: int = 7
    #: Home-made food (自制食品) at a stall: ``forbid``, ``approval`` (flagged, never approved automatically at the
    #: close) or ``allow``. Issue 16: many communities forbid it or need approval [L].
    home_made_food: str = "approval"
    #: Channels market reminders go out on.
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])

    def __post_init__(self) -> None:
        if self.default_capacity < 1:
            raise ValueError("default_capacity must be at least 1")
        for name in ("applications_close_hours", "setup_minutes", "community_reminder_minutes", "stallholder_reminder_minutes"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.plan_days_ahead < 1:
            raise ValueError("plan_days_ahead must be at least 1")
        if self.holiday_policy not in ("keep", "skip", "next_workday", "previous_workday"):
            raise ValueError("holiday_policy must be keep, skip, next_workday or previous_workday")
        if self.max_proceeds_per_stall_yuan < 1:
            raise ValueError("max_proceeds_per_stall_yuan must be at least 1")
        if self.rest_day_policy not in REST_DAY_POLICIES:
            raise ValueError("rest_day_policy must be skip or move")
        if not 1 <= self.rest_day_move_days <= 31:
            raise ValueError("rest_day_move_days must be between 1 and 31")
        if self.home_made_food not in HOME_MADE_FOOD:
            raise ValueError("home_made_food must be forbid, approval or allow")


#: 义卖 charity sale, 义诊 free clinic, 便民服务 free services, 以物易物 swap.
KINDS = ("charity_sale", "free_clinic", "convenience", "swap")
#: Free-service stalls record people served, not yuan.
FREE_SERVICE = ("free_clinic", "convenience")
MONEY = ("none", "stall_fee", "contribution")
REST_DAY_POLICIES = ("skip", "move")
HOME_MADE_FOOD = ("forbid", "approval", "allow")
Kind = Literal["charity_sale", "free_clinic", "convenience", "swap"]
Money = Literal["none", "stall_fee", "contribution"]
Where = Annotated[str, msgspec.Meta(max_length=200)]


# -- merchants --------------------------------------------------------------------


class MerchantIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    kind: Literal["shop", "enterprise", "social_organisation", "other"] = "shop"
    contact_name: Annotated[str, msgspec.Meta(max_length=64)] = ""
    contact_phone: str = ""
    #: The contact person when they live in the community (they get the set-up reminders).
    contact_resident_id: int | None = None


class MerchantPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """What changes on a partner merchant; a field left out stays. ``contact_phone: ""`` removes the number,
    ``active: false`` takes the merchant off the list of those who may apply."""

    name: Name | None = None
    kind: Literal["shop", "enterprise", "social_organisation", "other"] | None = None
    contact_name: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    contact_phone: str | None = None
    contact_resident_id: int | None = None
    active: bool | None = None


class MerchantOut(msgspec.Struct):
    id: int
    name: str
    kind: str
    contact_name: str
    contact_phone: str
    contact_resident_id: int | None
    active: bool


# -- markets ------------------------------------------------------------------------


class MarketIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name = "睦邻善市公益市集"
    venue: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    #: RFC 5545 RRULE without DTSTART, e.g. the second Saturday of each month: ``FREQ=MONTHLY;BYDAY=2SA``.
    rrule: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    first_day: date
    until: date | None = None
    opens_at: ClockTime = "09:00"
    closes_at: ClockTime = "11:30"
    grid_id: int | None = None
    #: Defaults from the community's settings when left out.
    capacity: int | None = None
    setup_minutes: int | None = None
    applications_close_hours: int | None = None
    holiday_policy: str | None = None
    organiser_staff_id: int | None = None
    #: 义卖 (charity_sale), 义诊 (free_clinic), 便民服务 (convenience) or 以物易物 (swap).
    kind: Kind = "charity_sale"
    #: What each stall pays: nothing, a stall fee (摊位费) or a charity contribution (爱心捐赠) of ``fee`` yuan.
    money: Money = "none"
    fee: Decimal = Decimal(0)
    #: Where the money goes: the beneficiary project and the charity that receives it (a residents' committee
    #: cannot hold public-fundraising money itself).
    beneficiary: Where = ""
    receiving_charity: Where = ""
    #: ``skip`` or ``move``; left out: the community's setting.
    rest_day_policy: str | None = None
    #: ``forbid``, ``approval`` or ``allow``; left out: the community's setting.
    home_made_food: str | None = None
    #: Stalls may take volunteer points (积分) instead of or besides yuan.
    accepts_points: bool = False


class MarketPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """What may change on a running market; its schedule may not (cancel it and make a new one)."""

    name: Name | None = None
    venue: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    capacity: int | None = None
    organiser_staff_id: int | None = None
    beneficiary: Where | None = None
    receiving_charity: Where | None = None
    accepts_points: bool | None = None


class MarketOut(msgspec.Struct):
    id: int
    name: str
    venue: str
    grid_id: int | None
    rrule: str
    holiday_policy: str
    first_day: date
    until: date | None
    opens_at: str
    closes_at: str
    setup_minutes: int
    capacity: int
    applications_close_hours: int
    organiser_staff_id: int | None
    status: str
    activity_id: int
    stall_activity_id: int
    next_days: list[MarketDayOut] = []
    kind: str = "charity_sale"
    money: str = "none"
    fee: str = "0.00"
    beneficiary: str = ""
    receiving_charity: str = ""
    rest_day_policy: str = "skip"
    home_made_food: str = "approval"
    accepts_points: bool = False


class MarketDayOut(msgspec.Struct):
    id: int
    market_id: int
    day: date
    starts_at: datetime
    ends_at: datetime
    applications_close_at: datetime
    status: str
    capacity: int
    approved: int
    waitlisted: int
    pending: int
    cancel_reason: str = ""
    #: The day it would have been, when moved off an adjusted working weekend day.
    moved_from: date | None = None
    statement_published_at: datetime | None = None


class MarketDayPatch(msgspec.Struct, forbid_unknown_fields=True):
    capacity: int


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class OptionalReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


# -- applications -------------------------------------------------------------------


class ApplicationIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A stall application: exactly one of ``resident_id`` and ``merchant_id``."""

    resident_id: int | None = None
    merchant_id: int | None = None
    goods: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    #: The stall sells home-made food (自制食品).
    home_made_food: bool = False


class ApplicationOut(msgspec.Struct):
    id: int
    market_id: int
    market_day_id: int
    day: date
    applicant_kind: str
    applicant_name: str
    resident_id: int | None
    merchant_id: int | None
    goods: str
    status: str
    reason: str
    applied_at: datetime
    decided_at: datetime | None
    #: 1 for the first on the waiting list; None when not waiting.
    waitlist_position: int | None = None
    proceeds: str | None = None
    home_made_food: bool = False
    fee_waived: bool = False
    waiver_reason: str = ""
    people_served: int | None = None


class PointsPaymentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A resident pays a stall with volunteer points (积分), spent from her balance through the kernel's ledger."""

    resident_id: int
    points: int
    note: Text200 = ""


class PointsPaymentOut(msgspec.Struct):
    id: int
    application_id: int
    market_day_id: int
    resident_id: int | None
    points: int
    #: The kernel's points transfer.
    transfer_id: int
    #: The resident's balance after paying (as the kernel answered).
    balance: int | None
    note: str
    recorded_by: str
    recorded_at: datetime


class WaiverIn(msgspec.Struct, forbid_unknown_fields=True):
    """Waive (减免) the market's stall fee or contribution for one stall, with the reason; ``waived: false`` takes it back."""

    waived: bool = True
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class ProceedsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    #: Yuan, at most two decimals: ``"128.50"`` or ``128.5``. Not for free-service stalls (义诊, 便民服务).
    amount: Decimal | None = None
    #: People served, for free-service stalls only.
    people_served: int | None = None
    note: Text200 = ""


class ProceedsOut(msgspec.Struct):
    application_id: int
    market_day_id: int
    amount: str
    note: str
    recorded_by: str
    recorded_at: datetime
    people_served: int | None = None


class DayTotal(msgspec.Struct):
    market_day_id: int
    day: date
    stalls: int
    amount: str
    people_served: int = 0


class MarketTotal(msgspec.Struct):
    market_id: int
    name: str
    days: int
    stalls: int
    amount: str
    people_served: int = 0


class MarketProceedsOut(msgspec.Struct):
    market_id: int
    year: int
    days: list[DayTotal]
    total: str


class CommunityProceedsOut(msgspec.Struct):
    year: int
    markets: list[MarketTotal]
    total: str


class StatementOut(msgspec.Struct):
    """The public statement (公示) of one market day: what was raised or done, and where the money goes."""

    market_day_id: int
    market_id: int
    day: date
    kind: str
    stalls: int
    #: Stalls that paid the fee or contribution, and those waived.
    paying_stalls: int
    waived_stalls: int
    fees: str
    proceeds: str
    total: str
    people_served: int
    beneficiary: str
    receiving_charity: str
    text: str
    published_at: datetime | None = None
    #: Volunteer points paid at the day's stalls, and how many payments.
    points: int = 0
    points_payments: int = 0
