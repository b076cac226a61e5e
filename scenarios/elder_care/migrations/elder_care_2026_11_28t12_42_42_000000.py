"""Unique indexes of elder_care (kept apart from the tables: raw steps run before new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao import add_unique_index

ID = "2026-11-28T12:42:42:000000"
VERSION = "1.38.0"
DESCRIPTION = "elder_care unique indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="elder_care", description=DESCRIPTION)
    # One overdue notice per elder, due date and level: the daily check never repeats one.
    add_unique_index(manager, "elder_care_alert", ["elder", "due_on", "level"])
    add_unique_index(manager, "elder_care_roster", ["visit", "volunteer"])
    return manager
