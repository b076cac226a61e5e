"""The register of elders and visit records through the API: rules, scope, masking, audit."""

from __future__ import annotations

import json

from meihao.access.tables import AuditLog
from meihao.testing import make_page_client

BASE = "/api/communities/yajuyuan/elder_care"


async def test_registering_follows_the_rules_and_names_the_field(yajuyuan):
    y = yajuyuan
    async with y.client("community_admin") as client:
        young = await client.post(f"{BASE}/elders", json={"resident_id": y.residents["刘建国"]["id"]})  # 56
        assert young.status_code == 400 and young.json()["field"] == "resident_id" and "elder_age" in young.json()["detail"]
        missing = await client.post(f"{BASE}/elders", json={"resident_id": 987654})
        assert missing.status_code == 404 and missing.json()["field"] == "resident_id"
        phone = await client.post(f"{BASE}/elders", json={"resident_id": y.residents["张伟"]["id"], "emergency_contact": {"phone": "12345"}})
        assert phone.status_code == 400 and phone.json()["field"] == "emergency_contact.phone"
        level = await client.post(f"{BASE}/elders", json={"resident_id": y.residents["张伟"]["id"], "care_level": "urgent"})
        assert level.status_code == 400 and "care_level" in level.text
        both = await client.post(f"{BASE}/elders", json={
            "resident_id": y.residents["张伟"]["id"], "visitor_staff_id": y.staff["grid_worker"]["id"], "visitor_resident_id": y.residents["李娜"]["id"],
        })
        assert both.status_code == 400 and both.json()["field"] == "visitor_staff_id"
        stranger = await client.post(f"{BASE}/elders", json={"resident_id": y.residents["张伟"]["id"], "visitor_staff_id": 987654})
        assert stranger.status_code == 404 and stranger.json()["field"] == "visitor_staff_id"
        interval = await client.post(f"{BASE}/elders", json={"resident_id": y.residents["张伟"]["id"], "interval_days": 0})
        assert interval.status_code == 400 and interval.json()["field"] == "interval_days"

        ok = await client.post(f"{BASE}/elders", json={"resident_id": y.residents["张伟"]["id"], "self_care_loss": "partial",
                                                      "emergency_contact": {"name": "张强", "relation": "儿子", "phone": "+86 139 1234 5678"}})
        assert ok.status_code == 201, ok.text
        elder = ok.json()
        assert elder["age"] == 69 and elder["care_level"] == "key"  # disabled: 重点, monthly
        assert elder["plan"]["interval_days"] == 30 and elder["emergency_contact"]["phone"] == "139****5678"
        assert "13912345678" not in ok.text and "5678" in ok.text
        again = await client.post(f"{BASE}/elders", json={"resident_id": y.residents["张伟"]["id"]})
        assert again.status_code == 409 and again.json()["field"] == "resident_id"
    logged = await AuditLog.select(AuditLog.action, AuditLog.target_id).where(AuditLog.action == "elder_care.elder.register")
    assert logged == [{"action": "elder_care.elder.register", "target_id": str(elder["id"])}]


