"""The audit log: every write recorded, readable by street admins only, filterable, append-only."""

from __future__ import annotations

from meihao.testing import Factories, make_client


async def test_writes_are_audited_and_filterable(meihao):
    f = Factories(meihao)
    admin = await f.street_admin()
    async with make_client(meihao, admin["id"]) as client:
        await client.post("/api/communities", json={"slug": "alpha", "name": "甲社区"})
        grid = (await client.post("/api/communities/alpha/grids", json={"code": "G1", "name": "一网格"})).json()
        building = (await client.post(f"/api/grids/{grid['id']}/buildings", json={"name": "1号楼"})).json()
        household = (await client.post(f"/api/buildings/{building['id']}/households", json={"room": "101"})).json()
        body = {"household_id": household["id"], "name": "钱多多", "gender": "female", "birth_date": "1960-05-17", "id_card": f.id_card(__import__("datetime").date(1960, 5, 17))}
        resident = (await client.post("/api/residents", json=body)).json()
        await client.patch(f"/api/residents/{resident['id']}", json={"tags": ["elder"]})
        await client.delete(f"/api/residents/{resident['id']}")
        log = (await client.get("/api/audit?page_size=50")).json()
        only_residents = (await client.get("/api/audit", params={"target_type": "resident", "target_id": str(resident["id"])})).json()
    actions = [row["action"] for row in reversed(log["items"]) if row["action"] != "staff.create"]
    assert actions == ["community.create", "grid.create", "building.create", "household.create", "resident.create", "resident.update", "resident.delete"]
    assert all(row["staff_id"] == admin["id"] and row["address"] for row in log["items"] if row["action"] != "staff.create")
    assert [r["action"] for r in only_residents["items"]] == ["resident.delete", "resident.update", "resident.create"]
    assert "钱多多" not in str(log)  # the log names records, it does not copy personal data


async def test_only_street_admins_read_it_and_nobody_changes_it(meihao):
    f = Factories(meihao)
    await f.community("alpha")
    community_admin = await f.staff("community_admin", community="alpha")
    async with make_client(meihao, community_admin["id"]) as client:
        assert (await client.get("/api/audit")).status_code == 403
    async with make_client(meihao) as client:
        assert (await client.get("/api/audit")).status_code == 200
        for method in ("PUT", "PATCH", "DELETE", "POST"):
            response = await client.request(method, "/api/audit", json={})
            assert response.status_code == 405, method
        assert (await client.delete("/api/audit/1")).status_code == 404
