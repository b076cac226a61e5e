"""Troupes and their repertoire: they belong to the community; writes are audited inside their own transaction."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, InvalidInput, NotFound, Principal, audit, mask_phone, normalise_phone

from ..schemas import PlayIn, PlayOut, TroupeIn, TroupeOut
from ..tables import Play, Troupe
from .common import _tx


def _check_play(play: PlayIn, index: int | None = None) -> None:
    where = "duration_minutes" if index is None else f"repertoire[{index}].duration_minutes"
    if not 10 <= play.duration_minutes <= 600:
        raise InvalidInput(f"{where}: between 10 and 600 minutes", field=where)


async def _troupe_out(row: dict[str, Any]) -> TroupeOut:
    plays = await Play.select(Play.id, Play.title, Play.genre, Play.duration_minutes, Play.description).where(
        Play.troupe == row["id"]).order_by(Play.id)
    return TroupeOut(
        id=row["id"], name=row["name"], level=row["level"], contact_name=row["contact_name"],
        contact_phone=mask_phone(row["contact_phone"]), repertoire=[PlayOut(**p) for p in plays],
    )


async def list_troupes(community: CommunityInfo) -> list[TroupeOut]:
    rows = await Troupe.select().where(Troupe.community == community.id).order_by(Troupe.id)
    return [await _troupe_out(r) for r in rows]


async def _troupe_row(community: CommunityInfo, troupe_id: int, field: str | None = None) -> dict[str, Any]:
    row = await Troupe.select().where(Troupe.id == troupe_id, Troupe.community == community.id).first()
    if row is None:
        raise NotFound(f"{field + ': ' if field else ''}troupe {troupe_id} not found", field=field)
    return row


async def get_troupe(community: CommunityInfo, troupe_id: int) -> TroupeOut:
    return await _troupe_out(await _troupe_row(community, troupe_id))


async def create_troupe(mh: Any, community: CommunityInfo, data: TroupeIn, principal: Principal) -> TroupeOut:
    phone = normalise_phone(data.contact_phone) if data.contact_phone.strip() else ""
    for index, play in enumerate(data.repertoire):
        _check_play(play, index)
    async with _tx(mh):
        troupe = Troupe(community=community.id, name=data.name.strip(), level=data.level, contact_name=data.contact_name.strip(),
                        contact_phone=phone)
        await troupe.save()
        if data.repertoire:
            await Play.insert(*[Play(troupe=troupe.id, title=p.title.strip(), genre=p.genre.strip(), duration_minutes=p.duration_minutes,
                                     description=p.description) for p in data.repertoire])
        await audit(principal, "culture.troupe.create", "culture.troupe", troupe.id, community_id=community.id, detail={"name": data.name})
    return await get_troupe(community, troupe.id)


async def add_play(mh: Any, community: CommunityInfo, troupe_id: int, data: PlayIn, principal: Principal) -> TroupeOut:
    await _troupe_row(community, troupe_id)
    _check_play(data)
    async with _tx(mh):
        play = Play(troupe=troupe_id, title=data.title.strip(), genre=data.genre.strip(), duration_minutes=data.duration_minutes,
                    description=data.description)
        await play.save()
        await audit(principal, "culture.play.create", "culture.play", play.id, community_id=community.id, detail={"title": data.title})
    return await get_troupe(community, troupe_id)
