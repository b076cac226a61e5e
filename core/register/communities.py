"""Communities (社区), their brands, and the grid register below them: grids, buildings, households."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from meihao.access.audit import audit
from meihao.access.principals import SYSTEM, Principal
from meihao.errors import Conflict, Forbidden, InvalidInput, NotFound
from meihao.register.schemas import BuildingIn, CommunityIn, CommunityInfo, CommunityPatch, GridIn, HouseholdIn
from meihao.register.tables import Building, Community, CommunityScenario, Grid, Household

if TYPE_CHECKING:
    from meihao.runtime import Meihao


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidInput(f"timezone: {name!r} is not an IANA time zone (e.g. Asia/Shanghai)", field="timezone") from err
    return name


_INFO_COLUMNS = (Community.id, Community.slug, Community.name, Community.brand_name, Community.brand_slogan, Community.timezone)


async def get_community(slug: str) -> CommunityInfo:
    """The community with this slug; NotFound (404) when there is none."""
    row = await Community.select(*_INFO_COLUMNS).where(Community.slug == slug).first()
    if row is None:
        raise NotFound(f"community {slug!r} not found")
    return CommunityInfo.from_row(row)


async def enabled_scenarios(community_ids: list[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {i: [] for i in community_ids}
    if community_ids:
        rows = await CommunityScenario.select(CommunityScenario.community, CommunityScenario.scenario).where(
            CommunityScenario.community.is_in(community_ids), CommunityScenario.enabled.eq(True)
        ).order_by(CommunityScenario.scenario)
        for row in rows:
            result[row["community"]].append(row["scenario"])
    return result


async def list_communities() -> list[dict[str, Any]]:
    rows = await Community.select().order_by(Community.id)
    scenarios = await enabled_scenarios([r["id"] for r in rows])
    return [{**r, "scenarios": scenarios[r["id"]]} for r in rows]


async def community_out(slug: str) -> dict[str, Any]:
    community = await get_community(slug)
    return {**msgspec.structs.asdict(community), "scenarios": (await enabled_scenarios([community.id]))[community.id]}


async def create_community(mh: Meihao, data: CommunityIn, principal: Principal = SYSTEM) -> dict[str, Any]:
    timezone = check_timezone(data.timezone or mh.settings.default_timezone)
    if await Community.exists().where(Community.slug == data.slug):
        raise Conflict(f"slug: a community {data.slug!r} already exists", field="slug")
    async with mh.db.transaction():
        community = Community(slug=data.slug, name=data.name, brand_name=data.brand_name, brand_slogan=data.brand_slogan, timezone=timezone)
        await community.save()
        await audit(principal, "community.create", "community", data.slug, community_id=community.id)
    return await community_out(data.slug)


async def update_community(mh: Meihao, slug: str, patch: CommunityPatch, principal: Principal = SYSTEM) -> dict[str, Any]:
    """Change name, brand or time zone: the street, or the community's own admin."""
    community = await get_community(slug)
    require_manager(principal, community.id, "meihao.community.manage", "meihao.scenario.manage")
    values = {k: v for k, v in ((f, getattr(patch, f)) for f in patch.__struct_fields__) if v is not None}
    if "timezone" in values:
        check_timezone(values["timezone"])
    if values:
        async with mh.db.transaction():
            await Community.update({getattr(Community, k): v for k, v in values.items()}).where(Community.id == community.id)
            await audit(principal, "community.update", "community", slug, community_id=community.id, detail=values)
    return await community_out(slug)


def require_manager(principal: Principal, community_id: int, *permissions: str) -> None:
    """Holding one of ``permissions`` and managing the community (the street, or its community admin)."""
    if not any(principal.can(p) for p in permissions):
        raise Forbidden(f"you need the permission {permissions[0]!r}")
    if not principal.manages_community(community_id):
        raise Forbidden("your scope does not reach this community")


# -- the grid register --------------------------------------------------------


