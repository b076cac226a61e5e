"""The elders list of the console (探访名单): its filter, counts per grid, care level, age band, living alone and visit status,
a page of rows, matching ids and export rows, all in the caller's scope exactly like ``GET …/elder_care/elders``
(a grid worker counts their own grid's elders only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from meihao import CommunityInfo, InvalidInput, Principal, community_today, scope_where
from meihao.tables import Grid, Resident, Staff, StaffAssignment

from ..schemas import CARE_LEVELS, ElderOut
from ..tables import Elder
from .common import TEAM_ROLES, _elder_select, settings_of, years_before
from .due import SOON_DAYS
from .register import present

#: A visit's state on the list: past due, due today, due within ``SOON_DAYS`` days, later.
STATUSES = ("overdue", "due_today", "soon", "later")
#: What the list shows when no status is chosen: the visits to make now and soon (the due list).
DUE = ("overdue", "due_today", "soon")
#: Age bands offered with their counts: (lowest, highest or None) in years.
AGE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 69), (70, 79), (80, 89), (90, None))


def band_key(low: int, high: int | None) -> str:
    return f"{low}-{high}" if high is not None else f"{low}-"


@dataclass(frozen=True)
class ElderFilter:
    grid_id: int | None = None
    care_level: str | None = None
    #: an ``AGE_BANDS`` key (``"70-79"``)
    age: str | None = None
    living_alone: bool | None = None
    #: one of ``STATUSES``; None: the due ones (``DUE``)
    status: str | None = None

    def __post_init__(self) -> None:
        if self.care_level is not None and self.care_level not in CARE_LEVELS:
            raise InvalidInput(f"care_level: one of {', '.join(CARE_LEVELS)}", field="care_level")
        if self.age is not None and self.age not in {band_key(*b) for b in AGE_BANDS}:
            raise InvalidInput(f"age: one of {', '.join(band_key(*b) for b in AGE_BANDS)}", field="age")
        if self.status is not None and self.status not in STATUSES:
            raise InvalidInput(f"status: one of {', '.join(STATUSES)}", field="status")

    def where(self, principal: Principal, community: CommunityInfo, today: date, *, skip: str = "") -> list[Any]:
        where = [*scope_where(principal, community, Elder.resident), Elder.active.eq(True)]
        if self.grid_id is not None and skip != "grid":
            where.append(Elder.resident.is_in(Resident.select(Resident.id).where(Resident.grid == self.grid_id)))
        if self.care_level is not None and skip != "care_level":
            where.append(Elder.care_level == self.care_level)
        if self.living_alone is not None and skip != "living_alone":
            where.append(Elder.living_alone.eq(self.living_alone))
        if self.age is not None and skip != "age":
            where.extend(_age_where(self.age, today))
        if skip != "status":
            where.extend(_status_where(self.status, today))
        return where


def _age_where(key: str, today: date) -> list[Any]:
    low, high = next(b for b in AGE_BANDS if band_key(*b) == key)
    where = [Elder.resident.is_in(Resident.select(Resident.id).where(Resident.birth_date <= years_before(today, low)))]
    if high is not None:
        where.append(Elder.resident.is_in(Resident.select(Resident.id).where(Resident.birth_date > years_before(today, high + 1))))
    return where


def _status_where(status: str | None, today: date) -> list[Any]:
    soon = today + timedelta(days=SOON_DAYS)
    return {
        None: [Elder.next_due_on <= soon],
        "overdue": [Elder.next_due_on < today],
        "due_today": [Elder.next_due_on == today],
        "soon": [Elder.next_due_on > today, Elder.next_due_on <= soon],
        "later": [Elder.next_due_on > soon],
    }[status]


async def facet_counts(mh: Any, principal: Principal, community: CommunityInfo, filters: ElderFilter) -> dict[str, dict[Any, int]]:
    """Per facet, each value's count under the rest of the filter (what choosing it would list), counted in SQL."""
    today = community_today(mh, community)
    counts: dict[str, dict[Any, int]] = {}
    grid = Elder.resident.grid
    rows = await Elder.select(grid.as_alias("value"), Count(Elder.id).as_alias("n")).where(
        *filters.where(principal, community, today, skip="grid")).group_by(grid)
    counts["grid"] = {r["value"]: r["n"] for r in rows}
    rows = await Elder.select(Elder.care_level.as_alias("value"), Count(Elder.id).as_alias("n")).where(
        *filters.where(principal, community, today, skip="care_level")).group_by(Elder.care_level)
    counts["care_level"] = {r["value"]: r["n"] for r in rows}
    rows = await Elder.select(Elder.living_alone.as_alias("value"), Count(Elder.id).as_alias("n")).where(
        *filters.where(principal, community, today, skip="living_alone")).group_by(Elder.living_alone)
    counts["living_alone"] = {bool(r["value"]): r["n"] for r in rows}
    rest = filters.where(principal, community, today, skip="age")
    counts["age"] = {band_key(*b): await Elder.count().where(*rest, *_age_where(band_key(*b), today)) for b in AGE_BANDS}
    rest = filters.where(principal, community, today, skip="status")
    counts["status"] = {s: await Elder.count().where(*rest, *_status_where(s, today)) for s in STATUSES}
    return counts


