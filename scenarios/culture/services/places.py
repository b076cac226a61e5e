"""Places counted by "一村一年一场戏": villages, 村改居 communities and urban communities (the community's own list)."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, NotFound, Principal, audit

from ..schemas import PlaceIn, PlaceOut
from ..tables import Place
from .common import VILLAGE_KINDS, _tx


def _out(row: dict[str, Any]) -> PlaceOut:
    return PlaceOut(id=row["id"], name=row["name"], kind=row["kind"])


async def list_places(community: CommunityInfo) -> list[PlaceOut]:
    return [_out(r) for r in await Place.select().where(Place.community == community.id).order_by(Place.id)]


async def place_row(community: CommunityInfo, place_id: int, field: str = "place_id") -> dict[str, Any]:
    row = await Place.select().where(Place.id == place_id, Place.community == community.id).first()
    if row is None:
        raise NotFound(f"{field}: place {place_id} not found", field=field)
    return row


async def create_place(mh: Any, community: CommunityInfo, data: PlaceIn, principal: Principal) -> PlaceOut:
    async with _tx(mh):
        place = Place(community=community.id, name=data.name.strip(), kind=data.kind)
        await place.save()
        await audit(principal, "culture.place.create", "culture.place", place.id, community_id=community.id,
                    detail={"name": data.name, "kind": data.kind})
    return _out(await place_row(community, place.id))


async def has_villages(community_id: int) -> bool:
    return await Place.exists().where(Place.community == community_id, Place.kind.is_in(list(VILLAGE_KINDS)))


async def programme_of(community_id: int, place_id: int | None) -> str:
    """戏曲进乡村 for a village or 村改居 community (or, without a place, a community that has villages); else 戏曲进社区."""
    if place_id is not None:
        row = await Place.select(Place.kind).where(Place.id == place_id).first()
        if row is not None:
            return "戏曲进乡村" if row["kind"] in VILLAGE_KINDS else "戏曲进社区"
    return "戏曲进乡村" if await has_villages(community_id) else "戏曲进社区"
