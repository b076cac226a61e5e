"""Scoped lookups: a row in this community and in the caller's scope, or a 404 exactly like a missing row's.

A scene never asks "does it exist?" and "may the caller see it?" separately: both are one SQL
``WHERE``, so a row outside the caller's scope, a row of another community and a row that does
not exist answer the same :class:`~meihao.NotFound` with the same body. Every helper takes the
community the request is about, so a street admin (whose scope spans every community) never
reaches a row of another community through a scene mounted under this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from piccolo.columns import Column, ForeignKey
from piccolo.table import Table

from meihao.access.principals import Principal
from meihao.access.tables import Staff, StaffAssignment
from meihao.errors import NotFound
from meihao.register.schemas import CommunityInfo
from meihao.register.tables import Community, Grid, Household, Resident

#: A column leading to a resident, a grid or the community (a ForeignKey, possibly through a
#: chain such as ``Visit.elder.resident``), or a pair ``(community column, grid column)`` for a
#: table that carries both, as the kernel's register does.
Via = Column | tuple[Column, Column]

#: What a scoped lookup of a resident answers: no personal-data columns (ID card, phone).
RESIDENT_COLUMNS = (
    Resident.id, Resident.name, Resident.gender, Resident.birth_date, Resident.preferred_language,
    Resident.community, Resident.grid, Resident.building, Resident.household,
)

STAFF_COLUMNS = (Staff.id, Staff.name, Staff.preferred_language)


def _community_id(community: CommunityInfo | int) -> int:
    return community if isinstance(community, int) else community.id


def _nothing(column: Column) -> Any:
    """A clause no row satisfies."""
    return column.is_null() & column.is_not_null()


def _not_found(noun: str, row_id: int, field: str | None) -> NotFound:
    return NotFound(f"{field + ': ' if field else ''}{noun} {row_id} not found", field=field)


def _noun(table: type[Table]) -> str:
    """``NursingHomeVisit`` -> ``nursing home visit``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", table.__name__).lower()


def scope_where(principal: Principal, community: CommunityInfo | int, via: Via) -> list[Any]:
    """WHERE clauses limiting a query to rows of ``community`` that ``principal``'s scope reaches.

    ``via`` says how a row is placed:

    - a ForeignKey to ``Resident`` (``Elder.resident``, or a chain ``Visit.elder.resident``): the
      resident is in the community and in the caller's scope (their grids, or their communities);
    - a ForeignKey to ``Grid``: the grid is in the community and in the caller's scope;
    - a ForeignKey to ``Community``: the row is the community's, for any caller whose scope
      reaches the community (the community's team, grid workers included);
    - ``(community column, grid column)``, for a table that records both: the row is the
      community's and, for a grid-scoped caller, in one of their grids (a row without a grid
      is then the community's admins' only).

    A row whose ``via`` is NULL is in no one's scope (except with the pair form, for
    community-level callers).
    """
    community_id = _community_id(community)
    if isinstance(via, tuple):
        community_column, grid_column = via
        return [community_column == community_id, *principal.where(community_column, grid_column)]
    if not isinstance(via, ForeignKey):
        raise TypeError(f"via: {via!r} is not a ForeignKey; give the column that leads to a Resident, a Grid or the Community")
    target = via._foreign_key_meta.resolved_references
    if target is Resident:
        return [via.is_in(principal.residents_in(community_id))]
    if target is Grid:
        grids = Grid.select(Grid.id).where(Grid.community == community_id, *principal.where(Grid.community, Grid.id))
        return [via.is_in(grids)]
    if target is Community:
        return [via == community_id] if principal.reaches_community(community_id) else [_nothing(via)]
    raise TypeError(f"via: {via!r} leads to {target.__name__}, not to a Resident, a Grid or the Community")


async def scoped_row(
    table: type[Table],
    row_id: int,
    principal: Principal,
    community: CommunityInfo | int,
    *,
    via: Via,
    field: str | None = None,
    columns: Sequence[Any] = (),
    noun: str | None = None,
) -> dict[str, Any]:
    """The row ``row_id`` of a plugin's ``table``, if it is in ``community`` and in ``principal``'s scope.

    Otherwise :class:`~meihao.NotFound` (404), the same answer whether the row is missing, of
    another community or outside the scope: ``"{noun} {id} not found"`` (``noun`` defaults to
    the table class's name in words), prefixed with ``field`` and naming it when the id came
    from a request body's field. ``via`` is as for :func:`scope_where`; ``columns`` are the
    columns to select (all of the table's by default; joined ones such as
    ``Elder.resident.name.as_alias("name")`` are fine).
    """
    row = await table.select(*columns).where(table._meta.primary_key == row_id, *scope_where(principal, community, via)).first()
    if row is None:
        raise _not_found(noun or _noun(table), row_id, field)
    return row


async def scoped_resident(principal: Principal, community: CommunityInfo | int, resident_id: int, field: str | None = None) -> dict[str, Any]:
    """A resident of ``community`` in ``principal``'s scope, or NotFound exactly as for a missing one.

    The row has ``id``, ``name``, ``gender``, ``birth_date``, ``preferred_language``,
    ``community``, ``grid``, ``building`` and ``household`` (no ID-card or phone number).
    """
    row = await Resident.select(*RESIDENT_COLUMNS).where(
        Resident.id == resident_id, Resident.community == _community_id(community), *principal.residents_where()
    ).first()
    if row is None:
        raise _not_found("resident", resident_id, field)
    return row


async def scoped_household(principal: Principal, community: CommunityInfo | int, household_id: int, field: str | None = None) -> dict[str, Any]:
    """A household of ``community`` in ``principal``'s scope (``id``, ``building``, ``grid``, ``community``, ``unit``, ``room``)."""
    return await scoped_row(
        Household, household_id, principal, community, via=(Household.community, Household.grid), field=field, noun="household"
    )


async def scoped_staff(
    principal: Principal,
    community: CommunityInfo | int,
    staff_id: int,
    field: str | None = None,
    *,
    roles: Iterable[str] | None = None,
) -> dict[str, Any]:
    """An active staff member who works in ``community`` (a community or grid role there), or NotFound.

    For naming a colleague as responsible (a visitor, an organiser). ``roles`` narrows it to
    those roles in the community. A caller whose scope does not reach the community finds no one.
    The row has ``id``, ``name`` and ``preferred_language``.
    """
    community_id = _community_id(community)
    if not principal.reaches_community(community_id):
        raise _not_found("staff", staff_id, field)
    assignments = StaffAssignment.select(StaffAssignment.staff).where(StaffAssignment.community == community_id)
    if roles is not None:
        assignments = assignments.where(StaffAssignment.role.is_in(sorted(roles)))
    row = await Staff.select(*STAFF_COLUMNS).where(Staff.id == staff_id, Staff.active.eq(True), Staff.id.is_in(assignments)).first()
    if row is None:
        raise _not_found("staff", staff_id, field)
    return row
