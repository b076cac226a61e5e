"""The kernel's HTTP API: health, login, communities and brands, the grid register, residents, staff, audit.

Handlers are thin: each names the permission it needs (a ``requires`` guard), passes the
caller (``principal``) to a service function that scopes its SQL, and shapes the answer.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Annotated, Any, TypeVar

from litestar import Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.response import Stream

from meihao.access import logins, staff
from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.access.schemas import AssignmentIn, AuditOut, LoginIn, LoginOut, StaffIn, StaffOut
from meihao.access.tables import AuditLog
from meihao.errors import Conflict, DatabaseUnavailable, InvalidInput
from meihao.register import communities, community_scenarios, residents
from meihao.register.schemas import (
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
    RevealIn,
    RevealOut,
    ScenarioOut,
)
from meihao.register.tables import Community, CommunityScenario, Department
from meihao.runtime import Meihao
from meihao.web.auth import PUBLIC, requires

S = TypeVar("S")

#: Row ids are 64-bit integers: a bigger number is a 400 naming the parameter, not a database error.
MAX_ID = 2**63 - 1
PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
#: Beyond this the row offset of a page no longer fits the database's integers.
PageNumber = Annotated[int, QueryParameter(ge=1, le=10**9)]
Caller = NamedDependency[Principal]


@get("/health", tags=["kernel"], opt={PUBLIC: True})
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Liveness: the database answers, and where this node runs the scheduler, it runs. 503 otherwise.

    Says which node answered and its role, so that a check through the proxy shows where it went.
    """
    try:
        await Community.count()
    except Exception as err:  # drivers raise their own types (sqlite3, asyncpg, OSError)
        raise DatabaseUnavailable(f"the database does not answer: {type(err).__name__}: {err}") from err
    state = request.app.state
    node = state.get("node")
    worker = state.get("worker")
    body: dict[str, Any] = {"status": "ok", "role": state["meihao"].settings.role}
    if node is not None:
        body["node"] = node.node_id
    if worker is not None:
        body["scheduler"] = "running" if worker.running else "stopped"
        if not worker.running:
            body["status"] = "scheduler stopped"
            return Response(body, status_code=503)
    return Response(body, status_code=200)


# -- login ----------------------------------------------------------------------


@post("/api/auth/login", tags=["auth"], opt={PUBLIC: True}, status_code=200)
async def login(data: JSONBody[LoginIn], request: Request[Any, Any, Any], meihao: NamedDependency[Meihao]) -> LoginOut:
    """Exchange username and password for a bearer token (failures are rate-limited)."""
    address = request.client.host if request.client else ""
    return LoginOut(**await logins.login(meihao, data.username, data.password, address))


@post("/api/auth/logout", tags=["auth"], status_code=204)
async def logout(request: Request[Principal, str, Any], principal: Caller) -> None:
    await logins.logout(request.auth)
    await audit(principal, "auth.logout", "staff", principal.staff_id)


@get("/api/auth/me", tags=["auth"])
async def me(principal: Caller) -> dict[str, Any]:
    """Who the token belongs to, their roles and permissions."""
    return {"staff_id": principal.staff_id, "name": principal.name, "roles": sorted(principal.roles), "permissions": sorted(principal.permissions)}


# -- communities -------------------------------------------------------------


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


@get("/api/communities/{slug:str}/scenarios", tags=["scenarios"])
async def list_scenarios(slug: FromPath[str], meihao: NamedDependency[Meihao]) -> list[ScenarioOut]:
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
    """Key figures of every scenario the community enabled (``meihao_metrics``), for staff whose scope reaches it."""
    community = await communities.get_community(slug)
    if not principal.reaches_community(community["id"]):
        from meihao.errors import Forbidden

        raise Forbidden("your scope does not reach this community")
    result = []
    for scenario in (await communities.enabled_scenarios([community["id"]]))[community["id"]]:
        if scenario in meihao.plugins.scenarios:
            for m in await meihao.plugins.metrics(community, scenario, meihao):
                result.append(MetricOut(scenario=scenario, key=m.key, title_zh=m.title_zh, title_en=m.title_en, value=m.value))
    return result


# -- the grid register -------------------------------------------------------


@get("/api/communities/{slug:str}/grids", tags=["register"])
async def list_grids(slug: FromPath[str]) -> list[GridOut]:
    return [_out(GridOut, g) for g in await communities.list_grids(slug)]


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


# -- residents ---------------------------------------------------------------


ResidentQuery = dict[str, Any]


