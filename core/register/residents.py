"""Residents (居民): validated registration, filtered lists, moves between households; masked output."""

from __future__ import annotations

import functools
import operator
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from piccolo.columns.combination import Where
from piccolo.query import Select

from meihao.access.audit import audit
from meihao.access.principals import SYSTEM, Principal
from meihao.config import DEFAULT_SENSITIVE_TAGS
from meihao.db.database import icontains
from meihao.db.paging import page_size_for, paginate
from meihao.errors import Conflict, Forbidden, InvalidInput, NotFound
from meihao.privacy import mask_id_card, mask_phone, normalise_id_card, normalise_phone
from meihao.register.communities import get_community, get_household
from meihao.register.schemas import ResidentIn, ResidentPatch
from meihao.register.sheet import GENDER_WORDS, HEADERS
from meihao.register.tables import Community, Resident, ResidentTag

if TYPE_CHECKING:
    from meihao.runtime import Meihao

try:  # the PostgreSQL driver's unique-violation error, when it is installed
    from asyncpg.exceptions import UniqueViolationError
except ImportError:  # pragma: no cover
    UniqueViolationError = sqlite3.IntegrityError  # type: ignore[misc,assignment]

UNIQUE_VIOLATIONS = (sqlite3.IntegrityError, UniqueViolationError)

#: The oldest age the resident filters accept.
MAX_AGE = 150

OUT_COLUMNS = (
    Resident.id,
    Resident.name,
    Resident.gender,
    Resident.birth_date,
    Resident.id_card_last4,
    Resident.phone,
    Resident.preferred_language,
    Resident.community.slug.as_alias("community_slug"),
    Resident.community.timezone.as_alias("community_timezone"),
    Resident.grid,
    Resident.building,
    Resident.household,
)


#: The permission that shows residents' sensitive tags (PIPL art. 28) and lets one filter or set them.
SENSITIVE_READ = "meihao.resident.sensitive.read"


def sensitive_tags(mh: Meihao | None) -> frozenset[str]:
    """The tags configured as sensitive (``sensitive_tags``; the default list without a runtime)."""
    return frozenset(mh.settings.sensitive_tags if mh is not None else DEFAULT_SENSITIVE_TAGS)


def visible_tags(tags: list[str], sensitive: frozenset[str], principal: Principal) -> list[str]:
    """``tags`` as ``principal`` may see them: sensitive ones are omitted (not masked) without
    ``meihao.resident.sensitive.read``, so an answer does not even tell that one was there."""
    return tags if principal.can(SENSITIVE_READ) else [t for t in tags if t not in sensitive]


def check_sensitive_tags(tags: list[str] | None, sensitive: frozenset[str], principal: Principal, field: str = "tags") -> None:
    """403 when a non-holder filters on or sets a sensitive tag (a filter would list exactly who has it)."""
    if tags and not principal.can(SENSITIVE_READ):
        named = sorted(set(tags) & sensitive)
        if named:
            raise Forbidden(f"{field}: {', '.join(named)} is sensitive; you need the permission {SENSITIVE_READ!r}", field=field)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def today_in(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


@dataclass
class ResidentFilter:
    """Filters of the resident list; all optional, combined with AND."""

    community: str | None = None
    grid_id: int | None = None
    building_id: int | None = None
    household_id: int | None = None
    tag: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    name: str | None = None

    async def where(self, default_timezone: str) -> list[Where]:
        clauses: list[Any] = []
        timezone = default_timezone
        if self.community is not None:
            community = await get_community(self.community)
            timezone = community["timezone"]
            clauses.append(Resident.community == community["id"])
        if self.grid_id is not None:
            clauses.append(Resident.grid == self.grid_id)
        if self.building_id is not None:
            clauses.append(Resident.building == self.building_id)
        if self.household_id is not None:
            clauses.append(Resident.household == self.household_id)
        if self.tag is not None:
            clauses.append(Resident.id.is_in(ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == self.tag)))
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise InvalidInput("min_age: must not be greater than max_age", field="min_age")
        for name, age in (("min_age", self.min_age), ("max_age", self.max_age)):
            if age is not None and not 0 <= age <= MAX_AGE:
                raise InvalidInput(f"{name}: must be between 0 and {MAX_AGE}", field=name)
        if self.min_age is not None or self.max_age is not None:
            clauses.append(self.age_clause({timezone: None} if self.community is not None else await all_zones()))
        if self.name:
            clauses.append(icontains(Resident.name, self.name))
        return clauses

    def age_clause(self, zones: dict[str, list[int] | None]) -> Any:
        """The residents aged ``min_age``..``max_age``: a birthday counts from midnight where the resident lives, so one
        birth-date range per time zone of ``zones`` (zone -> its communities' ids, None: whatever the community)."""
        ranges = [self._birth_range(today_in(zone), ids) for zone, ids in zones.items()]
        return functools.reduce(operator.or_, ranges) if ranges else Resident.id.is_null()

    def _birth_range(self, today: date, community_ids: list[int] | None) -> Any:
        parts: list[Any] = [] if community_ids is None else [Resident.community.is_in(community_ids)]
        if self.min_age is not None:
            parts.append(Resident.birth_date <= shift_years(today, self.min_age))
        if self.max_age is not None:
            # born after the day they would have turned max_age + 1
            parts.append(Resident.birth_date > shift_years(today, self.max_age + 1))
        return functools.reduce(operator.and_, parts)


