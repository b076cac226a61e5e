"""A principal's permissions and scope at their edges (what mutation testing of ``meihao.access.principals`` found unguarded).

Two communities, 雅居园 (grids Y1, Y2) and 华阳 (grid H1), one resident in each grid.
"""

from __future__ import annotations

import pytest

from meihao.access.principals import SYSTEM, Principal, _principal
from meihao.errors import Forbidden
from meihao.tables import Resident
from meihao.testing import Factories


async def _world(mh):
    f = Factories(mh)
    yajuyuan, huayang = await f.community("yajuyuan"), await f.community("huayang")
    y1, y2, h1 = await f.grid("yajuyuan", code="Y1"), await f.grid("yajuyuan", code="Y2"), await f.grid("huayang", code="H1")
    names = {}
    for grid, name in ((y1, "王秀英"), (y2, "张伟"), (h1, "刘芳")):
        household = await f.household((await f.building(grid["id"]))["id"])
        names[name] = (await f.resident(household["id"], name=name))["id"]
    return yajuyuan["id"], huayang["id"], y1["id"], y2["id"], h1["id"], names


async def _names(query) -> list[str]:
    ids = [r["id"] for r in await query]
    return [r["name"] for r in await Resident.select(Resident.name).where(Resident.id.is_in(ids or [0])).order_by(Resident.id)]


async def _where(principal: Principal) -> list[str]:
    clauses = principal.residents_where()
    query = Resident.select(Resident.id)
    return await _names(query.where(*clauses) if clauses else query)


def test_permissions_and_the_message_of_a_refusal():
    worker = Principal(staff_id=1, name="网格员", permissions={"meihao.resident.read"})
    assert worker.can("meihao.resident.read") is True
    assert worker.can("meihao.resident.write") is False
    worker.require("meihao.resident.read")
    with pytest.raises(Forbidden) as refused:
        worker.require("meihao.resident.write")
    assert str(refused.value) == "you need the permission 'meihao.resident.write'"
    assert SYSTEM.can("anything.at.all") is True
    assert (SYSTEM.staff_id, SYSTEM.name, SYSTEM.street, SYSTEM.permissions) == (None, "system", True, {"*"})
    assert Principal.system("demo").name == "demo"


def test_reaching_and_managing_a_community():
    street = Principal(staff_id=1, name="街道", street=True)
    admin = Principal(staff_id=2, name="社区", community_ids={10})
    grid = Principal(staff_id=3, name="网格", grid_ids={5}, grid_community_ids={11})
    assert [street.reaches_community(c) for c in (10, 11, 12)] == [True, True, True]
    assert [admin.reaches_community(c) for c in (10, 11, 12)] == [True, False, False]
    assert [grid.reaches_community(c) for c in (10, 11, 12)] == [False, True, False]
    assert [street.manages_community(c) for c in (10, 11)] == [True, True]
    assert [admin.manages_community(c) for c in (10, 11)] == [True, False]
    assert [grid.manages_community(c) for c in (10, 11)] == [False, False]


async def test_scopes_as_sql_select_exactly_the_residents_in_them(meihao):
    yajuyuan, huayang, y1, y2, h1, _ = await _world(meihao)
    everyone = ["王秀英", "张伟", "刘芳"]
    assert await _where(Principal(staff_id=1, name="街道", street=True, grid_ids={y1})) == everyone
    assert Principal(staff_id=1, name="街道", street=True).residents_where() == []
    assert await _where(Principal(staff_id=1, name="社区", community_ids={yajuyuan})) == ["王秀英", "张伟"]
    assert await _where(Principal(staff_id=1, name="网格", grid_ids={y2})) == ["张伟"]
    assert await _where(Principal(staff_id=1, name="两者", community_ids={huayang}, grid_ids={y1})) == ["王秀英", "刘芳"]
    assert await _where(Principal(staff_id=1, name="无")) == []
    # the sub-selects: every community in scope, or only the one named
    both = Principal(staff_id=1, name="两者", community_ids={huayang}, grid_ids={y1})
    assert await _names(both.resident_ids()) == ["王秀英", "刘芳"]
    assert await _names(Principal(staff_id=1, name="街道", street=True).resident_ids()) == everyone
    assert await _names(both.residents_in(yajuyuan)) == ["王秀英"]
    assert await _names(both.residents_in(huayang)) == ["刘芳"]
    assert await _names(Principal(staff_id=1, name="街道", street=True).residents_in(huayang)) == ["刘芳"]


def test_assignments_make_the_scope(meihao):
    rows = [
        {"role": "grid_worker", "community": None, "grid": 5, "department": None, "grid_community": 11},
        {"role": "dispatched", "community": None, "grid": 6, "department": 3, "grid_community": 12},
        {"role": "community_admin", "community": 10, "grid": None, "department": None, "grid_community": None},
        {"role": "community_admin", "community": None, "grid": None, "department": None, "grid_community": None},
        {"role": "grid_leader", "community": None, "grid": None, "department": None, "grid_community": None},
        {"role": "retired_role", "community": 13, "grid": 7, "department": None, "grid_community": 13},
    ]
    principal = _principal(meihao, {"id": 4, "name": "李建国"}, rows, "10.0.0.1")
    assert (principal.staff_id, principal.name, principal.address) == (4, "李建国", "10.0.0.1")
    assert principal.roles == {"grid_worker", "dispatched", "community_admin", "grid_leader", "retired_role"}
    assert (principal.community_ids, principal.grid_ids, principal.grid_community_ids, principal.department_ids) == (
        {10}, {5, 6}, {11, 12}, {3})
    assert principal.street is False
    assert "meihao.staff.manage" in principal.permissions  # the community admin's
    assert "*" not in principal.permissions
    street = _principal(meihao, {"id": 1, "name": "街道"}, [
        {"role": "street_admin", "community": None, "grid": None, "department": None, "grid_community": None}], "")
    assert (street.street, street.permissions, street.community_ids) == (True, {"*"}, set())


async def test_a_principal_read_without_an_address_has_none(meihao):
    from meihao.access.principals import principal_for

    _, _, y1, _, _, _ = await _world(meihao)
    staff = await Factories(meihao).staff("grid_worker", grid_id=y1)
    principal = await principal_for(meihao, staff)
    assert (principal.address, principal.grid_ids) == ("", {y1})


def test_the_kernels_own_principal_made_at_run_time():
    assert Principal.system() == Principal(staff_id=None, name="system", street=True, permissions={"*"})
    assert Principal.system("demo") == Principal(staff_id=None, name="demo", street=True, permissions={"*"})
