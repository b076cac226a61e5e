"""Staff accounts and the 2+1+N+X rules: who may give which role, and how many per grid."""

from __future__ import annotations

from meihao.testing import Factories, make_client


async def test_community_admin_gives_grid_roles_in_their_community_only(meihao):
    f = Factories(meihao)
    alpha = await f.place("alpha")
    beta = await f.place("beta")
    admin = await f.staff("community_admin", community="alpha")
    async with make_client(meihao, admin["id"]) as client:
        body = {"username": "grid.zhou", "password": "long enough pw", "name": "周网格", "assignments": [{"role": "grid_worker", "grid_id": alpha["grid_id"]}]}
        created = await client.post("/api/staff", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["assignments"] == [{"role": "grid_worker", "community": "alpha", "grid_id": alpha["grid_id"], "department": None}]
        outside = await client.post("/api/staff", json={**body, "username": "grid.wu", "assignments": [{"role": "grid_worker", "grid_id": beta["grid_id"]}]})
        assert outside.status_code == 404
        street = await client.post("/api/staff", json={**body, "username": "boss", "assignments": [{"role": "street_admin"}]})
        assert street.status_code == 403
        listed = [s["username"] for s in (await client.get("/api/staff")).json()]
    assert "grid.zhou" in listed and "grid.wu" not in listed and "boss" not in listed


async def test_two_grid_leaders_and_one_full_time_worker_per_grid(meihao):
    f = Factories(meihao)
    place = await f.place("alpha")
    await f.staff("grid_leader", grid_id=place["grid_id"])
    await f.staff("grid_leader", grid_id=place["grid_id"])
    await f.staff("grid_worker", grid_id=place["grid_id"])
    for n in range(3):
        await f.staff("grid_part_time", grid_id=place["grid_id"])  # N part-time workers
    async with make_client(meihao) as client:
        third = await client.post("/api/staff", json={"username": "third", "password": "long enough pw", "name": "三", "assignments": [{"role": "grid_leader", "grid_id": place["grid_id"]}]})
        second_worker = await client.post("/api/staff", json={"username": "second", "password": "long enough pw", "name": "二", "assignments": [{"role": "grid_worker", "grid_id": place["grid_id"]}]})
        no_department = await client.post("/api/staff", json={"username": "lawyer", "password": "long enough pw", "name": "律", "assignments": [{"role": "dispatched", "grid_id": place["grid_id"]}]})
        bad_role = await client.post("/api/staff", json={"username": "xx1", "password": "long enough pw", "name": "x", "assignments": [{"role": "mayor"}]})
        short = await client.post("/api/staff", json={"username": "xx2", "password": "short", "name": "x", "assignments": [{"role": "street_admin"}]})
    assert (third.status_code, third.json()["field"]) == (409, "role")
    assert second_worker.status_code == 409
    assert (no_department.status_code, no_department.json()["field"]) == (400, "department")
    assert (bad_role.status_code, bad_role.json()["field"]) == (400, "role")
    assert (short.status_code, short.json()["field"]) == (400, "password")


async def test_several_assignments_widen_the_scope(meihao):
    f = Factories(meihao)
    one = await f.place("alpha")
    two = await f.place("alpha")
    r1 = await f.resident(one["household_id"], name="一号")
    r2 = await f.resident(two["household_id"], name="二号")
    part_timer = await f.staff("grid_part_time", grid_id=one["grid_id"])
    async with make_client(meihao, part_timer["id"]) as client:
        assert (await client.get(f"/api/residents/{r2['id']}")).status_code == 404
    async with make_client(meihao) as client:
        added = await client.post(f"/api/staff/{part_timer['id']}/assignments", json={"role": "grid_part_time", "grid_id": two["grid_id"]})
        assert added.status_code == 201 and len(added.json()["assignments"]) == 2
    async with make_client(meihao, part_timer["id"]) as client:
        names = {r["name"] for r in (await client.get("/api/residents")).json()["items"]}
    assert names == {"一号", "二号"} and r1["id"] != r2["id"]


async def test_cli_creates_a_user(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    meihao = str(Path(sys.executable).with_name("meihao"))
    env = {**os.environ, "MEIHAO_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    subprocess.run([meihao, "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    ok = subprocess.run([meihao, "user", "create", "chen", "--name", "陈主任", "--role", "street_admin", "--password", "a long password"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "created staff" in ok.stdout
    bad = subprocess.run([meihao, "user", "create", "liu", "--name", "刘", "--role", "grid_worker", "--password", "a long password"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "needs a grid" in bad.stderr and "Traceback" not in bad.stderr


async def test_a_full_grid_of_another_community_is_404_not_409(meihao):
    f = Factories(meihao)
    alpha = await f.place("alpha")
    beta = await f.place("beta")
    await f.staff("grid_worker", grid_id=beta["grid_id"])  # beta's grid has its one full-time worker
    admin = await f.staff("community_admin", community="alpha")
    mine = await f.staff("grid_part_time", grid_id=alpha["grid_id"])
    missing = {"status_code": 404, "detail": "grid 999999 not found", "field": "grid_id"}
    async with make_client(meihao, admin["id"]) as client:
        body = {"username": "grid.wu", "password": "long enough pw", "name": "吴", "assignments": [{"role": "grid_worker", "grid_id": beta["grid_id"]}]}
        created = await client.post("/api/staff", json=body)
        assert created.json() == {**missing, "detail": f"grid {beta['grid_id']} not found"}
        added = await client.post(f"/api/staff/{mine['id']}/assignments", json={"role": "grid_worker", "grid_id": beta["grid_id"]})
        assert added.json() == {**missing, "detail": f"grid {beta['grid_id']} not found"}
        nowhere = await client.post(f"/api/staff/{mine['id']}/assignments", json={"role": "grid_worker", "grid_id": 999999})
        assert nowhere.json() == missing
        await f.staff("grid_worker", grid_id=alpha["grid_id"])
        full = await client.post(f"/api/staff/{mine['id']}/assignments", json={"role": "grid_worker", "grid_id": alpha["grid_id"]})
        assert (full.status_code, full.json()["field"]) == (409, "role")  # in their own community the rule is told
