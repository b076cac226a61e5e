"""Signing one order, or one whistle's call, by two people at once: one wins, the other is told who signed (real concurrent transactions)."""

from __future__ import annotations

import asyncio

from meihao import Conflict, Principal
from meihao.scenarios.governance.schemas import DispatchIn, EventIn, RegisterIn, WhistleIn
from meihao.scenarios.governance.services import events, whistles
from meihao.scenarios.governance.tables import Order, WhistleCall

SYSTEM = Principal.system()


async def _principal(w, who: str) -> Principal:
    from meihao.access.principals import principal_for

    return await principal_for(w.mh, w.staff[who])


async def _outcome(coroutine) -> str:
    try:
        await coroutine
        return "signed"
    except Conflict:
        return "conflict"


async def test_two_department_staff_sign_one_order_at_once(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    event = await events.report_event(w.mh, SYSTEM, w.community, EventIn(grid_id=w.grids["A"], category="street_order", text="占道经营"))
    await events.register_event(w.mh, SYSTEM, w.community, event.id, RegisterIn())
    order_id = (await events.dispatch_event(w.mh, SYSTEM, w.community, event.id, DispatchIn(department="chengguan"))).orders[0].id
    first, second = await _principal(w, "chengguan"), await _principal(w, "chengguan2")
    outcomes = await asyncio.gather(*[_outcome(events.sign_order(w.mh, p, w.community, order_id)) for p in (first, second)])
    assert sorted(outcomes) == ["conflict", "signed"]
    row = await Order.select(Order.state, Order.signed_by).where(Order.id == order_id).first()
    assert row["state"] == "signed" and row["signed_by"] in (w.staff["chengguan"]["id"], w.staff["chengguan2"]["id"])
    item = await events.get_event(w.mh, SYSTEM, w.community, event.id)
    assert item.state == "processing"


async def test_two_department_staff_sign_one_call_at_once(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    whistle = await whistles.blow_whistle(w.mh, SYSTEM, w.community, WhistleIn(
        level="advance", reason="emergency", title="银山花园爆管", text="主管道爆裂，需抢修", departments=["chengguan"]))
    call_id = whistle.calls[0].id
    first, second = await _principal(w, "chengguan"), await _principal(w, "chengguan2")
    outcomes = await asyncio.gather(*[_outcome(whistles.sign_call(w.mh, p, w.community, call_id)) for p in (first, second)])
    assert sorted(outcomes) == ["conflict", "signed"]
    assert (await WhistleCall.select(WhistleCall.state).where(WhistleCall.id == call_id).first())["state"] == "signed"
