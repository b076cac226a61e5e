"""Staff access: roles of the "2+1+N+X" grid team, scopes turned into SQL, permissions, tokens, the audit log.

Every request except the public ones carries ``Authorization: Bearer <token>`` (a token
from ``POST /api/auth/login``). We chose bearer tokens over session cookies: the API's
clients are scripts, apps and the admin pages alike, and with no cookie there is no
cross-site request to forge. Only a SHA-256 of each token is stored.

A :class:`Principal` is the caller: their permissions and their scope. Scopes become SQL
``WHERE`` clauses (:meth:`Principal.residents_where` and friends), so a list never fetches
what the caller may not see, and a record outside the scope is a 404 exactly like a record
that does not exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Column

from .errors import Conflict, Forbidden, InvalidInput, MeihaoError, NotFound
from .runtime import Meihao
from .tables import AuditLog, Community, Department, Grid, LoginAttempt, Staff, StaffAssignment, StaffToken

#: The handler ``opt`` key that makes a route public (health, login, calendar feeds, unsubscribe links).
PUBLIC = "exclude_from_auth"


@dataclass(frozen=True)
class Role:
    name: str
    scope: str  # street, community, grid or department
    title_zh: str
    title_en: str
    max_per_grid: int | None = None
    needs_department: bool = False


ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        Role("street_admin", "street", "街道管理员", "Street admin"),
        Role("community_admin", "community", "社区管理员", "Community admin"),
        Role("grid_leader", "grid", "网格长", "Grid leader", max_per_grid=2),
        Role("grid_worker", "grid", "专职网格员", "Full-time grid worker", max_per_grid=1),
        Role("grid_part_time", "grid", "兼职网格员", "Part-time grid worker"),
        Role("dispatched", "grid", "下沉派驻人员", "Dispatched staff (law enforcement, lawyer, counsellor)", needs_department=True),
        Role("department_staff", "department", "部门工作人员", "Department staff", needs_department=True),
    )
}


@dataclass
class Principal:
    """The caller: who they are, what they may do, and where."""

    staff_id: int | None
    name: str
    roles: set[str] = field(default_factory=set)
    permissions: set[str] = field(default_factory=set)
    street: bool = False
    community_ids: set[int] = field(default_factory=set)
    grid_ids: set[int] = field(default_factory=set)
    department_ids: set[int] = field(default_factory=set)
    #: communities reached through a grid assignment (for scenario routes and listings)
    grid_community_ids: set[int] = field(default_factory=set)
    address: str = ""

    @classmethod
    def system(cls, name: str = "system") -> Principal:
        """The kernel itself (CLI, jobs, demo): every permission, the whole street."""
        return cls(staff_id=None, name=name, street=True, permissions={"*"})

    def can(self, permission: str) -> bool:
        return "*" in self.permissions or permission in self.permissions

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden(f"you need the permission {permission!r}")

    def reaches_community(self, community_id: int) -> bool:
        return self.street or community_id in self.community_ids or community_id in self.grid_community_ids

    def manages_community(self, community_id: int) -> bool:
        return self.street or community_id in self.community_ids

    def where(self, community: Column, grid: Column) -> list[Any]:
        """The WHERE clauses limiting a table with community and grid columns to this scope."""
        if self.street:
            return []
        clause = None
        if self.community_ids:
            clause = community.is_in(sorted(self.community_ids))
        if self.grid_ids:
            by_grid = grid.is_in(sorted(self.grid_ids))
            clause = by_grid if clause is None else clause | by_grid
        # Nothing in scope: a clause no row satisfies.
        return [clause if clause is not None else community.is_null() & community.is_not_null()]

    def residents_where(self) -> list[Any]:
        from .tables import Resident

        return self.where(Resident.community, Resident.grid)

    def resident_ids(self) -> Any:
        """A sub-select of the ids of residents in scope, for plugins' ``column.is_in(...)``."""
        from .tables import Resident

        query = Resident.select(Resident.id)
        clauses = self.residents_where()
        return query.where(*clauses) if clauses else query


SYSTEM = Principal.system()


def role_permissions(mh: Meihao) -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {name: set() for name in ROLES}
    for permission in mh.plugins.permissions():
        for role in permission.roles:
            if role not in grants:
                raise MeihaoError(f"permission {permission.name!r} grants unknown role {role!r}")
            grants[role].add(permission.name)
    grants["street_admin"] = {"*"}
    return grants


