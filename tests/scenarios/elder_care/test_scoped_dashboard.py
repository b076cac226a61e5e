"""The dashboard's figures are the caller's: a grid worker counts their grid's elders, and the market money
is shown only to those who may read the proceeds (``meihao_metrics`` gets the viewer)."""

from __future__ import annotations

from tests.scenarios.elder_care.test_story import register


async def figures(world, who: str, slug: str, scenario: str) -> dict[str, float]:
    async with world.client(who) as client:
        answer = await client.get(f"/api/communities/{slug}/dashboard")
    assert answer.status_code == 200, answer.text
    return {m["key"]: m["value"] for m in answer.json() if m["scenario"] == scenario}


async def test_elder_figures_count_only_the_callers_grid(yajuyuan):
    y = yajuyuan
    async with y.client("community_admin") as admin:
        await register(admin, y.residents["王秀英"]["id"], visitor_staff_id=y.staff["grid_worker"]["id"])  # grid A, living alone
        await register(admin, y.residents["张伟"]["id"], visitor_staff_id=y.staff["grid_worker"]["id"])  # grid A
        await register(admin, y.residents["赵桂兰"]["id"], visitor_staff_id=y.staff["grid_worker_out"]["id"])  # grid B, living alone
    admin = await figures(y, "community_admin", "yajuyuan", "elder_care")
    mine = await figures(y, "grid_worker", "yajuyuan", "elder_care")
    other = await figures(y, "grid_worker_out", "yajuyuan", "elder_care")
    assert (admin["elders"], admin["living_alone"]) == (3, 2)
    assert (mine["elders"], mine["living_alone"]) == (2, 1)
    assert (other["elders"], other["living_alone"]) == (1, 1)
