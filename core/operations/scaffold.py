"""``meihao plugin new``: a new scene plugin as a pip-installable package whose tests pass straight away.

The files come from ``plugin_template/`` (``*.tmpl``, ``string.Template`` placeholders such as
``${name}``; ``_name_`` and ``_migration_`` in file names). The first migration is part of the
template: it is what ``meihao makemigrations`` writes for the template's table, with the
plugin's name and a migration id of the moment the plugin is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from string import Template

from meihao.errors import InvalidInput
from meihao.hooks.declarations import NAME_PATTERN, SCENES
from meihao.hooks.manager import RESERVED_NAMES
from meihao.version import __version__

TEMPLATE = Path(__file__).with_name("plugin_template")

#: Names a plugin package cannot take: they would shadow a module it or its tests import.
_TAKEN = frozenset({"meihao", "tests", "test", "piccolo", "litestar", "msgspec", "pluggy", "apscheduler"})


@dataclass(frozen=True)
class NewPlugin:
    name: str
    scene: str
    title_zh: str
    title_en: str

    @property
    def dist(self) -> str:
        return f"meihao-{self.name.replace('_', '-')}"


def plan(name: str, scene: str, title_zh: str | None = None, title_en: str | None = None) -> NewPlugin:
    """Check the answers before anything is written."""
    if not NAME_PATTERN.match(name) or name in RESERVED_NAMES or name in _TAKEN:
        raise InvalidInput(
            f"plugin name {name!r}: use lower-case letters, digits and _ starting with a letter, not a kernel path or a library's name",
            field="name",
        )
    if scene not in SCENES:
        raise InvalidInput(f"scene {scene!r}: one of {', '.join(SCENES)}", field="scene")
    return NewPlugin(
        name=name,
        scene=scene,
        title_zh=title_zh or SCENES[scene][0],
        title_en=title_en or name.replace("_", " ").capitalize(),
    )


def create(plugin: NewPlugin, target: Path, *, now: datetime | None = None) -> list[Path]:
    """Write the package into ``target`` (which must not exist, or be an empty directory); returns the files written."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(f"{target}: already exists and is not an empty directory", field="dir")
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    values = {
        "name": plugin.name,
        "Name": "".join(part.capitalize() for part in plugin.name.split("_")),
        "dist": plugin.dist,
        "scene": plugin.scene,
        "title_zh": plugin.title_zh,
        "title_en": plugin.title_en,
        "meihao_version": __version__,
        "migration_id": now.strftime("%Y-%m-%dT%H:%M:%S:%f"),
    }
    paths = {"_name_": plugin.name, "_migration_": now.strftime("%Y_%m_%dt%H_%M_%S_%f").lower()}
    written = []
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = str(source.relative_to(TEMPLATE).with_suffix(""))
        for placeholder, value in paths.items():
            relative = relative.replace(placeholder, value)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(destination)
    return written
