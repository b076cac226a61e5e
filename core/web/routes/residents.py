"""Residents: scoped lists and CSV export (masked), registration, changes, moves, and revealing one field with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from litestar import delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from litestar.response import Stream

from meihao.privacy import csv_line
from meihao.register import residents
from meihao.register.importing import UTF8_BOM
from meihao.register.schemas import (
    MoveIn,
    Page,
    ResidentIn,
    ResidentOut,
    ResidentPatch,
    RevealIn,
    RevealOut,
)
from meihao.runtime import Meihao
from meihao.web.auth import requires
from meihao.web.params import Caller, PageNumber, PageSize, PathId, QueryId

#: The export's media type, written in the OpenAPI document too.
CSV = "text/csv; charset=utf-8"


def _filters(
    community: str | None, grid_id: int | None, building_id: int | None, household_id: int | None,
    tag: str | None, min_age: int | None, max_age: int | None, name: str | None,
    residence_status: str | None = None, relation_to_head: str | None = None,
) -> residents.ResidentFilter:
    return residents.ResidentFilter(community, grid_id, building_id, household_id, tag, min_age, max_age, name, residence_status, relation_to_head)


#: 人口类型 and 与户主关系 filters (``none``: not recorded), documented with their values.
ResidenceFilter = FromQuery[Literal["registered", "permanent", "floating", "separated", "none"] | None]
RelationFilter = FromQuery[Literal["head", "spouse", "child", "child_in_law", "grandchild", "parent", "parent_in_law", "grandparent",
                                   "sibling", "other_relative", "non_relative", "none"] | None]


@get("/api/residents", tags=["residents"], guards=[requires("meihao.resident.read")])
async def list_residents(
    meihao: NamedDependency[Meihao],
    principal: Caller,
    community: FromQuery[str | None] = None,
    # named as in the query string, so that a validation error names what the caller sent
    grid: QueryId = None,
    building: QueryId = None,
    household: QueryId = None,
    tag: FromQuery[str | None] = None,
    min_age: FromQuery[int | None] = None,
    max_age: FromQuery[int | None] = None,
    name: FromQuery[str | None] = None,
    residence_status: ResidenceFilter = None,
    relation_to_head: RelationFilter = None,
    page: PageNumber = 1,
    page_size: PageSize = None,
) -> Page[ResidentOut]:
    """Residents in the caller's scope, filtered and paginated; ID-card and phone numbers are masked, sensitive
    tags (``sensitive_tags``) shown to holders of ``meihao.resident.sensitive.read`` only (filtering on one needs it too), the
    special groups' (``special_tags``) to holders of ``meihao.resident.special.read`` only, a page showing one audited."""
    filters = _filters(community, grid, building, household, tag, min_age, max_age, name, residence_status, relation_to_head)
    result = await residents.list_residents(meihao, filters, page, page_size, principal)
    return Page(items=[ResidentOut(**r) for r in result["items"]], total=result["total"], page=result["page"], page_size=result["page_size"])


@get("/api/residents/export", tags=["residents"], guards=[requires("meihao.resident.export")], media_type=CSV)
async def export_residents(
    meihao: NamedDependency[Meihao],
    principal: Caller,
    community: FromQuery[str | None] = None,
    grid: QueryId = None,
    building: QueryId = None,
    tag: FromQuery[str | None] = None,
    min_age: FromQuery[int | None] = None,
    max_age: FromQuery[int | None] = None,
    residence_status: ResidenceFilter = None,
    relation_to_head: RelationFilter = None,
) -> Stream:
    """Residents in scope as CSV (UTF-8 with a BOM, under the import template's Chinese headers, masked like every
    other answer, formulas neutralised); the export is audited, and so, for holders of
    ``meihao.resident.sensitive.read``, is the reading of sensitive tags it includes (a second row)."""
    filters = _filters(community, grid, building, None, tag, min_age, max_age, None, residence_status, relation_to_head)
    sensitive = residents.tag_rules(meihao)
    residents.check_sensitive_tags([tag] if tag else None, sensitive, principal, "tag")
    await filters.where(meihao.settings.default_timezone)  # bad filters fail before the stream starts
    await residents.audit_export(meihao, filters, principal)

    async def lines():
        yield UTF8_BOM  # Excel on Chinese Windows reads the file as UTF-8 only with it
        async for row in residents.export_rows(meihao, filters, principal):
            yield csv_line(row)

    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return Stream(lines(), media_type=CSV, headers={"Content-Disposition": f'attachment; filename="residents-{stamp}.csv"'})


@post("/api/residents", tags=["residents"], guards=[requires("meihao.resident.write")])
async def create_resident(data: JSONBody[ResidentIn], meihao: NamedDependency[Meihao], principal: Caller) -> ResidentOut:
    return ResidentOut(**await residents.create_resident(meihao, data, principal))


@get("/api/residents/{resident_id:int}", tags=["residents"], guards=[requires("meihao.resident.read")])
async def get_resident(resident_id: PathId, meihao: NamedDependency[Meihao], principal: Caller) -> ResidentOut:
    """One resident, masked; a holder's read of their sensitive tags is audited (``resident.sensitive.read``)."""
    return ResidentOut(**await residents.get_resident(resident_id, principal, meihao, audit_read=True))


@patch("/api/residents/{resident_id:int}", tags=["residents"], guards=[requires("meihao.resident.write")])
async def update_resident(resident_id: PathId, data: JSONBody[ResidentPatch], meihao: NamedDependency[Meihao], principal: Caller) -> ResidentOut:
    return ResidentOut(**await residents.update_resident(meihao, resident_id, data, principal))


@post("/api/residents/{resident_id:int}/move", tags=["residents"], status_code=200, guards=[requires("meihao.resident.write")])
async def move_resident(resident_id: PathId, data: JSONBody[MoveIn], meihao: NamedDependency[Meihao], principal: Caller) -> ResidentOut:
    """Move a resident to another household (and so, perhaps, another building, grid or community)."""
    return ResidentOut(**await residents.move_resident(meihao, resident_id, data.household_id, principal))


@delete("/api/residents/{resident_id:int}", tags=["residents"], guards=[requires("meihao.resident.write")])
async def delete_resident(resident_id: PathId, meihao: NamedDependency[Meihao], principal: Caller) -> None:
    await residents.delete_resident(meihao, resident_id, principal)


@post("/api/residents/{resident_id:int}/reveal", tags=["residents"], status_code=200, guards=[requires("meihao.resident.reveal")])
async def reveal_resident_field(resident_id: PathId, data: JSONBody[RevealIn], meihao: NamedDependency[Meihao], principal: Caller) -> RevealOut:
    """Show one masked field (``id_card`` or ``phone``) of one resident, with a reason; written to the audit log."""
    value = await residents.reveal(meihao, resident_id, data.field, data.reason, principal)
    return RevealOut(resident_id=resident_id, field=data.field, value=value)


HANDLERS = [
    list_residents,
    export_residents,
    create_resident,
    get_resident,
    update_resident,
    move_resident,
    delete_resident,
    reveal_resident_field,
]
