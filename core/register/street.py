"""What a scene keeps for the street (the sub-district) rather than one community: its street settings, stored once,
and the communities running it that a caller reaches (for street routes and pages that report across communities)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.db.database import json_value
from meihao.db.transactions import transaction
from meihao.errors import Forbidden, InvalidInput, NotFound, split_validation_error
from meihao.register.communities import _INFO_COLUMNS
from meihao.register.schemas import CommunityInfo
from meihao.register.tables import Community, CommunityScenario, StreetScenarioSettings

if TYPE_CHECKING:
    from meihao.runtime import Meihao

#: Who may change a scene's street settings: street staff holding it (community admins hold it for their community only).
MANAGE = "meihao.scenario.manage"


def street_schema(mh: Meihao, scenario: str) -> type[msgspec.Struct]:
    """The scenario's street settings Struct; NotFound when it is not installed or keeps no street settings."""
    if scenario not in mh.plugins.scenarios:
        raise NotFound(f"scenario {scenario!r} is not installed (see GET /api/plugins)")
    schema = mh.plugins.street_settings_schema(scenario)
    if schema is None:
        raise NotFound(f"scenario {scenario!r} has no street settings")
    return schema


def validate_street_settings(mh: Meihao, scenario: str, raw: dict[str, Any] | None) -> msgspec.Struct:
    """The street settings Struct built from ``raw``; InvalidInput names the wrong field (``settings.<name>``)."""
    schema = street_schema(mh, scenario)
    try:
        return msgspec.convert(raw or {}, schema, strict=False)
    except msgspec.ValidationError as err:
        field, message = split_validation_error(str(err))
        where = f"settings.{field}" if field else "settings"
        raise InvalidInput(f"{where}: {message}", field=where) from err


async def stored_street_settings(scenario: str) -> dict[str, Any]:
    row = await StreetScenarioSettings.select(StreetScenarioSettings.settings).where(StreetScenarioSettings.scenario == scenario).first()
    return (json_value(row["settings"]) or {}) if row else {}


async def street_settings(mh: Meihao, scenario: str) -> msgspec.Struct:
    """The scenario's street settings, as its Struct (the defaults where the street stored nothing)."""
    return validate_street_settings(mh, scenario, await stored_street_settings(scenario))


async def save_street_settings(mh: Meihao, scenario: str, raw: dict[str, Any] | None, principal: Principal) -> msgspec.Struct:
    """Replace the scenario's street settings (fields left out take their defaults); street staff only, audited."""
    street_schema(mh, scenario)
    if not (principal.street and principal.can(MANAGE)):
        raise Forbidden(f"only street staff holding {MANAGE!r} change the street's settings")
    settings = validate_street_settings(mh, scenario, raw)
    stored = msgspec.json.encode(settings).decode()
    now = datetime.now().astimezone()
    async with transaction(mh, lock=("meihao.street_settings", scenario)):
        if await StreetScenarioSettings.exists().where(StreetScenarioSettings.scenario == scenario):
            await StreetScenarioSettings.update(
                {StreetScenarioSettings.settings: stored, StreetScenarioSettings.changed_at: now}
            ).where(StreetScenarioSettings.scenario == scenario)
        else:
            await StreetScenarioSettings.insert(StreetScenarioSettings(scenario=scenario, settings=stored, changed_at=now))
        await audit(principal, "scenario.street_settings", "scenario", scenario, detail=msgspec.to_builtins(settings))
    return settings


async def street_communities(mh: Meihao, scenario: str, principal: Principal) -> list[CommunityInfo]:
    """The communities that run ``scenario`` and that the caller reaches (the street: all of them), in id order."""
    running = CommunityScenario.select(CommunityScenario.community).where(
        CommunityScenario.scenario == scenario, CommunityScenario.enabled.eq(True))
    rows = await Community.select(*_INFO_COLUMNS).where(Community.id.is_in(running)).order_by(Community.id)
    return [CommunityInfo.from_row(r) for r in rows if principal.reaches_community(r["id"])]


async def runs_anywhere(scenario: str) -> bool:
    """Whether at least one community runs the scenario (street routes and pages are a 404 otherwise)."""
    return await CommunityScenario.exists().where(CommunityScenario.scenario == scenario, CommunityScenario.enabled.eq(True))
