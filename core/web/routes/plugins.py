"""The loaded plugins and the permissions they check."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from meihao.register.community_scenarios import plugin_overview
from meihao.register.schemas import (
    PermissionOut,
    PluginOut,
)
from meihao.runtime import Meihao


@get("/api/plugins", tags=["kernel"])
async def list_plugins(meihao: NamedDependency[Meihao]) -> list[PluginOut]:
    return [PluginOut(**p) for p in await plugin_overview(meihao)]


@get("/api/permissions", tags=["kernel"])
async def list_permissions(meihao: NamedDependency[Meihao]) -> list[PermissionOut]:
    return [PermissionOut(p.name, p.description, list(p.roles)) for p in meihao.plugins.permissions()]


HANDLERS = [
    list_plugins,
    list_permissions,
]
