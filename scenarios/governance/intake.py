"""The intake ``governance.event``: a matter another scene hands over becomes a grid event (网格事件).

The service desk hands over a request the community cannot solve by itself (吹哨: the command
centre registers it and dispatches it to a department or whistles). The event is reported
(``reported``, 发现) in the request's grid by whoever handed it over, its source
``service_desk`` (``handed_over`` when another scene than the service desk sends it) and its ``external_id`` the sender's record (``service.request:42``), so the
event links back; the command centre corrects the class at 立案 when the sender could not tell
it. ``data`` keys (docs/scenes/governance.md): ``category`` (a code of categories.toml;
default ``other_event`` 其他事件), ``place`` (free text, at most 200 characters).
"""

from __future__ import annotations

from typing import Any

from meihao import Forbidden, HandOver, Intake, InvalidInput, Principal, Receipt, get_community
from meihao.tables import Grid

from .schemas import CATEGORIES, EventIn
from .services import events

#: The class of an event handed over without one: 其他事件, corrected at 立案.
DEFAULT_CATEGORY = "other_event"


async def accept_event(handover: HandOver, meihao: Any, principal: Principal) -> Receipt:
    if handover.grid_id is None:
        raise InvalidInput("grid: a grid event needs the grid it happens in; give the matter a grid first", field="grid")
    category = str(handover.data.get("category") or DEFAULT_CATEGORY)
    if category not in CATEGORIES:
        raise InvalidInput(f"category: {category!r} is not a category; choose one of {', '.join(CATEGORIES)}", field="category")
    place = str(handover.data.get("place") or "")[:200]
    text = handover.title.strip() if not handover.body.strip() else handover.body.strip()
    community = await get_community(handover.community)
    # The sender shows the matter and its grid to the person handing it over, so a grid outside their grids is not a
    # hidden row: it is a 403 naming the grid and what to do (gov4), not the 404 of a missing one. A grid event is
    # reported by the grid's own team or the community's desk (the API's rule for POST …/events).
    grid = await Grid.select(Grid.name).where(Grid.id == handover.grid_id, Grid.community == community.id).first()
    if grid is not None and not await Grid.exists().where(Grid.id == handover.grid_id, *principal.where(Grid.community, Grid.id)):
        raise Forbidden(f"grid: {grid['name']} is not one of your grids; a grid event there is reported by its grid team or by the "
                        "community's service desk: ask the desk to hand the matter over, or hand it back", field="grid")
    event = await events.report_event(meihao, principal, community, EventIn(
        grid_id=handover.grid_id, source="service_desk" if handover.source.startswith("service.") else "handed_over", category=category, text=text[:2000], building_id=handover.building_id,
        place=place, external_id=handover.source))
    return Receipt(reference=f"governance.event:{event.id}", path=f"/governance/events/{event.id}", title=event.text[:60])


INTAKES = [Intake("governance.event", "网格事件", "Grid event", accept=accept_event)]
