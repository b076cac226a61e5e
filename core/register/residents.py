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
from meihao.config import DEFAULT_SENSITIVE_TAGS, DEFAULT_SPECIAL_TAGS
from meihao.db.database import icontains
from meihao.db.paging import page_size_for, paginate
from meihao.errors import Conflict, Forbidden, InvalidInput, NotFound
from meihao.privacy import mask_id_card, mask_phone, normalise_id_card, normalise_phone
from meihao.register.categories import (
    ASSISTANCE_TAGS,
    ASSISTANCE_WORDS,
    RELATION_WORDS,
    RELATIONS,
    RESIDENCE_STATUSES,
    RESIDENCE_WORDS,
    SPECIAL_READ,
    SPECIAL_WORDS,
    assistance_conflict,
)
from meihao.register.communities import get_community, get_household
from meihao.register.schemas import ResidentIn, ResidentPatch
from meihao.register.sheet import GENDER_WORDS, export_columns
from meihao.register.tables import Community, Resident, ResidentTag

if TYPE_CHECKING:
    from meihao.runtime import Meihao

try:  # the PostgreSQL driver's unique- and foreign-key-violation errors, when it is installed
    from asyncpg.exceptions import ForeignKeyViolationError, UniqueViolationError
except ImportError:  # pragma: no cover
    UniqueViolationError = ForeignKeyViolationError = sqlite3.IntegrityError  # type: ignore[misc,assignment]

UNIQUE_VIOLATIONS = (sqlite3.IntegrityError, UniqueViolationError)
FOREIGN_KEY_VIOLATIONS = (sqlite3.IntegrityError, ForeignKeyViolationError)

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
    Resident.residence_status,
    Resident.relation_to_head,
)


#: The permission that shows residents' sensitive tags (PIPL art. 28) and lets one filter or set them.
SENSITIVE_READ = "meihao.resident.sensitive.read"


@dataclass(frozen=True)
class TagRules:
    """Which tags need which permission: the sensitive ones (``sensitive_tags``) ``meihao.resident.sensitive.read``,
    the special groups' (``special_tags``) ``meihao.resident.special.read``; a tag in both lists needs the special one."""

    sensitive: frozenset[str]
    special: frozenset[str]

    def hidden(self, principal: Principal) -> frozenset[str]:
        """The tags ``principal`` may not see, filter on or set."""
        hidden = frozenset() if principal.can(SENSITIVE_READ) else self.sensitive - self.special
        return hidden | (frozenset() if principal.can(SPECIAL_READ) else self.special)

    def permission(self, tag: str) -> str:
        return SPECIAL_READ if tag in self.special else SENSITIVE_READ


def tag_rules(mh: Meihao | None) -> TagRules:
    """The configured sensitive and special tags (the default lists without a runtime)."""
    if mh is None:
        return TagRules(frozenset(DEFAULT_SENSITIVE_TAGS), frozenset(DEFAULT_SPECIAL_TAGS))
    return TagRules(frozenset(mh.settings.sensitive_tags), frozenset(mh.settings.special_tags))


def visible_tags(tags: list[str], rules: TagRules, principal: Principal) -> list[str]:
    """``tags`` as ``principal`` may see them: sensitive ones are omitted (not masked) without
    ``meihao.resident.sensitive.read``, the special groups' without ``meihao.resident.special.read``, so an
    answer does not even tell that one was there."""
    hidden = rules.hidden(principal)
    return [t for t in tags if t not in hidden] if hidden else tags


def check_sensitive_tags(tags: list[str] | None, rules: TagRules, principal: Principal, field: str = "tags") -> None:
    """403 when a non-holder filters on or sets a sensitive or special tag (a filter would list exactly who has it)."""
    if tags:
        named = sorted(set(tags) & rules.hidden(principal))
        if named:
            permission = rules.permission(named[0])
            kind = "a special group's tag" if permission == SPECIAL_READ else "sensitive"
            raise Forbidden(f"{field}: {', '.join(named)} is {kind}; you need the permission {permission!r}", field=field)


def check_assistance(tags: list[str] | None, field: str = "tags") -> None:
    """400 when ``tags`` carry more than one of 低保 / 低保边缘 / 特困 (kept apart: a resident has at most one)."""
    both = assistance_conflict(tags or [])
    if both:
        raise InvalidInput(f"{field}: {' and '.join(both)} exclude each other (低保, 低保边缘 and 特困: at most one)", field=field)


