"""Communities and their brands, the scenarios they switch on, their dashboard, the grid register, departments.

Handlers are thin: each names the permission it needs (a ``requires`` guard), passes the
caller (``principal``) to a service function that scopes its SQL, and shapes the answer.
"""

from __future__ import annotations

from typing import Any

from litestar import delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.errors import Conflict, Forbidden, InvalidInput
from meihao.register import communities, community_scenarios
from meihao.register.schemas import (
    BuildingIn,
    BuildingOut,
    CommunityIn,
    CommunityInfo,
    CommunityOut,
    CommunityPatch,
    DepartmentIn,
    DepartmentOut,
    GridIn,
    GridOut,
    HouseholdIn,
    HouseholdOut,
    MetricOut,
    ScenarioOut,
)
from meihao.register.tables import Department
from meihao.runtime import Meihao
from meihao.web.auth import requires
from meihao.web.params import Caller, PathId, _out


@get("/api/communities", tags=["communities"])
async def list_communities() -> list[CommunityOut]:
    """Every community with its brand and enabled scenarios (organisation, not personal data)."""
    return [_out(CommunityOut, c) for c in await communities.list_communities()]


@post("/api/communities", tags=["communities"], guards=[requires("meihao.community.manage")])
async def create_community(data: JSONBody[CommunityIn], meihao: NamedDependency[Meihao], principal: Caller) -> CommunityOut:
    return _out(CommunityOut, await communities.create_community(meihao, data, principal))


@get("/api/communities/{slug:str}", tags=["communities"])
async def get_community(slug: FromPath[str]) -> CommunityOut:
    return _out(CommunityOut, await communities.community_out(slug))


@patch("/api/communities/{slug:str}", tags=["communities"])
async def update_community(slug: FromPath[str], data: JSONBody[CommunityPatch], meihao: NamedDependency[Meihao], principal: Caller) -> CommunityOut:
    """Change name, brand or time zone (the street, or the community's own admin)."""
    return _out(CommunityOut, await communities.update_community(meihao, slug, data, principal))


def _reach(principal: Principal, community: CommunityInfo) -> None:
    if not principal.reaches_community(community.id):
        raise Forbidden("your scope does not reach this community")


@get("/api/communities/{slug:str}/scenarios", tags=["scenarios"])
async def list_scenarios(slug: FromPath[str], meihao: NamedDependency[Meihao], principal: Caller) -> list[ScenarioOut]:
    """The scenarios the community switched on, with their settings: for staff whose scope reaches it (a
    community's settings are its own staff's business, as its dashboard is)."""
    _reach(principal, await communities.get_community(slug))
    return [ScenarioOut(**s) for s in await community_scenarios.list_scenarios(meihao, slug)]


@put("/api/communities/{slug:str}/scenarios/{scenario:str}", tags=["scenarios"], guards=[requires("meihao.scenario.manage")])
async def enable_scenario(
    slug: FromPath[str],
    scenario: FromPath[str],
    meihao: NamedDependency[Meihao],
    principal: Caller,
    data: JSONBody[dict[str, Any] | None] = None,
) -> ScenarioOut:
    """Switch a scenario on for the community; the body holds its settings (``{"settings": {...}}``)."""
    unknown = sorted(set(data or {}) - {"settings"})
    if unknown:  # e.g. settings sent without the wrapper, which would silently reset them to defaults
        raise InvalidInput(f"{unknown[0]}: unknown field; send the scenario's settings as {{\"settings\": {{...}}}}", field=unknown[0])
    settings = None if data is None else data.get("settings", {})
    if settings is not None and not isinstance(settings, dict):
        raise InvalidInput("settings: must be an object", field="settings")
    return ScenarioOut(**await community_scenarios.enable(meihao, slug, scenario, settings, principal))


@delete("/api/communities/{slug:str}/scenarios/{scenario:str}", tags=["scenarios"], status_code=200, guards=[requires("meihao.scenario.manage")])
async def disable_scenario(slug: FromPath[str], scenario: FromPath[str], meihao: NamedDependency[Meihao], principal: Caller) -> ScenarioOut:
    """Switch a scenario off; its data is kept."""
    return ScenarioOut(**await community_scenarios.disable(meihao, slug, scenario, principal))


