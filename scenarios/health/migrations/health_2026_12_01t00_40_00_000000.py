"""The dashboard's follow-up figures read each patient's follow-ups by date: an index on (patient, visited_on)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao import add_index

ID = "2026-12-01T00:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "health: follow-ups by patient and date"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="health", description=DESCRIPTION)
    add_index(manager, "health_follow_up", ["patient", "visited_on"])
    return manager
