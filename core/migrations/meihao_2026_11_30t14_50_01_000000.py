"""One clock of each name per work item, and one escalation per item, clock and level (sent once): unique indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao.db.migration_helpers import add_index, add_unique_index

ID = "2026-11-30T14:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "work items: unique clocks and escalations, list indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    add_unique_index(manager, "meihao_work_item_clock", ["item", "name"])
    add_unique_index(manager, "meihao_work_item_escalation", ["item", "clock", "level"])
    add_index(manager, "meihao_work_item", ["community", "scenario", "state"])
    return manager
