"""Tables of the register: communities and their brands, the grid register, residents, departments, scenarios switched on,
and the working calendar's data (official schedules per year, the street's overrides)."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Community(Table, tablename="meihao_community"):
    """社区 community: one brand (一社区一品牌) and its own set of enabled scenarios."""

    slug = Varchar(length=64, unique=True, index=True)
    name = Varchar(length=100)
    brand_name = Varchar(length=100, default="")
    brand_slogan = Text(default="")
    timezone = Varchar(length=64, default="Asia/Shanghai")
    created_at = Timestamptz(default=TimestamptzNow())


class Grid(Table, tablename="meihao_grid"):
    """网格 grid (often one 小区 residential compound) inside a community."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    code = Varchar(length=32)
    name = Varchar(length=100)


class Building(Table, tablename="meihao_building"):
    """楼院 building or courtyard inside a grid."""

    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    address = Varchar(length=200, default="")


class Household(Table, tablename="meihao_household"):
    """户 household: a dwelling in a building."""

    building = ForeignKey(Building, on_delete=OnDelete.restrict, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    unit = Varchar(length=16, default="")
    room = Varchar(length=16)


class Resident(Table, tablename="meihao_resident"):
    """居民 resident. Where they live (community, grid, building) is copied from the household
    so that scoped and filtered queries stay single-table SQL; moving household rewrites it."""

    household = ForeignKey(Household, on_delete=OnDelete.restrict, index=True)
    building = ForeignKey(Building, on_delete=OnDelete.restrict, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=64)
    gender = Varchar(length=8)
    birth_date = Date(index=True)
    # The ID-card number is personal data: encrypted at rest, looked up by a keyed hash,
    # shown masked by its last four characters.
    id_card_cipher = Text()
    id_card_hash = Varchar(length=64, unique=True)
    id_card_last4 = Varchar(length=4)
    phone = Varchar(length=20, default="")
    preferred_language = Varchar(length=8, default="zh")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    #: 人口类型 residence status (户籍 registered, 常住 permanent, 流动 floating, 人户分离 separated; "" not recorded):
    #: :mod:`meihao.register.categories`.
    residence_status = Varchar(length=16, default="", index=True)
    #: 与户主关系 relation to the head of household (GB/T 4761 groups: head, spouse, child …; "" not recorded).
    relation_to_head = Varchar(length=16, default="")


class ResidentTag(Table, tablename="meihao_resident_tag"):
    """A tag on a resident (elder, living_alone, party_member, …); one row per (resident, tag)."""

    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, index=True)
    tag = Varchar(length=32, index=True)


class Department(Table, tablename="meihao_department"):
    """部门 a street-level department (law enforcement, justice, health, …) that staff are sent from."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=100)
    kind = Varchar(length=32, default="")


class CommunityScenario(Table, tablename="meihao_community_scenario"):
    """A scenario switched on (or off again) for one community, with its validated settings."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    scenario = Varchar(length=64, index=True)
    enabled = Boolean(default=True)
    settings = JSON(default="{}")
    changed_at = Timestamptz(default=TimestamptzNow())
    # Counts switch-ons, so hooks and audits can tell one enabling period from the next.
    generation = Integer(default=1)


class StreetScenarioSettings(Table, tablename="meihao_street_settings"):
    """A scenario's street settings (``Scenario.street_settings``): one row per scenario, stored once for the street."""

    scenario = Varchar(length=64, unique=True)
    settings = JSON(default="{}")
    changed_at = Timestamptz(default=TimestamptzNow())


class CalendarYear(Table, tablename="meihao_calendar_year"):
    """One year's official schedule is loaded (its days are in CalendarDay); loading it again replaces both."""

    year = Integer(unique=True)
    #: Where the schedule comes from: the State Council notice, a file, or the package that seeded it.
    source = Text(default="")
    loaded_at = Timestamptz(default=TimestamptzNow())


class CalendarDay(Table, tablename="meihao_calendar_day"):
    """A day of the official schedule: a holiday (法定节假日/放假) or a make-up workday (调休上班)."""

    year = Integer(index=True)
    day = Date(unique=True)
    kind = Varchar(length=16)  # holiday | workday
    name = Varchar(length=100, default="")


class CalendarOverride(Table, tablename="meihao_calendar_override"):
    """The street's decision about one day, for every community (community NULL) or one:
    closed (a typhoon, a local holiday) or open (an extra working day)."""

    day = Date(index=True)
    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    open = Boolean(default=False)
    reason = Text(default="")
    created_by = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())


REGISTER_TABLES: list[type[Table]] = [
    Community,
    Grid,
    Building,
    Household,
    Resident,
    ResidentTag,
    Department,
    CommunityScenario,
    StreetScenarioSettings,
    CalendarYear,
    CalendarDay,
    CalendarOverride,
]