async def principal_for(mh: Meihao, staff: dict[str, Any], address: str = "") -> Principal:
    """The principal of a staff row (its ``id`` and ``name``), from their assignments."""
    assignments = await StaffAssignment.select().where(StaffAssignment.staff == staff["id"])
    grid_ids = sorted({a["grid"] for a in assignments if a["grid"]})
    communities = {r["id"]: r["community"] for r in await Grid.select(Grid.id, Grid.community).where(Grid.id.is_in(grid_ids))} if grid_ids else {}
    for a in assignments:
        a["grid_community"] = communities.get(a["grid"])
    return _principal(mh, staff, assignments, address)


def _principal(mh: Meihao, staff: dict[str, Any], assignments: list[dict[str, Any]], address: str) -> Principal:
    """Permissions and scope from assignment rows (``role``, ``community``, ``grid``, ``department``, ``grid_community``)."""
    principal = Principal(staff_id=staff["id"], name=staff["name"], address=address)
    grants = role_permissions(mh)
    for a in assignments:
        principal.roles.add(a["role"])
        principal.permissions |= grants.get(a["role"], set())
        scope = ROLES[a["role"]].scope if a["role"] in ROLES else None
        if scope == "street":
            principal.street = True
        elif scope == "community" and a["community"]:
            principal.community_ids.add(a["community"])
        elif scope == "grid" and a["grid"]:
            principal.grid_ids.add(a["grid"])
            principal.grid_community_ids.add(a["grid_community"])
        if a["department"]:
            principal.department_ids.add(a["department"])
    return principal


# -- tokens and login ---------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def verify_password(stored: str, password: str) -> bool:
    """Check a password against Piccolo's stored PBKDF2 hash, off the event loop (it is slow on purpose)."""
    try:
        _, iterations, salt, _ = BaseUser.split_stored_password(stored)
        candidate = await asyncio.to_thread(BaseUser.hash_password, password, salt, int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, stored)


class TooManyAttempts(MeihaoError):
    status_code = 429


async def login(mh: Meihao, username: str, password: str, address: str) -> dict[str, Any]:
    """Check the password and issue a token; failures are counted per account and per address."""
    s = mh.settings
    since = datetime.now(timezone.utc) - timedelta(minutes=s.login_window_minutes)
    per_account = await LoginAttempt.count().where(LoginAttempt.username == username, LoginAttempt.at > since)
    per_address = await LoginAttempt.count().where(LoginAttempt.address == address, LoginAttempt.at > since)
    if per_account >= s.login_max_failures_per_account or per_address >= s.login_max_failures_per_address:
        raise TooManyAttempts(f"too many failed logins; try again in {s.login_window_minutes} minutes")
    user = await BaseUser.select(BaseUser.id, BaseUser.password, BaseUser.active).where(BaseUser.username == username).first()
    ok = False
    if user is None:
        await asyncio.to_thread(BaseUser.hash_password, password)  # same cost either way: no account probing by timing
    else:
        ok = await verify_password(user["password"], password) and user["active"]
    staff = await Staff.select().where(Staff.user == user["id"], Staff.active.eq(True)).first() if ok and user else None
    if staff is None:
        await LoginAttempt.insert(LoginAttempt(username=username[:100], address=address[:64]))
        raise InvalidCredentials("username or password is wrong")
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(hours=s.token_hours)
    await StaffToken.insert(StaffToken(token_hash=_token_hash(token), staff=staff["id"], expires_at=expires))
    await audit(Principal(staff_id=staff["id"], name=staff["name"], address=address), "auth.login", "staff", staff["id"])
    return {"token": token, "expires_at": expires, "staff_id": staff["id"], "name": staff["name"]}


class InvalidCredentials(MeihaoError):
    status_code = 401