def _filters(
    community: str | None, grid_id: int | None, building_id: int | None, household_id: int | None,
    tag: str | None, min_age: int | None, max_age: int | None, name: str | None,
) -> residents.ResidentFilter:
    return residents.ResidentFilter(community, grid_id, building_id, household_id, tag, min_age, max_age, name)


@get("/api/residents", tags=["residents"], guards=[requires("meihao.resident.read")])
async def list_residents(
    meihao: NamedDependency[Meihao],
    principal: Caller,
    community: FromQuery[str | None] = None,
    # named as in the query string, so that a validation error names what the caller sent
    grid: QueryId = None,
    building: QueryId = None,
    household: QueryId = None,
    tag: FromQuery[str | None] = None,
    min_age: FromQuery[int | None] = None,
    max_age: FromQuery[int | None] = None,
    name: FromQuery[str | None] = None,
    page: PageNumber = 1,
    page_size: FromQuery[int | None] = None,
) -> Page[ResidentOut]:
    """Residents in the caller's scope, filtered and paginated; ID-card and phone numbers are masked."""
    filters = _filters(community, grid, building, household, tag, min_age, max_age, name)
    size = meihao.settings.default_page_size if page_size is None else page_size  # 0 is an error, not "default"
    result = await residents.list_residents(meihao, filters, page, size, principal)
    return Page(items=[ResidentOut(**r) for r in result["items"]], total=result["total"], page=result["page"], page_size=result["page_size"])


