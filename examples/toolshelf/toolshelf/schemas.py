"""What toolshelf's routes take and give."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class ToolIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name


class ToolOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    active: bool
    #: The open loan's due day, or None when the tool is on the shelf.
    on_loan_until: date | None = None


class LoanIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    tool_id: Id
    resident_id: Id


class LoanOut(msgspec.Struct, kw_only=True):
    id: int
    tool_id: int
    tool_name: str
    resident_id: int
    resident_name: str
    lent_at: datetime | None
    due_on: date
    returned_at: datetime | None


class LoanPage(msgspec.Struct, kw_only=True):
    items: list[LoanOut]
    total: int
    page: int
    page_size: int
