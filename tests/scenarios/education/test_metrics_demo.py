"""The scene's figures, counted by hand for a small world; the demo's year at 银山 (the 1+N matrix), quick to make."""

from __future__ import annotations

import time
from datetime import date, datetime

from meihao import Principal, scenario_settings
from meihao.scenarios.education.demo import fill
from meihao.scenarios.education.schemas import EnrolIn
from meihao.scenarios.education.services import sessions
from meihao.scenarios.education.tables import Enrolment, Session, Venue
from meihao.testing import SceneWorld

from .conftest import BASE, at, plan

SYSTEM = Principal.system()


async def _metrics(client) -> dict:
    response = await client.get("/api/communities/yinshan/dashboard")
    assert response.status_code == 200, response.text
    return {m["key"]: m["value"] for m in response.json() if m["scenario"] == "education"}


async def test_the_figures_count_sessions_learners_hours_staff_on_track_and_venue_use(world):
    w = world
    s = await plan(w, starts=at(2026, 3, 14, 9))
    phones = await plan(w, "phones", at(2026, 3, 18, 9), hours=2, venue="base")
    cancelled = await plan(w, starts=at(2026, 3, 28, 9))
    came = [(await sessions.enrol(w.mh, SYSTEM, w.community, s["id"], EnrolIn(staff_id=w.staff[k]["id"]))).id for k in ("grid_worker", "leader")]
    absent = await sessions.enrol(w.mh, SYSTEM, w.community, s["id"], EnrolIn(staff_id=w.staff["part_time"]["id"]))
    wang = await sessions.enrol(w.mh, SYSTEM, w.community, phones["id"], EnrolIn(resident_id=w.residents["王秀英"]["id"]))
    await sessions.enrol(w.mh, SYSTEM, w.community, cancelled["id"], EnrolIn(staff_id=w.staff["grid_worker_out"]["id"]))
    w.travel_to(at(2026, 3, 14, 9))
    for i in came:
        await sessions.check_in(w.mh, SYSTEM, w.community, i)
    await sessions.check_in(w.mh, SYSTEM, w.community, absent.id)  # came, left without checking out: not counted
    w.travel_to(at(2026, 3, 14, 12))
    for i in came:
        await sessions.check_out(w.mh, SYSTEM, w.community, i)
    w.travel_to(at(2026, 3, 18, 9))
    await sessions.check_in(w.mh, SYSTEM, w.community, wang.id)
    await sessions.check_out(w.mh, SYSTEM, w.community, wang.id)
    await sessions.cancel_session(w.mh, SYSTEM, w.community, cancelled["id"], "讲师临时有事")
    w.travel_to(at(2026, 4, 2, 9))  # 3 months gone: 8 学时 / 4 学分 due; 陈网格 and 孙网格长 have 4 / 2
    async with w.client("community_admin") as admin:
        metrics = await _metrics(admin)
    venue_main, venue_base = w.venues["main"], w.venues["base"]
    assert metrics == {"sessions": 2, "learners": 3, "hours": 10, "staff_on_track": 0, "on_track_share": 0.0,
                       f"venue_{venue_main}_sessions": 1, f"venue_{venue_base}_sessions": 1}
    w.travel_to(at(2026, 3, 31, 9))  # 31 March: 2 months gone, 5⅓ 学时 due: still behind
    async with w.client("community_admin") as admin:
        assert (await _metrics(admin))["staff_on_track"] == 0
        use = (await admin.get(f"{BASE}/venues/use")).json()
    assert [(u["name"], u["sessions"], u["attendances"]) for u in use] == [("银山社区网格学院主课堂", 1, 2), ("银山工业园实训基地", 1, 1)]


async def test_the_demo_gives_yinshan_the_1_plus_n_matrix_and_a_year_of_sessions_in_a_few_seconds(meihao):
    w = await SceneWorld.build(meihao, "education", slug="yinshan", name="银山社区", start=datetime(2026, 11, 2, 0, 0, tzinfo=at(2026, 1, 1).tzinfo),
                               staff={"leader": ("grid_leader", "A", "孙网格长"), "part_time": ("grid_part_time", "A", "钱兼职")},
                               residents={"王秀英": {"grid": "A", "birth_date": date(1950, 5, 17)}, "张伟": "B"})
    settings = await scenario_settings(w.mh, w.community.id, "education")
    began = time.perf_counter()
    await fill(w.mh, w.community, settings, seed=7)
    took = time.perf_counter() - began
    kinds = [v["kind"] for v in await Venue.select(Venue.kind).where(Venue.community == w.community.id)]
    assert (kinds.count("main"), kinds.count("indoor"), kinds.count("outdoor")) == (1, 9, 3)
    held = await Session.count().where(Session.community == w.community.id, Session.ends_at <= w.mh.clock.now())
    coming = await Session.count().where(Session.community == w.community.id, Session.starts_at > w.mh.clock.now())
    enrolments = await Enrolment.select(Enrolment.status, Enrolment.checked_out_at)
    # 2 November 2026: January to October held (two required sessions, an elective, a residents' class a month), and a month ahead
    assert (held, coming) == (40, 4)
    statuses = [(e["status"], e["checked_out_at"] is not None) for e in enrolments]
    assert (statuses.count(("enrolled", True)), statuses.count(("enrolled", False)), statuses.count(("cancelled", False))) == (31, 9, 1)
    assert took < 20, took  # about 2-3 s on a quiet machine (the full demo: 4.5 s for 银山 and 荷畔); a loose guard on a shared one
