"""One saved view of a name per staff member and list (saving again under the name replaces it).

Its own step: a migration's raw statements run before the tables it adds exist.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao.db.migration_helpers import add_unique_index

ID = "2026-11-30T10:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "saved views: one name per staff member and list"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    add_unique_index(manager, "meihao_saved_view", ["staff", "area", "name"])
    return manager
