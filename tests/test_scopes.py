"""Scoped lookups (meihao.register.scopes): a row in this community and the caller's scope, or the missing row's 404."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import msgspec
import pytest
from piccolo.columns import ForeignKey, Varchar
from piccolo.table import Table

from meihao import NotFound, Principal, get_community, scope_where, scoped_household, scoped_resident, scoped_row, scoped_staff
from meihao.access.principals import principal_for
from meihao.tables import Community, Grid, Resident, Staff, StaffAssignment
from meihao.testing import Factories
from meihao.web.app import meihao_error_response


class Lending(Table, tablename="test_scopes_lending"):
    """A plugin's own table: a lending to a resident, recorded with its grid and community."""

    borrower = ForeignKey(Resident, null=True, default=None)
    grid = ForeignKey(Grid, null=True, default=None)
    community = ForeignKey(Community)
    item = Varchar(length=32)


class Return(Table, tablename="test_scopes_return"):
    """Reached through a chain: ``Return.lending.borrower`` leads to the resident."""

    lending = ForeignKey(Lending)


async def build(mh: Any) -> SimpleNamespace:
    """alpha (grids A1, A2) and beta (grid B1), a resident and a household in each grid, and staff."""
    f = Factories(mh)
    for slug in ("alpha", "beta"):
        await f.community(slug)
    grids = {"a1": await f.grid("alpha", code="A1"), "a2": await f.grid("alpha", code="A2"), "b1": await f.grid("beta", code="B1")}
    homes, residents = {}, {}
    for key, name in (("a1", "甲"), ("a2", "乙"), ("b1", "丙")):
        building = await f.building(grids[key]["id"])
        homes[key] = await f.household(building["id"])
        residents[key] = await f.resident(homes[key]["id"], name=name)
    staff = {
        "street": await f.street_admin(),
        "admin_alpha": await f.staff("community_admin", community="alpha", name="甲管理员"),
        "worker_a1": await f.staff("grid_worker", grid_id=grids["a1"]["id"], name="甲网格员"),
        "leader_a2": await f.staff("grid_leader", grid_id=grids["a2"]["id"], name="乙网格长"),
        "worker_b1": await f.staff("grid_worker", grid_id=grids["b1"]["id"], name="丙网格员"),
    }
    principals = {key: await principal_for(mh, row) for key, row in staff.items()}
    return SimpleNamespace(
        alpha=await get_community("alpha"), beta=await get_community("beta"), grids={k: g["id"] for k, g in grids.items()},
        homes={k: h["id"] for k, h in homes.items()}, residents={k: r["id"] for k, r in residents.items()},
        staff={k: s["id"] for k, s in staff.items()}, who=principals,
    )


@pytest.fixture
async def world(meihao):
    return await build(meihao)


async def not_found(call) -> NotFound:
    with pytest.raises(NotFound) as caught:
        await call
    return caught.value


def body(err: NotFound) -> bytes:
    """The HTTP body the kernel answers for the error."""
    return msgspec.json.encode(meihao_error_response(None, err).content)  # type: ignore[arg-type]


# -- residents ------------------------------------------------------------------------------


async def test_scoped_resident_is_found_in_scope_and_community(world):
    found = await scoped_resident(world.who["worker_a1"], world.alpha, world.residents["a1"])
    assert (found["id"], found["name"], found["grid"], found["community"]) == (world.residents["a1"], "甲", world.grids["a1"], world.alpha.id)
    assert "phone" not in found and "id_card_cipher" not in found
    assert (await scoped_resident(world.who["admin_alpha"], world.alpha, world.residents["a2"]))["name"] == "乙"
    assert (await scoped_resident(world.who["street"], world.beta.id, world.residents["b1"]))["name"] == "丙"  # an id will do


async def test_a_street_admin_is_not_lent_a_resident_of_another_community(world):
    err = await not_found(scoped_resident(world.who["street"], world.alpha, world.residents["b1"]))
    assert (err.status_code, err.message, err.field) == (404, f"resident {world.residents['b1']} not found", None)


async def test_a_grid_worker_outside_their_grid_and_a_community_admin_elsewhere_find_nothing(world):
    err = await not_found(scoped_resident(world.who["worker_a1"], world.alpha, world.residents["a2"], "resident_id"))
    assert (err.message, err.field) == (f"resident_id: resident {world.residents['a2']} not found", "resident_id")
    await not_found(scoped_resident(world.who["admin_alpha"], world.beta, world.residents["b1"]))
    await not_found(scoped_resident(world.who["worker_b1"], world.alpha, world.residents["a1"]))


async def test_out_of_scope_answers_the_same_body_as_missing(world):
    resident_id = world.residents["a2"]
    hidden = await not_found(scoped_resident(world.who["worker_a1"], world.alpha, resident_id, "resident_id"))
    await Resident.delete().where(Resident.id == resident_id)
    missing = await not_found(scoped_resident(world.who["street"], world.alpha, resident_id, "resident_id"))
    assert body(hidden) == body(missing)
    assert body(missing) == f'{{"status_code":404,"detail":"resident_id: resident {resident_id} not found","field":"resident_id"}}'.encode()