async def test_grid_staff_see_and_change_only_the_elders_of_their_grids(yajuyuan):
    y = yajuyuan
    async with y.client("community_admin") as client:
        ours = (await client.post(f"{BASE}/elders", json={"resident_id": y.residents["王秀英"]["id"]})).json()
        theirs = (await client.post(f"{BASE}/elders", json={"resident_id": y.residents["赵桂兰"]["id"]})).json()
        candidates = (await client.get(f"{BASE}/elders/candidates")).json()
        assert [c["name"] for c in candidates] == ["张伟"]  # 60+, not yet registered; 刘建国 and 李娜 are too young
    async with y.client("grid_worker") as client:
        listed = (await client.get(f"{BASE}/elders")).json()
        assert [e["name"] for e in listed["items"]] == ["王秀英"] and listed["total"] == 1
        hidden = await client.get(f"{BASE}/elders/{theirs['id']}")
        missing = await client.get(f"{BASE}/elders/987654")
        assert hidden.status_code == missing.status_code == 404 and hidden.json().keys() == missing.json().keys()
        assert "赵桂兰" not in hidden.text
        for method, path, body in (
            ("PATCH", f"{BASE}/elders/{theirs['id']}", {"care_level": "general"}),
            ("POST", f"{BASE}/elders/{theirs['id']}/visits", {"method": "home"}),
            ("GET", f"{BASE}/elders/{theirs['id']}/visits", None),
            ("POST", f"{BASE}/elders", {"resident_id": y.residents["赵桂兰"]["id"]}),
        ):
            response = await client.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.text)
        # a volunteer from another grid cannot be named as visitor either
        response = await client.patch(f"{BASE}/elders/{ours['id']}", json={"visitor_resident_id": y.residents["赵桂兰"]["id"]})
        assert response.status_code == 404 and response.json()["field"] == "visitor_resident_id"
    async with y.client("part_time") as client:  # part-time workers visit, but do not keep the register
        assert (await client.patch(f"{BASE}/elders/{ours['id']}", json={"care_level": "key"})).status_code == 403
        assert (await client.post(f"{BASE}/elders/{ours['id']}/visits", json={"method": "phone"})).status_code == 201


async def test_changing_the_plan_and_leaving_the_register(yajuyuan):
    y = yajuyuan
    async with y.client("community_admin") as client:
        elder = (await client.post(f"{BASE}/elders", json={"resident_id": y.residents["王秀英"]["id"]})).json()
        assert elder["plan"]["next_due_on"] == "2026-03-09"
        longer = (await client.patch(f"{BASE}/elders/{elder['id']}", json={"interval_days": 14})).json()
        assert longer["plan"] == {**elder["plan"], "interval_days": 14, "follows_care_level": False, "next_due_on": "2026-03-16"}
        back = (await client.patch(f"{BASE}/elders/{elder['id']}", json={"interval_days": None, "visitor_staff_id": y.staff["grid_worker"]["id"]})).json()
        assert back["plan"]["next_due_on"] == "2026-03-09" and back["visitor"]["name"] == "陈网格"
        volunteer = (await client.patch(f"{BASE}/elders/{elder['id']}", json={"visitor_resident_id": y.residents["李娜"]["id"]})).json()
        assert volunteer["visitor"] == {"kind": "resident", "id": y.residents["李娜"]["id"], "name": "李娜"}
        no_reason = await client.patch(f"{BASE}/elders/{elder['id']}", json={"active": False})
        assert no_reason.status_code == 400 and no_reason.json()["field"] == "ended_reason"
        y.at(2026, 3, 20, 8, 30)
        assert (await y.run_check()).reminded == 1
        gone = (await client.patch(f"{BASE}/elders/{elder['id']}", json={"active": False, "ended_reason": "nursing_home"})).json()
        assert gone["active"] is False and gone["plan"]["status"] == "ended"
        assert (await client.get(f"{BASE}/alerts")).json()["items"] == []
        assert (await client.get(f"{BASE}/elders")).json()["total"] == 0
        assert (await client.get(f"{BASE}/elders?active=false")).json()["total"] == 1
        visit = await client.post(f"{BASE}/elders/{elder['id']}/visits", json={"method": "home"})
        assert visit.status_code == 400 and visit.json()["field"] == "elder_id"
    y.at(2026, 4, 20, 8, 30)
    assert (await y.run_check()).overdue == 0


