"""A nursing-home visit's roster under concurrent requests: changes to one roster take turns (meihao.transaction's lock)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from meihao import Conflict, InvalidInput, Principal
from meihao.scenarios.elder_care.schemas import NursingHomeVisitIn, RosterIn
from meihao.scenarios.elder_care.services.nursing_home import add_volunteer, create_nursing_home_visit, remove_volunteer
from meihao.scenarios.elder_care.tables import RosterEntry

SYSTEM = Principal.system()


async def _visit(y, *volunteers: int) -> int:
    visit = await create_nursing_home_visit(y.mh, SYSTEM, y.community, NursingHomeVisitIn(
        starts_at=datetime(2026, 3, 7, 9, 0), ends_at=datetime(2026, 3, 7, 11, 0), nursing_home="新市镇敬老院",
        volunteers=[RosterIn(resident_id=v) for v in volunteers],
    ))
    return visit.id


async def _outcome(coroutine) -> str:
    try:
        await coroutine
        return "done"
    except (InvalidInput, Conflict) as err:
        return type(err).__name__


async def test_the_last_two_volunteers_leaving_at_once_leave_one_on_the_roster(yajuyuan):
    y = yajuyuan
    li, liu = y.residents["李娜"]["id"], y.residents["刘建国"]["id"]
    visit_id = await _visit(y, li, liu)
    outcomes = await asyncio.gather(
        _outcome(remove_volunteer(y.mh, SYSTEM, y.community, visit_id, li)),
        _outcome(remove_volunteer(y.mh, SYSTEM, y.community, visit_id, liu)),
    )
    assert sorted(outcomes) == ["InvalidInput", "done"]
    assert await RosterEntry.count().where(RosterEntry.visit == visit_id) == 1


async def test_one_volunteer_added_five_times_at_once_is_on_the_roster_once(yajuyuan):
    y = yajuyuan
    li, liu = y.residents["李娜"]["id"], y.residents["刘建国"]["id"]
    visit_id = await _visit(y, li)
    outcomes = await asyncio.gather(*[_outcome(add_volunteer(y.mh, SYSTEM, y.community, visit_id, RosterIn(resident_id=liu))) for _ in range(5)])
    assert sorted(outcomes) == ["Conflict"] * 4 + ["done"]
    assert await RosterEntry.count().where(RosterEntry.visit == visit_id, RosterEntry.volunteer == liu) == 1


async def test_one_resident_registered_five_times_at_once_is_on_the_register_once(yajuyuan):
    from meihao.scenarios.elder_care.schemas import ElderIn
    from meihao.scenarios.elder_care.services.register import register_elder
    from meihao.scenarios.elder_care.tables import Elder

    y = yajuyuan
    wang = y.residents["王秀英"]["id"]
    outcomes = await asyncio.gather(*[_outcome(register_elder(y.mh, SYSTEM, y.community, ElderIn(resident_id=wang))) for _ in range(5)])
    assert sorted(outcomes) == ["Conflict"] * 4 + ["done"]
    assert await Elder.count().where(Elder.resident == wang) == 1