async def check_one_head(household_id: int, resident_id: int | None = None) -> None:
    """409 when the household already has a head (户主) other than ``resident_id``: a household has at most one."""
    query = Resident.exists().where(Resident.household == household_id, Resident.relation_to_head == "head")
    if resident_id is not None:
        query = query.where(Resident.id != resident_id)
    if await query:
        raise Conflict(f"relation_to_head: household {household_id} already has a head (户主)", field="relation_to_head")


async def _audit_special(principal: Principal, rules: TagRules, shown: dict[int, list[str]], community_id: int | None, via: str) -> None:
    """One ``resident.special.read`` row for a request that showed special groups' tags (``shown``: resident id -> tags)."""
    read = {i: sorted(set(tags) & rules.special) for i, tags in shown.items()}
    read = {i: tags for i, tags in read.items() if tags}
    if not read:
        return
    if len(read) == 1 and via == "detail":
        ((resident_id, tags),) = read.items()
        await audit(principal, "resident.special.read", "resident", resident_id, community_id=community_id, detail={"via": via, "tags": tags})
    else:
        await audit(principal, "resident.special.read", "resident", "", community_id=community_id,
                    detail={"via": via, "residents": sorted(read), "tags": sorted({t for tags in read.values() for t in tags})})


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
    #: 人口类型 (registered, permanent, floating, separated) and 与户主关系 (head, spouse …); ``none``: not recorded
    residence_status: str | None = None
    relation_to_head: str | None = None

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
        for key, column, known in (("residence_status", Resident.residence_status, RESIDENCE_STATUSES),
                                   ("relation_to_head", Resident.relation_to_head, RELATIONS)):
            value = getattr(self, key)
            if value is not None:
                if value != "none" and value not in known:
                    raise InvalidInput(f"{key}: must be one of {', '.join(known)} or none (not recorded)", field=key)
                clauses.append(column == ("" if value == "none" else value))
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
        "residence_status": row["residence_status"],
        "relation_to_head": row["relation_to_head"],
    }


def resident_select() -> Select:
    return Resident.select(*OUT_COLUMNS)


async def list_residents(
    mh: Meihao, filters: ResidentFilter, page: int, page_size: int | None, principal: Principal = SYSTEM
) -> dict[str, Any]:
    """One page of residents the caller may see, filtered in SQL (scope included); sensitive tags only for holders.
    A page that shows special groups' tags (to holders of ``meihao.resident.special.read``) is audited
    (``resident.special.read``, one row naming the residents)."""
    page_size_for(mh, page, page_size)  # bad paging fails before the filters are looked up
    rules = tag_rules(mh)
    check_sensitive_tags([filters.tag] if filters.tag else None, rules, principal, "tag")
    clauses = await filters.where(mh.settings.default_timezone) + principal.residents_where()
    query = resident_select().order_by(Resident.id)
    result = await paginate(mh, query.where(*clauses) if clauses else query, page=page, page_size=page_size)
    tags = await _tags_of([r["id"] for r in result.rows])
    shown = {r["id"]: visible_tags(tags[r["id"]], rules, principal) for r in result.rows}
    if any(set(t) & rules.special for t in shown.values()):
        communities = {r["community_slug"] for r in result.rows}
        community_id = (await get_community(communities.pop()))["id"] if len(communities) == 1 else None
        await _audit_special(principal, rules, shown, community_id, "list")
    return {"items": [_present(r, shown[r["id"]]) for r in result.rows], "total": result.total, "page": page, "page_size": result.page_size}


