"""Attachments (附件) on a scene's rows: upload, list, download, delete — each behind the scene's own scope check.

A scene declares which of its tables' rows take attachments with an :class:`AttachmentOwner`: the
scene, the table's name (in the URL and in the stored row), the permissions to read and to write,
and ``check``, an async callback that answers the row when it is in the community and in the
caller's scope and raises :class:`~meihao.NotFound` otherwise (``scoped_row`` does exactly that).
Every operation calls ``check`` first, so an attachment of a row the caller may not see is the same
404 as a row that does not exist; an attachment id of another row is a 404 too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.attachments import store
from meihao.attachments.tables import Attachment
from meihao.errors import ConfigurationError, InvalidInput, NotFound
from meihao.register.schemas import CommunityInfo

if TYPE_CHECKING:
    from meihao.runtime import Meihao

#: ``check(principal, community, row_id)``: the row when it is in the community and the caller's scope, else NotFound.
ScopeCheck = Callable[[Principal, CommunityInfo, int], Awaitable[Any]]

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")

OUT_COLUMNS = (Attachment.id, Attachment.size, Attachment.media_type, Attachment.filename, Attachment.sha256,
               Attachment.uploaded_by, Attachment.created_at, Attachment.row_id)


class TooLarge(InvalidInput):
    """The file is bigger than ``attachment_max_bytes``."""

    status_code = 413


class UnsupportedType(InvalidInput):
    """The file's bytes are none of ``attachment_types``."""

    status_code = 415


@dataclass(frozen=True)
class AttachmentOwner:
    """Rows of one table of a scene that take attachments (photos of a grid event, a show's poster, a scanned form).

    ``scenario``: the scene's name; ``table``: the table's name in the URL
    (``/api/communities/{slug}/{scenario}/{table}/{row_id}/attachments``) and in the stored rows, lower-case
    letters, digits and ``_``; ``check``: the scope check (above); ``read`` / ``write``: the permissions to list
    and download / to upload and delete; ``noun``: the row's name in messages (``show 5 not found``).
    """

    scenario: str
    table: str
    check: ScopeCheck
    read: str
    write: str
    noun: str = ""

    def __post_init__(self) -> None:
        for key in ("scenario", "table"):
            if not _NAME.fullmatch(getattr(self, key)):
                raise ValueError(f"AttachmentOwner.{key}: {getattr(self, key)!r} must be lower-case letters, digits and _")


def _clean_filename(name: str) -> str:
    """The uploaded name as shown: no folders, no control characters, at most 200 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-200:]


def _present(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "filename": row["filename"], "media_type": row["media_type"], "size": row["size"],
            "sha256": row["sha256"], "uploaded_by": row["uploaded_by"], "created_at": row["created_at"], "row_id": row["row_id"]}


def _of(owner: AttachmentOwner, community: CommunityInfo, row_id: int) -> list[Any]:
    return [Attachment.community == community.id, Attachment.scenario == owner.scenario,
            Attachment.owner_table == owner.table, Attachment.row_id == row_id]


async def upload(mh: Meihao, owner: AttachmentOwner, principal: Principal, community: CommunityInfo, row_id: int,
                 data: bytes, filename: str = "") -> dict[str, Any]:
    """Attach ``data`` to the row: its type read from the bytes and allowed (``attachment_types``, else 415), at
    most ``attachment_max_bytes`` (else 413), kept on disk under its SHA-256; audited (``attachment.upload``)."""
    principal.require(owner.write)
    await owner.check(principal, community, row_id)
    limit = mh.settings.attachment_max_bytes
    if not data:
        raise InvalidInput("file: the file is empty", field="file")
    if len(data) > limit:
        raise TooLarge(f"file: {len(data)} bytes; at most {limit} (attachment_max_bytes)", field="file")
    media_type = store.sniff(data)
    if media_type is None or media_type not in mh.settings.attachment_types:
        raise UnsupportedType(f"file: must be one of {', '.join(mh.settings.attachment_types)} (read from the file's bytes, not its name)",
                              field="file")
    sha256 = store.save(mh.settings.attachments_path, data)
    row = Attachment(community=community.id, scenario=owner.scenario, owner_table=owner.table, row_id=row_id, sha256=sha256,
                     size=len(data), media_type=media_type, filename=_clean_filename(filename), staff=principal.staff_id,
                     uploaded_by=principal.name[:100])
    async with mh.db.transaction():
        await row.save()
        await audit(principal, "attachment.upload", "attachment", row.id, community_id=community.id,
                    detail={"scenario": owner.scenario, "table": owner.table, "row_id": row_id, "sha256": sha256, "size": len(data),
                            "media_type": media_type})
    # a delete of the same bytes may have removed the file between the save and the insert: keep it there
    store.save(mh.settings.attachments_path, data)
    return _present(await Attachment.select(*OUT_COLUMNS).where(Attachment.id == row.id).first())


async def list_attachments(owner: AttachmentOwner, principal: Principal, community: CommunityInfo, row_id: int) -> list[dict[str, Any]]:
    """The row's attachments, oldest first (the row out of scope: NotFound, as a missing one)."""
    principal.require(owner.read)
    await owner.check(principal, community, row_id)
    rows = await Attachment.select(*OUT_COLUMNS).where(*_of(owner, community, row_id)).order_by(Attachment.id)
    return [_present(r) for r in rows]


