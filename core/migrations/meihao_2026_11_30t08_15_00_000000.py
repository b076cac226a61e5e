"""The working calendar's version an activity's reminder points were planned on (the planner re-plans when it changes)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T08:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the working calendar version of an activity's planned reminders"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Activity",
        tablename="meihao_activity",
        column_name="calendar_version",
        db_column_name="calendar_version",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
