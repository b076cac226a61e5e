"""Unique indexes over several columns of the markets tables (kept apart: raw steps run before new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao import add_unique_index

ID = "2026-11-28T12:47:28:000000"
VERSION = "1.38.0"
DESCRIPTION = "markets unique indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="markets", description=DESCRIPTION)
    # one row per occurrence of a market's activity
    add_unique_index(manager, "markets_day", ["market", "occurrence"])
    return manager
