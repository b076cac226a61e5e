"""Unique indexes over several columns of the kernel tables (kept apart: raw steps run before new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao.db.migration_helpers import add_unique_index

ID = "2026-11-28T12:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "kernel unique indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    add_unique_index(manager, "meihao_grid", ["community", "code"])
    add_unique_index(manager, "meihao_household", ["building", "unit", "room"])
    add_unique_index(manager, "meihao_resident_tag", ["resident", "tag"])
    add_unique_index(manager, "meihao_community_scenario", ["community", "scenario"])
    return manager
