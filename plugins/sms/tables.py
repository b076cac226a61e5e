"""The SMS channel's record: one row per message handed to the provider (caps and the cost counter count them)."""

from __future__ import annotations

from piccolo.columns import Date, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class SmsSent(Table, tablename="sms_sent"):
    """A message the provider accepted: who (no number: the recipient's id), where, when, how many segments.

    ``delivery_id`` is unique: a retry after a crash, which the provider deduplicates on its side
    by the same id (Alibaba ``OutId``, Tencent ``SessionContext``), is counted once.
    """

    delivery_id = Varchar(length=64, unique=True)
    recipient_kind = Varchar(length=8)
    recipient_id = Integer(index=True)
    community = Varchar(length=64, index=True)
    #: The community's local date of the send (the daily cap) and its month, ``YYYY-MM`` (the monthly cap).
    local_date = Date(index=True)
    local_month = Varchar(length=7, index=True)
    provider = Varchar(length=16)
    template_id = Varchar(length=64)
    segments = Integer(default=1)
    #: The provider's id of the message (Alibaba BizId, Tencent SerialNo): receipts name it.
    provider_id = Varchar(length=128, default="", index=True)
    #: ``sent`` (accepted by the provider); a receipt makes it ``delivered`` or ``undelivered``.
    status = Varchar(length=16, default="sent")
    sent_at = Timestamptz(default=TimestamptzNow())


TABLES = [SmsSent]
