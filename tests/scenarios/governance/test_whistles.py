"""Whistles (吹哨报到): departments summoned, their clocks by level across a weekend, signing, contact, report, the community's rating."""

from __future__ import annotations

from .test_events import E, at, local


async def _blow(w, level: str = "advance", departments=("chengguan", "zhujian"), **extra) -> dict:
    async with w.client("community_admin") as c:
        r = await c.post(f"{E}/whistles", json={
            "level": level, "reason": "joint_enforcement", "title": "银山新村违建联合整治", "text": "3号楼楼顶私搭乱建，需城管、住建联合执法",
            "departments": list(departments), "grid_id": w.grids["B"], **extra})
        assert r.status_code == 201, r.text
        return r.json()


async def test_each_department_answers_on_its_own_clocks(yinshan):
    w = yinshan
    w.at(2026, 12, 4, 17, 0)  # Friday, half an hour before the close
    whistle = await _blow(w)
    assert (whistle["blown_by"], [c["department"] for c in whistle["calls"]]) == ("郑主任", ["chengguan", "zhujian"])
    call = whistle["calls"][0]
    assert [at(call[k]) for k in ("sign_due_at", "contact_due_at", "report_due_at")] == [
        local(2026, 12, 7, 9, 0),    # 1 working hour: 17:00–17:30 Friday, 08:30–09:00 Monday
        local(2026, 12, 7, 17, 0),   # 24 hours read as one working day
        local(2026, 12, 9, 17, 30),  # 工作推进哨: 3 working days, to the close
    ]
    w.at(2026, 12, 7, 8, 45)
    async with w.client("chengguan") as c:
        assert (await c.post(f"{E}/calls/{call['id']}/sign")).status_code == 200
        other = await c.post(f"{E}/calls/{whistle['calls'][1]['id']}/sign")  # 住建's call: not theirs, not seen
        assert (other.status_code, other.json()["detail"]) == (404, f"call {whistle['calls'][1]['id']} not found")
        seen = (await c.get(f"{E}/whistles/{whistle['id']}")).json()
        assert [(x["department"], x["state"], x["signed_by"]) for x in seen["calls"]] == [("chengguan", "signed", "钱城管")]
    async with w.client("chengguan2") as c:
        again = await c.post(f"{E}/calls/{call['id']}/sign")
        assert (again.status_code, again.json()["detail"]) == (409, f"state: call {call['id']} is 'signed' now (signed by 钱城管), not 'summoned'")
    w.at(2026, 12, 7, 10, 0)
    async with w.client("chengguan") as c:
        early = await c.post(f"{E}/calls/{call['id']}/rate", json={"speed": 5, "quality": 5})
        assert early.status_code == 403  # rating is the community's
        reported = (await c.post(f"{E}/calls/{call['id']}/report", json={"kind": "on_site", "text": "已到现场，下达限期拆除通知"})).json()
    mine = reported["calls"][0]
    assert (mine["state"], at(mine["reported_at"]), mine["report_kind"], mine["flag"]) == ("reported", local(2026, 12, 7, 10, 0), "on_site", "open")
    async with w.client("community_admin") as c:
        bad = await c.post(f"{E}/calls/{call['id']}/rate", json={"speed": 6, "quality": 4})
        assert (bad.status_code, bad.json()["field"]) == (400, "speed")
        rated = (await c.post(f"{E}/calls/{call['id']}/rate", json={"speed": 5, "quality": 4, "comment": "到场及时"})).json()
        assert [(x["department"], x["state"], x["flag"], x["speed_rating"]) for x in rated["calls"]] == [
            ("chengguan", "rated", "closed", 5), ("zhujian", "summoned", "red", None)]  # 住建 missed its 09:00 sign-off
        assert rated["closed_at"] is None


async def test_the_hard_problem_whistle_gives_five_working_days_and_closes_when_all_are_rated(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    whistle = await _blow(w, "tackle", ("zhujian",), reason="beyond_power")
    call = whistle["calls"][0]
    assert at(call["report_due_at"]) == local(2026, 12, 7, 17, 30)
    async with w.client("zhujian") as c:
        await c.post(f"{E}/calls/{call['id']}/sign")
        await c.post(f"{E}/calls/{call['id']}/contact")
        await c.post(f"{E}/calls/{call['id']}/report", json={"kind": "reply", "text": "已立项鉴定，书面答复见附件"})
    async with w.client("community_admin") as c:
        done = (await c.post(f"{E}/calls/{call['id']}/rate", json={"speed": 3, "quality": 4})).json()
    assert (at(done["closed_at"]), done["calls"][0]["state"]) == (local(2026, 11, 30, 9, 0), "rated")


async def test_who_blows_and_who_reads(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    async with w.client("leader") as c:
        refused = await c.post(f"{E}/whistles", json={"level": "advance", "reason": "emergency", "title": "t", "text": "x", "departments": ["zhujian"]})
        assert refused.status_code == 403
    async with w.client("community_admin") as c:
        unknown = await c.post(f"{E}/whistles", json={"level": "advance", "reason": "emergency", "title": "爆管", "text": "x", "departments": ["water"]})
        assert (unknown.status_code, unknown.json()["detail"]) == (404, "departments: department 'water' not found")
        none = await c.post(f"{E}/whistles", json={"level": "advance", "reason": "emergency", "title": "爆管", "text": "x", "departments": []})
        assert (none.status_code, none.json()["field"]) == (400, "departments")
    whistle = await _blow(w)  # in grid B
    expected = {"community_admin": 1, "leader": 0, "grid_worker": 0, "grid_worker_out": 1, "chengguan": 1, "zhujian": 1, "dispatched": 0}
    for who, count in expected.items():
        async with w.client(who) as c:
            assert (await c.get(f"{E}/whistles")).json()["total"] == count, who
    async with w.client("leader") as c:
        assert (await c.get(f"{E}/whistles/{whistle['id']}")).status_code == 404
