"""Importing a community's register (人口台账导入) in the console: the template, an upload checked row by row
(the dry run of ``POST /api/communities/{slug}/residents/import``), and the import after a confirmation that
says how many residents it writes: all rows or none."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect

from meihao.errors import Forbidden, InvalidInput, NotFound
from meihao.register import importing
from meihao.register.tables import Community
from meihao.runtime import Meihao
from meihao.web.console.rendering import page_user, render_page, request_language
from meihao.web.console.session import page_requires

Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

PATH = "/register/import"
GUARDS = [page_requires("meihao.resident.read", importing.IMPORT_PERMISSION)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _mh(request: Request[Any, Any, Any]) -> Meihao:
    return request.app.state.meihao


async def _communities(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    """The communities the visitor may import into: those they manage (the street: every one)."""
    principal = page_user(request)
    query = Community.select(Community.slug, Community.name).order_by(Community.name)
    if not principal.street:
        query = query.where(Community.id.is_in(sorted(principal.community_ids) or [0]))
    return await query


async def _render(request: Request[Any, Any, Any], *, status_code: int = 200, **context: Any) -> Response[Any]:
    defaults: dict[str, Any] = {"report": None, "errors": {}, "community": "", "payload": "", "filename": "", "done": None, "changed": None}
    return render_page(request, "register_import/import.html", status_code=status_code, communities=await _communities(request),
                       columns=importing.columns_for(page_user(request)), language=request_language(request), **{**defaults, **context})


@get(PATH, guards=GUARDS)
async def import_page(request: Request[Any, Any, Any], imported: FromQuery[int | None] = None, community: FromQuery[str] = "") -> Response[Any]:
    """The upload form, the template's columns, and after an import how many residents it wrote."""
    return await _render(request, done=imported, community=community)


@get(f"{PATH}/template.xlsx", guards=GUARDS)
async def template_xlsx(request: Request[Any, Any, Any]) -> Response[bytes]:
    return Response(importing.template_xlsx(importing.columns_for(page_user(request))), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="register-template.xlsx"', "Cache-Control": "no-store"})


@get(f"{PATH}/template.csv", guards=GUARDS)
async def template_csv(request: Request[Any, Any, Any]) -> Response[bytes]:
    return Response(importing.template_csv(importing.columns_for(page_user(request))), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="register-template.csv"', "Cache-Control": "no-store"})


def _file_of(data: dict[str, Any]) -> tuple[bytes, str] | None:
    """The uploaded file (a first upload), or the one the confirmation carries back (base64); None without either."""
    upload = data.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return upload.file.read(), upload.filename
    payload, filename = str(data.get("payload", "")), str(data.get("filename", ""))
    if payload and filename:
        try:
            return base64.b64decode(payload, validate=True), filename
        except (binascii.Error, ValueError) as err:
            raise InvalidInput("payload: the file sent back is damaged; upload it again", field="file") from err
    return None


@post(PATH, guards=GUARDS)
async def check_or_import(request: Request[Any, Any, Any], data: Upload) -> Response[Any]:
    """``action=check``: the dry run's report, row by row; ``action=import`` (from the confirmation): the import,
    all rows or none; when the file no longer gives the number of residents confirmed, the report again (409)."""
    mh, principal = _mh(request), page_user(request)
    slug = str(data.get("community", "")).strip()
    errors: dict[str, str] = {}
    if not slug:
        errors["community"] = "community"
    found = _file_of(data)
    if found is None:
        errors["file"] = "file"
    if errors:
        return await _render(request, status_code=400, errors=errors, community=slug)
    content, filename = found  # type: ignore[misc]
    try:
        report = await importing.import_register(mh, slug, content, filename, principal, dry_run=True)
    except InvalidInput as err:
        if err.field != "file":
            raise
        shown = err.message if request_language(request) == "en" else importing.FILE_ERRORS_ZH.get(err.message, err.message)
        return await _render(request, status_code=400, errors={"file": shown}, community=slug)
    except (NotFound, Forbidden) as err:  # a community that is not there, or not the visitor's: as the API answers
        return await _render(request, status_code=err.status_code, errors={"community": "community"}, community=slug)
    payload = base64.b64encode(content).decode()
    if data.get("action") == "import" and not report.problems:
        expected = str(data.get("expected", ""))
        if expected != str(report.residents):
            return await _render(request, status_code=409, report=report, community=slug, payload=payload, filename=filename, changed=expected)
        report = await importing.import_register(mh, slug, content, filename, principal, dry_run=False)
        return Redirect(f"{PATH}?imported={report.residents}&community={slug}", status_code=303)
    return await _render(request, status_code=400 if report.problems else 200, report=report, community=slug,
                         payload="" if report.problems else payload, filename=filename)


HANDLERS = [import_page, template_xlsx, template_csv, check_or_import]
