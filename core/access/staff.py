"""Staff accounts and their role assignments, within the granting principal's scope; the first street admin."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from piccolo.apps.user.tables import BaseUser

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.access.roles import ROLES
from meihao.access.tables import Staff, StaffAssignment
from meihao.errors import Conflict, Forbidden, InvalidInput, NotFound
from meihao.register.tables import Community, Department, Grid

if TYPE_CHECKING:
    from meihao.runtime import Meihao


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
    if role.needs_department:
        if not spec.department:
            raise InvalidInput(f"department: the role {spec.role} needs a department", field="department")
        department = await Department.select(Department.id).where(Department.code == spec.department).first()
        if department is None:
            raise NotFound(f"department {spec.department!r} not found", field="department")
        values["department"] = department["id"]
    return values


async def check_capacity(assignment: dict[str, Any]) -> None:
    """409 when the grid already has the most people of the role it may have (the 2+1+N+X team).

    Checked only after :func:`check_grantable`: for a grid outside the caller's reach the answer
    is the 404 of a missing grid, and reveals nothing of that grid's team."""
    role = ROLES[assignment["role"]]
    if assignment["grid"] is None or role.max_per_grid is None:
        return
    taken = await StaffAssignment.count().where(StaffAssignment.grid == assignment["grid"], StaffAssignment.role == assignment["role"])
    if taken >= role.max_per_grid:
        raise Conflict(
            f"role: grid {assignment['grid']} already has {taken} {role.title_en.lower()}(s), the most it may have", field="role"
        )


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
    from meihao.privacy import normalise_email, normalise_phone

    if len(password) < mh.settings.password_min_length:
        raise InvalidInput(f"password: must be at least {mh.settings.password_min_length} characters", field="password")
    if await BaseUser.exists().where(BaseUser.username == username):
        raise Conflict(f"username: {username!r} is taken", field="username")
    resolved = [await resolve_assignment(a) for a in assignments]
    for a in resolved:
        check_grantable(principal, a)
        await check_capacity(a)
    phone = normalise_phone(phone) if phone else ""
    email = normalise_email(email) if email else ""
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
    await check_capacity(resolved)
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


def staff_ids_in_scope(principal: Principal) -> Any:
    """A sub-select of the ids of staff the caller may see (as in the staff register), for ``column.is_in(...)``."""
    query = Staff.select(Staff.id)
    clauses = _staff_scope(principal)
    return query.where(*clauses) if clauses else query


async def get_staff(principal: Principal, staff_id: int) -> dict[str, Any]:
    if not await Staff.exists().where(Staff.id == staff_id, *_staff_scope(principal)):
        raise NotFound(f"staff {staff_id} not found")
    return await staff_out(staff_id)


async def list_staff(principal: Principal) -> list[dict[str, Any]]:
    return await _staff_with_assignments(_staff_scope(principal))


async def deactivate_staff(mh: Meihao, principal: Principal, staff_id: int) -> dict[str, Any]:
    """A street admin ends a staff account: it can no longer log in and every session of it ends now; audited."""
    from meihao.access.tables import StaffToken

    await get_staff(principal, staff_id)
    if not principal.street:
        raise Forbidden("only a street admin may deactivate a staff account")
    if staff_id == principal.staff_id:
        raise InvalidInput("staff_id: you cannot deactivate your own account", field="staff_id")
    row = await Staff.select(Staff.user).where(Staff.id == staff_id).first()
    async with mh.db.transaction():
        await Staff.update({Staff.active: False}).where(Staff.id == staff_id)
        await BaseUser.update({BaseUser.active: False}).where(BaseUser.id == row["user"])
        revoked = await StaffToken.update({StaffToken.revoked: True}).where(
            StaffToken.staff == staff_id, StaffToken.revoked.eq(False)
        ).returning(StaffToken.id)
        await audit(principal, "staff.deactivate", "staff", staff_id, detail={"sessions_revoked": len(revoked)})
    return await staff_out(staff_id)


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
