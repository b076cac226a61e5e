"""Residents (居民): validated registration, filtered lists, moves between households; masked output."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.columns.combination import Where
from piccolo.query import Select

from .communities import get_community, get_household
from .errors import Conflict, InvalidInput, NotFound
from .privacy import mask_id_card, mask_phone, normalise_id_card, normalise_phone
from .runtime import Meihao
from .schemas import ResidentIn, ResidentPatch
from .tables import Resident, ResidentTag

try:  # the PostgreSQL driver's unique-violation error, when it is installed
    from asyncpg.exceptions import UniqueViolationError
except ImportError:  # pragma: no cover
    UniqueViolationError = sqlite3.IntegrityError  # type: ignore[misc,assignment]

UNIQUE_VIOLATIONS = (sqlite3.IntegrityError, UniqueViolationError)

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
        today = today_in(timezone)
        if self.min_age is not None:
            if self.min_age < 0:
                raise InvalidInput("min_age: must not be negative", field="min_age")
            clauses.append(Resident.birth_date <= shift_years(today, self.min_age))
        if self.max_age is not None:
            if self.max_age < 0:
                raise InvalidInput("max_age: must not be negative", field="max_age")
            # born after the day they would have turned max_age + 1
            clauses.append(Resident.birth_date > shift_years(today, self.max_age + 1))
        if self.name:
            clauses.append(Resident.name.like(f"%{self.name}%"))
        return clauses


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


async def list_residents(mh: Meihao, filters: ResidentFilter, page: int, page_size: int) -> dict[str, Any]:
    if page < 1:
        raise InvalidInput("page: must be 1 or more", field="page")
    if page_size < 1:
        raise InvalidInput("page_size: must be 1 or more", field="page_size")
    page_size = min(page_size, mh.settings.max_page_size)
    clauses = await filters.where(mh.settings.default_timezone)
    total = await Resident.count().where(*clauses) if clauses else await Resident.count()
    query = resident_select().order_by(Resident.id).limit(page_size).offset((page - 1) * page_size)
    rows = await (query.where(*clauses) if clauses else query)
    tags = await _tags_of([r["id"] for r in rows])
    return {"items": [_present(r, tags[r["id"]]) for r in rows], "total": total, "page": page, "page_size": page_size}


async def get_resident(resident_id: int) -> dict[str, Any]:
    row = await resident_select().where(Resident.id == resident_id).first()
    if row is None:
        raise NotFound(f"resident {resident_id} not found")
    return _present(row, (await _tags_of([resident_id]))[resident_id])


def _check_birth_matches(id_card: str, birth_date: date) -> None:
    from stdnum.cn import ric

    if ric.get_birth_date(id_card) != birth_date:
        raise InvalidInput("birth_date: does not match the birth date in the ID-card number", field="birth_date")


async def create_resident(mh: Meihao, data: ResidentIn) -> dict[str, Any]:
    id_card = normalise_id_card(data.id_card)
    _check_birth_matches(id_card, data.birth_date)
    phone = normalise_phone(data.phone) if data.phone else ""
    household = await get_household(data.household_id)
    id_hash = mh.codec.lookup_hash(id_card)
    if await Resident.exists().where(Resident.id_card_hash == id_hash):
        raise Conflict("id_card: a resident with this ID-card number is already registered", field="id_card")
    resident = Resident(
        household=household["id"],
        building=household["building"],
        grid=household["grid"],
        community=household["community"],
        name=data.name.strip(),
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
    except UNIQUE_VIOLATIONS as err:  # a concurrent registration of the same number won the race
        raise Conflict("id_card: a resident with this ID-card number is already registered", field="id_card") from err
    return await get_resident(resident.id)


async def update_resident(mh: Meihao, resident_id: int, patch: ResidentPatch) -> dict[str, Any]:
    current = await Resident.select(Resident.id, Resident.id_card_cipher).where(Resident.id == resident_id).first()
    if current is None:
        raise NotFound(f"resident {resident_id} not found")
    values: dict[Any, Any] = {}
    if patch.name is not None:
        values[Resident.name] = patch.name.strip()
    if patch.gender is not None:
        values[Resident.gender] = patch.gender
    if patch.birth_date is not None:
        _check_birth_matches(mh.codec.decrypt(current["id_card_cipher"]), patch.birth_date)
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
            await ResidentTag.delete().where(ResidentTag.resident == resident_id)
            if patch.tags:
                await ResidentTag.insert(*[ResidentTag(resident=resident_id, tag=t) for t in sorted(set(patch.tags))])
    return await get_resident(resident_id)


async def move_resident(mh: Meihao, resident_id: int, household_id: int) -> dict[str, Any]:
    if not await Resident.exists().where(Resident.id == resident_id):
        raise NotFound(f"resident {resident_id} not found")
    household = await get_household(household_id)
    await Resident.update(
        {
            Resident.household: household["id"],
            Resident.building: household["building"],
            Resident.grid: household["grid"],
            Resident.community: household["community"],
            Resident.updated_at: datetime.now().astimezone(),
        }
    ).where(Resident.id == resident_id)
    return await get_resident(resident_id)


async def delete_resident(mh: Meihao, resident_id: int) -> None:
    if not await Resident.exists().where(Resident.id == resident_id):
        raise NotFound(f"resident {resident_id} not found")
    async with mh.db.transaction():
        await ResidentTag.delete().where(ResidentTag.resident == resident_id)
        await Resident.delete().where(Resident.id == resident_id)
