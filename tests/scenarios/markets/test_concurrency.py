"""Stall rules under concurrent requests: decisions on one market day take turns (meihao.transaction's lock).

The requests here are real concurrent transactions (asyncio.gather over the services, each on
a connection of its own), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import date

from meihao import Conflict, Principal
from meihao.scenarios.markets.schemas import ApplicationIn, MarketIn
from meihao.scenarios.markets.services.applications import apply, approve
from meihao.scenarios.markets.services.markets import create_market
from meihao.scenarios.markets.tables import Application

SYSTEM = Principal.system()


async def _market_day(w, capacity: int) -> int:
    market = await create_market(w.mh, w.community, MarketIn(
        venue="华阳社区党群服务中心广场", rrule="FREQ=MONTHLY;BYDAY=2SA", first_day=date(2026, 3, 1), capacity=capacity,
    ), SYSTEM)
    return market.next_days[0].id


async def _outcome(coroutine) -> str:
    try:
        return (await coroutine).status
    except Conflict:
        return "conflict"


async def test_ten_applications_at_once_by_one_resident_leave_one(huayang):
    w = huayang
    day_id = await _market_day(w, capacity=5)
    resident = w.residents["王秀英"]["id"]
    outcomes = await asyncio.gather(*[
        _outcome(apply(w.mh, w.community, day_id, ApplicationIn(resident_id=resident, goods=f"杯垫{n}"), SYSTEM)) for n in range(10)
    ])
    assert sorted(outcomes) == ["conflict"] * 9 + ["pending"]
    assert await Application.count().where(Application.market_day == day_id, Application.resident == resident) == 1


async def test_ten_approvals_at_once_for_two_stalls_approve_exactly_two(huayang):
    w = huayang
    day_id = await _market_day(w, capacity=2)
    building = await w.factories.building(w.grids["A"])
    ids = []
    for n in range(10):
        household = await w.factories.household(building["id"])
        resident = await w.factories.resident(household["id"], name=f"摊主{n}")
        ids.append((await apply(w.mh, w.community, day_id, ApplicationIn(resident_id=resident["id"], goods="旧书"), SYSTEM)).id)
    outcomes = await asyncio.gather(*[_outcome(approve(w.mh, w.community, application_id, SYSTEM)) for application_id in ids])
    assert sorted(outcomes) == ["approved"] * 2 + ["waitlisted"] * 8
    assert await Application.count().where(Application.market_day == day_id, Application.status == "approved") == 2
