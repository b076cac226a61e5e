"""An index for counting residents by age in a community (the register's age facet, the audiences' age bands)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao.db.migration_helpers import add_index

ID = "2026-11-30T21:03:17:482913"
VERSION = "1.38.0"
DESCRIPTION = "resident community and birth_date index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    # Residents of some communities born in a range (community IN (…) AND birth_date in (a, b]): each age band of the
    # register's facet is a range search of this index alone, instead of a lookup of every resident row of the community.
    add_index(manager, "meihao_resident", ["community", "birth_date"])
    return manager
