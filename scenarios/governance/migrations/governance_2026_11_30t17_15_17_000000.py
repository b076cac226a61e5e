"""Unique indexes of governance (kept apart from the tables: raw steps run before new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao import add_unique_index

ID = "2026-11-30T17:15:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "governance unique indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="governance", description=DESCRIPTION)
    # A whistle summons a department once.
    add_unique_index(manager, "governance_whistle_call", ["whistle", "department"])
    # One 督办 per record and clock: the check never tells a department twice.
    add_unique_index(manager, "governance_supervision", ["kind", "record", "clock"])
    # One patrol log per person, grid and day; one "no patrol" notice per plan and day.
    add_unique_index(manager, "governance_patrol_log", ["grid", "staff", "patrolled_on"])
    add_unique_index(manager, "governance_missed_patrol", ["plan", "day"])
    return manager
