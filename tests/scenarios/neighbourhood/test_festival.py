"""邻里节: events with capacity and volunteers needed, sign-ups once, a volunteer's shift recorded through the kernel."""

from __future__ import annotations

from .conftest import BASE, post


async def test_sign_ups_fill_to_capacity_and_shifts_become_volunteer_service(hepan):
    w = hepan
    async with w.client("community_admin") as admin:
        event = await post(admin, "/festival", {"festival": "第三届荷畔邻里节", "title": "百家宴", "starts_at": "2026-03-14T11:00:00",
                                                "ends_at": "2026-03-14T14:00:00", "capacity": 2, "volunteers_needed": 1})
        assert (event["participants"], event["volunteers"], event["capacity"]) == (0, 0, 2)
        bad = await admin.post(f"{BASE}/festival", json={"festival": "邻里节", "title": "x", "starts_at": "2026-03-14T11:00:00",
                                                         "ends_at": "2026-03-14T11:00:00", "capacity": 1})
        assert (bad.status_code, bad.json()["field"]) == (400, "ends_at")
    async with w.client("grid_worker") as worker:
        signup = f"/festival/{event['id']}/signups"
        await post(worker, signup, {"resident_id": w.residents["王秀英"]["id"]})
        twice = await worker.post(f"{BASE}{signup}", json={"resident_id": w.residents["王秀英"]["id"]})
        assert twice.status_code == 409
        event = await post(worker, signup, {"resident_id": w.residents["李明"]["id"]})
        assert event["participants"] == 2
        full = await worker.post(f"{BASE}{signup}", json={"resident_id": w.residents["赵芳"]["id"]})
        assert (full.status_code, full.json()["detail"]) == (409, "role: the event's participant places are full (2)")
        event = await post(worker, signup, {"resident_id": w.residents["赵芳"]["id"], "role": "volunteer"})
        assert event["volunteers"] == 1
        no_more = await worker.post(f"{BASE}{signup}", json={"resident_id": w.residents["刘洋"]["id"], "role": "volunteer"})
        assert (no_more.status_code, no_more.json()["detail"]) == (409, "role: the event's volunteer places are full (1)")
        # a resident of grid B is out of this worker's scope: the 404 of a missing resident
        out = await worker.post(f"{BASE}{signup}", json={"resident_id": w.residents["张伟"]["id"]})
        assert (out.status_code, out.json()["detail"]) == (404, f"resident_id: resident {w.residents['张伟']['id']} not found")
        # after the event, only a rostered volunteer's shift is recorded, once
        w.at(2026, 3, 14, 15, 0)
        not_rostered = await worker.post(f"{BASE}/festival/{event['id']}/shifts", json={"resident_id": w.residents["王秀英"]["id"], "hours": 3})
        assert not_rostered.status_code == 409
        service = await post(worker, f"/festival/{event['id']}/shifts", {"resident_id": w.residents["赵芳"]["id"], "hours": 3})
        assert (service["state"], service["hours"], service["activity"], service["scenario"], service["subject_id"], service["served_on"]) == (
            "recorded", 3.0, "第三届荷畔邻里节·百家宴", "neighbourhood", event["id"], "2026-03-14")
        again = await worker.post(f"{BASE}/festival/{event['id']}/shifts", json={"resident_id": w.residents["赵芳"]["id"], "hours": 3})
        assert again.status_code == 409
        listed = (await worker.get(f"{BASE}/festival")).json()
    assert [(e["title"], e["participants"], e["volunteers"]) for e in listed] == [("百家宴", 2, 1)]


async def test_a_residents_data_and_erasure(hepan):
    w = hepan
    li = w.residents["李明"]["id"]
    async with w.client("community_admin") as admin:
        body = await post(admin, "/bodies", {"kind": "council", "name": "家门口议事厅"})
        await post(admin, f"/bodies/{body['id']}/members", {"role": "representative", "resident_id": li,
                                                             "term_start": "2026-01-01", "term_end": "2028-12-31"})
        talk = await post(admin, "/meetings", {"kind": "evening_talk", "title": "闻韶夜话", "starts_at": "2026-04-15T19:00:00",
                                               "ends_at": "2026-04-15T21:00:00"})
        await post(admin, f"/meetings/{talk['id']}/raised", {"text": "我家楼上漏水三个月了", "resident_id": li})
        record = await admin.post(f"/api/residents/{li}/volunteering/records", json={"activity": "楼道清理", "hours": 1})
        assert record.status_code == 201
    async with w.client("street_admin") as street:
        exported = (await street.get(f"/api/residents/{li}/export")).json()
        assert exported["plugins"]["neighbourhood"] == {
            "memberships": [{"body": "家门口议事厅", "role": "representative", "term_start": "2026-01-01", "term_end": "2028-12-31"}],
            "seconds": [], "festival_signups": [], "raised": ["我家楼上漏水三个月了"]}
        assert [(s["activity"], s["minutes"], s["state"]) for s in exported["plugins"]["meihao.volunteering.hookimpls"]["volunteer_service"]] == [
            ("楼道清理", 60, "recorded")]
        erased = (await street.post(f"/api/residents/{li}/erase", json={"reason": "本人申请删除个人信息"})).json()
        assert erased["erased"]["neighbourhood"] == {"raised": 1}
        assert (await street.get(f"/api/residents/{li}/export")).json()["plugins"]["neighbourhood"]["raised"] == ["已删除"]
