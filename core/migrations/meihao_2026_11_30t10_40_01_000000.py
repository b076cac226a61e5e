"""One sign-up per resident and occurrence of an activity (kept apart from the table: a migration's raw steps run before its new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao.db.migration_helpers import add_unique_index

ID = "2026-11-30T10:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one sign-up per resident and occurrence"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    add_unique_index(manager, "meihao_activity_signup", ["activity", "occurrence", "resident"])
    return manager