async def test_residents_in_keeps_to_one_community_where_resident_ids_spans_them_all(world):
    async def ids(query) -> set[int]:
        return {r["id"] for r in await query}

    r = world.residents
    assert await ids(world.who["street"].resident_ids()) == {r["a1"], r["a2"], r["b1"]}
    assert await ids(world.who["street"].residents_in(world.alpha.id)) == {r["a1"], r["a2"]}
    assert await ids(world.who["worker_a1"].residents_in(world.alpha.id)) == {r["a1"]}
    assert await ids(world.who["worker_a1"].residents_in(world.beta.id)) == set()
    assert await ids(world.who["admin_alpha"].residents_in(world.beta.id)) == set()
    assert await ids(Principal(staff_id=None, name="nobody").residents_in(world.alpha.id)) == set()


# -- households and staff ------------------------------------------------------------------


async def test_scoped_household(world):
    found = await scoped_household(world.who["worker_a1"], world.alpha, world.homes["a1"])
    assert (found["id"], found["grid"], found["community"]) == (world.homes["a1"], world.grids["a1"], world.alpha.id)
    err = await not_found(scoped_household(world.who["worker_a1"], world.alpha, world.homes["a2"], "household_id"))
    assert (err.message, err.field) == (f"household_id: household {world.homes['a2']} not found", "household_id")
    await not_found(scoped_household(world.who["street"], world.alpha, world.homes["b1"]))
    await not_found(scoped_household(world.who["admin_alpha"], world.beta, world.homes["b1"]))
    assert (await not_found(scoped_household(world.who["street"], world.alpha, 999_999))).message == "household 999999 not found"


async def test_scoped_staff_finds_active_colleagues_of_the_community(world):
    admin = world.who["admin_alpha"]
    found = await scoped_staff(admin, world.alpha, world.staff["worker_a1"])
    assert (found["id"], found["name"]) == (world.staff["worker_a1"], "甲网格员")
    assert (await scoped_staff(world.who["worker_a1"], world.alpha, world.staff["leader_a2"]))["name"] == "乙网格长"
    err = await not_found(scoped_staff(admin, world.alpha, world.staff["worker_b1"], "visitor_staff_id"))
    assert (err.message, err.field) == (f"visitor_staff_id: staff {world.staff['worker_b1']} not found", "visitor_staff_id")
    # a street admin holds no role in the community: not someone to name there
    await not_found(scoped_staff(admin, world.alpha, world.staff["street"]))
    # roles narrow it; a caller who does not reach the community finds no one
    assert (await scoped_staff(admin, world.alpha, world.staff["leader_a2"], roles=("grid_leader",)))["name"] == "乙网格长"
    await not_found(scoped_staff(admin, world.alpha, world.staff["worker_a1"], roles=("grid_leader", "community_admin")))
    await not_found(scoped_staff(world.who["worker_b1"], world.alpha, world.staff["worker_a1"]))
    await Staff.update({Staff.active: False}).where(Staff.id == world.staff["worker_a1"])
    await not_found(scoped_staff(admin, world.alpha, world.staff["worker_a1"]))
    await not_found(scoped_staff(admin, world.alpha, 999_999))


# -- a plugin's own table -----------------------------------------------------------------


@pytest.fixture
async def lendings(meihao, world):
    """L1 to 甲 (A1), L2 to 乙 (A2), L3 to 丙 (B1, beta), L4 the community's own (no borrower, no grid); a return of L1, L2, L3."""
    for table in (Lending, Return):
        table._meta.db = meihao.db.engine
        await table.create_table(if_not_exists=True)
    ids = {}
    for key, grid, community, item in (("a1", "a1", world.alpha, "梯子"), ("a2", "a2", world.alpha, "电钻"), ("b1", "b1", world.beta, "雨伞")):
        row = Lending(borrower=world.residents[key], grid=world.grids[grid], community=community.id, item=item)
        await row.save()
        ids[key] = row.id
    own = Lending(borrower=None, grid=None, community=world.alpha.id, item="推车")
    await own.save()
    ids["own"] = own.id
    returns = {}
    for key in ("a1", "a2", "b1"):
        back = Return(lending=ids[key])
        await back.save()
        returns[key] = back.id
    yield SimpleNamespace(lending=ids, returns=returns)
    for table in (Return, Lending):
        await table.alter().drop_table(if_exists=True)


async def listed(table: type[Table], principal: Principal, community: Any, via: Any) -> set[int]:
    return {r["id"] for r in await table.select(table.id).where(*scope_where(principal, community, via))}


@pytest.mark.parametrize(
    ("who", "community", "expected"),
    [
        ("worker_a1", "alpha", {"a1"}),
        ("leader_a2", "alpha", {"a2"}),
        ("admin_alpha", "alpha", {"a1", "a2"}),
        ("admin_alpha", "beta", set()),
        ("street", "alpha", {"a1", "a2"}),
        ("street", "beta", {"b1"}),
        ("worker_b1", "alpha", set()),
    ],
)
async def test_scope_where_through_a_resident_and_through_a_grid(world, lendings, who, community, expected):
    place = getattr(world, community)
    wanted = {lendings.lending[k] for k in expected}
    assert await listed(Lending, world.who[who], place, Lending.borrower) == wanted
    assert await listed(Lending, world.who[who], place, Lending.grid) == wanted


