"""elder_care's part of a resident's data rights: the register entry, visits and volunteering exported; notes erased, visits still counted."""

from __future__ import annotations

from meihao.scenarios.elder_care.tables import Elder, Visit

BASE = "/api/communities/yajuyuan/elder_care"
REASON = "本人申请删除个人信息"


async def _story(y):
    """王秀英 on the register with a contact and notes, two visits (李娜 made one as volunteer), 李娜 on a nursing-home roster."""
    wang, li = y.residents["王秀英"]["id"], y.residents["李娜"]["id"]
    async with y.client("community_admin") as client:
        elder = (await client.post(f"{BASE}/elders", json={
            "resident_id": wang, "emergency_contact": {"name": "王强", "relation": "儿子", "phone": "13912345678"}, "notes": "耳背，敲门要大声",
        })).json()
        first = await client.post(f"{BASE}/elders/{elder['id']}/visits", json={
            "method": "home", "visited_at": "2026-03-01T10:00:00+08:00",
            "findings": {"health": {"status": "concern", "note": "血压偏高"}, "needs_list": ["medical"]},
            "follow_up_needed": True, "follow_up_note": "联系家庭医生",
        })
        assert first.status_code == 201, first.text
        second = await client.post(f"{BASE}/elders/{elder['id']}/visits", json={
            "method": "phone", "visited_at": "2026-03-02T07:00:00+08:00", "visitor_resident_id": li,
            "findings": {"carers": {"status": "ok", "note": "儿子每周来"}},
        })
        assert second.status_code == 201, second.text
        roster = await client.post(f"{BASE}/nursing-home-visits", json={
            "starts_at": "2026-03-07T09:00:00", "ends_at": "2026-03-07T11:00:00", "nursing_home": "新市镇敬老院",
            "volunteers": [{"resident_id": li, "task": "打扫卫生"}]})
        assert roster.status_code == 201, roster.text
    return elder, wang, li


async def test_export_holds_the_elders_register_entry_visits_and_volunteering(yajuyuan):
    y = yajuyuan
    elder, wang, li = await _story(y)
    async with y.client("street_admin") as client:
        mine = (await client.get(f"/api/residents/{wang}/export")).json()["plugins"]["elder_care"]
        volunteer = (await client.get(f"/api/residents/{li}/export")).json()["plugins"]["elder_care"]
        nobody = (await client.get(f"/api/residents/{y.residents['张伟']['id']}/export")).json()["plugins"]
    assert mine["elder"] == {
        "care_level": "high_risk", "living_alone": True, "empty_nest": False, "left_behind": False, "self_care_loss": "none",
        "disability_grade": None, "categories": [],
        "emergency_contact": {"name": "王强", "relation": "儿子", "phone": "+8613912345678"},
        "interval_days": None, "plan_starts_on": "2026-03-02", "last_contact_on": "2026-03-02", "next_due_on": "2026-03-09",
        "notes": "耳背，敲门要大声", "active": True, "ended_reason": "",
    }
    assert [(v["visited_at"], v["method"], v["concerns"], v["follow_up_needed"], v["follow_up_note"]) for v in mine["visits"]] == [
        ("2026-03-01T02:00:00+00:00", "home", 1, True, "联系家庭医生"),
        ("2026-03-01T23:00:00+00:00", "phone", 0, False, ""),
    ]
    assert mine["visits"][0]["findings"]["health"] == {"status": "concern", "note": "血压偏高"}
    assert mine["visits"][0]["findings"]["needs_list"] == ["medical"]
    assert mine["visits_made_as_volunteer"] == [] and mine["nursing_home_volunteering"] == []
    assert volunteer == {
        "elder": None, "visits": [],
        "visits_made_as_volunteer": [{"visited_at": "2026-03-01T23:00:00+00:00", "method": "phone"}],
        "nursing_home_volunteering": [
            {"nursing_home": "新市镇敬老院", "title": "志愿者走进新市镇敬老院慰问老人", "starts_at": "2026-03-07T01:00:00+00:00", "task": "打扫卫生"}
        ],
    }
    assert "elder_care" not in nobody


async def test_erasure_blanks_contact_and_notes_and_keeps_the_visits_counted(yajuyuan):
    y = yajuyuan
    elder, wang, li = await _story(y)
    async with y.client("street_admin") as client:
        done = await client.post(f"/api/residents/{wang}/erase", json={"reason": REASON})
        assert done.status_code == 200, done.text
        assert done.json()["erased"]["elder_care"] == {"elder": 1, "visit_notes": 2}
        volunteer = await client.post(f"/api/residents/{li}/erase", json={"reason": REASON})
        assert "elder_care" not in volunteer.json()["erased"]  # a volunteer's rows are counts, nothing to blank
        visits = (await client.get(f"{BASE}/elders/{elder['id']}/visits")).json()
    row = await Elder.select(
        Elder.emergency_contact_name, Elder.emergency_contact_relation, Elder.emergency_contact_phone, Elder.notes, Elder.care_level, Elder.active
    ).first()
    assert row == {
        "emergency_contact_name": "", "emergency_contact_relation": "", "emergency_contact_phone": "", "notes": "", "care_level": "high_risk",
        "active": True,
    }
    assert await Visit.count().where(Visit.elder == elder["id"]) == 2
    assert [(v["method"], v["concerns"], v["follow_up_needed"], v["follow_up_note"]) for v in visits] == [
        ("phone", 0, False, ""), ("home", 1, True, ""),
    ]
    # issue 16: an area the visitor did not give is 未查 (not checked), never "ok"
    assert [v["findings"]["health"] for v in visits] == [{"status": "not_checked", "note": ""}, {"status": "concern", "note": ""}]
    assert visits[0]["findings"]["carers"] == {"status": "ok", "note": ""}
    assert "血压偏高" not in str(visits) and "儿子每周来" not in str(visits)
