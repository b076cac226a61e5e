"""Volunteer visits to a nursing home: kernel activities with a roster of volunteers."""

from __future__ import annotations

from typing import Any

from meihao import (
    ActivityIn,
    ActivityPatch,
    CommunityInfo,
    Conflict,
    InvalidInput,
    NotFound,
    Principal,
    audit,
    cancel_activity,
    create_activity,
    scoped_resident,
    scoped_row,
    transaction,
    update_activity,
)

from ..schemas import NursingHomeVisitIn, NursingHomeVisitOut, RosterIn, RosterOut
from ..tables import NursingHomeVisit, RosterEntry
from .common import SCENARIO, settings_of


async def _visit_row(principal: Principal, community: CommunityInfo, visit_id: int) -> dict[str, Any]:
    return await scoped_row(NursingHomeVisit, visit_id, principal, community, via=NursingHomeVisit.community, noun="nursing-home visit")


async def _roster_audience(visit: dict[str, Any]) -> dict[str, Any]:
    volunteers = [r["volunteer"] for r in await RosterEntry.select(RosterEntry.volunteer).where(RosterEntry.visit == visit["id"]).order_by(RosterEntry.id)]
    staff = [visit["created_by"]] if visit["created_by"] else []
    return {"residents": volunteers, "staff": staff}


async def nursing_home_visit_out(principal: Principal, visit: dict[str, Any]) -> NursingHomeVisitOut:
    # Volunteers are residents: a grid worker sees the names of those in their grids only.
    roster = await RosterEntry.select(RosterEntry.volunteer, RosterEntry.task, RosterEntry.volunteer.name.as_alias("name")).where(
        RosterEntry.visit == visit["id"], RosterEntry.volunteer.is_in(principal.resident_ids())
    ).order_by(RosterEntry.id)
    return NursingHomeVisitOut(
        id=visit["id"],
        activity_id=visit["activity"],
        nursing_home=visit["nursing_home"],
        title=visit["title"],
        description=visit["description"],
        starts_at=visit["starts_at"],
        ends_at=visit["ends_at"],
        status=visit["status"],
        volunteers=[RosterOut(resident_id=r["volunteer"], name=r["name"], task=r["task"]) for r in roster],
    )


async def create_nursing_home_visit(mh: Any, principal: Principal, community: CommunityInfo, data: NursingHomeVisitIn) -> NursingHomeVisitOut:
    settings = await settings_of(mh, community)
    home = (data.nursing_home or settings.nursing_home).strip()
    if not home or len(home) > 100:
        raise InvalidInput("nursing_home: a name of 1 to 100 characters", field="nursing_home")
    if not data.volunteers:
        raise InvalidInput("volunteers: name at least one volunteer", field="volunteers")
    seen: set[int] = set()
    for i, entry in enumerate(data.volunteers):
        if entry.resident_id in seen:
            raise InvalidInput(f"volunteers[{i}].resident_id: {entry.resident_id} is named twice", field=f"volunteers[{i}].resident_id")
        seen.add(entry.resident_id)
        await scoped_resident(principal, community, entry.resident_id, f"volunteers[{i}].resident_id")
    title = data.title.strip() or f"志愿者走进{home}慰问老人"
    staff = [principal.staff_id] if principal.staff_id else []
    async with mh.db.transaction():
        activity = await create_activity(
            mh,
            community.slug,
            ActivityIn(
                scene=SCENARIO,
                title=title,
                description=data.description or "看望敬老院老人，询问身体和生活情况，打扫卫生、整理房间。",
                venue=home,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                audience={"residents": sorted(seen), "staff": staff},
                reminder_offsets=list(data.reminder_offsets),
                channels=list(settings.channels),
                source="elder_care.nursing_home_visit",
            ),
        )
        visit = NursingHomeVisit(
            community=community.id,
            activity=activity["id"],
            nursing_home=home,
            title=title,
            description=activity["description"],
            starts_at=activity["starts_at"],
            ends_at=activity["ends_at"],
            status="scheduled",
            created_by=principal.staff_id,
            created_at=mh.clock.now(),
        )
        await visit.save()
        await RosterEntry.insert(*[RosterEntry(visit=visit.id, volunteer=e.resident_id, task=e.task.strip()[:64]) for e in data.volunteers])
        await audit(principal, "elder_care.nursing_home_visit.create", "nursing_home_visit", visit.id, community_id=community.id,
                    detail={"activity_id": activity["id"], "volunteers": len(seen)})
    return await nursing_home_visit_out(principal, await _visit_row(principal, community, visit.id))


