"""A community's page (``/communities/{slug}``): its brand, its scenes switched on and off with their settings, its grid teams.

The same services and rules as the API: the brand is changed by the street or the community's
own admin (``PATCH /api/communities/{slug}``), scenes switched by who holds
``meihao.scenario.manage`` and manages the community (``PUT``/``DELETE
/api/communities/{slug}/scenarios/{scenario}``), the grids are those of the visitor's scope
(``GET /api/communities/{slug}/grids``) and the teams are read from the staff register within it
(``GET /api/staff``, ``meihao.staff.manage``). A community the visitor's scope does not reach
is refused with 403, as the API's grids and dashboard refuse it.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect

from meihao.access.principals import Principal
from meihao.access.roles import ROLES
from meihao.access.staff import list_staff
from meihao.errors import Forbidden, InvalidInput, split_validation_error
from meihao.register import community_scenarios
from meihao.register.communities import get_community, list_grids, update_community
from meihao.register.schemas import CommunityInfo, CommunityPatch
from meihao.register.tables import Department
from meihao.runtime import Meihao
from meihao.web.console.rendering import page_user, render_page, request_language
from meihao.web.console.settings_form import error_field, error_text, read_settings, schema_translations, settings_fields

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

#: The grid team's roles in the order of "2+1+N+X" (grid leaders, full-time, part-time, dispatched).
TEAM_ROLES = ("grid_leader", "grid_worker", "grid_part_time", "dispatched")
BRAND_FIELDS = ("name", "brand_name", "brand_slogan")


def may_edit_brand(principal: Principal, community: CommunityInfo) -> bool:
    """As ``update_community`` decides: managing the community, with either permission."""
    return principal.manages_community(community.id) and (principal.can("meihao.community.manage") or principal.can("meihao.scenario.manage"))


def may_switch_scenes(principal: Principal, community: CommunityInfo) -> bool:
    return principal.manages_community(community.id) and principal.can("meihao.scenario.manage")


async def community_in_reach(slug: str, principal: Principal) -> CommunityInfo:
    community = await get_community(slug)
    if not principal.reaches_community(community.id):
        raise Forbidden(f"community {slug!r} is outside your scope")
    return community


def scene_fields(mh: Meihao, scenario: str, language: str) -> list[Any]:
    schema = mh.plugins.settings_schema(scenario)
    catalogue = schema_translations(schema, language)
    return settings_fields(schema, catalogue.gettext if catalogue is not None else None)


def scene_message(mh: Meihao, scenario: str, language: str, text: str) -> str | tuple[str, str]:
    """A scene's error message in the visitor's language when its catalogue has it (a rule of its settings: "elder_age must be
    between 50 and 100"), else ``("reason", text)``: the page shows it after "Not accepted:"."""
    catalogue = schema_translations(mh.plugins.settings_schema(scenario), language)
    translated = catalogue.gettext(text) if catalogue is not None else text
    return translated if translated != text else ("reason", text)


async def grid_teams(slug: str, principal: Principal) -> tuple[list[dict[str, Any]], bool]:
    """The grids in the visitor's scope with their team by role, and whether the team could be read (``meihao.staff.manage``)."""
    grids = await list_grids(slug, principal)
    shows_team = principal.can("meihao.staff.manage")
    teams: dict[int, dict[str, list[dict[str, Any]]]] = {g["id"]: {role: [] for role in TEAM_ROLES} for g in grids}
    if shows_team and grids:
        departments = {d["code"]: d["name"] for d in await Department.select(Department.code, Department.name)}
        for member in await list_staff(principal):
            if not member["active"]:
                continue
            for a in member["assignments"]:
                if a["grid_id"] in teams and a["role"] in TEAM_ROLES:
                    teams[a["grid_id"]][a["role"]].append(
                        {"name": member["name"], "department": departments.get(a["department"] or "", a["department"] or "")}
                    )
    rows = []
    for grid in grids:
        team = teams[grid["id"]]
        rows.append({
            "grid": grid,
            "team": [{"role": ROLES[role], "members": team[role]} for role in TEAM_ROLES],
            "short": [ROLES[role] for role in ("grid_leader", "grid_worker") if len(team[role]) < (ROLES[role].max_per_grid or 0)],
        })
    return rows, shows_team


async def render_community(
    request: Request[Any, Any, Any],
    community: CommunityInfo,
    *,
    status_code: int = 200,
    brand_values: dict[str, str] | None = None,
    brand_errors: dict[str, str] | None = None,
    scene_form: dict[str, Any] | None = None,
) -> Response[Any]:
    """The page; after a refused form, with what was typed and the errors at their fields (``scene_form``: ``name``,
    ``values`` (field -> the text typed), ``errors`` (field -> message), ``problem`` (a message about no one field))."""
    mh: Meihao = request.app.state.meihao
    principal: Principal = page_user(request)
    language = request_language(request)
    scenes = []
    for state in await community_scenarios.list_scenarios(mh, community.slug):
        fields = scene_fields(mh, state["name"], language)
        typed = scene_form if scene_form and scene_form["name"] == state["name"] else None
        scenes.append({
            "state": state,
            "fields": [
                {
                    "field": f,
                    "value": typed["values"].get(f.name, "") if typed else f.shown(state["settings"].get(f.name)),
                    "checked": (f.input_name in typed["form"]) if typed else bool(state["settings"].get(f.name)),
                    "error": (typed["errors"].get(f.name, "")) if typed else "",
                }
                for f in fields
            ],
            "problem": typed["problem"] if typed else "",
            "open": typed is not None,
        })
    grids, shows_team = await grid_teams(community.slug, principal)
    brand = brand_values or {name: getattr(community, name) for name in BRAND_FIELDS}
    return render_page(
        request, "community/page.html", status_code=status_code, community=community, scenes=scenes, grids=grids,
        shows_team=shows_team, brand=brand, brand_errors=brand_errors or {},
        edits_brand=may_edit_brand(principal, community), switches=may_switch_scenes(principal, community),
        done=request.query_params.get("done", ""),
    )


@get("/communities/{slug:str}", include_in_schema=False)
async def community_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    community = await community_in_reach(slug, page_user(request))
    return await render_community(request, community)


@post("/communities/{slug:str}/brand", include_in_schema=False)
async def change_brand(request: Request[Any, Any, Any], slug: FromPath[str], data: Form) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    principal: Principal = page_user(request)
    community = await community_in_reach(slug, principal)
    values = {name: str(data.get(name, "")).strip() for name in BRAND_FIELDS}
    try:
        patch = msgspec.convert(values, CommunityPatch)
    except msgspec.ValidationError as err:
        name, message = split_validation_error(str(err))
        return await render_community(request, community, status_code=400, brand_values=values, brand_errors={name or "name": message})
    await update_community(mh, slug, patch, principal)
    return Redirect(f"/communities/{slug}?done=brand", status_code=303)


@post("/communities/{slug:str}/scenes/{scenario:str}", include_in_schema=False)
async def switch_on(request: Request[Any, Any, Any], slug: FromPath[str], scenario: FromPath[str], data: Form) -> Response[Any]:
    """Switch a scene on with the settings of the form, or save the settings of a scene that is on."""
    mh: Meihao = request.app.state.meihao
    principal: Principal = page_user(request)
    community = await community_in_reach(slug, principal)
    if not may_switch_scenes(principal, community):
        raise Forbidden("you need the permission 'meihao.scenario.manage' in this community")
    if scenario not in mh.plugins.scenarios:
        from meihao.errors import NotFound

        raise NotFound(f"scenario {scenario!r} is not installed")
    fields = scene_fields(mh, scenario, request_language(request))
    raw, problems = read_settings(fields, data)
    typed = {f.name: str(data.get(f.input_name, "")) for f in fields}
    if problems:
        return await render_community(request, community, status_code=400, scene_form={
            "name": scenario, "values": typed, "form": data, "problem": "", "errors": problems,
        })
    try:
        await community_scenarios.enable(mh, slug, scenario, raw, principal)
    except InvalidInput as err:
        name = error_field(fields, err.field, err.message)
        text = scene_message(mh, scenario, request_language(request), error_text(err.message))
        return await render_community(request, community, status_code=400, scene_form={
            "name": scenario, "values": typed, "form": data, "errors": {name: text} if name else {}, "problem": "" if name else text,
        })
    return Redirect(f"/communities/{slug}?done={scenario}#scene-{scenario}", status_code=303)


@post("/communities/{slug:str}/scenes/{scenario:str}/off", include_in_schema=False)
async def switch_off(request: Request[Any, Any, Any], slug: FromPath[str], scenario: FromPath[str]) -> Response[Any]:
    """Switch a scene off; its data and settings are kept (switching it on again brings them back)."""
    mh: Meihao = request.app.state.meihao
    principal: Principal = page_user(request)
    await community_in_reach(slug, principal)
    await community_scenarios.disable(mh, slug, scenario, principal)
    return Redirect(f"/communities/{slug}?done=off#scene-{scenario}", status_code=303)


HANDLERS = [community_page, change_brand, switch_on, switch_off]
