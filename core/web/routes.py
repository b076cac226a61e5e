"""The kernel's HTTP API: health, communities and brands, the grid register, residents, departments, scenarios."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from litestar import Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from .. import communities, community_scenarios, residents
from ..runtime import Meihao
from ..schemas import (
    BuildingIn,
    BuildingOut,
    CommunityIn,
    CommunityOut,
    CommunityPatch,
    DepartmentIn,
    DepartmentOut,
    GridIn,
    GridOut,
    HouseholdIn,
    HouseholdOut,
    MetricOut,
    MoveIn,
    Page,
    PermissionOut,
    PluginOut,
    ResidentIn,
    ResidentOut,
    ResidentPatch,
    ScenarioOut,
)
from ..errors import Conflict
from ..tables import CommunityScenario, Department, Community

S = TypeVar("S")


@get("/health", tags=["kernel"])
async def health() -> dict[str, str]:
    """Liveness and database check."""
    await Community.count()
    return {"status": "ok"}


# -- communities -------------------------------------------------------------


@get("/api/communities", tags=["communities"])
async def list_communities() -> list[CommunityOut]:
    return [_out(CommunityOut, c) for c in await communities.list_communities()]


@post("/api/communities", tags=["communities"])
async def create_community(data: JSONBody[CommunityIn], meihao: NamedDependency[Meihao]) -> CommunityOut:
    return _out(CommunityOut, await communities.create_community(meihao, data))


@get("/api/communities/{slug:str}", tags=["communities"])
async def get_community(slug: FromPath[str]) -> CommunityOut:
    return _out(CommunityOut, await communities.community_out(slug))


@patch("/api/communities/{slug:str}", tags=["communities"])
async def update_community(slug: FromPath[str], data: JSONBody[CommunityPatch]) -> CommunityOut:
    return _out(CommunityOut, await communities.update_community(slug, data))


@get("/api/communities/{slug:str}/scenarios", tags=["scenarios"])
async def list_scenarios(slug: FromPath[str], meihao: NamedDependency[Meihao]) -> list[ScenarioOut]:
    return [ScenarioOut(**s) for s in await community_scenarios.list_scenarios(meihao, slug)]


@put("/api/communities/{slug:str}/scenarios/{scenario:str}", tags=["scenarios"])
async def enable_scenario(slug: FromPath[str], scenario: FromPath[str], meihao: NamedDependency[Meihao], data: JSONBody[dict[str, Any] | None] = None) -> ScenarioOut:
    """Switch a scenario on for the community; the body holds its settings (``{"settings": {...}}``)."""
    from ..errors import InvalidInput

    unknown = sorted(set(data or {}) - {"settings"})
    if unknown:  # e.g. settings sent without the wrapper, which would silently reset them to defaults
        raise InvalidInput(f"{unknown[0]}: unknown field; send the scenario's settings as {{\"settings\": {{...}}}}", field=unknown[0])
    settings = None if data is None else data.get("settings", {})
    if settings is not None and not isinstance(settings, dict):
        raise InvalidInput("settings: must be an object", field="settings")
    return ScenarioOut(**await community_scenarios.enable(meihao, slug, scenario, settings))


@delete("/api/communities/{slug:str}/scenarios/{scenario:str}", tags=["scenarios"], status_code=200)
async def disable_scenario(slug: FromPath[str], scenario: FromPath[str], meihao: NamedDependency[Meihao]) -> ScenarioOut:
    """Switch a scenario off; its data is kept."""
    return ScenarioOut(**await community_scenarios.disable(meihao, slug, scenario))


@get("/api/communities/{slug:str}/dashboard", tags=["scenarios"])
async def dashboard(slug: FromPath[str], meihao: NamedDependency[Meihao]) -> list[MetricOut]:
    """Key figures of every scenario the community enabled (``meihao_metrics``)."""
    community = await communities.get_community(slug)
    result = []
    for scenario in (await communities.enabled_scenarios([community["id"]]))[community["id"]]:
        if scenario in meihao.plugins.scenarios:
            for m in await meihao.plugins.metrics(community, scenario):
                result.append(MetricOut(scenario=scenario, key=m.key, title_zh=m.title_zh, title_en=m.title_en, value=m.value))
    return result


# -- the grid register -------------------------------------------------------


@get("/api/communities/{slug:str}/grids", tags=["register"])
async def list_grids(slug: FromPath[str]) -> list[GridOut]:
    return [_out(GridOut, g) for g in await communities.list_grids(slug)]


@post("/api/communities/{slug:str}/grids", tags=["register"])
async def create_grid(slug: FromPath[str], data: JSONBody[GridIn]) -> GridOut:
    return GridOut(**await communities.create_grid(slug, data))


@get("/api/grids/{grid_id:int}/buildings", tags=["register"])
async def list_buildings(grid_id: FromPath[int]) -> list[BuildingOut]:
    return [_out(BuildingOut, b) for b in await communities.list_buildings(grid_id)]


@post("/api/grids/{grid_id:int}/buildings", tags=["register"])
async def create_building(grid_id: FromPath[int], data: JSONBody[BuildingIn]) -> BuildingOut:
    return BuildingOut(**await communities.create_building(grid_id, data))


@get("/api/buildings/{building_id:int}/households", tags=["register"])
async def list_households(building_id: FromPath[int]) -> list[HouseholdOut]:
    return [_out(HouseholdOut, h) for h in await communities.list_households(building_id)]


@post("/api/buildings/{building_id:int}/households", tags=["register"])
async def create_household(building_id: FromPath[int], data: JSONBody[HouseholdIn]) -> HouseholdOut:
    return HouseholdOut(**await communities.create_household(building_id, data))


# -- residents ---------------------------------------------------------------


@get("/api/residents", tags=["residents"])
async def list_residents(
    meihao: NamedDependency[Meihao],
    community: FromQuery[str | None] = None,
    grid_id: Annotated[int | None, QueryParameter(name="grid")] = None,
    building_id: Annotated[int | None, QueryParameter(name="building")] = None,
    household_id: Annotated[int | None, QueryParameter(name="household")] = None,
    tag: FromQuery[str | None] = None,
    min_age: FromQuery[int | None] = None,
    max_age: FromQuery[int | None] = None,
    name: FromQuery[str | None] = None,
    page: FromQuery[int] = 1,
    page_size: FromQuery[int | None] = None,
) -> Page[ResidentOut]:
    """Residents, filtered and paginated; ID-card and phone numbers are masked."""
    filters = residents.ResidentFilter(community, grid_id, building_id, household_id, tag, min_age, max_age, name)
    result = await residents.list_residents(meihao, filters, page, page_size or meihao.settings.default_page_size)
    return Page(items=[ResidentOut(**r) for r in result["items"]], total=result["total"], page=result["page"], page_size=result["page_size"])


@post("/api/residents", tags=["residents"])
async def create_resident(data: JSONBody[ResidentIn], meihao: NamedDependency[Meihao]) -> ResidentOut:
    return ResidentOut(**await residents.create_resident(meihao, data))


@get("/api/residents/{resident_id:int}", tags=["residents"])
async def get_resident(resident_id: FromPath[int]) -> ResidentOut:
    return ResidentOut(**await residents.get_resident(resident_id))


@patch("/api/residents/{resident_id:int}", tags=["residents"])
async def update_resident(resident_id: FromPath[int], data: JSONBody[ResidentPatch], meihao: NamedDependency[Meihao]) -> ResidentOut:
    return ResidentOut(**await residents.update_resident(meihao, resident_id, data))


@post("/api/residents/{resident_id:int}/move", tags=["residents"], status_code=200)
async def move_resident(resident_id: FromPath[int], data: JSONBody[MoveIn], meihao: NamedDependency[Meihao]) -> ResidentOut:
    """Move a resident to another household (and so, perhaps, another building, grid or community)."""
    return ResidentOut(**await residents.move_resident(meihao, resident_id, data.household_id))


@delete("/api/residents/{resident_id:int}", tags=["residents"])
async def delete_resident(resident_id: FromPath[int], meihao: NamedDependency[Meihao]) -> None:
    await residents.delete_resident(meihao, resident_id)


# -- departments, plugins, permissions ----------------------------------------


@get("/api/departments", tags=["departments"])
async def list_departments() -> list[DepartmentOut]:
    return [_out(DepartmentOut, d) for d in await Department.select().order_by(Department.code)]


@post("/api/departments", tags=["departments"])
async def create_department(data: JSONBody[DepartmentIn]) -> DepartmentOut:
    if await Department.exists().where(Department.code == data.code):
        raise Conflict(f"code: department {data.code!r} already exists", field="code")
    department = Department(code=data.code, name=data.name, kind=data.kind)
    await department.save()
    return DepartmentOut(id=department.id, code=department.code, name=department.name, kind=department.kind)


@get("/api/plugins", tags=["kernel"])
async def list_plugins(meihao: NamedDependency[Meihao]) -> list[PluginOut]:
    return [PluginOut(**p) for p in await plugin_overview(meihao)]


@get("/api/permissions", tags=["kernel"])
async def list_permissions(meihao: NamedDependency[Meihao]) -> list[PermissionOut]:
    return [PermissionOut(p.name, p.description) for p in meihao.plugins.permissions()]


async def plugin_overview(mh: Meihao) -> list[dict[str, Any]]:
    """Every loaded plugin: version, where it comes from, its scene and the communities that enabled it."""
    rows = await CommunityScenario.select(CommunityScenario.scenario, CommunityScenario.community.slug.as_alias("slug")).where(
        CommunityScenario.enabled.eq(True)
    )
    enabled: dict[str, list[str]] = {}
    for row in rows:
        enabled.setdefault(row["scenario"], []).append(row["slug"])
    return [
        {
            "name": p.name,
            "version": p.version,
            "source": p.source,
            "essential": p.essential,
            "scene": p.scenario.scene if p.scenario else None,
            "communities": sorted(enabled.get(p.name, [])),
        }
        for p in mh.plugins.loaded.values()
    ]


def _out(struct: type[S], row: dict[str, Any]) -> S:
    """Build a response Struct from a row, taking only the fields the Struct shows."""
    return struct(**{k: row[k] for k in struct.__struct_fields__})


KERNEL_HANDLERS = [
    health,
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
    list_residents,
    create_resident,
    get_resident,
    update_resident,
    move_resident,
    delete_resident,
    list_departments,
    create_department,
    list_plugins,
    list_permissions,
]
