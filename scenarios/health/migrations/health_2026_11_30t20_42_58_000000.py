"""One yearly check per resident and year, one membership per team and staff: unique indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao import add_unique_index

ID = "2026-11-30T20:42:58:000000"
VERSION = "1.38.0"
DESCRIPTION = "health: unique checks per year and team members"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="health", description=DESCRIPTION)
    add_unique_index(manager, "health_check", ["resident", "year"])
    add_unique_index(manager, "health_team_member", ["team", "staff"])
    return manager
