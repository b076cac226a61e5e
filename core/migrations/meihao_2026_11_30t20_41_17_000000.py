"""A points transfer is reversed at most once: a unique index on the reversal's ``reverses``."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao.db.migration_helpers import add_unique_index

ID = "2026-11-30T20:41:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "volunteering: one reversal per points transfer"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    add_unique_index(manager, "meihao_points_transfer", ["reverses"])
    return manager
