"""Venues and the grids they serve: the caller's scope applies in SQL, so a venue outside it is "not found" like a missing one."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, InvalidInput, NotFound, Principal, audit, scope_where, scoped_row
from meihao.tables import Grid

from ..schemas import VenueIn, VenueOut
from ..tables import Venue, VenueGrid
from .common import _tx


async def _venues_out(rows: list[dict[str, Any]]) -> list[VenueOut]:
    served: dict[int, list[int]] = {r["id"]: [] for r in rows}
    if rows:
        for link in await VenueGrid.select(VenueGrid.venue, VenueGrid.grid).where(VenueGrid.venue.is_in(list(served))).order_by(VenueGrid.grid):
            served[link["venue"]].append(link["grid"])
    return [
        VenueOut(id=r["id"], name=r["name"], kind=r["kind"], address=r["address"], capacity=r["capacity"], grid_id=r["grid"],
                 serves_grid_ids=served[r["id"]], place_id=r["place"])
        for r in rows
    ]


#: A venue is placed by its community and its grid.
PLACED_BY = (Venue.community, Venue.grid)


async def list_venues(community: CommunityInfo, principal: Principal) -> list[VenueOut]:
    return await _venues_out(await Venue.select().where(*scope_where(principal, community, PLACED_BY)).order_by(Venue.id))


async def _venue_row(community: CommunityInfo, venue_id: int, principal: Principal, field: str | None = None) -> dict[str, Any]:
    return await scoped_row(Venue, venue_id, principal, community, via=PLACED_BY, field=field, noun="venue")


async def get_venue(community: CommunityInfo, venue_id: int, principal: Principal) -> VenueOut:
    return (await _venues_out([await _venue_row(community, venue_id, principal)]))[0]


async def create_venue(mh: Any, community: CommunityInfo, data: VenueIn, principal: Principal) -> VenueOut:
    grids = [data.grid_id, *[g for g in data.serves_grid_ids if g != data.grid_id]]
    known = {r["id"] for r in await Grid.select(Grid.id).where(Grid.id.is_in(grids), Grid.community == community.id)}
    if data.grid_id not in known:
        raise NotFound(f"grid_id: grid {data.grid_id} not found", field="grid_id")
    missing = [g for g in grids if g not in known]
    if missing:
        raise NotFound(f"serves_grid_ids: grid {missing[0]} not found", field="serves_grid_ids")
    if data.place_id is not None:
        from .places import place_row

        await place_row(community, data.place_id)
    if data.capacity is not None and data.capacity < 1:
        raise InvalidInput("capacity: at least 1 when given", field="capacity")
    async with _tx(mh):
        venue = Venue(community=community.id, grid=data.grid_id, name=data.name.strip(), kind=data.kind, address=data.address.strip(),
                      capacity=data.capacity, place=data.place_id)
        await venue.save()
        await VenueGrid.insert(*[VenueGrid(venue=venue.id, grid=g) for g in dict.fromkeys(grids)])
        await audit(principal, "culture.venue.create", "culture.venue", venue.id, community_id=community.id, detail={"name": data.name})
    return await get_venue(community, venue.id, Principal.system())
