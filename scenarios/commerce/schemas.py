"""commerce's settings and API bodies (msgspec Structs); every default names its source (docs/scenes/commerce.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

PartnerKind = Literal["postal", "health", "housekeeping", "catering", "other"]
PARTNER_KINDS: dict[str, str] = {"postal": "邮政快递", "health": "医疗健康", "housekeeping": "家政服务", "catering": "餐饮助餐",
                                 "other": "其他"}
Service = Literal["parcel", "housekeeping", "meal", "health_hut", "other"]
SERVICES: dict[str, str] = {"parcel": "快递代收", "housekeeping": "家政服务", "meal": "助餐服务", "health_hut": "健康小屋", "other": "其他服务"}
EntryKind = Literal["income", "cost", "public_good"]
ENTRY_KINDS: dict[str, str] = {"income": "收入", "cost": "支出", "public_good": "公益投入"}
Category = Literal["noise", "fumes", "pavement", "other"]
#: A complaint's category, and the grid-event category governance files it under (CJ/T 214 事件大类).
CATEGORIES: dict[str, str] = {"noise": "噪音扰民", "fumes": "油烟扰民", "pavement": "占道经营", "other": "其他商居矛盾"}
#: The grid-event class (a code of governance's categories.toml, CJ/T 214's 事件大类) each kind of complaint is handed over as:
#: noise and cooking fumes 市容环境 (environment), pavement use 街面秩序 (street_order), the rest 其他事件 (other_event).
EVENT_CATEGORY: dict[str, str] = {"noise": "environment", "fumes": "environment", "pavement": "street_order", "other": "other_event"}

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Short = Annotated[str, msgspec.Meta(max_length=100)]
Text = Annotated[str, msgspec.Meta(max_length=1000)]
Month = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class CommerceSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a community can tune (docs/scenes/commerce.md has each source)."""

    #: Alert the community's admins this many days before a partner's contract ends (design default: no published rule found).
    contract_alert_days: int = 30
    #: Remind a resident of her booking this many hours before its slot (design default: the day before, as the markets).
    booking_reminder_hours: int = 24
    #: A resident may cancel her own booking until this many minutes before the slot (design default); staff until it starts.
    resident_cancel_until_minutes: int = 120
    #: How many open bookings a resident may hold at once across all offers (design default, against hoarding slots).
    open_bookings_per_resident: int = 3
    #: The largest single ledger entry, in yuan (design default, a typo guard: the enterprise's month is thousands of yuan).
    largest_entry_yuan: int = 50000
    #: Publish each quarter's statement by the daily job, from the first day after the quarter (design default: on).
    auto_statement: bool = True
    #: How the reminders, alerts and the quarterly statement reach people.
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])


class PartnerIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    kind: PartnerKind
    contract_starts_on: date
    contract_ends_on: date
    contact: Short = ""


class ContractIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A renewed (or corrected) contract period."""

    contract_starts_on: date
    contract_ends_on: date


class PartnerOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    kind: str
    contact: str
    contract_starts_on: date
    contract_ends_on: date
    #: Days from today to the contract's end (negative: ended).
    days_left: int
    expiring: bool
    active: bool


class OfferIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    service: Service
    title: Name
    partner_id: int | None = None
    venue: Short = ""
    price_yuan: str = "0"


class OfferOut(msgspec.Struct, kw_only=True):
    id: int
    service: str
    title: str
    partner_id: int | None
    partner: str | None
    venue: str
    price_fen: int
    price_yuan: str
    active: bool


class SlotIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A slot in the community's local time (naive) or with an offset."""

    starts_at: datetime
    ends_at: datetime
    capacity: Annotated[int, msgspec.Meta(ge=1, le=500)]


class SlotOut(msgspec.Struct, kw_only=True):
    id: int
    offer_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    free: int
    cancelled: bool


class BookingIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    slot_id: int
    resident_id: int
    note: Short = ""


class CancelIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class BookingOut(msgspec.Struct, kw_only=True):
    id: int
    slot_id: int
    offer_id: int
    offer: str
    service: str
    starts_at: datetime
    ends_at: datetime
    resident_id: int
    #: masked (王*英)
    name: str
    status: str
    by: str
    note: str
    cancel_reason: str
    #: When the booking was marked served (came) or no_show (did not come); None while it is not.
    attended_at: datetime | None = None


class AttendedIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """到场确认: ``true`` the resident came and the service was given (``served``), ``false`` she did not come (``no_show``)."""

    came: bool


class EntryIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    day: date
    kind: EntryKind
    amount_yuan: str
    service: Service | None = None
    partner_id: int | None = None
    note: Text = ""


class EntryOut(msgspec.Struct, kw_only=True):
    id: int
    month: str
    day: date
    kind: str
    amount_fen: int
    amount_yuan: str
    service: str
    partner_id: int | None
    note: str


class Line(msgspec.Struct, kw_only=True):
    """One line of a breakdown: a service, a partner or a month, with its amount."""

    key: str
    label: str
    amount_fen: int
    amount_yuan: str


class MonthOut(msgspec.Struct, kw_only=True):
    """A month of the ledger: its entries and totals, whether it is closed."""

    month: str
    closed: bool
    closed_at: datetime | None
    income_fen: int
    cost_fen: int
    public_good_fen: int
    income_by_service: list[Line]
    income_by_partner: list[Line]
    entries: list[EntryOut]


class YearOut(msgspec.Struct, kw_only=True):
    year: int
    income_fen: int
    cost_fen: int
    public_good_fen: int
    income_by_month: list[Line]
    income_by_service: list[Line]
    income_by_partner: list[Line]
    closed_months: list[str]


class StatementIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    quarter: Annotated[int, msgspec.Meta(ge=1, le=4)]


class StatementOut(msgspec.Struct, kw_only=True):
    id: int
    year: int
    quarter: int
    income_fen: int
    cost_fen: int
    public_good_fen: int
    body: str
    published_at: datetime


class ShopIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    grid_id: int | None = None
    address: Short = ""


class ShopOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    grid_id: int | None
    address: str
    in_alliance: bool


class DiscountIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    valid_until: date | None = None


class DiscountOut(msgspec.Struct, kw_only=True):
    id: int
    shop_id: int
    shop: str
    description: str
    valid_until: date | None


class ComplaintIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    shop_id: int
    category: Category
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    grid_id: int | None = None
    resident_id: int | None = None


class ComplaintOut(msgspec.Struct, kw_only=True):
    id: int
    shop_id: int
    shop: str
    grid_id: int | None
    category: str
    text: str
    status: str
    handed_to: str
    #: Whether it can be handed to governance now (governance on in the community, not handed over yet).
    can_hand_over: bool
    created_at: datetime
