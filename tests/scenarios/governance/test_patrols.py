"""Patrols: the full-time grid worker's default daily plan, logs, the daily list of patrols with no log and its notice to the grid leader."""

from __future__ import annotations

from meihao.scenarios.governance.tables import MissedPatrol

from .test_events import E


async def test_the_grid_worker_is_planned_daily_and_a_missed_day_is_told_once(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 18, 0)  # Monday evening
    async with w.client("grid_worker") as c:
        logged = await c.post(f"{E}/patrols", json={"grid_id": w.grids["A"], "notes": "巡查银山花园，发现占道经营1处", "events_found": 1})
        assert (logged.status_code, logged.json()["patrolled_on"]) == (201, "2026-11-30")
        twice = await c.post(f"{E}/patrols", json={"grid_id": w.grids["A"]})
        assert (twice.status_code, twice.json()["detail"]) == (409, "patrolled_on: the patrol of 2026-11-30 is already logged")
        ahead = await c.post(f"{E}/patrols", json={"grid_id": w.grids["A"], "patrolled_on": "2026-12-01"})
        assert (ahead.status_code, ahead.json()["field"]) == (400, "patrolled_on")
        other = await c.post(f"{E}/patrols", json={"grid_id": w.grids["B"]})
        assert other.status_code == 404
    run = await w.fire_job("governance.patrol_check", at=w.at(2026, 12, 1, 8, 30))
    assert run["outcome"] == "success"
    # 陈网格 (A) patrolled on Monday, 吴网格 (B) did not; B has no leader, so the community's admin is told
    async with w.client("community_admin") as c:
        plans = (await c.get(f"{E}/patrols/plans")).json()
        assert [(p["grid_id"], p["staff_name"], p["frequency"]) for p in plans] == [
            (w.grids["A"], "陈网格", "daily"), (w.grids["B"], "吴网格", "daily")]
        missing = (await c.get(f"{E}/patrols/missing", params={"day": "2026-11-30"})).json()
        assert [(m["grid_name"], m["staff_name"], m["day"]) for m in missing] == [("银山新村", "吴网格", "2026-11-30")]
    assert await MissedPatrol.count() == 1
    await w.drain()
    async with w.client("community_admin") as c:
        inbox = (await c.get("/api/me/inbox")).json()
    assert [m["body"] for m in inbox if "巡查" in m["body"]] == ["银山新村网格员吴网格11月30日（周一）没有巡查记录，请了解情况。"]
    assert await w.fire_job("governance.patrol_check", at=w.at(2026, 12, 1, 8, 30)) is None  # the same fire: nothing again
    await w.fire_job("governance.patrol_check", at=w.at(2026, 12, 1, 9, 0))  # a run by hand later: still told once
    assert await MissedPatrol.count() == 1


async def test_a_workdays_plan_is_not_missed_on_a_sunday(yinshan):
    w = yinshan
    w.at(2026, 12, 7, 9, 0)
    async with w.client("leader") as c:
        plan = await c.post(f"{E}/patrols/plans", json={"grid_id": w.grids["A"], "staff_id": w.staff["grid_worker"]["id"], "frequency": "workdays"})
        assert (plan.status_code, plan.json()["frequency"]) == (200, "workdays")
        outside = await c.post(f"{E}/patrols/plans", json={"grid_id": w.grids["B"], "staff_id": w.staff["grid_worker_out"]["id"]})
        assert (outside.status_code, outside.json()["field"]) == (404, "grid_id")
        sunday = (await c.get(f"{E}/patrols/missing", params={"day": "2026-12-06"})).json()
        friday = (await c.get(f"{E}/patrols/missing", params={"day": "2026-12-04"})).json()
    assert (sunday, [m["staff_name"] for m in friday]) == ([], ["陈网格"])  # the leader sees grid A only


async def test_switching_the_scene_on_with_workdays_plans_the_grid_workers_so(make_meihao):
    from meihao.register.community_scenarios import enable
    from meihao.scenarios.governance.tables import PatrolPlan
    from meihao.testing import SceneWorld

    w = await SceneWorld.build(await make_meihao(), None, slug="yinshan", name="银山社区")
    await enable(w.mh, "yinshan", "governance", {"patrol_frequency": "workdays"})
    assert sorted(p["frequency"] for p in await PatrolPlan.select(PatrolPlan.frequency)) == ["workdays", "workdays"]