async def all_zones() -> dict[str, list[int] | None]:
    """Each time zone of the communities, with the ids of its communities."""
    zones: dict[str, list[int] | None] = {}
    for row in await Community.select(Community.id, Community.timezone):
        zones.setdefault(row["timezone"], []).append(row["id"])  # type: ignore[union-attr]
    return zones


async def _tags_of(resident_ids: list[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {i: [] for i in resident_ids}
    if resident_ids:
        rows = await ResidentTag.select(ResidentTag.resident, ResidentTag.tag).where(ResidentTag.resident.is_in(resident_ids)).order_by(ResidentTag.tag)
        for row in rows:
            tags[row["resident"]].append(row["tag"])
    return tags


def _present(row: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "gender": row["gender"],
        "birth_date": row["birth_date"],
        "age": age_on(row["birth_date"], today_in(row["community_timezone"])),
        "id_card": mask_id_card(row["id_card_last4"]),
        "phone": mask_phone(row["phone"]),
        "tags": tags,
        "preferred_language": row["preferred_language"],
        "community": row["community_slug"],
        "grid_id": row["grid"],
        "building_id": row["building"],
        "household_id": row["household"],
    }


def resident_select() -> Select:
    return Resident.select(*OUT_COLUMNS)


async def list_residents(
    mh: Meihao, filters: ResidentFilter, page: int, page_size: int | None, principal: Principal = SYSTEM
) -> dict[str, Any]:
    """One page of residents the caller may see, filtered in SQL (scope included); sensitive tags only for holders."""
    page_size_for(mh, page, page_size)  # bad paging fails before the filters are looked up
    sensitive = sensitive_tags(mh)
    check_sensitive_tags([filters.tag] if filters.tag else None, sensitive, principal, "tag")
    clauses = await filters.where(mh.settings.default_timezone) + principal.residents_where()
    query = resident_select().order_by(Resident.id)
    result = await paginate(mh, query.where(*clauses) if clauses else query, page=page, page_size=page_size)
    tags = await _tags_of([r["id"] for r in result.rows])
    return {"items": [_present(r, visible_tags(tags[r["id"]], sensitive, principal)) for r in result.rows], "total": result.total, "page": page, "page_size": result.page_size}


async def get_resident(resident_id: int, principal: Principal = SYSTEM, mh: Meihao | None = None, *, audit_read: bool = False) -> dict[str, Any]:
    """One resident, masked; outside the caller's scope exactly as missing (404).

    Sensitive tags are shown only to holders of ``meihao.resident.sensitive.read``; with ``audit_read``
    (the detail route) a holder's read of a resident who has any is written to the audit log
    (``resident.sensitive.read``, one row per request).
    """
    row = await resident_select().where(Resident.id == resident_id, *principal.residents_where()).first()
    if row is None:
        raise NotFound(f"resident {resident_id} not found")
    sensitive = sensitive_tags(mh)
    tags = (await _tags_of([resident_id]))[resident_id]
    shown = visible_tags(tags, sensitive, principal)
    read = sorted(set(shown) & sensitive)
    if audit_read and read:
        community = await Resident.select(Resident.community).where(Resident.id == resident_id).first()
        await audit(principal, "resident.sensitive.read", "resident", resident_id, community_id=community["community"],
                    detail={"via": "detail", "tags": read})
    return _present(row, shown)


def _check_birth_matches(id_card: str, birth_date: date) -> None:
    from stdnum.cn import ric

    if ric.get_birth_date(id_card) != birth_date:
        raise InvalidInput("birth_date: does not match the birth date in the ID-card number", field="birth_date")
    if birth_date > today_in("Etc/GMT-14"):  # later than today anywhere on Earth
        raise InvalidInput("birth_date: is in the future", field="birth_date")


def _check_gender_matches(id_card: str, gender: str) -> None:
    # GB 11643: the 17th character is odd for men, even for women.
    if ("male" if int(id_card[16]) % 2 else "female") != gender:
        raise InvalidInput(f"gender: does not match the ID-card number (its 17th digit is {'odd' if gender == 'female' else 'even'})", field="gender")


def _clean_name(name: str) -> str:
    if not name.strip():
        raise InvalidInput("name: must not be blank", field="name")
    return name.strip()


async def create_resident(mh: Meihao, data: ResidentIn, principal: Principal = SYSTEM) -> dict[str, Any]:
    check_sensitive_tags(data.tags, sensitive_tags(mh), principal)
    id_card = normalise_id_card(data.id_card)
    _check_birth_matches(id_card, data.birth_date)
    _check_gender_matches(id_card, data.gender)
    name = _clean_name(data.name)
    phone = normalise_phone(data.phone) if data.phone else ""
    household = await get_household(data.household_id, principal)
    id_hash = mh.codec.lookup_hash(id_card)
    if await Resident.exists().where(Resident.id_card_hash == id_hash):
        raise Conflict("id_card: a resident with this ID-card number is already registered", field="id_card")
    resident = Resident(
        household=household["id"],
        building=household["building"],
        grid=household["grid"],
        community=household["community"],
        name=name,
        gender=data.gender,
        birth_date=data.birth_date,
        id_card_cipher=mh.codec.encrypt(id_card),
        id_card_hash=id_hash,
        id_card_last4=id_card[-4:],
        phone=phone,
        preferred_language=data.preferred_language,
    )
    try:
        async with mh.db.transaction():
            await resident.save()
            if data.tags:
                await ResidentTag.insert(*[ResidentTag(resident=resident.id, tag=t) for t in sorted(set(data.tags))])
            await audit(principal, "resident.create", "resident", resident.id, community_id=household["community"])
    except UNIQUE_VIOLATIONS as err:  # a concurrent registration of the same number won the race
        raise Conflict("id_card: a resident with this ID-card number is already registered", field="id_card") from err
    return await get_resident(resident.id, principal, mh)


async def _in_scope(resident_id: int, principal: Principal) -> dict[str, Any]:
    row = await Resident.select(Resident.id, Resident.id_card_cipher, Resident.phone, Resident.community).where(
        Resident.id == resident_id, *principal.residents_where()
    ).first()
    if row is None:
        raise NotFound(f"resident {resident_id} not found")
    return row


def _id_card(mh: Meihao, current: dict[str, Any]) -> str:
    if not current["id_card_cipher"]:  # erased at the resident's request (meihao.register.rights)
        raise Conflict(f"resident {current['id']} was erased: no ID-card number is held", field="id_card")
    return mh.codec.decrypt(current["id_card_cipher"])


async def update_resident(mh: Meihao, resident_id: int, patch: ResidentPatch, principal: Principal = SYSTEM) -> dict[str, Any]:
    sensitive = sensitive_tags(mh)
    check_sensitive_tags(patch.tags, sensitive, principal)
    current = await _in_scope(resident_id, principal)
    values: dict[Any, Any] = {}
    if patch.name is not None:
        values[Resident.name] = _clean_name(patch.name)
    if patch.gender is not None:
        _check_gender_matches(_id_card(mh, current), patch.gender)
        values[Resident.gender] = patch.gender
    if patch.birth_date is not None:
        _check_birth_matches(_id_card(mh, current), patch.birth_date)
        values[Resident.birth_date] = patch.birth_date
    if patch.phone is not None:
        values[Resident.phone] = normalise_phone(patch.phone) if patch.phone else ""
    if patch.preferred_language is not None:
        values[Resident.preferred_language] = patch.preferred_language
    async with mh.db.transaction():
        if values:
            values[Resident.updated_at] = datetime.now().astimezone()
            await Resident.update(values).where(Resident.id == resident_id)
        if patch.tags is not None:
            # A non-holder replaces only the tags they can see: the sensitive ones stay as they were.
            kept = ResidentTag.resident == resident_id
            if not principal.can(SENSITIVE_READ):
                kept = kept & ResidentTag.tag.not_in(sorted(sensitive) or [""])
            await ResidentTag.delete().where(kept)
            if patch.tags:
                await ResidentTag.insert(*[ResidentTag(resident=resident_id, tag=t) for t in sorted(set(patch.tags))])
        changed = [f for f in patch.__struct_fields__ if getattr(patch, f) is not None]
        await audit(principal, "resident.update", "resident", resident_id, community_id=current["community"], detail={"fields": changed})
    return await get_resident(resident_id, principal, mh)


async def move_resident(mh: Meihao, resident_id: int, household_id: int, principal: Principal = SYSTEM) -> dict[str, Any]:
    """Move to another household; the caller must reach both the resident and the new household."""
    current = await _in_scope(resident_id, principal)
    household = await get_household(household_id, principal)
    async with mh.db.transaction():
        await Resident.update(
            {
                Resident.household: household["id"],
                Resident.building: household["building"],
                Resident.grid: household["grid"],
                Resident.community: household["community"],
                Resident.updated_at: datetime.now().astimezone(),
            }
        ).where(Resident.id == resident_id)
        await audit(
            principal, "resident.move", "resident", resident_id, community_id=household["community"],
            detail={"from_community": current["community"], "to_household": household["id"]},
        )
    return await get_resident(resident_id, principal, mh)


async def delete_resident(mh: Meihao, resident_id: int, principal: Principal = SYSTEM) -> None:
    current = await _in_scope(resident_id, principal)
    async with mh.db.transaction():
        await ResidentTag.delete().where(ResidentTag.resident == resident_id)
        await Resident.delete().where(Resident.id == resident_id)
        await audit(principal, "resident.delete", "resident", resident_id, community_id=current["community"])


REVEALABLE = ("id_card", "phone")


async def reveal(mh: Meihao, resident_id: int, field: str, reason: str, principal: Principal) -> str:
    """Show one field of one resident unmasked; the caller needs ``meihao.resident.reveal`` and a reason.

    The reveal is written to the audit log before the value is returned.
    """
    principal.require("meihao.resident.reveal")
    if field not in REVEALABLE:
        raise InvalidInput(f"field: must be one of {', '.join(REVEALABLE)}", field="field")
    if len(reason.strip()) < mh.settings.reveal_reason_min_length:
        raise InvalidInput(f"reason: say why, in at least {mh.settings.reveal_reason_min_length} characters", field="reason")
    current = await _in_scope(resident_id, principal)
    value = _id_card(mh, current) if field == "id_card" else current["phone"]
    await audit(principal, "resident.reveal", "resident", resident_id, community_id=current["community"], reason=reason.strip(), detail={"field": field})
    return value


EXPORT_COLUMNS = (
    Resident.id,
    Resident.name,
    Resident.gender,
    Resident.birth_date,
    Resident.id_card_last4,
    Resident.phone,
    Resident.community.name.as_alias("community_name"),
    Resident.grid.name.as_alias("grid_name"),
    Resident.building.name.as_alias("building_name"),
    Resident.household.unit.as_alias("unit"),
    Resident.household.room.as_alias("room"),
)


async def export_rows(mh: Meihao, filters: ResidentFilter, principal: Principal) -> AsyncIterator[list[Any]]:
    """The residents in scope matching ``filters`` as spreadsheet rows under the register's Chinese headers (姓名,
    性别 男/女, 网格, 楼栋, 单元, 房号 …: :data:`meihao.register.sheet.HEADERS`, the import template's, so that an
    export can be imported again once its masked numbers are filled in): ID-card and phone numbers masked, sensitive
    tags only for holders. Fetched in pages, scope in SQL; the caller audits the export (:func:`audit_export`)."""
    sensitive = sensitive_tags(mh)
    check_sensitive_tags([filters.tag] if filters.tag else None, sensitive, principal, "tag")
    clauses = await filters.where(mh.settings.default_timezone) + principal.residents_where()
    yield list(HEADERS)
    last_id = 0
    while True:
        rows = await Resident.select(*EXPORT_COLUMNS).where(Resident.id > last_id, *clauses).order_by(Resident.id).limit(1000)
        if not rows:
            return
        tags = await _tags_of([r["id"] for r in rows])
        for r in rows:
            yield [
                r["name"], GENDER_WORDS.get(r["gender"], r["gender"]), r["birth_date"].isoformat(), mask_id_card(r["id_card_last4"]),
                mask_phone(r["phone"]), r["community_name"], r["grid_name"], r["building_name"], r["unit"], r["room"],
                " ".join(visible_tags(tags[r["id"]], sensitive, principal)),
            ]
        last_id = rows[-1]["id"]


# -- lists: counts per filter value, bulk tagging, the export's audit ------------------


async def _matching(mh: Meihao, filters: ResidentFilter, principal: Principal) -> list[Any]:
    """The WHERE clauses of residents in the caller's scope matching ``filters`` (a sensitive tag filter needs the permission)."""
    check_sensitive_tags([filters.tag] if filters.tag else None, sensitive_tags(mh), principal, "tag")
    return await filters.where(mh.settings.default_timezone) + principal.residents_where()


async def count_residents(mh: Meihao, filters: ResidentFilter, principal: Principal) -> int:
    """How many residents in the caller's scope match ``filters``."""
    return await Resident.count().where(*await _matching(mh, filters, principal))


#: What the resident lists count per value: the column each facet groups by.
FACETS = ("community", "grid", "building", "household", "tag")


async def facet_counts(mh: Meihao, filters: ResidentFilter, principal: Principal, facet: str) -> dict[Any, int]:
    """Residents in scope matching ``filters`` counted per value of ``facet`` (community, grid, building or
    household id, or tag); the filter of that facet itself is left out, so that each value says what choosing it would
    give. Tags the caller may not see (sensitive ones without the permission) are not counted."""
    from piccolo.query.functions.aggregate import Count

    if facet not in FACETS:
        raise ValueError(f"facet: one of {', '.join(FACETS)}")
    others = ResidentFilter(**{
        **vars(filters),
        "community": None if facet == "community" else filters.community,
        "grid_id": None if facet == "grid" else filters.grid_id,
        "building_id": None if facet == "building" else filters.building_id,
        "household_id": None if facet == "household" else filters.household_id,
        "tag": None if facet == "tag" else filters.tag,
    })
    clauses = await _matching(mh, others, principal)
    if facet == "tag":
        query = ResidentTag.select(ResidentTag.tag.as_alias("value"), Count(ResidentTag.id).as_alias("n")).where(
            # nothing limits the residents (the street, no filter): every tag of a resident, without listing them all
            ResidentTag.resident.is_in(Resident.select(Resident.id).where(*clauses)) if clauses else ResidentTag.resident.is_not_null()
        )
        if not principal.can(SENSITIVE_READ):
            query = query.where(ResidentTag.tag.not_in(sorted(sensitive_tags(mh)) or [""]))
        query = query.group_by(ResidentTag.tag)
    else:
        column = {"community": Resident.community, "grid": Resident.grid, "building": Resident.building, "household": Resident.household}[facet]
        query = Resident.select(column.as_alias("value"), Count(Resident.id).as_alias("n"))
        query = (query.where(*clauses) if clauses else query).group_by(column)
    return {row["value"]: row["n"] for row in await query}


async def age_band_counts(mh: Meihao, filters: ResidentFilter, principal: Principal, bands: list[tuple[int, int | None]]) -> list[int]:
    """For each age band ``(min, max)`` (``max`` None: and older), how many residents in scope match ``filters`` with that age instead of theirs.

    One ``COUNT`` per band, each a range search of the (community, birth_date) index; the other filters and the
    communities' time zones are read once for all the bands."""
    others = ResidentFilter(**{**vars(filters), "min_age": None, "max_age": None})
    clauses = await _matching(mh, others, principal)
    if filters.community is not None:
        zones: dict[str, list[int] | None] = {(await get_community(filters.community))["timezone"]: None}
    else:
        zones = await all_zones()
    return [await Resident.count().where(*clauses, ResidentFilter(min_age=low, max_age=high).age_clause(zones)) for low, high in bands]


async def tag_matching(mh: Meihao, filters: ResidentFilter, tag: str, *, add: bool, principal: Principal, dry_run: bool = False) -> int:
    """Add ``tag`` to (or remove it from) every resident in the caller's scope matching ``filters``, in SQL;
    answers how many residents changed (with ``dry_run``: would change). Needs ``meihao.resident.write``;
    a sensitive tag needs ``meihao.resident.sensitive.read`` as well. One audit row (``resident.bulk_tag``)."""
    import re

    principal.require("meihao.resident.write")
    tag = tag.strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", tag):
        raise InvalidInput("tag: lower-case letters, digits and _, starting with a letter, at most 32 (elder, living_alone)", field="tag")
    check_sensitive_tags([tag], sensitive_tags(mh), principal, "tag")
    clauses = await _matching(mh, filters, principal)
    matching = Resident.select(Resident.id).where(*clauses) if clauses else Resident.select(Resident.id)
    tagged = ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == tag)
    if add:
        changing = Resident.count().where(*clauses, Resident.id.not_in(tagged))
    else:
        changing = ResidentTag.count().where(ResidentTag.tag == tag, ResidentTag.resident.is_in(matching))
    if dry_run:
        return await changing
    async with mh.db.transaction():
        if add:
            ids = [r["id"] for r in await Resident.select(Resident.id).where(*clauses, Resident.id.not_in(tagged)).order_by(Resident.id)]
            for start in range(0, len(ids), 500):
                await ResidentTag.insert(*[ResidentTag(resident=i, tag=tag) for i in ids[start:start + 500]])
            changed = len(ids)
        else:
            changed = len(await ResidentTag.delete().where(ResidentTag.tag == tag, ResidentTag.resident.is_in(matching)).returning(ResidentTag.id))
        asked = {k: v for k, v in vars(filters).items() if v is not None}
        await audit(principal, "resident.bulk_tag", "resident", "", detail={"tag": tag, "add": add, "changed": changed, "filter": asked})
    return changed


async def audit_export(mh: Meihao, filters: ResidentFilter, principal: Principal, **extra: Any) -> None:
    """Write the audit rows of an export of residents: ``resident.export``, and for holders of
    ``meihao.resident.sensitive.read`` the reading of the sensitive tags it includes (a second row)."""
    asked = {**{k: v for k, v in vars(filters).items() if v is not None}, **extra}
    await audit(principal, "resident.export", "resident", "", detail=asked)
    if principal.can(SENSITIVE_READ):
        await audit(principal, "resident.sensitive.read", "resident", "", detail={"via": "export", **asked})
