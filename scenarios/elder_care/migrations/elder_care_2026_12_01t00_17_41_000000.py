"""One row per campaign and elder (加密探访): a unique index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao import add_unique_index

ID = "2026-12-01T00:17:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "elder_care: one campaign row per elder"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="elder_care", description=DESCRIPTION)
    add_unique_index(manager, "elder_care_campaign_elder", ["campaign", "elder"])
    return manager
