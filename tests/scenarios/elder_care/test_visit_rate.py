"""Issue 16: 月探访率 (monthly visit rate) = elders in special difficulty visited or contacted in the month ÷ elders in
special difficulty (民政部等10部门 2022: 100% by end-2025), on the dashboard and in the monthly report, in the caller's scope.

王秀英 (grid A) and 赵桂兰 (grid B) live alone: in special difficulty. 张伟 (grid A, 69) is not.
"""

from __future__ import annotations

BASE = "/api/communities/yajuyuan/elder_care"


async def _world(y) -> dict[str, int]:
    ids = {}
    async with y.client("community_admin") as client:
        for name in ("王秀英", "赵桂兰", "张伟"):
            response = await client.post(f"{BASE}/elders", json={"resident_id": y.residents[name]["id"]})
            assert response.status_code == 201, response.text
            ids[name] = response.json()["id"]
        y.at(2026, 3, 20, 9, 0)
        # 23:59 on 28 February in the community is February; 00:00 on 1 March is March
        for name, when in (("赵桂兰", "2026-02-28T23:59:00"), ("王秀英", "2026-03-01T00:00:00"), ("张伟", "2026-03-05T10:00:00"),
                           ("王秀英", "2026-03-10T10:00:00")):
            response = await client.post(f"{BASE}/elders/{ids[name]}/visits", json={"method": "phone", "visited_at": when})
            assert response.status_code == 201, response.text
    return ids


async def test_the_monthly_report_counts_elders_in_special_difficulty_visited(yajuyuan):
    y = yajuyuan
    await _world(y)
    async with y.client("community_admin") as client:
        march = (await client.get(f"{BASE}/report/monthly")).json()
        february = (await client.get(f"{BASE}/report/monthly?month=2026-02")).json()
        bad = await client.get(f"{BASE}/report/monthly?month=2026-13")
        dashboard = {m["key"]: m["value"] for m in (await client.get("/api/communities/yajuyuan/dashboard")).json() if m["scenario"] == "elder_care"}
    assert march == {
        "month": "2026-03", "special_difficulty": 2, "visited": 1, "rate": 50.0, "target_percent": 100, "met_target": False,
        "by_grid": [
            {"grid_id": y.grids["A"], "grid": "雅居园一区", "special_difficulty": 1, "visited": 1, "rate": 100.0},
            {"grid_id": y.grids["B"], "grid": "松龄苑", "special_difficulty": 1, "visited": 0, "rate": 0.0},
        ],
        "visits_by_method": {"home": 0, "phone": 3, "video": 0},  # every elder's visits, 张伟's too
    }
    assert (february["visited"], february["rate"], february["visits_by_method"]) == (1, 50.0, {"home": 0, "phone": 1, "video": 0})
    assert bad.status_code == 400 and bad.json()["field"] == "month"
    assert (dashboard["special_difficulty"], dashboard["visited_this_month"], dashboard["monthly_visit_rate"]) == (2, 1, 50.0)


async def test_a_grid_worker_counts_their_own_grid(yajuyuan):
    y = yajuyuan
    await _world(y)
    async with y.client("grid_worker") as client:  # grid A
        report = (await client.get(f"{BASE}/report/monthly")).json()
    assert (report["special_difficulty"], report["visited"], report["rate"], report["met_target"]) == (1, 1, 100.0, True)
    assert [g["grid"] for g in report["by_grid"]] == ["雅居园一区"]
    async with y.client("leader_b") as client:
        report = (await client.get(f"{BASE}/report/monthly")).json()
    assert (report["special_difficulty"], report["visited"], report["rate"], report["met_target"]) == (1, 0, 0.0, False)


async def test_no_elder_in_special_difficulty_means_no_rate(yajuyuan):
    y = yajuyuan
    async with y.client("community_admin") as client:
        response = await client.post(f"{BASE}/elders", json={"resident_id": y.residents["张伟"]["id"]})
        assert response.status_code == 201
        report = (await client.get(f"{BASE}/report/monthly")).json()
        dashboard = {m["key"] for m in (await client.get("/api/communities/yajuyuan/dashboard")).json() if m["scenario"] == "elder_care"}
    assert (report["special_difficulty"], report["rate"], report["met_target"], report["by_grid"]) == (0, None, False, [])
    assert "monthly_visit_rate" not in dashboard and "special_difficulty" in dashboard