async def issue_token(mh: Meihao, staff_id: int) -> str:
    """A token for a staff member without a password check (CLI, tests)."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(hours=mh.settings.token_hours)
    await StaffToken.insert(StaffToken(token_hash=_token_hash(token), staff=staff_id, expires_at=expires))
    return token


async def logout(token: str) -> None:
    await StaffToken.update({StaffToken.revoked: True}).where(StaffToken.token_hash == _token_hash(token))


def _principal_query() -> str:
    """The token, its staff member and their assignments in one statement: one row per assignment (or one with no role)."""
    return f"""
        SELECT s.id AS id, s.name AS name, t.expires_at AS expires_at, a.role AS role, a.community AS community,
               a.grid AS grid, a.department AS department, g.community AS grid_community
        FROM {StaffToken._meta.tablename} AS t
        JOIN {Staff._meta.tablename} AS s ON s.id = t.staff
        LEFT JOIN {StaffAssignment._meta.tablename} AS a ON a.staff = s.id
        LEFT JOIN {Grid._meta.tablename} AS g ON g.id = a.grid
        WHERE t.token_hash = {{}} AND t.revoked = {{}} AND s.active = {{}}
    """


async def principal_from_token(mh: Meihao, token: str, address: str) -> Principal | None:
    """The caller holding ``token``: a token neither revoked nor expired, of an active staff member; else None.

    This runs on every request, so it is one plain SQL statement: Piccolo spends several times
    longer building a select than SQLite takes to run it, and this used to be three or four.
    """
    rows = await StaffToken.raw(_principal_query(), _token_hash(token), False, True)
    if not rows or rows[0]["expires_at"] <= datetime.now(timezone.utc):
        return None
    return _principal(mh, rows[0], [row for row in rows if row["role"] is not None], address)


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Turns ``Authorization: Bearer …`` into ``request.user`` (a Principal); 401 when it is missing or stale."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("log in first: send Authorization: Bearer <token> (POST /api/auth/login)")
        mh: Meihao = connection.app.state.meihao
        address = connection.client.host if connection.client else ""
        principal = await principal_from_token(mh, token.strip(), address)
        if principal is None:
            raise NotAuthorizedException("the token is unknown, expired or revoked; log in again")
        return AuthenticationResult(user=principal, auth=token.strip())


def requires(*permissions: str):
    """Guard: the caller must hold every permission named (403 otherwise)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        for permission in permissions:
            principal.require(permission)

    guard.__qualname__ = f"requires({', '.join(permissions)})"
    guard.permissions = permissions  # type: ignore[attr-defined]  # read by the access-matrix test and docs
    return guard


# -- the audit log --------------------------------------------------------------


