"""Staff accounts and their roles within the caller's scope, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from meihao.access import audit as audit_log
from meihao.access import staff
from meihao.access.schemas import AssignmentIn, AuditOut, StaffIn, StaffOut
from meihao.register.schemas import (
    Page,
)
from meihao.runtime import Meihao
from meihao.web.auth import requires
from meihao.web.params import MAX_ID, Caller, PageNumber, PageSize, PathId


@get("/api/staff", tags=["staff"], guards=[requires("meihao.staff.manage")])
async def list_staff(principal: Caller) -> list[StaffOut]:
    return [StaffOut(**s) for s in await staff.list_staff(principal)]


@post("/api/staff", tags=["staff"], guards=[requires("meihao.staff.manage")])
async def create_staff(data: JSONBody[StaffIn], meihao: NamedDependency[Meihao], principal: Caller) -> StaffOut:
    specs = [staff.AssignmentSpec(a.role, a.community, a.grid_id, a.department) for a in data.assignments]
    created = await staff.create_staff(
        meihao, principal, username=data.username, password=data.password, name=data.name,
        assignments=specs, email=data.email, phone=data.phone, preferred_language=data.preferred_language,
    )
    return StaffOut(**created)


@post("/api/staff/{staff_id:int}/assignments", tags=["staff"], guards=[requires("meihao.staff.manage")])
async def add_assignment(staff_id: PathId, data: JSONBody[AssignmentIn], meihao: NamedDependency[Meihao], principal: Caller) -> StaffOut:
    spec = staff.AssignmentSpec(data.role, data.community, data.grid_id, data.department)
    return StaffOut(**await staff.add_assignment(meihao, principal, staff_id, spec))


@post("/api/staff/{staff_id:int}/deactivate", tags=["staff"], status_code=200, guards=[requires("meihao.staff.manage")])
async def deactivate_staff(staff_id: PathId, meihao: NamedDependency[Meihao], principal: Caller) -> StaffOut:
    """A street admin ends a staff account: no more logins, every session revoked at once (audited)."""
    return StaffOut(**await staff.deactivate_staff(meihao, principal, staff_id))


@get("/api/audit", tags=["audit"], guards=[requires("meihao.audit.read")])
async def read_audit_log(
    meihao: NamedDependency[Meihao],
    staff_id: Annotated[int | None, QueryParameter(name="staff", ge=1, le=MAX_ID)] = None,
    action: FromQuery[str | None] = None,
    target_type: FromQuery[str | None] = None,
    target_id: FromQuery[str | None] = None,
    since: FromQuery[datetime | None] = None,
    until: FromQuery[datetime | None] = None,
    page: PageNumber = 1,
    page_size: PageSize = None,
) -> Page[AuditOut]:
    """The audit log, newest first, filtered. It is append-only: there is no route to change it."""
    result = await audit_log.read_audit_log(
        meihao, staff_id=staff_id, action=action, target_type=target_type, target_id=target_id, since=since, until=until,
        page=page, page_size=page_size,
    )
    return result.page_of([AuditOut(**r) for r in result.rows])


HANDLERS = [
    list_staff,
    create_staff,
    add_assignment,
    deactivate_staff,
    read_audit_log,
]
