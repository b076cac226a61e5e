"""Tour plans: a season of shows of the community, with its procurement lot and organiser (made and changed), and the shows counted in the caller's scope."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, InvalidInput, NotFound, Principal, audit, scope_where, staff_works_in

from ..schemas import PlanIn, PlanOut, PlanPatch
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


async def update_plan(mh: Any, community: CommunityInfo, plan_id: int, patch: PlanPatch, principal: Principal) -> PlanOut:
    """Change what the patch names; a season that would leave out one of the plan's shows (not cancelled) is refused."""
    row = await _plan_row(community, plan_id)
    start = patch.season_start or row["season_start"]
    end = patch.season_end or row["season_end"]
    if end < start:
        raise InvalidInput("season_end: must not be before season_start", field="season_end")
    outside = await Show.select(Show.day).where(
        Show.plan == plan_id, Show.status != "cancelled", (Show.day < start) | (Show.day > end)).order_by(Show.day).first()
    if outside is not None:
        field = "season_start" if outside["day"] < start else "season_end"
        raise InvalidInput(f"{field}: the plan has a show on {outside['day']}, outside {start} to {end}", field=field)
    if patch.organiser_staff_id is not None and not await staff_works_in(patch.organiser_staff_id, community.id):
        raise NotFound(f"organiser_staff_id: no active staff member {patch.organiser_staff_id} works in this community", field="organiser_staff_id")
    values: dict[Any, Any] = {TourPlan.season_start: start, TourPlan.season_end: end}
    if patch.name is not None:
        values[TourPlan.name] = patch.name.strip()
    if patch.procurement_lot is not None:
        values[TourPlan.procurement_lot] = patch.procurement_lot.strip()
    if patch.organiser_staff_id is not None:
        values[TourPlan.organiser] = patch.organiser_staff_id
    async with _tx(mh):
        await TourPlan.update(values).where(TourPlan.id == plan_id)
        await audit(principal, "culture.plan.update", "culture.plan", plan_id, community_id=community.id,
                    detail={"fields": sorted(c._meta.name for c in values)})
    return await get_plan(community, plan_id, principal)
