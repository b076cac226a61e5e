"""One running meihao: settings, the loaded plugins, the open database and the personal-data codec."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from meihao.config import Settings, load_settings
from meihao.db.database import Database
from meihao.hooks.manager import EntryPointFilter, Plugins
from meihao.privacy import PersonalDataCodec
from meihao.time.clock import Clock, SystemClock


@dataclass
class Meihao:
    """Everything a service function needs; Litestar hands it to handlers as the ``meihao`` dependency."""

    settings: Settings
    plugins: Plugins
    db: Database
    codec: PersonalDataCodec
    #: Where scheduling and reminders read the time; tests put a FakeClock here.
    clock: Clock = field(default_factory=SystemClock)

    async def start(self) -> None:
        await self.db.start()

    async def close(self) -> None:
        await self.db.close()


def configured_plugins(settings: Settings) -> list[tuple[str, str]]:
    """``MEIHAO_PLUGINS``: ``name=package.module`` entries, imported like entry points."""
    return [(name.strip(), module.strip()) for name, _, module in (entry.partition("=") for entry in settings.plugins)]


def boot(
    settings: Settings | None = None,
    *,
    extra_plugins: Iterable[tuple[str, Any]] = (),
    entry_point_filter: EntryPointFilter | None = None,
) -> Meihao:
    """Load settings and plugins and open (not yet connect) the database. Raises MeihaoError subclasses."""
    settings = settings or load_settings()
    plugins = Plugins.load(
        disabled=settings.disabled_plugins,
        load_entry_points=settings.load_entry_points,
        entry_point_filter=entry_point_filter,
        extra=[*configured_plugins(settings), *extra_plugins],
    )
    return Meihao(
        settings=settings,
        plugins=plugins,
        db=Database(settings, plugins.piccolo_apps()),
        codec=PersonalDataCodec(settings.data_key),
    )
