"""``meihao plugins``: every installed plugin, loaded or blocked, and (when a database is there) the communities that enable it.

It needs no database and writes no file: on a SQLite file that does not exist, on a server
that does not answer or on a database without the kernel's tables, the communities are
simply not known (``None``).
"""

from __future__ import annotations

from typing import Any

from meihao.errors import DatabaseUnavailable
from meihao.runtime import Meihao


async def enabled_by_scenario(mh: Meihao) -> dict[str, list[str]] | None:
    """Scenario name -> the slugs of the communities that enable it (sorted); ``None`` when there is no database to ask.

    A SQLite file that does not exist is not created; the connection, when one was opened, is closed again.
    """
    if mh.settings.is_sqlite and not mh.settings.sqlite_path.is_file():
        return None
    from meihao.register.tables import CommunityScenario

    try:
        await mh.start()
    except DatabaseUnavailable:
        return None
    try:
        rows = await CommunityScenario.select(
            CommunityScenario.scenario, CommunityScenario.community.slug.as_alias("slug")
        ).where(CommunityScenario.enabled.eq(True))
    except Exception:  # not migrated yet: the kernel's tables are missing
        return None
    finally:
        await mh.close()
    enabled: dict[str, list[str]] = {}
    for row in rows:
        enabled.setdefault(row["scenario"], []).append(row["slug"])
    return {name: sorted(slugs) for name, slugs in enabled.items()}


def plugin_rows(mh: Meihao, enabled: dict[str, list[str]] | None) -> list[dict[str, Any]]:
    """One row per plugin: the loaded ones in load order, then the blocked ones.

    ``communities`` is ``None`` when ``enabled`` is (no database); a blocked plugin is never
    imported, so its scene is not known.
    """
    def communities(name: str) -> list[str] | None:
        return None if enabled is None else enabled.get(name, [])

    rows = [
        {
            "name": p.name,
            "version": p.version,
            "source": p.source,
            "essential": p.essential,
            "scene": p.scenario.scene if p.scenario else None,
            "state": "loaded",
            "communities": communities(p.name),
        }
        for p in mh.plugins.loaded.values()
    ]
    rows += [
        {
            "name": p.name,
            "version": p.version,
            "source": p.source,
            "essential": False,
            "scene": None,
            "state": "blocked",
            "communities": communities(p.name),
        }
        for p in mh.plugins.blocked
    ]
    return rows


def render_plugins(rows: list[dict[str, Any]]) -> str:
    """The table people read; the communities column only when they are known."""
    known = bool(rows) and rows[0]["communities"] is not None
    lines = [(f"{'name':28} {'version':9} {'scene':14} {'source':22} {'state':8}" + (" communities" if known else "")).rstrip()]
    for r in rows:
        line = f"{r['name']:28} {r['version']:9} {r['scene'] or '-':14} {r['source']:22} {r['state']:8}"
        if known:
            line += f" {', '.join(r['communities']) or '-'}"
        lines.append(line.rstrip())
    return "\n".join(lines)
