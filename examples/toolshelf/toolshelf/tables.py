"""toolshelf's tables; every name starts with ``toolshelf_``."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from meihao.tables import Community, Resident


class Tool(Table, tablename="toolshelf_tool"):
    """A tool on the community's shelf (电钻, 梯子, 缝纫机 …)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=60)
    # Retired tools stay for the loans that name them.
    active = Boolean(default=True)


class Loan(Table, tablename="toolshelf_loan"):
    """One tool lent to one resident. ``due_on`` was computed with the calendar ``calendar_version``."""

    tool = ForeignKey(Tool, on_delete=OnDelete.restrict, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.restrict, index=True)
    lent_at = Timestamptz(null=True, default=None)
    due_on = Date(index=True)
    calendar_version = Varchar(length=64)
    returned_at = Timestamptz(null=True, default=None, index=True)
