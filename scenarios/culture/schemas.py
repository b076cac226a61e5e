"""The culture scenario's settings and the msgspec Structs of its API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Level = Literal["province", "city", "district", "county", "folk"]
PlaceKind = Literal["village", "cungaiju", "urban"]
MonthDay = Annotated[str, msgspec.Meta(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])/(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
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
    #: Subsidy per show, yuan, when a show does not give its own. None: no default — no local (济南/济阳) rate was
    #: found in a public source; Jiangsu's 2023 补助 5,000 元/场 (domain-rules §8 [V]) is another province's.
    subsidy_per_show_yuan: int | None = None
    #: Shows each venue should have a year: Shandong "一村一年一场戏" (domain-rules §8 [V]).
    shows_per_venue_per_year: int = 1
    #: Shows each village (or 村改居 community) should have a year: Shandong "一村一年一场戏", counted per village,
    #: not per venue (domain-rules §8 [V]).
    shows_per_village_per_year: int = 1
    #: Outdoor evening shows (at a square, from ``evening_from``) are not planned in these months: northern winter
    #: evenings are too cold to sit outside. Design default [M] (12月–2月).
    winter_months: list[int] = msgspec.field(default_factory=lambda: [12, 1, 2])
    #: …nor in the farming seasons (农忙), "MM-DD/MM-DD" inclusive: Shandong's 三夏 (wheat harvest and sowing) and
    #: 三秋 (autumn harvest). [M]; procurement practice plans shows in two windows, March–April and October–November,
    #: avoiding 农忙 (domain-rules §8, 梁山 [V][L]).
    farming_seasons: list[MonthDay] = msgspec.field(default_factory=lambda: ["05-25/06-15", "09-25/10-10"])
    #: An outdoor show starting at this local time or later is an evening show. Design default.
    evening_from: Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "18:00"
    #: Channels show reminders go out on.
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])

    def __post_init__(self) -> None:
        for name in ("remind_day_before_minutes", "remind_on_day_minutes", "elders_first_minutes"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.subsidy_per_show_yuan is not None and self.subsidy_per_show_yuan < 0:
            raise ValueError("subsidy_per_show_yuan must not be negative")
        if any(not 1 <= m <= 12 for m in self.winter_months):
            raise ValueError("winter_months are months 1 to 12")
        if not 0 <= self.attendance_ask_hour <= 23:
            raise ValueError("attendance_ask_hour must be an hour of the day, 0 to 23")
        if not 1 <= self.elder_age <= 120:
            raise ValueError("elder_age must be between 1 and 120")
        for name in ("attendance_ask_useful_hours", "attendance_ask_within_days", "shows_per_venue_per_year", "shows_per_village_per_year"):
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


# -- places (villages, 村改居 and urban communities) --------------------------------------------


class PlaceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    #: ``village`` 行政村, ``cungaiju`` 村改居社区 or ``urban`` 城市社区.
    kind: PlaceKind = "village"


class PlaceOut(msgspec.Struct):
    id: int
    name: str
    kind: str


# -- venues -----------------------------------------------------------------------------------


class VenueIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    grid_id: int
    kind: Literal["village_square", "community_hall", "other"] = "village_square"
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""
    capacity: int | None = None
    #: Grids whose residents are the audience; the venue's own grid is always one.
    serves_grid_ids: list[int] = []
    #: The village or community whose show this venue gives ("一村一年一场戏" counts places, not venues).
    place_id: int | None = None


class VenueOut(msgspec.Struct):
    id: int
    name: str
    kind: str
    address: str
    capacity: int | None
    grid_id: int
    serves_grid_ids: list[int]
    place_id: int | None = None


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
    #: Yuan; default: the setting subsidy_per_show_yuan (none by default: 0 until recorded).
    subsidy: Decimal | None = None


class ShowPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """A reschedule: reminders not yet sent are replanned for the new time."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None


class SampleIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The audience sample asked after the show: how many answered 满意, 基本满意 and 不满意."""

    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0


class ShowRecordIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What happened: attendance and short feedback, the committee's confirmation, the subsidy paid."""

    attendance: int
    satisfaction: Satisfaction | None = None
    feedback: Annotated[str, msgspec.Meta(max_length=200)] = ""
    #: Who signed for the village or residents' committee (村委签字确认).
    confirmed_by: Annotated[str, msgspec.Meta(max_length=64)] = ""
    subsidy: Decimal | None = None
    #: The audience sample for the 满意率; at most the attendance.
    sample: SampleIn | None = None


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
    #: The audience sample: asked, and their answers; ``satisfaction_rate`` = (满意 + 基本满意) ÷ asked.
    sample_size: int | None = None
    sample_satisfied: int | None = None
    sample_basically_satisfied: int | None = None
    sample_unsatisfied: int | None = None
    satisfaction_rate: float | None = None
    cancel_kind: str = ""


class CancelIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    #: Called off for the weather: the audience is told at once (a notice), not just left unreminded.
    weather: bool = False


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
    #: "一村一年一场戏": villages (and 村改居 communities) and those with at least shows_per_village_per_year shows
    #: delivered; coverage = covered ÷ villages (None without villages).
    villages: int = 0
    villages_covered: int = 0
    village_coverage: float | None = None
    #: 戏曲进乡村 where the community has villages, else 戏曲进社区.
    programme: str = "戏曲进社区"
    #: The audience samples of the year's shows: asked, and 满意率 = (满意 + 基本满意) ÷ asked (None without a sample).
    sampled: int = 0
    satisfaction_rate: float | None = None


class CultureStreetSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The street's settings of 戏曲进乡村, kept once for the street (``Scenario.street_settings``)."""

    #: Shows the street (the 乡镇/街道) should hold in a year, across its communities: Jiangsu 2023, each 乡镇 at least 4
    #: performances a year (domain-rules §8 [V]; another province's quota: Shandong counts per village, see
    #: ``shows_per_village_per_year``). The street sets its own from its 送戏下乡 plan.
    shows_per_year: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.shows_per_year <= 10000:
            raise ValueError("shows_per_year must be between 1 and 10000")


class StreetCommunityMonthOut(msgspec.Struct):
    """One community's shows of the month: held (recorded), their audience and subsidy, cancelled."""

    slug: str
    name: str
    shows_delivered: int
    audience: int
    subsidy: str
    shows_cancelled: int


class StreetMonthOut(msgspec.Struct):
    """The street's monthly report of 戏曲进乡村: the month across communities, and the year's progress to the target.

    ``expected_to_date`` is the target pro rata to the end of the month (rounded up); ``on_track`` when the shows held in
    the year up to the month's end reach it.
    """

    year: int
    month: int
    target: int
    delivered_to_date: int
    expected_to_date: int
    on_track: bool
    shows_delivered: int
    audience: int
    subsidy: str
    shows_cancelled: int
    communities: list[StreetCommunityMonthOut]
    #: shows held in each month of the year up to this one, January first
    per_month: list[int]
