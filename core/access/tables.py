"""Tables of access: staff accounts, their role assignments, login tokens and attempts, the audit log."""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.register.tables import Community, Department, Grid


class Staff(Table, tablename="meihao_staff"):
    """A staff member (社区工作者, 网格员, department staff): a login account plus a profile.

    The password lives in Piccolo's user app (``piccolo_user``, PBKDF2-SHA256); ``user`` points at it.
    """

    user = ForeignKey(BaseUser, on_delete=OnDelete.restrict, unique=True)
    name = Varchar(length=64)
    email = Varchar(length=255, default="")
    phone = Varchar(length=20, default="")
    preferred_language = Varchar(length=8, default="zh")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class StaffAssignment(Table, tablename="meihao_staff_assignment"):
    """One role a staff member holds, with its scope (the "2+1+N+X" grid team and above).

    ``community`` is set for community-scoped roles, ``grid`` for grid roles, ``department``
    for department staff and dispatched staff; a staff member may hold several assignments.
    """

    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=32)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=True, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=True, index=True)
    department = ForeignKey(Department, on_delete=OnDelete.restrict, null=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class StaffToken(Table, tablename="meihao_staff_token"):
    """A bearer token issued at login; only its SHA-256 is stored."""

    token_hash = Varchar(length=64, unique=True, index=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked = Boolean(default=False)


class LoginAttempt(Table, tablename="meihao_login_attempt"):
    """Failed logins, per account and per address, for rate limiting across nodes."""

    username = Varchar(length=100, index=True)
    address = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class AuditLog(Table, tablename="meihao_audit_log"):
    """Who did what to which record, when and from where. Append-only: no API changes or deletes it."""

    at = Timestamptz(default=TimestamptzNow(), index=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.restrict, null=True, index=True)
    actor = Varchar(length=100, default="")
    action = Varchar(length=64, index=True)
    target_type = Varchar(length=64, default="", index=True)
    target_id = Varchar(length=64, default="")
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=True, index=True)
    address = Varchar(length=64, default="")
    reason = Text(default="")
    detail = JSON(default="{}")


class SavedView(Table, tablename="meihao_saved_view"):
    """A list's filter that a staff member saved under a name (常用筛选: "my grid's elders living alone").

    ``area`` names the list (``register``, …); ``query`` is the list's filter as a query string,
    kept to the filter's own keys. Each staff member sees and changes only their own views.
    """

    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, index=True)
    area = Varchar(length=32)
    name = Varchar(length=100)
    query = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


ACCESS_TABLES: list[type[Table]] = [Staff, StaffAssignment, StaffToken, LoginAttempt, AuditLog, SavedView]
