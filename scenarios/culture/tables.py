"""The culture scenario's tables: troupes and their repertoire, venues tied to grids, tour plans and their shows."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.tables import Community, Grid, Staff


class Troupe(Table, tablename="culture_troupe"):
    """剧团 a troupe that performs: a state troupe (省/市/县级院团) or a folk one (民间剧团, 戏迷票友会)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    #: ``province`` 省级, ``city`` 市级, ``district`` 区级 (济阳 has been a district since 2018), ``county`` 县级 or ``folk``.
    level = Varchar(length=16, default="county")
    contact_name = Varchar(length=64, default="")
    #: E.164; shown masked only.
    contact_phone = Varchar(length=20, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Play(Table, tablename="culture_play"):
    """A 剧目 in a troupe's repertoire, with its 剧种 (genre: 吕剧, 京剧, 豫剧 …)."""

    troupe = ForeignKey(Troupe, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=100)
    genre = Varchar(length=32)
    duration_minutes = Integer()
    description = Text(default="")


class Place(Table, tablename="culture_place"):
    """A place counted by "一村一年一场戏": a village (行政村), a 村改居 community (a former village now a residents'
    committee), or an urban community (城市社区, where the programme is called 戏曲进社区). Venues belong to one."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    #: ``village``, ``cungaiju`` (村改居) or ``urban``.
    kind = Varchar(length=16, default="village")
    created_at = Timestamptz(default=TimestamptzNow())


class Venue(Table, tablename="culture_venue"):
    """A place for shows — a village square (文体广场) or a community hall (综合文化服务中心) — in one grid.

    Its audience is the residents of the grids it serves (``VenueGrid``), its own among them.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    #: ``village_square``, ``community_hall`` or ``other``.
    kind = Varchar(length=20, default="village_square")
    address = Varchar(length=200, default="")
    capacity = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    #: The village or community (``Place``) whose show this venue gives; None: not yet said.
    place = Integer(null=True, default=None, index=True)


class VenueGrid(Table, tablename="culture_served_grid"):
    """A grid whose residents a venue's shows are for. Unique per (venue, grid)."""

    venue = ForeignKey(Venue, on_delete=OnDelete.cascade, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, index=True)


class TourPlan(Table, tablename="culture_plan"):
    """巡演计划 a tour plan: a season of shows, bought as one procurement lot (政府购买公共文化服务)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    season_start = Date()
    season_end = Date()
    procurement_lot = Varchar(length=100, default="")
    #: Who is asked for the attendance count the morning after each show.
    organiser = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Show(Table, tablename="culture_show"):
    """One show of a tour plan: a troupe plays a 剧目 at a venue; a kernel activity reminds its audience.

    After the show its record (domain-rules §8): attendance, satisfaction and a short feedback,
    the village or residents' committee's confirmation (村委签字确认), the subsidy paid.
    ``status``: ``scheduled`` → ``delivered`` (record entered) | ``cancelled``.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    plan = ForeignKey(TourPlan, on_delete=OnDelete.restrict, index=True)
    venue = ForeignKey(Venue, on_delete=OnDelete.restrict, index=True)
    #: The venue's grid, for scope.
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, index=True)
    troupe = ForeignKey(Troupe, on_delete=OnDelete.restrict, index=True)
    play = ForeignKey(Play, on_delete=OnDelete.restrict)
    #: Local date of the show, for counting per year.
    day = Date(index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz(index=True)
    elders_first = Boolean(default=False)
    status = Varchar(length=16, default="scheduled", index=True)
    cancel_reason = Text(default="")
    activity = Integer(index=True)
    elders_activity = Integer(null=True, default=None)
    subsidy_fen = Integer(default=0)
    attendance = Integer(null=True, default=None)
    #: ``satisfied`` (满意), ``basically_satisfied`` (基本满意) or ``unsatisfied`` (不满意).
    satisfaction = Varchar(length=24, default="")
    feedback = Varchar(length=200, default="")
    confirmed_by = Varchar(length=64, default="")
    recorded_by = Varchar(length=100, default="")
    recorded_at = Timestamptz(null=True, default=None)
    attendance_asked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    #: The audience sample asked after the show (满意率): how many were asked and their answers.
    sample_size = Integer(null=True, default=None)
    satisfied_count = Integer(null=True, default=None)
    basically_count = Integer(null=True, default=None)
    unsatisfied_count = Integer(null=True, default=None)
    #: Why a cancelled show was cancelled: ``weather`` (told to the audience) or ``other``.
    cancel_kind = Varchar(length=16, default="")


TABLES: list[type[Table]] = [Troupe, Play, Venue, VenueGrid, TourPlan, Show, Place]
