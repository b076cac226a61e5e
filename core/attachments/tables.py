"""The attachments' table: one row per file attached to one row of a scene's table (the bytes are on disk)."""

from __future__ import annotations

from piccolo.columns import BigInt, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.access.tables import Staff
from meihao.register.tables import Community


class Attachment(Table, tablename="meihao_attachment"):
    """附件 a file on a row of a scene's table: the owner is (scenario, owner_table, row_id) in a community."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True, null=False)
    scenario = Varchar(length=64)
    owner_table = Varchar(length=64)
    row_id = BigInt()
    #: SHA-256 of the bytes, hex: the file's name on disk (the same bytes are stored once)
    sha256 = Varchar(length=64, index=True)
    size = Integer()
    #: the type read from the bytes (image/jpeg, image/png, image/webp, application/pdf), never from the name
    media_type = Varchar(length=64)
    #: the name it was uploaded under, shown and offered on download (never used on disk)
    filename = Varchar(length=200, default="")
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    uploaded_by = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())


ATTACHMENT_TABLES: list[type[Table]] = [Attachment]
