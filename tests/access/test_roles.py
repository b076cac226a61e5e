"""What each role holds, computed from the plugins' permissions (what mutation testing of ``meihao.access.roles`` found unguarded)."""

from __future__ import annotations

import pytest

from meihao import hookimpl
from meihao.access.roles import ROLES, role_permissions
from meihao.errors import MeihaoError


class Kites:
    """A throwaway plugin declaring two permissions."""

    @hookimpl
    def meihao_permissions(self):
        from meihao import Permission

        return [
            Permission("kites.fly", "fly kites", roles=("grid_worker", "department_staff")),
            Permission("kites.repair", "repair kites", roles=("grid_worker",)),
        ]


class Stowaway:
    """A plugin granting a permission to a role that does not exist."""

    @hookimpl
    def meihao_permissions(self):
        from meihao import Permission

        return [Permission("stowaway.hide", "hide", roles=("grid_worker", "captain"))]


async def test_each_role_holds_what_the_plugins_grant_it_and_street_admins_hold_everything(make_meihao):
    mh = await make_meihao(plugins=[("kites", Kites())])
    granted = role_permissions(mh)
    assert set(granted) == set(ROLES)
    kites = {role: sorted(p for p in names if p.startswith("kites.")) for role, names in granted.items()}
    assert kites == {
        "street_admin": [],
        "community_admin": [],
        "grid_leader": [],
        "grid_worker": ["kites.fly", "kites.repair"],
        "grid_part_time": [],
        "dispatched": [],
        "department_staff": ["kites.fly"],
    }
    assert granted["street_admin"] == frozenset({"*"})
    assert all(isinstance(names, frozenset) for names in granted.values())
    # computed once per loaded set of plugins
    assert role_permissions(mh) is granted


async def test_a_permission_granted_to_an_unknown_role_is_refused_naming_both(make_meihao):
    mh = await make_meihao(plugins=[("stowaway", Stowaway())])
    with pytest.raises(MeihaoError) as refused:
        role_permissions(mh)
    assert str(refused.value) == "permission 'stowaway.hide' grants unknown role 'captain'"