async def list_grids(slug: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
    """The community's grids in the caller's scope (grid staff: their own); 403 for a community they do not reach."""
    community = await get_community(slug)
    if not principal.reaches_community(community.id):
        raise Forbidden(f"community {slug!r} is outside your scope")
    rows = await Grid.select().where(Grid.community == community.id, *principal.where(Grid.community, Grid.id)).order_by(Grid.code)
    return [{**r, "community": slug} for r in rows]


async def create_grid(mh: Meihao, slug: str, data: GridIn, principal: Principal = SYSTEM) -> dict[str, Any]:
    community = await get_community(slug)
    require_manager(principal, community.id, "meihao.register.write")
    if await Grid.exists().where(Grid.community == community.id, Grid.code == data.code):
        raise Conflict(f"code: grid {data.code!r} already exists in {slug!r}", field="code")
    grid = Grid(community=community.id, code=data.code, name=data.name)
    async with mh.db.transaction():
        await grid.save()
        await audit(principal, "grid.create", "grid", grid.id, community_id=community.id)
    return {"id": grid.id, "community": slug, "code": grid.code, "name": grid.name}


async def get_grid(grid_id: int) -> dict[str, Any]:
    row = await Grid.select().where(Grid.id == grid_id).first()
    if row is None:
        raise NotFound(f"grid {grid_id} not found")
    return row


async def list_buildings(grid_id: int, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
    """Buildings of a grid in the caller's scope; a grid outside it is 404, like one that does not exist."""
    if not await Grid.exists().where(Grid.id == grid_id, *principal.where(Grid.community, Grid.id)):
        raise NotFound(f"grid {grid_id} not found")
    rows = await Building.select(Building.id, Building.grid, Building.name, Building.address).where(
        Building.grid == grid_id, *principal.where(Building.community, Building.grid)
    ).order_by(Building.id)
    return [{**r, "grid_id": r["grid"]} for r in rows]


async def create_building(mh: Meihao, grid_id: int, data: BuildingIn, principal: Principal = SYSTEM) -> dict[str, Any]:
    grid = await get_grid(grid_id)
    if not (principal.manages_community(grid["community"]) or grid_id in principal.grid_ids):
        raise NotFound(f"grid {grid_id} not found")
    principal.require("meihao.register.write")
    building = Building(grid=grid_id, community=grid["community"], name=data.name, address=data.address)
    async with mh.db.transaction():
        await building.save()
        await audit(principal, "building.create", "building", building.id, community_id=grid["community"])
    return {"id": building.id, "grid_id": grid_id, "name": building.name, "address": building.address}


async def get_building(building_id: int, principal: Principal = SYSTEM) -> dict[str, Any]:
    row = await Building.select().where(Building.id == building_id, *principal.where(Building.community, Building.grid)).first()
    if row is None:
        raise NotFound(f"building {building_id} not found")
    return row


async def list_households(building_id: int, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
    await get_building(building_id, principal)
    rows = await Household.select().where(Household.building == building_id, *principal.where(Household.community, Household.grid)).order_by(Household.unit, Household.room)
    return [{**r, "building_id": r["building"], "grid_id": r["grid"]} for r in rows]


async def create_household(mh: Meihao, building_id: int, data: HouseholdIn, principal: Principal = SYSTEM) -> dict[str, Any]:
    building = await get_building(building_id, principal)
    principal.require("meihao.register.write")
    if await Household.exists().where(Household.building == building_id, Household.unit == data.unit, Household.room == data.room):
        raise Conflict(f"room: household {data.unit}-{data.room} already exists in this building", field="room")
    household = Household(building=building_id, grid=building["grid"], community=building["community"], unit=data.unit, room=data.room)
    async with mh.db.transaction():
        await household.save()
        await audit(principal, "household.create", "household", household.id, community_id=building["community"])
    return {"id": household.id, "building_id": building_id, "grid_id": building["grid"], "unit": household.unit, "room": household.room}


async def get_household(household_id: int, principal: Principal = SYSTEM) -> dict[str, Any]:
    row = await Household.select().where(Household.id == household_id, *principal.where(Household.community, Household.grid)).first()
    if row is None:
        raise NotFound(f"household {household_id} not found", field="household_id")
    return row