@pytest.mark.parametrize(
    ("who", "community", "expected"),
    [
        ("worker_a1", "alpha", {"a1", "a2", "own"}),  # the community's rows: anyone whose scope reaches it
        ("street", "beta", {"b1"}),
        ("worker_b1", "alpha", set()),
    ],
)
async def test_scope_where_through_the_community(world, lendings, who, community, expected):
    found = await listed(Lending, world.who[who], getattr(world, community), Lending.community)
    assert found == {lendings.lending[k] for k in expected}


@pytest.mark.parametrize(
    ("who", "community", "expected"),
    [
        ("worker_a1", "alpha", {"a1"}),  # a row without a grid is not a grid worker's
        ("admin_alpha", "alpha", {"a1", "a2", "own"}),
        ("street", "alpha", {"a1", "a2", "own"}),
        ("street", "beta", {"b1"}),
        ("admin_alpha", "beta", set()),
    ],
)
async def test_scope_where_through_the_community_and_grid_pair(world, lendings, who, community, expected):
    found = await listed(Lending, world.who[who], getattr(world, community), (Lending.community, Lending.grid))
    assert found == {lendings.lending[k] for k in expected}


@pytest.mark.parametrize(
    ("who", "community", "expected"),
    [("worker_a1", "alpha", {"a1"}), ("street", "alpha", {"a1", "a2"}), ("street", "beta", {"b1"}), ("leader_a2", "beta", set())],
)
async def test_scope_where_through_a_chain(world, lendings, who, community, expected):
    found = await listed(Return, world.who[who], getattr(world, community), Return.lending.borrower)
    assert found == {lendings.returns[k] for k in expected}


async def test_scoped_row(world, lendings):
    a1, a2, b1 = lendings.lending["a1"], lendings.lending["a2"], lendings.lending["b1"]
    row = await scoped_row(Lending, a1, world.who["worker_a1"], world.alpha, via=Lending.borrower)
    assert (row["id"], row["item"], row["borrower"]) == (a1, "梯子", world.residents["a1"])
    joined = await scoped_row(
        Lending, a1, world.who["worker_a1"], world.alpha, via=Lending.borrower, columns=(Lending.id, Lending.borrower.name.as_alias("name"))
    )
    assert joined == {"id": a1, "name": "甲"}
    # outside the grid, another community (even for the street), and missing: one answer
    err = await not_found(scoped_row(Lending, a2, world.who["worker_a1"], world.alpha, via=Lending.borrower, field="lending_id"))
    assert (err.message, err.field) == (f"lending_id: lending {a2} not found", "lending_id")
    err = await not_found(scoped_row(Lending, b1, world.who["street"], world.alpha, via=Lending.borrower, noun="loan"))
    assert err.message == f"loan {b1} not found"
    hidden = await not_found(scoped_row(Return, lendings.returns["a2"], world.who["worker_a1"], world.alpha, via=Return.lending.borrower))
    await Return.delete().where(Return.id == lendings.returns["a2"])
    missing = await not_found(scoped_row(Return, lendings.returns["a2"], world.who["street"], world.alpha, via=Return.lending.borrower))
    assert body(hidden) == body(missing) == f'{{"status_code":404,"detail":"return {lendings.returns["a2"]} not found"}}'.encode()


async def test_via_must_lead_to_a_resident_a_grid_or_the_community(world, lendings):
    with pytest.raises(TypeError, match="not a ForeignKey"):
        scope_where(world.who["street"], world.alpha, Lending.item)
    with pytest.raises(TypeError, match="leads to Lending"):
        scope_where(world.who["street"], world.alpha, Return.lending)


# -- what mutation testing (bench/mutation.py) found unguarded ----------------------------------


async def test_a_caller_who_does_not_reach_the_community_gets_the_missing_staff_answer(world):
    colleague = world.staff["worker_a1"]
    hidden = await not_found(scoped_staff(world.who["worker_b1"], world.alpha, colleague, "visitor_staff_id"))
    assert (hidden.status_code, hidden.message, hidden.field) == (404, f"visitor_staff_id: staff {colleague} not found", "visitor_staff_id")
    await Staff.delete().where(Staff.id == colleague)
    missing = await not_found(scoped_staff(world.who["admin_alpha"], world.alpha, colleague, "visitor_staff_id"))
    assert body(hidden) == body(missing)
    unnamed = await not_found(scoped_staff(world.who["worker_b1"], world.alpha, 999_999))
    assert (unnamed.message, unnamed.field) == ("staff 999999 not found", None)


async def test_a_table_named_in_several_words_is_named_in_words(world):
    err = await not_found(scoped_row(StaffAssignment, 999_999, world.who["street"], world.alpha, via=StaffAssignment.community))
    assert err.message == "staff assignment 999999 not found"
