"""Unique indexes over several columns of the culture tables (kept apart: raw steps run before new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao import add_unique_index

ID = "2026-11-28T12:54:24:000000"
VERSION = "1.38.0"
DESCRIPTION = "culture unique indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="culture", description=DESCRIPTION)
    # a venue serves a grid once
    add_unique_index(manager, "culture_served_grid", ["venue", "grid"])
    return manager
