"""A scenario's street settings (``Scenario.street_settings``): read by any staff member, changed by street staff only."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from meihao.errors import InvalidInput
from meihao.register import street
from meihao.register.schemas import StreetSettingsOut
from meihao.runtime import Meihao
from meihao.web.params import Caller
from meihao.web.responses import error_response


def _out(mh: Meihao, scenario: str, settings: msgspec.Struct) -> StreetSettingsOut:
    info = mh.plugins.scenarios[scenario]
    return StreetSettingsOut(scenario, info.title_zh, info.title_en, msgspec.to_builtins(settings))


@get("/api/street/settings/{scenario:str}", tags=["street"], responses={404: error_response(404, "No such scenario, or it keeps no street settings")})
async def get_street_settings(scenario: FromPath[str], meihao: NamedDependency[Meihao], principal: Caller) -> StreetSettingsOut:
    """The scenario's street settings (a yearly target, shared rules): the same for every community; any staff member reads them."""
    return _out(meihao, scenario, await street.street_settings(meihao, scenario))


@put("/api/street/settings/{scenario:str}", tags=["street"], responses={403: error_response(403, "Street staff only"),
                                                                       404: error_response(404, "No such scenario, or it keeps no street settings")})
async def put_street_settings(
    scenario: FromPath[str], meihao: NamedDependency[Meihao], principal: Caller, data: JSONBody[dict[str, Any]],
) -> StreetSettingsOut:
    """Replace the scenario's street settings (``{"settings": {...}}``; a field left out takes its default); street staff only."""
    unknown = sorted(set(data) - {"settings"})
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown field; send the street settings as {{\"settings\": {{...}}}}", field=unknown[0])
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise InvalidInput("settings: must be an object", field="settings")
    return _out(meihao, scenario, await street.save_street_settings(meihao, scenario, settings, principal))


HANDLERS = [get_street_settings, put_street_settings]