async def test_visit_records_check_their_input(yajuyuan):
    y = yajuyuan
    async with y.client("grid_worker") as client:
        elder = (await client.post(f"{BASE}/elders", json={"resident_id": y.residents["王秀英"]["id"]})).json()
        visits = f"{BASE}/elders/{elder['id']}/visits"
        for body, field in (
            ({"method": "letter"}, "method"),
            ({"method": "home", "visited_at": "2026-03-05T10:00:00"}, "visited_at"),  # the future
            ({"method": "home", "findings": {"needs_list": ["money"]}}, "findings.needs_list"),
            ({"method": "home", "findings": {"health": {"status": "bad"}}}, "findings.health.status"),
            ({"method": "home", "visitor_resident_id": 987654}, "visitor_resident_id"),
        ):
            response = await client.post(visits, json=body)
            assert response.status_code == 400 or response.status_code == 404, (body, response.text)
            assert field in response.text, (body, response.text)
        # a visit made yesterday by the volunteer, recorded today
        response = await client.post(visits, json={
            "method": "home", "visited_at": "2026-03-01T16:00:00", "visitor_resident_id": y.residents["李娜"]["id"],
            "findings": {"housing_safety": {"status": "concern", "note": "燃气灶老化"}, "carers": {"status": "concern", "note": "子女外地"}},
        })
        assert response.status_code == 201, response.text
        assert response.json()["concerns"] == 2 and response.json()["visitor"]["name"] == "李娜"
        listed = (await client.get(visits)).json()
        # the grid worker may record notes but not read them (elder_care.visit.notes.read)
        assert [(v["findings"], v["follow_up_note"], v["concerns"]) for v in listed] == [(None, None, 2)]
    async with y.client("leader") as client:
        listed = (await client.get(visits)).json()
        assert [v["findings"]["housing_safety"]["note"] for v in listed] == ["燃气灶老化"]
    async with y.client("grid_worker") as client:
        plan = (await client.get(f"{BASE}/elders/{elder['id']}")).json()["plan"]
        assert plan["last_contact_on"] == "2026-03-01" and plan["next_due_on"] == "2026-03-08"


