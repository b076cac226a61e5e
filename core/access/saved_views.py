"""Saved views (常用筛选): a staff member's named filters of a list, their own and no one else's."""

from __future__ import annotations

from typing import Any

from meihao.access.principals import Principal
from meihao.access.tables import SavedView
from meihao.errors import InvalidInput, NotFound

#: The longest name a view may have (the column's length).
MAX_NAME = 100
#: A staff member keeps a handful of views per list, not hundreds.
MAX_VIEWS_PER_AREA = 50


def _owner(principal: Principal) -> int:
    if principal.staff_id is None:
        raise NotFound("saved views belong to staff accounts")
    return principal.staff_id


async def list_views(principal: Principal, area: str) -> list[dict[str, Any]]:
    """The caller's saved views of one list (``id``, ``name``, ``query``), by name."""
    if principal.staff_id is None:
        return []
    return await SavedView.select(SavedView.id, SavedView.name, SavedView.query).where(
        SavedView.staff == principal.staff_id, SavedView.area == area
    ).order_by(SavedView.name)


async def save_view(principal: Principal, area: str, name: str, query: str) -> dict[str, Any]:
    """Save ``query`` under ``name`` (a view of the same name is replaced); InvalidInput names the field."""
    staff_id = _owner(principal)
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("name: give the view a name", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"name: at most {MAX_NAME} characters", field="name")
    existing = await SavedView.select(SavedView.id).where(
        SavedView.staff == staff_id, SavedView.area == area, SavedView.name == name
    ).first()
    if existing is not None:
        await SavedView.update({SavedView.query: query}).where(SavedView.id == existing["id"])
        return {"id": existing["id"], "name": name, "query": query}
    if await SavedView.count().where(SavedView.staff == staff_id, SavedView.area == area) >= MAX_VIEWS_PER_AREA:
        raise InvalidInput(f"name: you already keep {MAX_VIEWS_PER_AREA} views of this list; delete one first", field="name")
    view = SavedView(staff=staff_id, area=area, name=name, query=query)
    await view.save()
    return {"id": view.id, "name": name, "query": query}


async def delete_view(principal: Principal, area: str, view_id: int) -> None:
    """Delete one of the caller's own views; another's, or none, is NotFound alike."""
    deleted = await SavedView.delete().where(
        SavedView.id == view_id, SavedView.staff == _owner(principal), SavedView.area == area
    ).returning(SavedView.id)
    if not deleted:
        raise NotFound(f"saved view {view_id} not found")
