"""Residents sign up for activities themselves: whether an activity takes sign-ups and how many per occurrence, and the sign-ups (unique per occurrence and resident: the next migration, as a migration's raw steps run before its new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Activity(Table, tablename="meihao_activity", schema=None):
    id = Serial(
        null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False,
    )


class Resident(Table, tablename="meihao_resident", schema=None):
    id = Serial(
        null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False,
    )


ID = "2026-11-30T10:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "activities that take sign-ups, and residents' sign-ups"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Activity", tablename="meihao_activity", column_name="signups_open", db_column_name="signups_open",
        column_class_name="Boolean", column_class=Boolean, params=_params(default=False), schema=None,
    )
    manager.add_column(
        table_class_name="Activity", tablename="meihao_activity", column_name="signup_capacity", db_column_name="signup_capacity",
        column_class_name="Integer", column_class=Integer, params=_params(default=None, null=True), schema=None,
    )

    manager.add_table(class_name="ActivitySignup", tablename="meihao_activity_signup", schema=None, columns=None)
    manager.add_column(
        table_class_name="ActivitySignup", tablename="meihao_activity_signup", column_name="activity", db_column_name="activity",
        column_class_name="ForeignKey", column_class=ForeignKey,
        params=_params(references=Activity, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None, index=True),
        schema=None,
    )
    manager.add_column(
        table_class_name="ActivitySignup", tablename="meihao_activity_signup", column_name="occurrence", db_column_name="occurrence",
        column_class_name="Varchar", column_class=Varchar, params=_params(length=40, default=""), schema=None,
    )
    manager.add_column(
        table_class_name="ActivitySignup", tablename="meihao_activity_signup", column_name="resident", db_column_name="resident",
        column_class_name="ForeignKey", column_class=ForeignKey,
        params=_params(references=Resident, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None, index=True),
        schema=None,
    )
    manager.add_column(
        table_class_name="ActivitySignup", tablename="meihao_activity_signup", column_name="created_at", db_column_name="created_at",
        column_class_name="Timestamptz", column_class=Timestamptz, params=_params(default=TimestamptzNow()), schema=None,
    )
    return manager
