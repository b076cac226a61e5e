"""Issue 16: a visit that asks for a follow-up opens a kernel work item with a due date (follow_up_working_days, on the
community's working calendar) and brings the next visit forward (follow_up_revisit_days); an area not looked at is 未查.

Monday 2 March 2026, 10:00 in the community: five working days to the close is Monday 9 March 17:30 (09:30 UTC).
"""

from __future__ import annotations

from datetime import datetime, timezone

from meihao.workitems.tables import WorkItem

BASE = "/api/communities/yajuyuan/elder_care"


async def _register(client, resident_id: int, **fields) -> dict:
    response = await client.post(f"{BASE}/elders", json={"resident_id": resident_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_follow_up_opens_a_work_item_and_brings_the_next_visit_forward(yajuyuan):
    y = yajuyuan
    y.at(2026, 3, 2, 10, 0)
    worker = y.staff["grid_worker"]["id"]
    async with y.client("grid_worker") as client:
        elder = await _register(client, y.residents["张伟"]["id"], visitor_staff_id=worker)  # 69, 一般: every 91 days
        assert elder["plan"]["next_due_on"] == "2026-06-01"
        missing_note = await client.post(f"{BASE}/elders/{elder['id']}/visits", json={"method": "home", "follow_up_needed": True})
        assert missing_note.status_code == 400 and missing_note.json()["field"] == "follow_up_note"
        visit = await client.post(f"{BASE}/elders/{elder['id']}/visits", json={
            "method": "home", "findings": {"housing_safety": {"status": "concern", "note": "燃气软管老化"}},
            "follow_up_needed": True, "follow_up_note": "联系燃气公司更换软管",
        })
        assert visit.status_code == 201, visit.text
        item_id = visit.json()["follow_up_item_id"]
        assert item_id is not None
        after = (await client.get(f"{BASE}/elders/{elder['id']}")).json()
        # the next visit within 7 days (follow_up_revisit_days), not 1 June
        assert (after["plan"]["next_due_on"], after["plan"]["revisit_on"], after["plan"]["interval_days"]) == ("2026-03-09", "2026-03-09", 91)
        listed = (await client.get(f"{BASE}/follow-ups")).json()
    assert [(f["id"], f["elder_id"], f["name"], f["state"], f["flag"], f["assignee_id"]) for f in listed] == [
        (item_id, elder["id"], "张伟", "open", "green", worker)]
    assert _at(listed[0]["due_at"]) == datetime(2026, 3, 9, 9, 30, tzinfo=timezone.utc)
    item = await WorkItem.select(WorkItem.scenario, WorkItem.workflow, WorkItem.title, WorkItem.subject_table, WorkItem.grid).where(
        WorkItem.id == item_id).first()
    # no name in the title (escalation notices carry it), and the note stays with the visit (sensitive)
    assert item == {"scenario": "elder_care", "workflow": "follow_up", "title": f"探访跟进（老人档案 {elder['id']}）",
                    "subject_table": "elder_care_visit", "grid": y.grids["A"]}

    # each side of the shortened due date
    y.at(2026, 3, 9, 8, 30)
    assert (await y.run_check()).overdue == 0
    y.at(2026, 3, 10, 8, 30)
    assert (await y.run_check()).overdue == 1
    async with y.client("grid_worker") as client:
        late = (await client.get(f"{BASE}/follow-ups")).json()
        assert [(f["state"], f["flag"]) for f in late] == [("open", "red")]
        # the next visit without a follow-up: the interval again, and no new item
        again = await client.post(f"{BASE}/elders/{elder['id']}/visits", json={"method": "phone"})
        assert again.status_code == 201 and again.json()["follow_up_item_id"] is None
        plan = (await client.get(f"{BASE}/elders/{elder['id']}")).json()["plan"]
        assert (plan["next_due_on"], plan["revisit_on"]) == ("2026-06-09", None)
        empty = await client.post(f"{BASE}/follow-ups/{item_id}/close", json={"note": " "})
        assert empty.status_code == 400 and empty.json()["field"] == "note"
        closed = await client.post(f"{BASE}/follow-ups/{item_id}/close", json={"note": "燃气公司已上门更换软管"})
        assert closed.status_code == 201, closed.text
        assert (closed.json()["state"], closed.json()["flag"]) == ("done", "met_late")
        twice = await client.post(f"{BASE}/follow-ups/{item_id}/close", json={"note": "再次"})
        assert twice.status_code == 409
        assert (await client.get(f"{BASE}/follow-ups")).json() == []
        assert len((await client.get(f"{BASE}/follow-ups?open=false")).json()) == 1
    assert await WorkItem.count() == 1


async def test_follow_ups_are_scoped_to_the_elders_grid(yajuyuan):
    y = yajuyuan
    async with y.client("community_admin") as client:
        ours = await _register(client, y.residents["王秀英"]["id"])
        theirs = await _register(client, y.residents["赵桂兰"]["id"])
        for elder in (ours, theirs):
            response = await client.post(f"{BASE}/elders/{elder['id']}/visits", json={
                "method": "home", "follow_up_needed": True, "follow_up_note": "联系子女"})
            assert response.status_code == 201, response.text
        theirs_item = response.json()["follow_up_item_id"]
        assert len((await client.get(f"{BASE}/follow-ups")).json()) == 2
    async with y.client("part_time") as client:  # grid A
        assert [f["name"] for f in (await client.get(f"{BASE}/follow-ups")).json()] == ["王秀英"]
        hidden = await client.post(f"{BASE}/follow-ups/{theirs_item}/close", json={"note": "已联系"})
        missing = await client.post(f"{BASE}/follow-ups/987654/close", json={"note": "已联系"})
        assert hidden.status_code == missing.status_code == 404
        assert "赵桂兰" not in hidden.text
    async with y.client("leader_b") as client:
        assert [f["name"] for f in (await client.get(f"{BASE}/follow-ups")).json()] == ["赵桂兰"]


async def test_an_area_not_given_is_not_checked_and_counts_no_concern(yajuyuan):
    y = yajuyuan
    async with y.client("community_admin") as client:
        elder = await _register(client, y.residents["王秀英"]["id"])
        visit = await client.post(f"{BASE}/elders/{elder['id']}/visits", json={
            "method": "phone", "findings": {"health": {"status": "ok"}, "carers": {"status": "not_checked"}}})
        assert visit.status_code == 201, visit.text
        bad = await client.post(f"{BASE}/elders/{elder['id']}/visits", json={"method": "phone", "findings": {"health": {"status": "fine"}}})
    findings = visit.json()["findings"]
    assert {area: findings[area]["status"] for area in ("health", "finances", "carers", "housing_safety", "needs")} == {
        "health": "ok", "finances": "not_checked", "carers": "not_checked", "housing_safety": "not_checked", "needs": "not_checked"}
    assert visit.json()["concerns"] == 0
    assert bad.status_code == 400 and "findings.health.status" in bad.text
