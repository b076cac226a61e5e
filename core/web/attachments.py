"""Routes of attachments (附件) for one :class:`~meihao.AttachmentOwner`: upload, list, download, delete, under the scene's path."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromQuery

from meihao.attachments import service
from meihao.attachments.service import AttachmentOwner, TooLarge
from meihao.web.auth import requires
from meihao.web.params import Caller, CurrentCommunity, PathId, Runtime


class AttachmentOut(msgspec.Struct):
    """One attachment: its type (read from the bytes), size, the name it was uploaded under, who uploaded it and when."""

    id: int
    row_id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: datetime


async def _body(request: Request[Any, Any, Any], limit: int) -> bytes:
    """The request's body, read until it passes ``limit`` (then 413, without reading the rest into memory)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"file: more than {limit} bytes (attachment_max_bytes)", field="file")
        chunks.append(chunk)
    return b"".join(chunks)


def attachment_routes(owner: AttachmentOwner) -> type[Controller]:
    """A controller for a scene's :meth:`meihao_route_handlers`: under the scene's path,
    ``GET|POST {table}/{row_id}/attachments`` (list; upload: the body is the file, ``?filename=`` its name) and
    ``GET|DELETE {table}/{row_id}/attachments/{attachment_id}`` (download; delete). Reads need ``owner.read``,
    uploads and deletes ``owner.write``; every one runs ``owner.check`` first."""

    class Attachments(Controller):
        path = f"/{owner.table}/{{row_id:int}}/attachments"
        tags = [owner.scenario]

        @get("/", guards=[requires(owner.read)], operation_id=f"{owner.scenario}_{owner.table}_attachments_list")
        async def list_attachments(self, principal: Caller, community: CurrentCommunity, row_id: PathId) -> list[AttachmentOut]:
            """The row's attachments, oldest first; a row out of the caller's scope is a 404, as a missing one."""
            return [AttachmentOut(**a) for a in await service.list_attachments(owner, principal, community, row_id)]

        @post("/", guards=[requires(owner.write)], status_code=201, request_max_body_size=None,
              operation_id=f"{owner.scenario}_{owner.table}_attachments_upload")
        async def upload(self, request: Request[Any, Any, Any], meihao: Runtime, principal: Caller, community: CurrentCommunity,
                         row_id: PathId, filename: FromQuery[str] = "") -> AttachmentOut:
            """Attach a file (the body, sent as it is): a photo (JPEG, PNG, WebP) or a PDF by default, recognised from its
            bytes; at most ``attachment_max_bytes`` (413), another type 415. Audited (``attachment.upload``)."""
            data = await _body(request, meihao.settings.attachment_max_bytes)
            return AttachmentOut(**await service.upload(meihao, owner, principal, community, row_id, data, filename))

        @get("/{attachment_id:int}", guards=[requires(owner.read)], media_type="application/octet-stream",
             operation_id=f"{owner.scenario}_{owner.table}_attachments_download")
        async def download(self, meihao: Runtime, principal: Caller, community: CurrentCommunity, row_id: PathId,
                           attachment_id: PathId) -> Response[bytes]:
            """The file, with the type read from it at upload; images shown in the page, PDFs downloaded."""
            row, data = await service.download(meihao, owner, principal, community, row_id, attachment_id)
            disposition = "inline" if row["media_type"].startswith("image/") else "attachment"
            name = row["filename"] or f"attachment-{row['id']}"
            return Response(data, media_type=row["media_type"], headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox; default-src 'none'",
            })

        @delete("/{attachment_id:int}", guards=[requires(owner.write)], operation_id=f"{owner.scenario}_{owner.table}_attachments_delete")
        async def remove(self, meihao: Runtime, principal: Caller, community: CurrentCommunity, row_id: PathId, attachment_id: PathId) -> None:
            """Remove one attachment (audited, ``attachment.delete``)."""
            await service.delete(meihao, owner, principal, community, row_id, attachment_id)

    Attachments.__name__ = Attachments.__qualname__ = f"{owner.scenario.title().replace('_', '')}{owner.table.title().replace('_', '')}Attachments"
    return Attachments
