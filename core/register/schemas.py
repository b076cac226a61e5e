"""API shapes of the register (msgspec Structs): what comes in, validated, and what goes out, masked."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from meihao.db.paging import Page as Page  # the kernel's routes import it from here
from meihao.hooks.declarations import Language
from meihao.register.categories import RelationToHead, ResidenceStatus

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]{1,62}$", description="lower-case letters, digits and -")]

#: A row id: a 64-bit integer, so a bigger number is a 400 naming the field, not a database error.
Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]

Tag = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
#: A resident carries a handful of tags (elder, disabled, low_income…), never thousands.
MAX_TAGS = 30

Gender = Literal["male", "female"]


class CommunityInfo(msgspec.Struct, frozen=True):
    """社区 one community as hooks, jobs and routes receive it: who it is, its brand and its time zone.

    ``community["id"]`` (the dict the hooks used to receive) still works for one release;
    write ``community.id``.
    """

    id: int
    slug: str
    name: str
    brand_name: str = ""
    brand_slogan: str = ""
    timezone: str = "Asia/Shanghai"

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone (``timezone``) as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CommunityInfo:
        """From a ``meihao_community`` row (extra columns are ignored)."""
        return cls(**{name: row[name] for name in cls.__struct_fields__ if name in row})

    # -- deprecated: the community used to be the row's dict. Kept for one release, so that
    # ``community["id"]``, ``community.get(...)``, ``dict(community)`` and a route parameter still
    # annotated ``NamedDependency[dict[str, Any]]`` (Litestar converts through ``keys``) work.

    def __getitem__(self, key: str) -> Any:
        if key not in self.__struct_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.__struct_fields__ else default

    def keys(self) -> tuple[str, ...]:
        return self.__struct_fields__


class CommunityIn(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    name: Name
    brand_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    brand_slogan: Annotated[str, msgspec.Meta(max_length=500)] = ""
    timezone: str | None = None


class CommunityPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    brand_name: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    brand_slogan: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    timezone: str | None = None


class CommunityOut(msgspec.Struct):
    id: int
    slug: str
    name: str
    brand_name: str
    brand_slogan: str
    timezone: str
    scenarios: list[str]


class GridIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    name: Name


class GridOut(msgspec.Struct):
    id: int
    community: str
    code: str
    name: str


class BuildingIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""


class BuildingOut(msgspec.Struct):
    id: int
    grid_id: int
    name: str
    address: str


class HouseholdIn(msgspec.Struct, forbid_unknown_fields=True):
    room: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    unit: Annotated[str, msgspec.Meta(max_length=16)] = ""


class HouseholdOut(msgspec.Struct):
    id: int
    building_id: int
    grid_id: int
    unit: str
    room: str


class ResidentIn(msgspec.Struct, forbid_unknown_fields=True):
    household_id: Id
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    gender: Gender
    birth_date: date
    id_card: str
    phone: str = ""
    tags: Annotated[list[Tag], msgspec.Meta(max_length=MAX_TAGS)] = []
    preferred_language: Language = "zh"
    #: 人口类型: registered 户籍, permanent 常住, floating 流动, separated 人户分离 ("" not recorded)
    residence_status: ResidenceStatus = ""
    #: 与户主关系 (GB/T 4761 groups); a household has at most one ``head``
    relation_to_head: RelationToHead = ""


class ResidentPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    phone: str | None = None
    tags: Annotated[list[Tag], msgspec.Meta(max_length=MAX_TAGS)] | None = None
    preferred_language: Language | None = None
    residence_status: ResidenceStatus | None = None
    relation_to_head: RelationToHead | None = None


class MoveIn(msgspec.Struct, forbid_unknown_fields=True):
    household_id: Id


class ResidentOut(msgspec.Struct):
    """A resident as every response shows them: ID-card and phone numbers masked."""

    id: int
    name: str
    gender: str
    birth_date: date
    age: int
    id_card: str
    phone: str
    tags: list[str]
    preferred_language: str
    community: str
    grid_id: int
    building_id: int
    household_id: int
    residence_status: str = ""
    relation_to_head: str = ""


class DepartmentIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
    name: Name
    kind: Annotated[str, msgspec.Meta(max_length=32)] = ""


class DepartmentOut(msgspec.Struct):
    id: int
    code: str
    name: str
    kind: str


class ScenarioOut(msgspec.Struct):
    name: str
    title_zh: str
    title_en: str
    scene: str
    version: str
    enabled: bool
    settings: dict[str, Any]


class PluginOut(msgspec.Struct):
    name: str
    version: str
    source: str
    essential: bool
    scene: str | None
    communities: list[str]


class PermissionOut(msgspec.Struct):
    name: str
    description: str
    roles: list[str]


class MetricOut(msgspec.Struct):
    scenario: str
    key: str
    title_zh: str
    title_en: str
    #: a count or a rate: ``float`` is OpenAPI's ``number``, which integers are too (``float | int``, a oneOf
    #: of number and integer, refused every integer, as it matched both)
    value: float


class RevealIn(msgspec.Struct, forbid_unknown_fields=True):
    field: Literal["id_card", "phone"]
    reason: Annotated[str, msgspec.Meta(max_length=500)]


class RevealOut(msgspec.Struct):
    resident_id: int
    field: str
    value: str


class StreetSettingsOut(msgspec.Struct):
    """A scenario's street settings (``Scenario.street_settings``): stored once for the street, defaults where unset."""

    scenario: str
    title_zh: str
    title_en: str
    settings: dict[str, Any]
