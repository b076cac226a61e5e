"""Who a bearer token makes the caller: the one-statement lookup on every request gives what the assignments say."""

from __future__ import annotations

from meihao.access.logins import principal_from_token
from meihao.access.principals import SYSTEM, principal_for
from meihao.access.staff import AssignmentSpec, add_assignment
from meihao.tables import Department, Staff, StaffAssignment
from meihao.testing import ANONYMOUS, Factories, make_client


async def test_a_token_gives_every_assignment_of_its_staff_member(meihao):
    f = Factories(meihao)
    alpha, beta, gamma = [await f.community(slug) for slug in ("alpha", "beta", "gamma")]
    grid_a, grid_b = await f.grid("alpha"), await f.grid("beta")
    await Department.insert(Department(code="law", name="综合执法", kind="law_enforcement"))
    staff = await f.staff("grid_worker", grid_id=grid_a["id"])
    await add_assignment(meihao, SYSTEM, staff["id"], AssignmentSpec("dispatched", grid_id=grid_b["id"], department="law"))
    await add_assignment(meihao, SYSTEM, staff["id"], AssignmentSpec("community_admin", community="gamma"))
    others = [await f.street_admin(), await f.staff("community_admin", community="beta")]

    for person in [staff, *others]:
        principal = await principal_from_token(meihao, await f.token(person["id"]), "10.0.0.1")
        reference = await principal_for(meihao, person, "10.0.0.1")  # the assignments read one by one
        assert principal == reference
    principal = await principal_from_token(meihao, await f.token(staff["id"]), "10.0.0.1")
    assert principal.roles == {"grid_worker", "dispatched", "community_admin"}
    assert principal.grid_ids == {grid_a["id"], grid_b["id"]}
    assert principal.grid_community_ids == {alpha["id"], beta["id"]}
    assert principal.community_ids == {gamma["id"]}
    assert principal.department_ids == {(await Department.select(Department.id).first())["id"]}
    assert not principal.street and principal.address == "10.0.0.1"


async def test_a_staff_member_without_assignments_is_known_but_may_do_nothing(meihao):
    staff = await Factories(meihao).staff("grid_part_time", grid_id=(await Factories(meihao).grid((await Factories(meihao).community("alpha"))["slug"]))["id"])
    await StaffAssignment.delete().where(StaffAssignment.staff == staff["id"])
    principal = await principal_from_token(meihao, await Factories(meihao).token(staff["id"]), "")
    assert principal is not None and principal.staff_id == staff["id"]
    assert (principal.roles, principal.permissions, principal.grid_ids, principal.street) == (set(), set(), set(), False)


async def test_the_token_of_a_deactivated_staff_member_is_refused(meihao):
    staff = await Factories(meihao).street_admin()
    token = await Factories(meihao).token(staff["id"])
    assert await principal_from_token(meihao, token, "") is not None
    await Staff.update({Staff.active: False}).where(Staff.id == staff["id"])
    assert await principal_from_token(meihao, token, "") is None
    async with make_client(meihao, ANONYMOUS) as client:
        response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert await principal_from_token(meihao, "not-a-token", "") is None
