"""Motions: 附议 up to the threshold and no further, the party organisation's review, scope (404 as if missing)."""

from __future__ import annotations

from .conftest import BASE, body_with_members, post


async def test_a_motion_needs_its_seconders_before_review(hepan):
    w = hepan
    async with w.client("community_admin") as admin:
        body, _ = await body_with_members(w, admin, "council", ["李明"])
    async with w.client("grid_worker") as worker:
        motion = await post(worker, "/motions", {"body_id": body["id"], "title": "南门增设充电棚", "proposer_id": w.residents["王秀英"]["id"]})
        assert (motion["state"], motion["seconds"], motion["seconds_required"], motion["grid"]) == ("proposed", 0, 3, w.grids["A"])
        # the proposer cannot second; one resident seconds once
        response = await worker.post(f"{BASE}/motions/{motion['id']}/seconds", json={"resident_id": w.residents["王秀英"]["id"]})
        assert (response.status_code, response.json()["detail"]) == (409, "resident_id: the proposer cannot second their own motion")
        motion = await post(worker, f"/motions/{motion['id']}/seconds", {"resident_id": w.residents["李明"]["id"]})
        response = await worker.post(f"{BASE}/motions/{motion['id']}/seconds", json={"resident_id": w.residents["李明"]["id"]})
        assert response.status_code == 409
        motion = await post(worker, f"/motions/{motion['id']}/seconds", {"resident_id": w.residents["赵芳"]["id"]})
        assert (motion["state"], motion["seconds"]) == ("proposed", 2)  # one short of the threshold
    async with w.client("community_admin") as admin:
        response = await admin.post(f"{BASE}/motions/{motion['id']}/review", json={"approve": True})
        assert (response.status_code, response.json()["detail"]) == (409, f"motion {motion['id']} has 2 of the 3 seconders it needs")
    async with w.client("grid_worker") as worker:
        motion = await post(worker, f"/motions/{motion['id']}/seconds", {"resident_id": w.residents["刘洋"]["id"]})
        assert (motion["state"], motion["seconds"]) == ("seconded", 3)
        # a grid worker is not the party organisation
        assert (await worker.post(f"{BASE}/motions/{motion['id']}/review", json={"approve": True})).status_code == 403
    async with w.client("community_admin") as admin:
        response = await admin.post(f"{BASE}/motions/{motion['id']}/review", json={"approve": False})
        assert (response.status_code, response.json()["field"]) == (400, "note")  # declining needs a reason
        motion = await post(admin, f"/motions/{motion['id']}/review", {"approve": True, "note": "同意提交议事会"}, status=200)
        assert (motion["state"], motion["review_note"]) == ("approved", "同意提交议事会")
        response = await admin.post(f"{BASE}/motions/{motion['id']}/review", json={"approve": True})
        assert (response.status_code, response.json()["detail"]) == (409, f"motion {motion['id']} is approved, not waiting for review")
        # seconds are taken before the review only
        response = await admin.post(f"{BASE}/motions/{motion['id']}/seconds", json={"resident_id": w.residents["陈静"]["id"]})
        assert response.status_code == 409


async def test_no_seconders_needed_goes_straight_to_review(meihao):
    from meihao.testing import SceneWorld

    w = await SceneWorld.build(meihao, "neighbourhood", settings={"seconders_required": 0})
    async with w.client("community_admin") as admin:
        body = await post(admin, "/bodies", {"kind": "council", "name": "家门口议事厅"})
        motion = await post(admin, "/motions", {"body_id": body["id"], "title": "楼道堆物清理日"})
    assert (motion["state"], motion["seconds_required"], motion["grid"]) == ("seconded", 0, None)


async def test_a_motion_out_of_scope_is_the_404_of_a_missing_one(hepan):
    w = hepan
    async with w.client("community_admin") as admin:
        body = await post(admin, "/bodies", {"kind": "council", "name": "家门口议事厅"})
    async with w.client("grid_worker") as worker:
        motion = await post(worker, "/motions", {"body_id": body["id"], "title": "荷花池步道照明", "proposer_id": w.residents["王秀英"]["id"]})
        # grid A's worker cannot propose for a resident of grid B
        response = await worker.post(f"{BASE}/motions", json={"body_id": body["id"], "title": "x", "proposer_id": w.residents["张伟"]["id"]})
        assert (response.status_code, response.json()["detail"]) == (404, f"proposer_id: resident {w.residents['张伟']['id']} not found")
    async with w.client("grid_worker_out") as out:
        inside = await out.get(f"{BASE}/motions/{motion['id']}")
        missing = await out.get(f"{BASE}/motions/{motion['id'] + 1000}")
        assert (inside.status_code, inside.content) == (404, missing.content.replace(str(motion["id"] + 1000).encode(), str(motion["id"]).encode()))
        assert (await out.get(f"{BASE}/motions")).json() == []
        second = await out.post(f"{BASE}/motions/{motion['id']}/seconds", json={"resident_id": w.residents["张伟"]["id"]})
        assert second.status_code == 404
    async with w.client("community_admin") as admin:
        assert [m["id"] for m in (await admin.get(f"{BASE}/motions")).json()] == [motion["id"]]
        assert (await admin.get(f"{BASE}/motions?status=nope")).status_code == 400
    async with w.client("street_admin") as street:
        assert (await street.get("/api/communities/beiyuan/neighbourhood/motions")).status_code == 404  # the scene is off there
