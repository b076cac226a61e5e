"""Roles of the "2+1+N+X" grid team (2 grid leaders, 1 full-time grid worker, N part-time, X sent down) and what each may do."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from meihao.errors import MeihaoError

if TYPE_CHECKING:
    from meihao.runtime import Meihao


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


#: The grants of each loaded set of plugins: permissions are declared once, at load, so a
#: request never collects them again.
_GRANTS: weakref.WeakKeyDictionary[Any, dict[str, frozenset[str]]] = weakref.WeakKeyDictionary()


def role_permissions(mh: Meihao) -> dict[str, frozenset[str]]:
    """The permissions each role holds by default (street admins: ``*``), computed once per loaded set of plugins."""
    cached = _GRANTS.get(mh.plugins)
    if cached is None:
        cached = _GRANTS[mh.plugins] = {role: frozenset(names) for role, names in _role_permissions(mh).items()}
    return cached


def _role_permissions(mh: Meihao) -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {name: set() for name in ROLES}
    for permission in mh.plugins.permissions():
        for role in permission.roles:
            if role not in grants:
                raise MeihaoError(f"permission {permission.name!r} grants unknown role {role!r}")
            grants[role].add(permission.name)
    grants["street_admin"] = {"*"}
    return grants