async def get_resident(resident_id: int, principal: Principal = SYSTEM, mh: Meihao | None = None, *, audit_read: bool = False) -> dict[str, Any]:
    """One resident, masked; outside the caller's scope exactly as missing (404).

    Sensitive tags are shown only to holders of ``meihao.resident.sensitive.read``, the special groups' only to
    holders of ``meihao.resident.special.read``; with ``audit_read`` (the detail route, the console's page) a
    holder's read of a resident who has any is written to the audit log (``resident.sensitive.read`` and
    ``resident.special.read``, one row each per request).
    """
    row = await resident_select().where(Resident.id == resident_id, *principal.residents_where()).first()
    if row is None:
        raise NotFound(f"resident {resident_id} not found")
    rules = tag_rules(mh)
    tags = (await _tags_of([resident_id]))[resident_id]
    shown = visible_tags(tags, rules, principal)
    read = sorted(set(shown) & (rules.sensitive - rules.special))
    if audit_read and (read or set(shown) & rules.special):
        community = await Resident.select(Resident.community).where(Resident.id == resident_id).first()
        if read:
            await audit(principal, "resident.sensitive.read", "resident", resident_id, community_id=community["community"],
                        detail={"via": "detail", "tags": read})
        await _audit_special(principal, rules, {resident_id: shown}, community["community"], "detail")
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
    check_sensitive_tags(data.tags, tag_rules(mh), principal)
    check_assistance(data.tags)
    id_card = normalise_id_card(data.id_card)
    _check_birth_matches(id_card, data.birth_date)
    _check_gender_matches(id_card, data.gender)
    name = _clean_name(data.name)
    phone = normalise_phone(data.phone) if data.phone else ""
    household = await get_household(data.household_id, principal)
    if data.relation_to_head == "head":
        await check_one_head(household["id"])
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
        residence_status=data.residence_status,
        relation_to_head=data.relation_to_head,
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
    row = await Resident.select(Resident.id, Resident.id_card_cipher, Resident.phone, Resident.community, Resident.relation_to_head).where(
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
    rules = tag_rules(mh)
    check_sensitive_tags(patch.tags, rules, principal)
    current = await _in_scope(resident_id, principal)
    if patch.tags is not None:
        # the hidden tags the caller cannot see stay, so they count in the one-assistance rule
        kept = await ResidentTag.select(ResidentTag.tag).where(ResidentTag.resident == resident_id, ResidentTag.tag.is_in(sorted(rules.hidden(principal)) or [""]))
        check_assistance([*patch.tags, *(r["tag"] for r in kept)])
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
    if patch.residence_status is not None:
        values[Resident.residence_status] = patch.residence_status
    if patch.relation_to_head is not None:
        if patch.relation_to_head == "head":
            household = await Resident.select(Resident.household).where(Resident.id == resident_id).first()
            await check_one_head(household["household"], resident_id)
        values[Resident.relation_to_head] = patch.relation_to_head
    async with mh.db.transaction():
        if values:
            values[Resident.updated_at] = datetime.now().astimezone()
            await Resident.update(values).where(Resident.id == resident_id)
        if patch.tags is not None:
            # A non-holder replaces only the tags they can see: the sensitive ones stay as they were.
            kept = ResidentTag.resident == resident_id
            hidden = rules.hidden(principal)
            if hidden:
                kept = kept & ResidentTag.tag.not_in(sorted(hidden))
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
    if current["relation_to_head"] == "head":
        await check_one_head(household["id"], resident_id)
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
    try:
        async with mh.db.transaction():
            await ResidentTag.delete().where(ResidentTag.resident == resident_id)
            await Resident.delete().where(Resident.id == resident_id)
            await audit(principal, "resident.delete", "resident", resident_id, community_id=current["community"])
    except FOREIGN_KEY_VIOLATIONS as err:
        # A plugin's table keeps the resident's rows (ON DELETE RESTRICT): nothing was deleted.
        raise Conflict(f"resident {resident_id} still has records a scene keeps; erase the resident instead "
                       f"(POST /api/residents/{resident_id}/erase) to remove their personal data") from err


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
    Resident.relation_to_head,
    Resident.residence_status,
)


async def export_rows(mh: Meihao, filters: ResidentFilter, principal: Principal) -> AsyncIterator[list[Any]]:
    """The residents in scope matching ``filters`` as spreadsheet rows under the register's Chinese headers (姓名,
    性别 男/女, 网格, 楼栋, 单元, 房号, 与户主关系, 人口类型 …: :func:`meihao.register.sheet.export_columns`, the import
    template's, so that an export can be imported again once its masked numbers are filled in): ID-card and phone
    numbers masked; the 救助类别 (低保 / 低保边缘 / 特困) column only for holders of ``meihao.resident.sensitive.read``, the
    特殊人群 column only for holders of ``meihao.resident.special.read``, hidden tags omitted from 标签. Fetched in
    pages, scope in SQL; the caller audits the export (:func:`audit_export`)."""
    rules = tag_rules(mh)
    check_sensitive_tags([filters.tag] if filters.tag else None, rules, principal, "tag")
    clauses = await filters.where(mh.settings.default_timezone) + principal.residents_where()
    columns = export_columns(principal.can(SENSITIVE_READ), principal.can(SPECIAL_READ))
    yield [c.header for c in columns]
    own_column = set(ASSISTANCE_TAGS) | rules.special
    last_id = 0
    while True:
        rows = await Resident.select(*EXPORT_COLUMNS).where(Resident.id > last_id, *clauses).order_by(Resident.id).limit(1000)
        if not rows:
            return
        tags = await _tags_of([r["id"] for r in rows])
        for r in rows:
            shown = visible_tags(tags[r["id"]], rules, principal)
            cells = {
                "name": r["name"], "gender": GENDER_WORDS.get(r["gender"], r["gender"]), "birth_date": r["birth_date"].isoformat(),
                "id_card": mask_id_card(r["id_card_last4"]), "phone": mask_phone(r["phone"]), "community": r["community_name"],
                "grid": r["grid_name"], "building": r["building_name"], "unit": r["unit"], "room": r["room"],
                "relation_to_head": RELATION_WORDS.get(r["relation_to_head"], ""),
                "residence_status": RESIDENCE_WORDS.get(r["residence_status"], ""),
                "assistance": "、".join(ASSISTANCE_WORDS[t] for t in shown if t in ASSISTANCE_WORDS),
                "special_groups": "、".join(SPECIAL_WORDS.get(t, t) for t in shown if t in rules.special),
                "tags": " ".join(t for t in shown if t not in own_column),
            }
            yield [cells[c.key] for c in columns]
        last_id = rows[-1]["id"]


