"""governance's console pages (``meihao_console_pages``): the grid events list with counts per state, category and grid.

The page selects through the same scope as the API (``event_scope``): a grid worker sees their
grids' events, a department's staff those sent to their department, and each facet's count is
what choosing it would list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from piccolo.query.functions.aggregate import Count

from meihao import Caller, ConsolePages, CurrentCommunity, ListQuery, NavLink, Runtime, facet, page_requires, pager, render_page
from meihao.tables import Grid

from .routes import EVENT_READ
from .schemas import CATEGORIES
from .services import events
from .services.common import event_scope
from .tables import Event

HERE = Path(__file__).parent
KEYS = ("state", "category", "grid")
PAGE_SIZE = 50


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it when shown."""
    return message


STATE_LABELS = {
    "reported": N_("Reported"), "registered": N_("Registered"), "dispatched": N_("Dispatched"), "processing": N_("Being handled"),
    "fed_back": N_("Fed back"), "checked": N_("Checked"), "closed": N_("Closed"), "dismissed": N_("Dismissed"),
}


async def _counts(principal: Any, community: Any, column: Any, chosen: dict[str, Any], leave_out: str) -> dict[Any, int]:
    clauses = event_scope(principal, community)
    for key, value in chosen.items():
        if key != leave_out and value is not None:
            clauses.append({"state": Event.state, "category": Event.category, "grid": Event.grid}[key] == value)
    rows = await Event.select(column.as_alias("value"), Count(Event.id).as_alias("n")).where(*clauses).group_by(column)
    return {r["value"]: r["n"] for r in rows}


@get(["/", "/events"], guards=[page_requires(EVENT_READ)])
async def events_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[str]:
    """The events the viewer reaches, newest first, with counts per state, category and grid."""
    query = ListQuery.read(request, KEYS)
    chosen = {"state": query.get("state"), "category": query.get("category"), "grid": query.integer("grid", 1, 2**31 - 1)}
    path = f"/c/{community.slug}/governance/events"
    page = await events.list_events(meihao, principal, community, state=chosen["state"], category=chosen["category"], grid_id=chosen["grid"],
                                    page=query.page, page_size=PAGE_SIZE)
    grids = {g["id"]: g["name"] for g in await Grid.select(Grid.id, Grid.name).where(Grid.community == community.id).order_by(Grid.code)}
    states = await _counts(principal, community, Event.state, chosen, "state")
    categories = await _counts(principal, community, Event.category, chosen, "category")
    in_grids = await _counts(principal, community, Event.grid, chosen, "grid")
    facets = [
        facet(query, path, "state", N_("State"), [(k, label, states.get(k, 0)) for k, label in STATE_LABELS.items()], translate=True),
        # the categories' English names are their catalogue's message ids (categories.toml → governance.po)
        facet(query, path, "category", N_("Category"), [(k, c["en"], categories.get(k, 0)) for k, c in CATEGORIES.items()], translate=True),
        facet(query, path, "grid", N_("Grid"), [(g, name, in_grids.get(g, 0)) for g, name in grids.items()]),
    ]
    return render_page(request, "governance/events.html", community=community, query=query, list_path=path, facets=facets,
                       events=page.items, total=page.total, pager=pager(query, path, page.total, PAGE_SIZE), grids=grids,
                       state_labels=STATE_LABELS)


PAGES = ConsolePages(
    handlers=[events_page],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[NavLink("网格事件", "Grid events", "events", permission=EVENT_READ)],
)
