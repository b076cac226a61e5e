"""Tour plans: a season of shows of the community, with its procurement lot and organiser, and the shows counted in the caller's scope."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, InvalidInput, NotFound, Principal, audit, scope_where, staff_works_in

from ..schemas import PlanIn, PlanOut
from ..tables import Show, TourPlan
from .common import _tx


async def _plans_out(community: CommunityInfo, rows: list[dict[str, Any]], principal: Principal) -> list[PlanOut]:
    result = []
    for r in rows:
        scope = [Show.plan == r["id"], *scope_where(principal, community, (Show.community, Show.grid))]
        result.append(PlanOut(
            id=r["id"], name=r["name"], season_start=r["season_start"], season_end=r["season_end"],
            procurement_lot=r["procurement_lot"], organiser_staff_id=r["organiser"],
            shows=await Show.count().where(*scope, Show.status != "cancelled"),
            delivered=await Show.count().where(*scope, Show.status == "delivered"),
        ))
    return result


async def list_plans(community: CommunityInfo, principal: Principal) -> list[PlanOut]:
    return await _plans_out(community, await TourPlan.select().where(TourPlan.community == community.id).order_by(TourPlan.season_start), principal)


async def _plan_row(community: CommunityInfo, plan_id: int) -> dict[str, Any]:
    row = await TourPlan.select().where(TourPlan.id == plan_id, TourPlan.community == community.id).first()
    if row is None:
        raise NotFound(f"tour plan {plan_id} not found")
    return row


async def get_plan(community: CommunityInfo, plan_id: int, principal: Principal) -> PlanOut:
    return (await _plans_out(community, [await _plan_row(community, plan_id)], principal))[0]


async def create_plan(mh: Any, community: CommunityInfo, data: PlanIn, principal: Principal) -> PlanOut:
    if data.season_end < data.season_start:
        raise InvalidInput("season_end: must not be before season_start", field="season_end")
    if data.organiser_staff_id is not None and not await staff_works_in(data.organiser_staff_id, community.id):
        raise NotFound(f"organiser_staff_id: no active staff member {data.organiser_staff_id} works in this community", field="organiser_staff_id")
    async with _tx(mh):
        plan = TourPlan(community=community.id, name=data.name.strip(), season_start=data.season_start, season_end=data.season_end,
                        procurement_lot=data.procurement_lot.strip(), organiser=data.organiser_staff_id)
        await plan.save()
        await audit(principal, "culture.plan.create", "culture.plan", plan.id, community_id=community.id, detail={"name": data.name})
    return await get_plan(community, plan.id, principal)