@get("/api/residents/export", tags=["residents"], guards=[requires("meihao.resident.export")])
async def export_residents(
    meihao: NamedDependency[Meihao],
    principal: Caller,
    community: FromQuery[str | None] = None,
    grid: QueryId = None,
    building: QueryId = None,
    tag: FromQuery[str | None] = None,
    min_age: FromQuery[int | None] = None,
    max_age: FromQuery[int | None] = None,
) -> Stream:
    """Residents in scope as CSV (masked like every other answer); the export is audited."""
    filters = _filters(community, grid, building, None, tag, min_age, max_age, None)
    await filters.where(meihao.settings.default_timezone)  # bad filters fail before the stream starts
    await audit(principal, "resident.export", "resident", "", detail={k: v for k, v in vars(filters).items() if v is not None})

    async def lines():
        async for row in residents.export_rows(meihao, filters, principal):
            buffer = io.StringIO()
            csv.writer(buffer).writerow(row)
            yield buffer.getvalue().encode()

    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return Stream(lines(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="residents-{stamp}.csv"'})


@post("/api/residents", tags=["residents"], guards=[requires("meihao.resident.write")])
async def create_resident(data: JSONBody[ResidentIn], meihao: NamedDependency[Meihao], principal: Caller) -> ResidentOut:
    return ResidentOut(**await residents.create_resident(meihao, data, principal))


@get("/api/residents/{resident_id:int}", tags=["residents"], guards=[requires("meihao.resident.read")])
async def get_resident(resident_id: PathId, principal: Caller) -> ResidentOut:
    return ResidentOut(**await residents.get_resident(resident_id, principal))


@patch("/api/residents/{resident_id:int}", tags=["residents"], guards=[requires("meihao.resident.write")])
async def update_resident(resident_id: PathId, data: JSONBody[ResidentPatch], meihao: NamedDependency[Meihao], principal: Caller) -> ResidentOut:
    return ResidentOut(**await residents.update_resident(meihao, resident_id, data, principal))


@post("/api/residents/{resident_id:int}/move", tags=["residents"], status_code=200, guards=[requires("meihao.resident.write")])
async def move_resident(resident_id: PathId, data: JSONBody[MoveIn], meihao: NamedDependency[Meihao], principal: Caller) -> ResidentOut:
    """Move a resident to another household (and so, perhaps, another building, grid or community)."""
    return ResidentOut(**await residents.move_resident(meihao, resident_id, data.household_id, principal))


@delete("/api/residents/{resident_id:int}", tags=["residents"], guards=[requires("meihao.resident.write")])
async def delete_resident(resident_id: PathId, meihao: NamedDependency[Meihao], principal: Caller) -> None:
    await residents.delete_resident(meihao, resident_id, principal)


@post("/api/residents/{resident_id:int}/reveal", tags=["residents"], status_code=200, guards=[requires("meihao.resident.reveal")])
async def reveal_resident_field(resident_id: PathId, data: JSONBody[RevealIn], meihao: NamedDependency[Meihao], principal: Caller) -> RevealOut:
    """Show one masked field (``id_card`` or ``phone``) of one resident, with a reason; written to the audit log."""
    value = await residents.reveal(meihao, resident_id, data.field, data.reason, principal)
    return RevealOut(resident_id=resident_id, field=data.field, value=value)


# -- staff, departments, audit ---------------------------------------------------


@get("/api/staff", tags=["staff"], guards=[requires("meihao.staff.manage")])
async def list_staff(principal: Caller) -> list[StaffOut]:
    return [StaffOut(**s) for s in await staff.list_staff(principal)]


@post("/api/staff", tags=["staff"], guards=[requires("meihao.staff.manage")])
async def create_staff(data: JSONBody[StaffIn], meihao: NamedDependency[Meihao], principal: Caller) -> StaffOut:
    specs = [staff.AssignmentSpec(a.role, a.community, a.grid_id, a.department) for a in data.assignments]
    created = await staff.create_staff(
        meihao, principal, username=data.username, password=data.password, name=data.name,
        assignments=specs, email=data.email, phone=data.phone, preferred_language=data.preferred_language,
    )
    return StaffOut(**created)


@post("/api/staff/{staff_id:int}/assignments", tags=["staff"], guards=[requires("meihao.staff.manage")])
async def add_assignment(staff_id: PathId, data: JSONBody[AssignmentIn], meihao: NamedDependency[Meihao], principal: Caller) -> StaffOut:
    spec = staff.AssignmentSpec(data.role, data.community, data.grid_id, data.department)
    return StaffOut(**await staff.add_assignment(meihao, principal, staff_id, spec))


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


@get("/api/audit", tags=["audit"], guards=[requires("meihao.audit.read")])
async def read_audit_log(
    meihao: NamedDependency[Meihao],
    staff_id: Annotated[int | None, QueryParameter(name="staff", ge=1, le=MAX_ID)] = None,
    action: FromQuery[str | None] = None,
    target_type: FromQuery[str | None] = None,
    target_id: FromQuery[str | None] = None,
    since: FromQuery[datetime | None] = None,
    until: FromQuery[datetime | None] = None,
    page: PageNumber = 1,
    page_size: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> Page[AuditOut]:
    """The audit log, newest first, filtered. It is append-only: there is no route to change it."""
    clauses: list[Any] = []
    if staff_id is not None:
        clauses.append(AuditLog.staff == staff_id)
    if action:
        clauses.append(AuditLog.action == action)
    if target_type:
        clauses.append(AuditLog.target_type == target_type)
    if target_id:
        clauses.append(AuditLog.target_id == target_id)
    if since:
        clauses.append(AuditLog.at >= since)
    if until:
        clauses.append(AuditLog.at < until)
    if page < 1:
        raise InvalidInput("page: must be 1 or more", field="page")
    size = min(page_size or meihao.settings.default_page_size, meihao.settings.max_page_size)
    total = await AuditLog.count().where(*clauses) if clauses else await AuditLog.count()
    query = AuditLog.select(
        AuditLog.id, AuditLog.at, AuditLog.staff, AuditLog.actor, AuditLog.action, AuditLog.target_type,
        AuditLog.target_id, AuditLog.community.slug.as_alias("community"), AuditLog.address, AuditLog.reason, AuditLog.detail,
    ).order_by(AuditLog.id, ascending=False).limit(size).offset((page - 1) * size)
    rows = await (query.where(*clauses) if clauses else query)
    items = [AuditOut(staff_id=r.pop("staff"), detail=_json(r.pop("detail")), **r) for r in rows]
    return Page(items=items, total=total, page=page, page_size=size)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# -- plugins and permissions -----------------------------------------------------


@get("/api/plugins", tags=["kernel"])
async def list_plugins(meihao: NamedDependency[Meihao]) -> list[PluginOut]:
    return [PluginOut(**p) for p in await plugin_overview(meihao)]


@get("/api/permissions", tags=["kernel"])
async def list_permissions(meihao: NamedDependency[Meihao]) -> list[PermissionOut]:
    return [PermissionOut(p.name, p.description, list(p.roles)) for p in meihao.plugins.permissions()]


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
    login,
    logout,
    me,
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
    export_residents,
    create_resident,
    get_resident,
    update_resident,
    move_resident,
    delete_resident,
    reveal_resident_field,
    list_staff,
    create_staff,
    add_assignment,
    list_departments,
    create_department,
    read_audit_log,
    list_plugins,
    list_permissions,
]
