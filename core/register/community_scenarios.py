"""Switching scenarios on and off per community, with settings validated against the scenario's schema."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from meihao.access.audit import audit
from meihao.access.principals import SYSTEM, Principal
from meihao.db.database import json_value
from meihao.errors import InvalidInput, NotFound, split_validation_error
from meihao.register.communities import get_community, require_manager
from meihao.register.tables import CommunityScenario

if TYPE_CHECKING:
    from meihao.runtime import Meihao


def validate_settings(mh: Meihao, scenario: str, raw: dict[str, Any] | None) -> msgspec.Struct:
    """Return the scenario's settings Struct built from ``raw``; InvalidInput names the wrong field."""
    if scenario not in mh.plugins.scenarios:
        raise NotFound(f"scenario {scenario!r} is not installed (see GET /api/plugins)")
    schema = mh.plugins.settings_schema(scenario)
    try:
        return msgspec.convert(raw or {}, schema, strict=False)
    except msgspec.ValidationError as err:
        field, message = split_validation_error(str(err))
        where = f"settings.{field}" if field else "settings"
        raise InvalidInput(f"{where}: {message}", field=where) from err


async def scenario_state(community_id: int, scenario: str) -> dict[str, Any] | None:
    return await CommunityScenario.select().where(
        CommunityScenario.community == community_id, CommunityScenario.scenario == scenario
    ).first()


async def is_enabled(community_id: int, scenario: str) -> bool:
    return await CommunityScenario.exists().where(
        CommunityScenario.community == community_id,
        CommunityScenario.scenario == scenario,
        CommunityScenario.enabled.eq(True),
    )


def _stored(settings: Any) -> dict[str, Any]:
    return json_value(settings) or {}


async def scenario_settings(mh: Meihao, community_id: int, scenario: str) -> msgspec.Struct:
    """The scenario's settings for a community, as its Struct (defaults where nothing was stored)."""
    state = await scenario_state(community_id, scenario)
    return validate_settings(mh, scenario, _stored(state["settings"]) if state else {})


async def list_scenarios(mh: Meihao, slug: str) -> list[dict[str, Any]]:
    community = await get_community(slug)
    states = {
        row["scenario"]: row
        for row in await CommunityScenario.select().where(CommunityScenario.community == community.id)
    }
    result = []
    for name, scenario in sorted(mh.plugins.scenarios.items()):
        state = states.get(name)
        settings = msgspec.to_builtins(validate_settings(mh, name, _stored(state["settings"]) if state else {}))
        result.append(
            {
                "name": name,
                "title_zh": scenario.title_zh,
                "title_en": scenario.title_en,
                "scene": scenario.scene,
                "version": scenario.version,
                "enabled": bool(state and state["enabled"]),
                "settings": settings,
            }
        )
    return result


async def enable(
    mh: Meihao, slug: str, scenario: str, raw_settings: dict[str, Any] | None = None, principal: Principal = SYSTEM
) -> dict[str, Any]:
    """Switch ``scenario`` on for the community (or change its settings), then tell the plugins.

    ``raw_settings=None`` keeps the settings stored from an earlier enabling period.
    The row and the plugins' set-up share one transaction: a plugin that fails undoes the switch.
    """
    community = await get_community(slug)
    require_manager(principal, community.id, "meihao.scenario.manage")
    state = await scenario_state(community.id, scenario)
    if raw_settings is None and state is not None:
        raw_settings = _stored(state["settings"])
    settings = validate_settings(mh, scenario, raw_settings)
    stored = msgspec.json.encode(settings).decode()
    now = datetime.now().astimezone()
    async with mh.db.transaction():
        if state is None:
            await CommunityScenario.insert(
                CommunityScenario(community=community.id, scenario=scenario, enabled=True, settings=stored, changed_at=now)
            )
        else:
            generation = state["generation"] + (0 if state["enabled"] else 1)
            await CommunityScenario.update(
                {
                    CommunityScenario.enabled: True,
                    CommunityScenario.settings: stored,
                    CommunityScenario.changed_at: now,
                    CommunityScenario.generation: generation,
                }
            ).where(CommunityScenario.id == state["id"])
        await mh.plugins.community_enabled(community, scenario, settings, mh)
        await audit(principal, "scenario.enable", "scenario", scenario, community_id=community.id, detail=msgspec.to_builtins(settings))
    return next(s for s in await list_scenarios(mh, slug) if s["name"] == scenario)


async def disable(mh: Meihao, slug: str, scenario: str, principal: Principal = SYSTEM) -> dict[str, Any]:
    """Switch ``scenario`` off; its data stays, so switching it on again brings it back."""
    community = await get_community(slug)
    require_manager(principal, community.id, "meihao.scenario.manage")
    if scenario not in mh.plugins.scenarios:
        raise NotFound(f"scenario {scenario!r} is not installed (see GET /api/plugins)")
    state = await scenario_state(community.id, scenario)
    if state is None or not state["enabled"]:
        raise InvalidInput(f"scenario {scenario!r} is not enabled in {slug!r}")
    async with mh.db.transaction():
        await CommunityScenario.update(
            {CommunityScenario.enabled: False, CommunityScenario.changed_at: datetime.now().astimezone()}
        ).where(CommunityScenario.id == state["id"])
        await mh.plugins.community_disabled(community, scenario, mh)
        await audit(principal, "scenario.disable", "scenario", scenario, community_id=community.id)
    return next(s for s in await list_scenarios(mh, slug) if s["name"] == scenario)


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
