"""The demo: 荷畔's committee, motions at each stage, past meetings and next month's 闻韶夜话; 城关's volunteer corps."""

from __future__ import annotations

from datetime import date

from meihao import scenario_settings
from meihao.testing import SceneWorld
from meihao.volunteering.tables import PointsEntry, VolunteerService

from ..neighbourhood.conftest import at


async def _people(w: SceneWorld, n: int) -> None:
    for i in range(n):
        place = await w.factories.household((await w.factories.building(w.grids["A"]))["id"])
        await w.factories.resident(place["id"], name=f"居民{i}", birth_date=date(1950 + i % 40, 1 + i % 12, 1 + i % 27), phone=None)


async def test_hepan_has_its_committee_motions_meetings_and_festival(meihao):
    w = await SceneWorld.build(meihao, "neighbourhood", residents={}, start=at(2026, 11, 30, 16, 0))
    await _people(w, 75)
    settings = await scenario_settings(w.mh, w.community.id, "neighbourhood")
    await w.mh.plugins.demo_data(w.community, "neighbourhood", settings, 1169, w.mh)
    await w.mh.plugins.demo_data(w.community, "neighbourhood", settings, 1169, w.mh)  # a second run adds nothing
    async with w.client("community_admin") as admin:
        bodies = (await admin.get("/api/communities/hepan/neighbourhood/bodies")).json()
        motions = (await admin.get("/api/communities/hepan/neighbourhood/motions")).json()
        meetings = (await admin.get("/api/communities/hepan/neighbourhood/meetings")).json()
        festival = (await admin.get("/api/communities/hepan/neighbourhood/festival")).json()
    assert [(b["kind"], b["name"], b["members"]) for b in bodies] == [("council", "家门口议事厅", 8), ("design_committee", "美好生活设计委员会", 3)]
    assert sorted(m["state"] for m in motions) == ["approved", "passed", "proposed", "resolved", "seconded", "seconded"]
    assert [(m["kind"], m["state"], m["starts_at"][:10]) for m in meetings] == [
        ("evening_talk", "planned", "2026-12-15"), ("council", "held", "2026-10-31"), ("council", "held", "2026-10-01")]
    assert [(e["title"], e["participants"]) for e in festival] == [("百家宴", 10), ("才艺展示", 10), ("跳蚤市场", 10), ("亲子运动会", 10)]


async def test_chengguan_has_a_year_of_verified_service_and_points(meihao):
    w = await SceneWorld.build(meihao, "neighbourhood", slug="chengguan", name="城关社区", residents={}, start=at(2026, 11, 30, 16, 0))
    await _people(w, 75)
    settings = await scenario_settings(w.mh, w.community.id, "neighbourhood")
    await w.mh.plugins.demo_data(w.community, "neighbourhood", settings, 1169, w.mh)
    records = await VolunteerService.select(VolunteerService.state, VolunteerService.served_on, VolunteerService.resident)
    assert len({r["resident"] for r in records}) == 20
    assert {r["state"] for r in records} == {"verified"}
    assert min(r["served_on"] for r in records) >= date(2025, 12, 5)
    entries = await PointsEntry.select(PointsEntry.account, PointsEntry.points)
    assert sum(e["points"] for e in entries) == 0
    assert min(e["points"] for e in entries if e["account"] == "spent") == 3
