"""Demo staff: each community's admin, each grid's "2+1+N" team and its X (dispatched staff), and two staff
of each department, sharing one demo password."""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING

from faker import Faker
from piccolo.apps.user.tables import BaseUser

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.access.tables import Staff, StaffAssignment
from meihao.register.tables import Community, Department, Grid

if TYPE_CHECKING:
    from meihao.runtime import Meihao

#: Per grid: two grid leaders, one full-time grid worker, N (here two) part-time workers.
GRID_TEAM = (("grid_leader", 2), ("grid_worker", 1), ("grid_part_time", 2))
#: The X of 2+1+N+X: per community, one person of each of these departments sent down to all its grids
#: (执法, 律师, 心理咨询师), when the profile has the department.
DISPATCHED = (("law", "law-enforcement"), ("lawyer", "justice"), ("counsellor", "counselling"))
#: Department staff (部门工作人员) per department, who sign and handle the orders sent to it.
DEPARTMENT_STAFF = 2


async def build_demo_staff(mh: Meihao, slugs: list[str], seed: int) -> tuple[int, str]:
    """Create the staff of the demo communities; return how many and their shared password.

    The password is hashed once and the hash reused: these are demo accounts, made fast.
    """
    password = secrets.token_urlsafe(9)
    hashed = await asyncio.to_thread(BaseUser.hash_password, password)
    names = Faker("zh_CN")
    names.seed_instance(seed)
    actor = Principal.system("meihao demo")
    count = 0
    async with mh.db.transaction():
        for slug in slugs:
            community = await Community.select(Community.id).where(Community.slug == slug).first()
            members: list[tuple[str, str, int | None]] = [(f"{slug}-admin", "community_admin", None)]
            for grid in await Grid.select(Grid.id, Grid.code).where(Grid.community == community["id"]).order_by(Grid.code):
                for role, how_many in GRID_TEAM:
                    for n in range(1, how_many + 1):
                        members.append((f"{slug}-{grid['code'].lower()}-{role.replace('_', '-')}-{n}", role, grid["id"]))
            for username, role, grid_id in members:
                user = BaseUser(username=username, password=hashed, email=f"{username}@staff.invalid", active=True)
                await user.save()
                staff = Staff(user=user.id, name=names.name(), email=f"{username}@staff.invalid")
                await staff.save()
                await StaffAssignment.insert(StaffAssignment(staff=staff.id, role=role, community=community["id"], grid=grid_id))
                await audit(actor, "staff.create", "staff", staff.id, community_id=community["id"], detail={"username": username, "roles": [role]})
                count += 1
            grids = [g["id"] for g in await Grid.select(Grid.id).where(Grid.community == community["id"]).order_by(Grid.code)]
            for short, code in DISPATCHED:
                department = await Department.select(Department.id).where(Department.code == code).first()
                if department is None or not grids:
                    continue
                username = f"{slug}-{short}-1"
                staff_id = await _account(username, hashed, names.name())
                await StaffAssignment.insert(*[StaffAssignment(staff=staff_id, role="dispatched", community=community["id"], grid=grid,
                                                               department=department["id"]) for grid in grids])
                await audit(actor, "staff.create", "staff", staff_id, community_id=community["id"], detail={"username": username, "roles": ["dispatched"]})
                count += 1
        for department in await Department.select(Department.id, Department.code).order_by(Department.code):
            for n in range(1, DEPARTMENT_STAFF + 1):
                username = f"dept-{department['code']}-{n}"
                if await BaseUser.exists().where(BaseUser.username == username):
                    continue
                staff_id = await _account(username, hashed, names.name())
                await StaffAssignment.insert(StaffAssignment(staff=staff_id, role="department_staff", department=department["id"]))
                await audit(actor, "staff.create", "staff", staff_id, detail={"username": username, "roles": ["department_staff"]})
                count += 1
    return count, password


async def _account(username: str, hashed: str, name: str) -> int:
    user = BaseUser(username=username, password=hashed, email=f"{username}@staff.invalid", active=True)
    await user.save()
    staff = Staff(user=user.id, name=name, email=f"{username}@staff.invalid")
    await staff.save()
    return staff.id