async def test_visit_notes_are_read_only_with_their_own_permission_and_each_read_is_audited(yajuyuan):
    """PIPL art. 28: findings and follow-up notes are for community admins and grid leaders; others get null."""
    y = yajuyuan
    async with y.client("community_admin") as client:
        elder = (await client.post(f"{BASE}/elders", json={"resident_id": y.residents["王秀英"]["id"]})).json()
    visits = f"{BASE}/elders/{elder['id']}/visits"
    async with y.client("grid_worker") as client:
        recorded = await client.post(visits, json={
            "method": "home", "findings": {"health": {"status": "concern", "note": "膝盖疼"}},
            "follow_up_needed": True, "follow_up_note": "联系家庭医生",
        })
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["findings"] is None and recorded.json()["follow_up_note"] is None
        assert "膝盖疼" not in recorded.text and "联系家庭医生" not in recorded.text
    visit_id = recorded.json()["id"]
    for role in ("grid_worker", "part_time"):
        async with y.client(role) as client:
            response = await client.get(visits)
            assert response.status_code == 200, (role, response.text)
            assert [(v["findings"], v["follow_up_note"], v["concerns"], v["follow_up_needed"]) for v in response.json()] == [(None, None, 1, True)]
            assert "膝盖疼" not in response.text and "联系家庭医生" not in response.text
    assert await AuditLog.count().where(AuditLog.action == "elder_care.visit.notes.read") == 0
    for role in ("leader", "community_admin"):
        async with y.client(role) as client:
            listed = (await client.get(visits)).json()
            assert [(v["findings"]["health"], v["follow_up_note"]) for v in listed] == [({"status": "concern", "note": "膝盖疼"}, "联系家庭医生")], role
    logged = await AuditLog.select(AuditLog.actor, AuditLog.target_type, AuditLog.target_id, AuditLog.detail).where(
        AuditLog.action == "elder_care.visit.notes.read").order_by(AuditLog.id)
    assert [(r["actor"], r["target_type"], r["target_id"]) for r in logged] == [
        ("孙网格长", "elder", str(elder["id"])), ("郑主任", "elder", str(elder["id"]))]
    assert [json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"] for r in logged] == [{"visit_ids": [visit_id]}] * 2


async def test_disability_and_notes_are_read_only_with_their_own_permission_and_each_read_is_audited(yajuyuan):
    """PIPL art. 28: an elder's disability and the register's notes are for community admins and grid leaders
    (elder_care.elder.sensitive.read); everyone else gets null, also for what they wrote themselves; holders' reads audited."""
    y = yajuyuan
    wang = y.residents["王秀英"]["id"]
    async with y.client("grid_worker") as client:  # keeps the register (elder_care.elder.write) without reading these
        registered = await client.post(f"{BASE}/elders", json={"resident_id": wang, "self_care_loss": "partial", "disability_grade": 2,
                                                               "categories": ["subsistence_allowance"], "notes": "耳背，敲门要大声"})
        assert registered.status_code == 201, registered.text
        elder_id = registered.json()["id"]
        entry = {
            "id": elder_id, "resident_id": wang, "name": "王秀英", "gender": "female", "age": 85, "grid_id": y.grids["A"],
            "care_level": "high_risk", "care_level_title": "高风险", "living_alone": True, "empty_nest": False, "left_behind": False,
            "special_difficulty": True, "self_care_loss": None, "disability_grade": None, "categories": None,
            "emergency_contact": {"name": "", "relation": "", "phone": ""}, "visitor": None,
            "plan": {"interval_days": 7, "follows_care_level": True, "starts_on": "2026-03-02", "last_contact_on": None,
                     "next_due_on": "2026-03-09", "status": "ok", "missed_intervals": 0, "days_overdue": 0, "revisit_on": None},
            "notes": None, "active": True, "ended_reason": "",
        }
        assert registered.json() == entry
        changed = await client.patch(f"{BASE}/elders/{elder_id}", json={"notes": "耳背，敲门要大声；女儿周末来", "self_care_loss": "full"})
        assert changed.status_code == 200 and changed.json() == entry
    for role in ("grid_worker", "part_time"):
        async with y.client(role) as client:
            detail = await client.get(f"{BASE}/elders/{elder_id}")
            assert detail.status_code == 200 and detail.json() == entry, role
            listed = await client.get(f"{BASE}/elders")
            assert listed.json() == {"items": [entry], "total": 1, "page": 1, "page_size": 50}, role
            for answer in (detail, listed):
                assert "耳背" not in answer.text and "partial" not in answer.text and "full" not in answer.text
                assert "subsistence" not in answer.text and "severe" not in answer.text
    assert await AuditLog.count().where(AuditLog.action == "elder_care.elder.sensitive.read") == 0
    # the console's pages show neither field, to anyone, and so read neither (no audit row for a holder either)
    async with make_page_client(y.mh, y.staff["community_admin"]["id"]) as pages:
        for path in (f"/c/yajuyuan/elder_care/elders/{elder_id}", "/c/yajuyuan/elder_care/due", f"/c/yajuyuan/elder_care/elders/{elder_id}/visit"):
            page = await pages.get(path)
            assert page.status_code == 200 and "耳背" not in page.text, path
    assert await AuditLog.count().where(AuditLog.action == "elder_care.elder.sensitive.read") == 0
    shown = {**entry, "self_care_loss": "full", "disability_grade": 2,
             "categories": ["self_care_loss", "severe_disability", "subsistence_allowance"], "notes": "耳背，敲门要大声；女儿周末来"}
    for role in ("leader", "community_admin"):
        async with y.client(role) as client:
            assert (await client.get(f"{BASE}/elders/{elder_id}")).json() == shown, role
            assert (await client.get(f"{BASE}/elders")).json()["items"] == [shown], role
    async with y.client("community_admin") as client:
        assert (await client.patch(f"{BASE}/elders/{elder_id}", json={"self_care_loss": "partial"})).json()["notes"] == shown["notes"]
        assert (await client.get(f"{BASE}/elders?care_level=general")).json()["items"] == []  # nothing shown, nothing read
    logged = await AuditLog.select(AuditLog.actor, AuditLog.target_type, AuditLog.target_id, AuditLog.detail).where(
        AuditLog.action == "elder_care.elder.sensitive.read").order_by(AuditLog.id)
    read = {"elder_ids": [elder_id], "fields": ["self_care_loss", "disability_grade", "categories", "notes"]}
    assert [(r["actor"], r["target_type"], r["target_id"], json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"]) for r in logged] == [
        ("孙网格长", "elder", str(elder_id), read), ("孙网格长", "elder", "", read),
        ("郑主任", "elder", str(elder_id), read), ("郑主任", "elder", "", read),
        ("郑主任", "elder", str(elder_id), read),  # the answer to a change shows the notes others wrote
    ]
