"""The register in and out (人口台账): the import template, an import (dry run first, then all or nothing), the .xlsx export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.params import FromPath, FromQuery

from meihao.register import importing, residents
from meihao.runtime import Meihao
from meihao.web.auth import requires
from meihao.web.params import Caller, QueryId
from meihao.web.routes.residents import RelationFilter, ResidenceFilter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


class ImportProblemOut(msgspec.Struct):
    """What is wrong in one cell of the file (``column`` empty: the whole row or file)."""

    row: int
    column: str
    header: str
    code: str
    message: str
    message_zh: str


class ImportReportOut(msgspec.Struct):
    """An import's report: the rows read, every problem, and what it creates (a dry run: would create)."""

    community: str
    rows: int
    dry_run: bool
    written: bool
    residents: int
    grids: int
    buildings: int
    households: int
    problems: list[ImportProblemOut]


@dataclass
class _WorkbookOrCsv(Operation):
    """The template's 200 answers either kind, as ``format`` asks: both are documented."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if ok is not None:
            ok.content = {
                XLSX: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)),
                CSV: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
            }


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


@get("/api/residents/import-template", tags=["residents"], guards=[requires(importing.IMPORT_PERMISSION)],
     media_type=XLSX, operation_class=_WorkbookOrCsv)
async def import_template(principal: Caller, format: FromQuery[Literal["xlsx", "csv"]] = "xlsx") -> Response[bytes]:  # noqa: A002 - the query's name
    """The register template: the Chinese column headers (the export's too) and, in the workbook, how to fill each column;
    救助类别 only for holders of ``meihao.resident.sensitive.read``, 特殊人群 only for holders of ``meihao.resident.special.read``."""
    columns = importing.columns_for(principal)
    if format == "csv":
        return Response(importing.template_csv(columns), media_type=CSV, headers=_attachment("register-template.csv"))
    return Response(importing.template_xlsx(columns), media_type=XLSX, headers=_attachment("register-template.xlsx"))


@post("/api/communities/{slug:str}/residents/import", tags=["residents"], guards=[requires(importing.IMPORT_PERMISSION)],
      status_code=200, responses={422: ResponseSpec(data_container=ImportReportOut, generate_examples=False,
                                                    description="The file has wrong rows: nothing was written (the report lists them)")})
async def import_register(
    slug: FromPath[str],
    request: Request[Any, Any, Any],
    meihao: NamedDependency[Meihao],
    principal: Caller,
    format: FromQuery[Literal["xlsx", "csv"]] = "xlsx",  # noqa: A002 - the query's name
    dry_run: FromQuery[bool] = True,
) -> Response[ImportReportOut]:
    """Check a register file for the community (``dry_run``, the default) or import it: every row or, when any is
    wrong, none (422 with the same report). The body is the file (``format`` says which kind); grids, buildings and
    households are matched by name or created. A community the caller does not manage is a 403, as the register's
    other community routes. An import is audited (``resident.import``). A file that cannot be read at all is a 400
    (the error body, ``field`` "file"); a file that can be read but has wrong rows or columns is a 422 with the report.

    The body is the file itself, sent as it is (``Content-Type: application/octet-stream``): an .xlsx workbook, or
    a CSV file in UTF-8 (with or without a BOM) or GBK/GB18030."""
    report = await importing.import_register(meihao, slug, await request.body(), f"upload.{format}", principal, dry_run=dry_run)
    out = msgspec.convert(report.as_dict(), ImportReportOut)
    return Response(out, status_code=422 if report.problems else 200)


@get("/api/residents/export.xlsx", tags=["residents"], guards=[requires("meihao.resident.export")], media_type=XLSX)
async def export_residents_xlsx(
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
) -> Response[bytes]:
    """Residents in scope as an .xlsx workbook under the template's Chinese headers, masked like the CSV; audited alike."""
    filters = residents.ResidentFilter(community, grid, building, None, tag, min_age, max_age, None, residence_status, relation_to_head)
    residents.check_sensitive_tags([tag] if tag else None, residents.tag_rules(meihao), principal, "tag")
    await filters.where(meihao.settings.default_timezone)  # bad filters fail before anything is written
    await residents.audit_export(meihao, filters, principal, format="xlsx")
    rows: list[list[Any]] = [row async for row in residents.export_rows(meihao, filters, principal)]
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return Response(importing.xlsx_bytes(rows), media_type=XLSX, headers=_attachment(f"residents-{stamp}.xlsx"))


HANDLERS = [import_template, import_register, export_residents_xlsx]