# -- lists: counts per filter value, bulk tagging, the export's audit ------------------


async def _matching(mh: Meihao, filters: ResidentFilter, principal: Principal) -> list[Any]:
    """The WHERE clauses of residents in the caller's scope matching ``filters`` (a sensitive tag filter needs the permission)."""
    check_sensitive_tags([filters.tag] if filters.tag else None, tag_rules(mh), principal, "tag")
    return await filters.where(mh.settings.default_timezone) + principal.residents_where()


async def count_residents(mh: Meihao, filters: ResidentFilter, principal: Principal) -> int:
    """How many residents in the caller's scope match ``filters``."""
    return await Resident.count().where(*await _matching(mh, filters, principal))


#: What the resident lists count per value: the column each facet groups by.
FACETS = ("community", "grid", "building", "household", "tag", "residence_status", "relation_to_head")


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
        "residence_status": None if facet == "residence_status" else filters.residence_status,
        "relation_to_head": None if facet == "relation_to_head" else filters.relation_to_head,
    })
    clauses = await _matching(mh, others, principal)
    if facet == "tag":
        query = ResidentTag.select(ResidentTag.tag.as_alias("value"), Count(ResidentTag.id).as_alias("n")).where(
            # nothing limits the residents (the street, no filter): every tag of a resident, without listing them all
            ResidentTag.resident.is_in(Resident.select(Resident.id).where(*clauses)) if clauses else ResidentTag.resident.is_not_null()
        )
        hidden = tag_rules(mh).hidden(principal)
        if hidden:
            query = query.where(ResidentTag.tag.not_in(sorted(hidden)))
        query = query.group_by(ResidentTag.tag)
    else:
        column = {"community": Resident.community, "grid": Resident.grid, "building": Resident.building, "household": Resident.household,
                  "residence_status": Resident.residence_status, "relation_to_head": Resident.relation_to_head}[facet]
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
    check_sensitive_tags([tag], tag_rules(mh), principal, "tag")
    clauses = await _matching(mh, filters, principal)
    matching = Resident.select(Resident.id).where(*clauses) if clauses else Resident.select(Resident.id)
    tagged = ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == tag)
    if add and tag in ASSISTANCE_TAGS:
        others = ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag.is_in([t for t in ASSISTANCE_TAGS if t != tag]))
        clash = await Resident.count().where(*clauses, Resident.id.is_in(others))
        if clash:
            raise InvalidInput(f"tag: {clash} of these residents have another of 低保, 低保边缘 and 特困 (at most one); narrow the filter", field="tag")
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
    """Write the audit rows of an export of residents: ``resident.export``, for holders of
    ``meihao.resident.sensitive.read`` the reading of the sensitive tags it includes (a second row), and for holders
    of ``meihao.resident.special.read`` the reading of the special groups' tags (a third)."""
    asked = {**{k: v for k, v in vars(filters).items() if v is not None}, **extra}
    await audit(principal, "resident.export", "resident", "", detail=asked)
    if principal.can(SENSITIVE_READ):
        await audit(principal, "resident.sensitive.read", "resident", "", detail={"via": "export", **asked})
    if principal.can(SPECIAL_READ):
        await audit(principal, "resident.special.read", "resident", "", detail={"via": "export", **asked})
