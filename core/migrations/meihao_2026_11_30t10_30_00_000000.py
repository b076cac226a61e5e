"""Saved views (常用筛选): a staff member's named filters of a console list."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Staff(Table, tablename="meihao_staff", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-11-30T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "saved views of the console's lists"


def _params(**given):
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **given,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)

    manager.add_table(class_name="SavedView", tablename="meihao_saved_view", schema=None, columns=None)

    manager.add_column(
        table_class_name="SavedView",
        tablename="meihao_saved_view",
        column_name="staff",
        db_column_name="staff",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params=_params(references=Staff, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None, null=True, index=True),
        schema=None,
    )
    manager.add_column(
        table_class_name="SavedView",
        tablename="meihao_saved_view",
        column_name="area",
        db_column_name="area",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=32, default=""),
        schema=None,
    )
    manager.add_column(
        table_class_name="SavedView",
        tablename="meihao_saved_view",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=100, default=""),
        schema=None,
    )
    manager.add_column(
        table_class_name="SavedView",
        tablename="meihao_saved_view",
        column_name="query",
        db_column_name="query",
        column_class_name="Text",
        column_class=Text,
        params=_params(default=""),
        schema=None,
    )
    manager.add_column(
        table_class_name="SavedView",
        tablename="meihao_saved_view",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(default=TimestamptzNow()),
        schema=None,
    )
    return manager
