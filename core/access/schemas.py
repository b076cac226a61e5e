"""API shapes of access (msgspec Structs): logins, staff accounts and their assignments, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from meihao.hooks.declarations import Language


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class LoginOut(msgspec.Struct):
    token: str
    expires_at: datetime
    staff_id: int
    name: str


class AssignmentIn(msgspec.Struct, forbid_unknown_fields=True):
    role: str
    community: str | None = None
    grid_id: int | None = None
    department: str | None = None


class PasswordChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(max_length=128)]
    new_password: Annotated[str, msgspec.Meta(max_length=128)]


class StaffIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.@-]{3,100}$")]
    password: Annotated[str, msgspec.Meta(max_length=128)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    assignments: list[AssignmentIn]
    email: Annotated[str, msgspec.Meta(max_length=255)] = ""
    phone: str = ""
    preferred_language: Language = "zh"


class AssignmentOut(msgspec.Struct):
    role: str
    community: str | None
    grid_id: int | None
    department: str | None


class StaffOut(msgspec.Struct):
    id: int
    name: str
    username: str
    active: bool
    assignments: list[AssignmentOut]


class AuditOut(msgspec.Struct):
    id: int
    at: datetime
    staff_id: int | None
    actor: str
    action: str
    target_type: str
    target_id: str
    community: str | None
    address: str
    reason: str
    detail: Any
