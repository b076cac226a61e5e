"""The governance scenario in the access matrix (tests/access/test_matrix.py): its world.

Department staff pass the kernel's scenario guard here (``Scenario.departments``), so the scene's
routes do not follow the generic rules of scenario record routes (department staff 403 everywhere);
their literal rows are in test_matrix.py's ORGANISATION_ROUTES (the ``governance`` block). Each
place gets three events — just reported (``gv_new``), registered (``gv_reg``) and dispatched to the
world's department ``law`` (``gv_sent``, with its order ``gv_order``) — and a whistle in its grid
summoning ``law`` (``gv_whistle``, its call ``gv_call``).
"""

from __future__ import annotations

from typing import Any

from meihao import Principal
from meihao.scenarios.governance.schemas import DispatchIn, EventIn, RegisterIn, WhistleIn
from meihao.scenarios.governance.services import events, whistles
from meihao.scenarios.governance.tables import Event, Order, Whistle, WhistleCall

G = "/api/communities/{slug}/governance"
TABLES = (Event, Order, Whistle, WhistleCall)
RECORD_ROUTES: dict[tuple[str, str], Any] = {}
COMMUNITY_ROUTES: dict[tuple[str, str], Any] = {}


async def populate(mh: Any, world: Any, places: tuple[str, ...]) -> None:
    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import enable

    system = Principal.system()
    for slug in ("alpha", "beta"):
        await enable(mh, slug, "governance", {})
    for place in places:
        ids, community = world.places[place], await get_community(world.slugs[place])
        made = []
        for text in ("楼道堆放杂物", "占道经营", "外墙施工无围挡"):
            made.append(await events.report_event(mh, system, community, EventIn(grid_id=ids["grid_id"], category="environment", text=text)))
        ids["gv_new"], ids["gv_reg"], ids["gv_sent"] = (e.id for e in made)
        for event_id in (ids["gv_reg"], ids["gv_sent"]):
            await events.register_event(mh, system, community, event_id, RegisterIn())
        sent = await events.dispatch_event(mh, system, community, ids["gv_sent"], DispatchIn(department="law"))
        ids["gv_order"] = sent.orders[0].id
        whistle = await whistles.blow_whistle(mh, system, community, WhistleIn(
            level="advance", reason="joint_enforcement", title="联合执法", text="违建整治", departments=["law"], grid_id=ids["grid_id"]))
        ids["gv_whistle"], ids["gv_call"] = whistle.id, whistle.calls[0].id