async def count(mh: Any, principal: Principal, community: CommunityInfo, filters: ElderFilter) -> int:
    return await Elder.count().where(*filters.where(principal, community, community_today(mh, community)))


async def page_of(mh: Any, principal: Principal, community: CommunityInfo, filters: ElderFilter, page: int, page_size: int) -> list[ElderOut]:
    """One page of the elders the filter matches, most urgent first; none of the sensitive fields (the list shows none)."""
    today = community_today(mh, community)
    settings = await settings_of(mh, community)
    rows = await _elder_select().where(*filters.where(principal, community, today)).order_by(Elder.next_due_on).order_by(
        Elder.id).offset((page - 1) * page_size).limit(page_size)
    return [present(r, settings, today, sensitive=False) for r in rows]


async def matching_ids(mh: Any, principal: Principal, community: CommunityInfo, filters: ElderFilter) -> list[int]:
    rows = await Elder.select(Elder.id).where(*filters.where(principal, community, community_today(mh, community))).order_by(
        Elder.next_due_on).order_by(Elder.id)
    return [r["id"] for r in rows]


async def grid_names(community: CommunityInfo) -> dict[int, str]:
    return {r["id"]: r["name"] for r in await Grid.select(Grid.id, Grid.name).where(Grid.community == community.id).order_by(Grid.code)}


async def team(community: CommunityInfo) -> list[dict[str, Any]]:
    """The community's team (its admins and grid staff, active): who may be an elder's responsible visitor, by name
    (the same people ``scoped_staff(..., roles=TEAM_ROLES)`` accepts)."""
    members = StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.role.is_in(sorted(TEAM_ROLES)), StaffAssignment.community == community.id
    )
    return await Staff.select(Staff.id, Staff.name).where(Staff.id.is_in(members), Staff.active.eq(True)).order_by(Staff.name).order_by(Staff.id)


HEADER = ["id", "name", "gender", "age", "grid", "care_level", "living_alone", "next_due_on", "status", "last_contact_on", "visitor"]


async def export_rows(mh: Any, principal: Principal, community: CommunityInfo, filters: ElderFilter) -> AsyncIterator[list[Any]]:
    """The header, then every elder the filter matches as the list shows them: no ID card, phone, self-care, disability, categories, notes or contact."""
    yield HEADER
    grids = await grid_names(community)
    for elder in await page_of(mh, principal, community, filters, 1, 100_000):
        yield [
            elder.id, elder.name, elder.gender, elder.age, grids.get(elder.grid_id, ""), elder.care_level, "yes" if elder.living_alone else "no",
            elder.plan.next_due_on.isoformat(), elder.plan.status, elder.plan.last_contact_on.isoformat() if elder.plan.last_contact_on else "",
            elder.visitor.name if elder.visitor else "",
        ]
