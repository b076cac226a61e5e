"""education: a session remembers its reschedules (改期): the start before the last one, its reason, how many."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T03:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "education: session reschedules"


def _params(**given):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **given}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="education", description=DESCRIPTION)
    manager.add_column(table_class_name="Session", tablename="education_session", column_name="rescheduled_from",
                       db_column_name="rescheduled_from", column_class_name="Timestamptz", column_class=Timestamptz,
                       params=_params(default=None, null=True), schema=None)
    manager.add_column(table_class_name="Session", tablename="education_session", column_name="reschedule_reason",
                       db_column_name="reschedule_reason", column_class_name="Varchar", column_class=Varchar,
                       params=_params(length=200, default=""), schema=None)
    manager.add_column(table_class_name="Session", tablename="education_session", column_name="reschedules",
                       db_column_name="reschedules", column_class_name="Integer", column_class=Integer,
                       params=_params(default=0), schema=None)
    return manager