async def _one(owner: AttachmentOwner, community: CommunityInfo, row_id: int, attachment_id: int) -> dict[str, Any]:
    row = await Attachment.select(*OUT_COLUMNS).where(Attachment.id == attachment_id, *_of(owner, community, row_id)).first()
    if row is None:
        raise NotFound(f"attachment {attachment_id} not found")
    return row


async def download(mh: Meihao, owner: AttachmentOwner, principal: Principal, community: CommunityInfo, row_id: int,
                   attachment_id: int) -> tuple[dict[str, Any], bytes]:
    """One attachment of the row and its bytes (the row out of scope, or the attachment another row's: NotFound)."""
    principal.require(owner.read)
    await owner.check(principal, community, row_id)
    row = await _one(owner, community, row_id, attachment_id)
    data = store.read(mh.settings.attachments_path, row["sha256"])
    if data is None:
        raise ConfigurationError(f"attachment {attachment_id}: its file is not in {mh.settings.attachments_path} "
                                 "(with several nodes, is the shared attachments_dir mounted on this one?)", field="attachments_dir")
    return _present(row), data


async def delete(mh: Meihao, owner: AttachmentOwner, principal: Principal, community: CommunityInfo, row_id: int, attachment_id: int) -> None:
    """Remove one attachment of the row (audited, ``attachment.delete``); its file goes when no other attachment has the same bytes."""
    principal.require(owner.write)
    await owner.check(principal, community, row_id)
    row = await _one(owner, community, row_id, attachment_id)
    async with mh.db.transaction():
        await Attachment.delete().where(Attachment.id == attachment_id)
        await audit(principal, "attachment.delete", "attachment", attachment_id, community_id=community.id,
                    detail={"scenario": owner.scenario, "table": owner.table, "row_id": row_id, "sha256": row["sha256"],
                            "filename": row["filename"]})
        shared = await Attachment.exists().where(Attachment.sha256 == row["sha256"])
    if not shared:
        store.remove(mh.settings.attachments_path, row["sha256"])


async def remove_all(mh: Meihao, owner: AttachmentOwner, principal: Principal, community: CommunityInfo, row_id: int) -> int:
    """Remove every attachment of a row the scene is deleting (called in the scene's delete, before or after the row
    goes; no scope check: the scene has done it). Audited once (``attachment.delete``, with the count); each file goes
    when no other attachment has the same bytes. Returns how many were removed."""
    rows = await Attachment.select(Attachment.id, Attachment.sha256).where(*_of(owner, community, row_id))
    if not rows:
        return 0
    async with mh.db.transaction():
        await Attachment.delete().where(Attachment.id.is_in([r["id"] for r in rows]))
        await audit(principal, "attachment.delete", owner.table, row_id, community_id=community.id,
                    detail={"scenario": owner.scenario, "table": owner.table, "row_id": row_id, "removed": len(rows)})
        kept = {r["sha256"] for r in await Attachment.select(Attachment.sha256).where(Attachment.sha256.is_in(sorted({r["sha256"] for r in rows})))}
    for sha256 in {r["sha256"] for r in rows} - kept:
        store.remove(mh.settings.attachments_path, sha256)
    return len(rows)