async def list_nursing_home_visits(principal: Principal, community: CommunityInfo, *, include_cancelled: bool = False) -> list[NursingHomeVisitOut]:
    query = NursingHomeVisit.select().where(NursingHomeVisit.community == community.id)
    if not include_cancelled:
        query = query.where(NursingHomeVisit.status == "scheduled")
    return [await nursing_home_visit_out(principal, v) for v in await query.order_by(NursingHomeVisit.starts_at)]


async def get_nursing_home_visit(principal: Principal, community: CommunityInfo, visit_id: int) -> NursingHomeVisitOut:
    return await nursing_home_visit_out(principal, await _visit_row(principal, community, visit_id))


async def add_volunteer(mh: Any, principal: Principal, community: CommunityInfo, visit_id: int, entry: RosterIn) -> NursingHomeVisitOut:
    visit = await _visit_row(principal, community, visit_id)
    if visit["status"] != "scheduled":
        raise InvalidInput("visit: a cancelled visit's roster cannot change", field="visit")
    await scoped_resident(principal, community, entry.resident_id, "resident_id")
    async with transaction(mh, lock=("elder_care.roster", visit_id)):  # changes to one roster take turns
        if await RosterEntry.exists().where(RosterEntry.visit == visit_id, RosterEntry.volunteer == entry.resident_id):
            raise Conflict(f"resident_id: {entry.resident_id} is already on the roster", field="resident_id")
        await RosterEntry.insert(RosterEntry(visit=visit_id, volunteer=entry.resident_id, task=entry.task.strip()[:64]))
        await update_activity(mh, visit["activity"], ActivityPatch(audience=await _roster_audience(visit)))
        await audit(principal, "elder_care.roster.add", "nursing_home_visit", visit_id, community_id=community.id,
                    detail={"resident_id": entry.resident_id})
    return await nursing_home_visit_out(principal, visit)


async def remove_volunteer(mh: Any, principal: Principal, community: CommunityInfo, visit_id: int, resident_id: int) -> NursingHomeVisitOut:
    visit = await _visit_row(principal, community, visit_id)
    await scoped_resident(principal, community, resident_id, "resident_id")
    # Changes to one roster take turns: two volunteers leaving at once cannot leave it empty.
    async with transaction(mh, lock=("elder_care.roster", visit_id)):
        if not await RosterEntry.exists().where(RosterEntry.visit == visit_id, RosterEntry.volunteer == resident_id):
            raise NotFound(f"resident {resident_id} is not on the roster", field="resident_id")
        await RosterEntry.delete().where(RosterEntry.visit == visit_id, RosterEntry.volunteer == resident_id)
        audience = await _roster_audience(visit)
        if visit["status"] == "scheduled" and (audience["residents"] or audience["staff"]):
            await update_activity(mh, visit["activity"], ActivityPatch(audience=audience))
        elif visit["status"] == "scheduled":
            raise InvalidInput("resident_id: the last volunteer cannot leave; cancel the visit instead", field="resident_id")
        await audit(principal, "elder_care.roster.remove", "nursing_home_visit", visit_id, community_id=community.id,
                    detail={"resident_id": resident_id})
    return await nursing_home_visit_out(principal, visit)


async def cancel_nursing_home_visit(mh: Any, principal: Principal, community: CommunityInfo, visit_id: int) -> NursingHomeVisitOut:
    visit = await _visit_row(principal, community, visit_id)
    if visit["status"] == "scheduled":
        async with mh.db.transaction():
            await cancel_activity(mh, visit["activity"])
            await NursingHomeVisit.update({NursingHomeVisit.status: "cancelled"}).where(NursingHomeVisit.id == visit_id)
            await audit(principal, "elder_care.nursing_home_visit.cancel", "nursing_home_visit", visit_id, community_id=community.id)
    return await nursing_home_visit_out(principal, await _visit_row(principal, community, visit_id))
