"""One close per community and month, one public statement per community and quarter: unique indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao import add_unique_index

ID = "2026-12-01T00:25:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "commerce: unique month closes and statements"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="commerce", description=DESCRIPTION)
    add_unique_index(manager, "commerce_month_close", ["community", "month"])
    add_unique_index(manager, "commerce_statement", ["community", "year", "quarter"])
    return manager
