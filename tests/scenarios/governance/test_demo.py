"""The demo month for 银山: played through the services on a fake clock, it leaves figures to show and puts the clock back."""

from __future__ import annotations

from meihao import Principal
from meihao.scenarios.governance.demo import fill
from meihao.scenarios.governance.schemas import GovernanceSettings
from meihao.scenarios.governance.services import metrics
from meihao.scenarios.governance.tables import Event, Order, PatrolLog, Whistle, WhistleCall


async def test_the_demo_month_fills_the_figures(yinshan):
    w = yinshan
    before = w.mh.clock.now()
    await fill(w.mh, w.community, GovernanceSettings(), seed=7)
    assert w.mh.clock.now() == before
    assert await Whistle.count() == 4 and await WhistleCall.count().where(WhistleCall.state == "rated") == 8
    closed = await Event.select(Event.id).where(Event.state == "closed")
    assert len(closed) >= 20
    # every closed event has exactly one accepted order; every open one at most one order not yet done
    for row in closed:
        assert await Order.count().where(Order.event == row["id"], Order.state == "accepted") == 1
    assert await Order.count().where(Order.state == "returned") == await Order.count().where(Order.return_reason != "")
    november = await metrics.figures(w.mh, Principal.system(), w.community, "2026-11")
    assert november.events > 0 and november.closed > 0 and november.whistles == 4
    ranking = await metrics.department_ranking(w.mh, Principal.system(), w.community, "2026-11")
    assert [r.rank for r in ranking] == list(range(1, len(ranking) + 1)) and ranking
    assert await PatrolLog.count() > 0
