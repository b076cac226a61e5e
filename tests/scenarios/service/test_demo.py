"""The demo month: requests in every state with call-backs, so the rates are not empty, and the duty roster."""

from __future__ import annotations

from meihao import scenario_settings

from .conftest import BASE, at


async def test_demo_data_fills_a_month_with_rates(hepan):
    w = hepan
    w.travel_to(at(2026, 11, 30, 16, 0))
    settings = await scenario_settings(w.mh, w.community.id, "service")
    await w.mh.plugins.demo_data(w.community, "service", settings, 1169, w.mh)
    assert w.mh.clock is w.clock  # the demo's own clocks are put back
    async with w.client("community_admin") as client:
        page = (await client.get(f"{BASE}/requests", params={"page_size": 100})).json()
        states = [r["state"] for r in page["items"]]
        figures = {m["key"]: m["value"] for m in (await client.get("/api/communities/hepan/dashboard")).json()
                   if m["scenario"] == "service"}
        roster = (await client.get(f"{BASE}/duty", params={"since": "2026-12-01", "until": "2026-12-04"})).json()
        monitored = (await client.get(f"{BASE}/assistance/households")).json()
        visits = [(await client.get(f"{BASE}/assistance/households/{h['id']}/visits")).json() for h in monitored]
    # demo seed 1169: 36 requests over the past month, most closed after a call-back
    assert page["total"] == 36
    assert {s: states.count(s) for s in set(states)} == {"closed": 24, "in_progress": 8, "reopened": 4}
    # open: 8 in hand + 4 reopened; this month's rates from the call-backs of November's requests
    assert figures == {"open": 12, "due_today": 1, "overdue": 1, "response_rate": 0.9286, "resolution_rate": 0.8571,
                       "satisfaction_rate": 0.8464, "on_time_rate": 0.9167, "score": 86.0, "visit_coverage": 1.0, "open_problems": 0}
    # 三强化: the world's two households (one a resident each) under monitoring since October, visited in October and in
    # November; the October medical problem was rectified a week later
    assert [(h["category"], h["since"], h["helper_name"] != "") for h in monitored] == [
        ("脱贫不稳定户", "2026-10-01", True), ("边缘易致贫户", "2026-10-01", True)]
    assert [[v["visited_on"][:7] for v in hv] for hv in visits] == [["2026-11", "2026-10"], ["2026-11", "2026-10"]]
    assert [len(v["problems"]) for hv in visits for v in hv] == [0, 0, 0, 1]
    # the two leaders take turns on working days
    assert [(d["day"], d["staff_name"]) for d in roster] == [
        ("2026-12-01", "李书记"), ("2026-12-02", "郑主任"), ("2026-12-03", "李书记"), ("2026-12-04", "郑主任")]
    hotline = [r for r in page["items"] if r["channel"] == "hotline"]
    assert hotline and all(r["external_id"].startswith("12345-") and r["anonymous"] for r in hotline)