@get("/api/communities/{slug:str}/dashboard", tags=["scenarios"])
async def dashboard(slug: FromPath[str], meihao: NamedDependency[Meihao], principal: Caller) -> list[MetricOut]:
    """Key figures of every scenario the community enabled (``meihao_metrics``), for staff whose scope reaches it,
    each counting only what the caller may read (a grid worker: their grid's)."""
    community = await communities.get_community(slug)
    _reach(principal, community)
    result = []
    for scenario in (await communities.enabled_scenarios([community.id]))[community.id]:
        if scenario in meihao.plugins.scenarios:
            for m in await meihao.plugins.metrics(community, scenario, meihao, principal):
                result.append(MetricOut(scenario=scenario, key=m.key, title_zh=m.title_zh, title_en=m.title_en, value=m.value))
    return result


@get("/api/communities/{slug:str}/grids", tags=["register"])
async def list_grids(slug: FromPath[str], principal: Caller) -> list[GridOut]:
    """The community's grids within the caller's scope (grid staff see their own grids)."""
    return [_out(GridOut, g) for g in await communities.list_grids(slug, principal)]


@post("/api/communities/{slug:str}/grids", tags=["register"], guards=[requires("meihao.register.write")])
async def create_grid(slug: FromPath[str], data: JSONBody[GridIn], meihao: NamedDependency[Meihao], principal: Caller) -> GridOut:
    return GridOut(**await communities.create_grid(meihao, slug, data, principal))


@get("/api/grids/{grid_id:int}/buildings", tags=["register"], guards=[requires("meihao.register.read")])
async def list_buildings(grid_id: PathId, principal: Caller) -> list[BuildingOut]:
    return [_out(BuildingOut, b) for b in await communities.list_buildings(grid_id, principal)]


@post("/api/grids/{grid_id:int}/buildings", tags=["register"], guards=[requires("meihao.register.write")])
async def create_building(grid_id: PathId, data: JSONBody[BuildingIn], meihao: NamedDependency[Meihao], principal: Caller) -> BuildingOut:
    return BuildingOut(**await communities.create_building(meihao, grid_id, data, principal))


@get("/api/buildings/{building_id:int}/households", tags=["register"], guards=[requires("meihao.register.read")])
async def list_households(building_id: PathId, principal: Caller) -> list[HouseholdOut]:
    return [_out(HouseholdOut, h) for h in await communities.list_households(building_id, principal)]


@post("/api/buildings/{building_id:int}/households", tags=["register"], guards=[requires("meihao.register.write")])
async def create_household(building_id: PathId, data: JSONBody[HouseholdIn], meihao: NamedDependency[Meihao], principal: Caller) -> HouseholdOut:
    return HouseholdOut(**await communities.create_household(meihao, building_id, data, principal))


@get("/api/departments", tags=["departments"])
async def list_departments() -> list[DepartmentOut]:
    return [_out(DepartmentOut, d) for d in await Department.select().order_by(Department.code)]


@post("/api/departments", tags=["departments"], guards=[requires("meihao.department.manage")])
async def create_department(data: JSONBody[DepartmentIn], meihao: NamedDependency[Meihao], principal: Caller) -> DepartmentOut:
    if await Department.exists().where(Department.code == data.code):
        raise Conflict(f"code: department {data.code!r} already exists", field="code")
    department = Department(code=data.code, name=data.name, kind=data.kind)
    async with meihao.db.transaction():
        await department.save()
        await audit(principal, "department.create", "department", data.code)
    return DepartmentOut(id=department.id, code=department.code, name=department.name, kind=department.kind)


HANDLERS = [
    list_communities,
    create_community,
    get_community,
    update_community,
    list_scenarios,
    enable_scenario,
    disable_scenario,
    dashboard,
    list_grids,
    create_grid,
    list_buildings,
    create_building,
    list_households,
    create_household,
    list_departments,
    create_department,
]
