"""commerce: a booking remembers when it was marked served (came) or no_show (到场确认)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T03:46:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "commerce: booking attended_at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="commerce", description=DESCRIPTION)
    manager.add_column(table_class_name="Booking", tablename="commerce_booking", column_name="attended_at", db_column_name="attended_at",
                       column_class_name="Timestamptz", column_class=Timestamptz,
                       params={"default": None, "null": True, "primary_key": False, "unique": False, "index": False,
                               "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
                       schema=None)
    return manager
