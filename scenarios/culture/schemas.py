"""The culture scenario's settings and the msgspec Structs of its API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Level = Literal["province", "city", "county", "folk"]
Satisfaction = Literal["satisfied", "basically_satisfied", "unsatisfied"]


class CultureSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Per-community settings of 戏曲进乡村. Every number is a default a community may change."""

    #: The audience is reminded this long before a show: "the day before" (issue 5).
    remind_day_before_minutes: int = 1440
    #: …and again on the day, this long before: "on the day" (issue 5); three hours before an
    #: evening show is the afternoon. Design default.
    remind_on_day_minutes: int = 180
    #: Elders are people aged this or more: 老年人权益保障法 第二条 (60周岁以上).
    elder_age: int = 60
    #: With "elders first", the venue's elders hear this long before the show, ahead of
    #: everyone else, that the front rows are kept for them. Design default (two days).
    elders_first_minutes: int = 2880
    #: The organiser is asked for the attendance count the morning after, from this hour
    #: (local): "the morning after" (issue 5).
    attendance_ask_hour: int = 9
    #: How long the ask is worth delivering (quiet hours, a channel down). Design default.
    attendance_ask_useful_hours: int = 24
    #: Shows ended longer ago than this are not asked for any more. Design default.
    attendance_ask_within_days: int = 7
    #: Subsidy per show, yuan: Jiangsu 2023, 补助 5,000 元/场 (domain-rules §8 [V]).
    subsidy_per_show_yuan: int = 5000
    #: Shows each venue should have a year: Shandong "一村一年一场戏" (domain-rules §8 [V]).
    shows_per_venue_per_year: int = 1
    #: Channels show reminders go out on.
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])

    def __post_init__(self) -> None:
        for name in ("remind_day_before_minutes", "remind_on_day_minutes", "elders_first_minutes", "subsidy_per_show_yuan"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if not 0 <= self.attendance_ask_hour <= 23:
            raise ValueError("attendance_ask_hour must be an hour of the day, 0 to 23")
        if not 1 <= self.elder_age <= 120:
            raise ValueError("elder_age must be between 1 and 120")
        for name in ("attendance_ask_useful_hours", "attendance_ask_within_days", "shows_per_venue_per_year"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


# -- troupes and repertoire ----------------------------------------------------------------


class PlayIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Name
    #: 剧种, e.g. 吕剧, 京剧, 豫剧, 评剧, 山东梆子, 五音戏.
    genre: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    duration_minutes: int = 150
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""


class PlayOut(msgspec.Struct):
    id: int
    title: str
    genre: str
    duration_minutes: int
    description: str


class TroupeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    level: Level = "county"
    contact_name: Annotated[str, msgspec.Meta(max_length=64)] = ""
    contact_phone: str = ""
    repertoire: list[PlayIn] = []


class TroupeOut(msgspec.Struct):
    id: int
    name: str
    level: str
    contact_name: str
    contact_phone: str
    repertoire: list[PlayOut]


# -- venues -----------------------------------------------------------------------------------


class VenueIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    grid_id: int
    kind: Literal["village_square", "community_hall", "other"] = "village_square"
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""
    capacity: int | None = None
    #: Grids whose residents are the audience; the venue's own grid is always one.
    serves_grid_ids: list[int] = []


class VenueOut(msgspec.Struct):
    id: int
    name: str
    kind: str
    address: str
    capacity: int | None
    grid_id: int
    serves_grid_ids: list[int]


# -- tour plans and shows ------------------------------------------------------------------------


class PlanIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    season_start: date
    season_end: date
    procurement_lot: Annotated[str, msgspec.Meta(max_length=100)] = ""
    organiser_staff_id: int | None = None


class PlanPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """What changes on a tour plan; a field left out stays. The season must still hold the plan's shows."""

    name: Name | None = None
    season_start: date | None = None
    season_end: date | None = None
    procurement_lot: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    organiser_staff_id: int | None = None


class PlanOut(msgspec.Struct):
    id: int
    name: str
    season_start: date
    season_end: date
    procurement_lot: str
    organiser_staff_id: int | None
    shows: int
    delivered: int


class ShowIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    venue_id: int
    troupe_id: int
    play_id: int
    #: The community's local time; the end defaults to the start plus the play's duration.
    starts_at: datetime
    ends_at: datetime | None = None
    elders_first: bool = False
    #: Yuan; default: the setting subsidy_per_show_yuan.
    subsidy: Decimal | None = None


class ShowPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """A reschedule: reminders not yet sent are replanned for the new time."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None


class ShowRecordIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What happened: attendance and short feedback, the committee's confirmation, the subsidy paid."""

    attendance: int
    satisfaction: Satisfaction | None = None
    feedback: Annotated[str, msgspec.Meta(max_length=200)] = ""
    #: Who signed for the village or residents' committee (村委签字确认).
    confirmed_by: Annotated[str, msgspec.Meta(max_length=64)] = ""
    subsidy: Decimal | None = None


class ShowOut(msgspec.Struct):
    id: int
    plan_id: int
    venue_id: int
    venue: str
    grid_id: int
    troupe_id: int
    troupe: str
    troupe_level: str
    play_id: int
    play: str
    genre: str
    day: date
    starts_at: datetime
    ends_at: datetime
    elders_first: bool
    status: str
    cancel_reason: str
    activity_id: int
    subsidy: str
    attendance: int | None
    satisfaction: str
    feedback: str
    confirmed_by: str
    recorded_at: datetime | None
    attendance_asked_at: datetime | None


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class SummaryOut(msgspec.Struct):
    year: int
    shows_delivered: int
    audience_reached: int
    shows_scheduled: int
    venues: int
    venues_covered: int
    subsidy: str
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
