"""A resident's data rights (PIPL): the export of everything held about them, and their erasure (anonymisation)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.params import JSONBody

from meihao.register import rights
from meihao.web.auth import requires
from meihao.web.params import Caller, PathId, Runtime


class EraseIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Why: the resident's request and its reference; written to the audit log.
    reason: Annotated[str, msgspec.Meta(max_length=500)]


class EraseOut(msgspec.Struct):
    resident_id: int
    #: What each part erased or blanked: ``{"register": {"resident": 1, "tags": 2}, "elder_care": {...}}``.
    erased: dict[str, dict[str, int]]


@get(
    "/api/residents/{resident_id:int}/export",
    tags=["residents"],
    guards=[requires(rights.EXPORT_PERMISSION)],
    response_headers={"Cache-Control": "no-store"},
)
async def export_resident_data(resident_id: PathId, meihao: Runtime, principal: Caller) -> Response[dict[str, Any]]:
    """Everything meihao and its plugins hold about one resident, unmasked, as JSON (the resident's copy); audited."""
    data = await rights.export_resident(meihao, resident_id, principal)
    return Response(
        data,
        headers={"Content-Disposition": f'attachment; filename="resident-{resident_id}.json"', "Cache-Control": "no-store"},
    )


@post("/api/residents/{resident_id:int}/erase", tags=["residents"], status_code=200, guards=[requires(rights.ERASE_PERMISSION)])
async def erase_resident(resident_id: PathId, data: JSONBody[EraseIn], meihao: Runtime, principal: Caller) -> EraseOut:
    """Erase one resident at their request: name, ID-card number, phone, tags, contacts and notes gone; counts kept. 409 when already erased."""
    result = await rights.erase_resident(meihao, resident_id, data.reason, principal)
    return EraseOut(resident_id=result["resident_id"], erased=result["erased"])


HANDLERS = [export_resident_data, erase_resident]
