"""A session's places under concurrent requests (SQLite and PostgreSQL): enrolments and cancellations take turns."""

from __future__ import annotations

import asyncio

from meihao import Principal
from meihao.scenarios.education.schemas import EnrolIn
from meihao.scenarios.education.services.sessions import cancel_enrolment, enrol
from meihao.scenarios.education.tables import Enrolment
from tests.scenarios.education.conftest import plan

SYSTEM = Principal.system()


async def test_five_learners_asking_at_once_for_two_places_get_two_places_and_three_waiting_in_turn(world):
    w = world
    s = await plan(w, capacity=2)
    staff = [w.staff[k]["id"] for k in ("community_admin", "grid_worker", "grid_worker_out", "leader", "part_time")]
    await asyncio.gather(*[enrol(w.mh, SYSTEM, w.community, s["id"], EnrolIn(staff_id=i)) for i in staff])
    rows = await Enrolment.select(Enrolment.status).where(Enrolment.session == s["id"]).order_by(Enrolment.id)
    assert [r["status"] for r in rows] == ["enrolled", "enrolled", "waiting", "waiting", "waiting"]


async def test_one_learner_asking_five_times_at_once_is_on_the_list_once(world):
    w = world
    s = await plan(w, capacity=2)
    me = w.staff["grid_worker"]["id"]
    outcomes = await asyncio.gather(*[enrol(w.mh, SYSTEM, w.community, s["id"], EnrolIn(staff_id=me)) for _ in range(5)],
                                    return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict"] * 4 + ["EnrolmentOut"]
    assert await Enrolment.count().where(Enrolment.session == s["id"]) == 1


async def test_two_places_freed_at_once_move_up_the_two_waiting_in_order(world):
    w = world
    s = await plan(w, capacity=2)
    ids = []
    for key in ("community_admin", "grid_worker", "grid_worker_out", "leader", "part_time"):
        ids.append((await enrol(w.mh, SYSTEM, w.community, s["id"], EnrolIn(staff_id=w.staff[key]["id"]))).id)
    await asyncio.gather(cancel_enrolment(w.mh, SYSTEM, w.community, ids[0]), cancel_enrolment(w.mh, SYSTEM, w.community, ids[1]))
    rows = await Enrolment.select(Enrolment.id, Enrolment.status).where(Enrolment.session == s["id"]).order_by(Enrolment.id)
    assert [r["status"] for r in rows] == ["cancelled", "cancelled", "enrolled", "enrolled", "waiting"]
