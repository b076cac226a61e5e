"""When an outbox row's send through an external channel began (until its outcome is recorded): a row in flight when its sender died is sent again, never marked missed; and which node claimed it (a node restarting after a kill releases its own claims at once)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T08:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "when an outbox row's external send began, and which node claimed it"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Reminder",
        tablename="meihao_reminder",
        column_name="send_started_at",
        db_column_name="send_started_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
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

    manager.add_column(
        table_class_name="Reminder",
        tablename="meihao_reminder",
        column_name="claimed_by",
        db_column_name="claimed_by",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
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
