"""The caller (a :class:`Principal`): their permissions and their scope, and scopes turned into SQL.

Scopes become SQL ``WHERE`` clauses (:meth:`Principal.residents_where` and friends), so a
list never fetches what the caller may not see, and a record outside the scope is a 404
exactly like a record that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from piccolo.columns import Column

from meihao.access.roles import ROLES, role_permissions
from meihao.access.tables import StaffAssignment
from meihao.errors import Forbidden
from meihao.register.tables import Grid

if TYPE_CHECKING:
    from meihao.runtime import Meihao


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

    def department_staff(self) -> bool:
        """Department staff (部门工作人员): no community of their own; they reach a community only through a
        scenario that serves departments (``Scenario.departments``), which scopes them to their department."""
        return bool(self.department_ids) and "department_staff" in self.roles

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
        from meihao.register.tables import Resident

        return self.where(Resident.community, Resident.grid)

    def resident_ids(self) -> Any:
        """A sub-select of the ids of residents in scope, in every community the scope reaches.

        A street admin's scope spans every community: in a scene, use :meth:`residents_in`.
        """
        from meihao.register.tables import Resident

        query = Resident.select(Resident.id)
        clauses = self.residents_where()
        return query.where(*clauses) if clauses else query

    def residents_in(self, community_id: int) -> Any:
        """A sub-select of the ids of residents in scope *and* in that community, for ``column.is_in(...)``."""
        from meihao.register.tables import Resident

        return Resident.select(Resident.id).where(Resident.community == community_id, *self.residents_where())


SYSTEM = Principal.system()


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
