"""The street's part of a scene (``/street/…``): a scene's street settings form, and the guard of the scenes' street pages.

A scene's street settings (``Scenario.street_settings``: a yearly target, shared rules) are kept once for the street; street
staff change them here, with the same service and rules as ``PUT /api/street/settings/{scenario}``; others get the 403 page.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.params import Body, FromPath
from litestar.response import Redirect

from meihao.access.principals import Principal
from meihao.errors import Forbidden, InvalidInput
from meihao.register import street
from meihao.runtime import Meihao
from meihao.web.console.rendering import page_user, render_page, request_language
from meihao.web.console.settings_form import error_field, error_text, read_settings, schema_translations, settings_fields

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

#: A street page marked ``opt={COMMUNITY_STAFF: True}`` is open to community staff too (with its permission).
COMMUNITY_STAFF = "community_staff"


def street_page_guard(scenario: str):
    """A scene's street pages: the 404 page while no community runs the scene, the 403 page for a viewer who is not street
    staff unless the page is marked ``community_staff``."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if not await street.runs_anywhere(scenario):
            raise NotFoundException(f"scenario {scenario!r} is not switched on in any community")
        viewer: Principal = connection.scope["user"]
        if not viewer.street and not handler.opt.get(COMMUNITY_STAFF):
            raise Forbidden(f"the street's {scenario} pages are for street staff")

    return guard


def _street_staff(principal: Principal) -> None:
    if not (principal.street and principal.can(street.MANAGE)):
        raise Forbidden("the street's settings are for street staff")


def _fields(mh: Meihao, scenario: str, language: str) -> list[Any]:
    schema = street.street_schema(mh, scenario)
    catalogue = schema_translations(schema, language)
    return settings_fields(schema, catalogue.gettext if catalogue is not None else None)


async def _render(request: Request[Any, Any, Any], scenario: str, *, status_code: int = 200, typed: dict[str, str] | None = None,
                  errors: dict[str, Any] | None = None, problem: Any = "") -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    fields = _fields(mh, scenario, request_language(request))
    stored = msgspec.to_builtins(await street.street_settings(mh, scenario))
    info = mh.plugins.scenarios[scenario]
    entries = [{
        "field": f,
        "value": typed.get(f.name, "") if typed is not None else f.shown(stored.get(f.name)),
        "checked": bool(typed.get(f.name)) if typed is not None else bool(stored.get(f.name)),
        "error": (errors or {}).get(f.name, ""),
    } for f in fields]
    return render_page(request, "street/settings.html", status_code=status_code, scenario=scenario, info=info, entries=entries,
                       problem=problem, done=request.query_params.get("done", "") == "1")


@get("/street/settings/{scenario:str}", include_in_schema=False)
async def street_settings_page(request: Request[Any, Any, Any], scenario: FromPath[str]) -> Response[Any]:
    _street_staff(page_user(request))
    street.street_schema(request.app.state.meihao, scenario)
    return await _render(request, scenario)


@post("/street/settings/{scenario:str}", include_in_schema=False)
async def save_street_settings(request: Request[Any, Any, Any], scenario: FromPath[str], data: Form) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    principal: Principal = page_user(request)
    _street_staff(principal)
    language = request_language(request)
    fields = _fields(mh, scenario, language)
    raw, problems = read_settings(fields, data)
    typed = {f.name: str(data.get(f.input_name, "")) for f in fields}
    if problems:
        return await _render(request, scenario, status_code=400, typed=typed, errors=problems)
    try:
        await street.save_street_settings(mh, scenario, raw, principal)
    except InvalidInput as err:
        name = error_field(fields, err.field, err.message)
        text = error_text(err.message)
        catalogue = schema_translations(street.street_schema(mh, scenario), language)
        translated = catalogue.gettext(text) if catalogue is not None else text
        message = translated if translated != text else ("reason", text)
        return await _render(request, scenario, status_code=400, typed=typed, errors={name: message} if name else {},
                             problem="" if name else message)
    return Redirect(f"/street/settings/{scenario}?done=1", status_code=303)


HANDLERS = [street_settings_page, save_street_settings]