async def audit(
    principal: Principal,
    action: str,
    target_type: str = "",
    target_id: Any = "",
    *,
    community_id: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one row to the audit log. Call it inside the transaction of the write it records."""
    import json

    await AuditLog.insert(
        AuditLog(
            staff=principal.staff_id,
            actor=principal.name,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            community=community_id,
            address=principal.address,
            reason=reason,
            detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
        )
    )


# -- staff accounts ---------------------------------------------------------------


@dataclass
class AssignmentSpec:
    role: str
    community: str | None = None  # slug
    grid_id: int | None = None
    department: str | None = None  # code


async def resolve_assignment(spec: AssignmentSpec) -> dict[str, Any]:
    """Check a role assignment against the 2+1+N+X rules and turn slugs/codes into ids."""
    role = ROLES.get(spec.role)
    if role is None:
        raise InvalidInput(f"role: {spec.role!r} is not a role; choose one of {', '.join(ROLES)}", field="role")
    values: dict[str, Any] = {"role": spec.role, "community": None, "grid": None, "department": None}
    if role.scope == "community":
        if not spec.community:
            raise InvalidInput(f"community: the role {spec.role} needs a community", field="community")
        community = await Community.select(Community.id).where(Community.slug == spec.community).first()
        if community is None:
            raise NotFound(f"community {spec.community!r} not found", field="community")
        values["community"] = community["id"]
    if role.scope == "grid":
        if spec.grid_id is None:
            raise InvalidInput(f"grid_id: the role {spec.role} needs a grid", field="grid_id")
        grid = await Grid.select(Grid.id, Grid.community).where(Grid.id == spec.grid_id).first()
        if grid is None:
            raise NotFound(f"grid {spec.grid_id} not found", field="grid_id")
        values["grid"] = grid["id"]
        values["community"] = grid["community"]
        if role.max_per_grid is not None:
            taken = await StaffAssignment.count().where(StaffAssignment.grid == grid["id"], StaffAssignment.role == spec.role)
            if taken >= role.max_per_grid:
                raise Conflict(f"role: grid {grid['id']} already has {taken} {role.title_en.lower()}(s), the most it may have", field="role")
    if role.needs_department:
        if not spec.department:
            raise InvalidInput(f"department: the role {spec.role} needs a department", field="department")
        department = await Department.select(Department.id).where(Department.code == spec.department).first()
        if department is None:
            raise NotFound(f"department {spec.department!r} not found", field="department")
        values["department"] = department["id"]
    return values


def check_grantable(principal: Principal, assignment: dict[str, Any]) -> None:
    """A community admin may give the grid team's roles inside their communities; every other role is the street's."""
    if principal.street:
        return
    role = ROLES[assignment["role"]]
    if role.scope != "grid" or role.needs_department:
        raise Forbidden(f"only a street admin may give the role {assignment['role']!r}")
    if not principal.manages_community(assignment["community"]):
        raise NotFound(f"grid {assignment['grid']} not found", field="grid_id")


async def create_staff(
    mh: Meihao,
    principal: Principal,
    *,
    username: str,
    password: str,
    name: str,
    assignments: list[AssignmentSpec],
    email: str = "",
    phone: str = "",
    preferred_language: str = "zh",
) -> dict[str, Any]:
    from .privacy import normalise_phone

    if len(password) < mh.settings.password_min_length:
        raise InvalidInput(f"password: must be at least {mh.settings.password_min_length} characters", field="password")
    if await BaseUser.exists().where(BaseUser.username == username):
        raise Conflict(f"username: {username!r} is taken", field="username")
    resolved = [await resolve_assignment(a) for a in assignments]
    for a in resolved:
        check_grantable(principal, a)
    phone = normalise_phone(phone) if phone else ""
    hashed = await asyncio.to_thread(BaseUser.hash_password, password)
    async with mh.db.transaction():
        user = BaseUser(username=username, password=hashed, email=email or f"{username}@staff.invalid", active=True)
        await user.save()
        staff = Staff(user=user.id, name=name, email=email, phone=phone, preferred_language=preferred_language)
        await staff.save()
        for a in resolved:
            await StaffAssignment.insert(StaffAssignment(staff=staff.id, **a))
        await audit(principal, "staff.create", "staff", staff.id, detail={"username": username, "roles": [a["role"] for a in resolved]})
    return await staff_out(staff.id)


async def add_assignment(mh: Meihao, principal: Principal, staff_id: int, spec: AssignmentSpec) -> dict[str, Any]:
    await get_staff(principal, staff_id)
    resolved = await resolve_assignment(spec)
    check_grantable(principal, resolved)
    async with mh.db.transaction():
        await StaffAssignment.insert(StaffAssignment(staff=staff_id, **resolved))
        await audit(principal, "staff.assign", "staff", staff_id, community_id=resolved["community"], detail={"role": spec.role})
    return await staff_out(staff_id)


async def _staff_with_assignments(clauses: list[Any]) -> list[dict[str, Any]]:
    """Staff rows matching ``clauses`` with their assignments: two queries, whatever the count."""
    query = Staff.select(Staff.id, Staff.name, Staff.user.username.as_alias("username"), Staff.active).order_by(Staff.id)
    staff = await (query.where(*clauses) if clauses else query)
    by_staff: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in staff}
    if by_staff:
        assignments = await StaffAssignment.select(
            StaffAssignment.staff,
            StaffAssignment.role,
            StaffAssignment.community.slug.as_alias("community"),
            StaffAssignment.grid,
            StaffAssignment.department.code.as_alias("department"),
        ).where(StaffAssignment.staff.is_in(list(by_staff))).order_by(StaffAssignment.id)
        for a in assignments:
            by_staff[a.pop("staff")].append({"grid_id": a.pop("grid"), **a})
    return [{**row, "assignments": by_staff[row["id"]]} for row in staff]


async def staff_out(staff_id: int) -> dict[str, Any]:
    found = await _staff_with_assignments([Staff.id == staff_id])
    if not found:
        raise NotFound(f"staff {staff_id} not found")
    return found[0]


def _staff_scope(principal: Principal) -> list[Any]:
    """Staff a caller may see: everyone for the street; for a community admin, staff assigned in their communities."""
    if principal.street:
        return []
    ids = sorted(principal.community_ids)
    if not ids:
        return [Staff.id == principal.staff_id]
    return [Staff.id.is_in(StaffAssignment.select(StaffAssignment.staff).where(StaffAssignment.community.is_in(ids)))]


async def get_staff(principal: Principal, staff_id: int) -> dict[str, Any]:
    if not await Staff.exists().where(Staff.id == staff_id, *_staff_scope(principal)):
        raise NotFound(f"staff {staff_id} not found")
    return await staff_out(staff_id)


async def list_staff(principal: Principal) -> list[dict[str, Any]]:
    return await _staff_with_assignments(_staff_scope(principal))


async def staff_works_in(staff_id: int, community_id: int) -> bool:
    """Whether an active staff member's roles reach a community (the street's, or one of its community or grid roles).

    For plugins that name a staff member as responsible (an organiser, a visitor): someone
    who cannot see the community should not be made responsible in it.
    """
    return await StaffAssignment.exists().where(
        StaffAssignment.staff == staff_id,
        (StaffAssignment.community == community_id) | (StaffAssignment.role == "street_admin"),
        StaffAssignment.staff.active.eq(True),
    )


FIRST_ADMIN = "admin"


async def ensure_first_admin(mh: Meihao) -> str | None:
    """Create the first street admin (``admin``) unless a street admin exists; return its password, once."""
    if await StaffAssignment.exists().where(StaffAssignment.role == "street_admin"):
        return None
    password = secrets.token_urlsafe(12)
    await create_staff(mh, Principal.system("meihao demo"), username=FIRST_ADMIN, password=password, name="街道管理员",
                       assignments=[AssignmentSpec("street_admin")])
    return password
