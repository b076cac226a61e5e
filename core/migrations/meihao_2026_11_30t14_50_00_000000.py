"""Work items with deadlines: the items, their history, their clocks and their escalation notices (the unique keys: the next migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, Boolean, Float, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


def _stub(class_name: str, tablename: str) -> type[Table]:
    return type(class_name, (Table,), {"id": Serial(null=False, primary_key=True, unique=False, index=False,
                                                    index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)},
                tablename=tablename, schema=None)


Community = _stub("Community", "meihao_community")
Grid = _stub("Grid", "meihao_grid")
Department = _stub("Department", "meihao_department")
Staff = _stub("Staff", "meihao_staff")
WorkItem = _stub("WorkItem", "meihao_work_item")

ID = "2026-11-30T14:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "work items with deadlines: items, history, clocks, escalations"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


def _fk(references, on_delete, **given):
    return _params(references=references, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, **given)


COLUMNS = {
    ("WorkItem", "meihao_work_item"): [
        ("scenario", Varchar, _params(length=64, default="", index=True)),
        ("workflow", Varchar, _params(length=64, default="")),
        ("community", ForeignKey, _fk(Community, OnDelete.restrict, index=True)),
        ("kind", Varchar, _params(length=64, default="")),
        ("subject_table", Varchar, _params(length=64, default="")),
        ("subject_id", Integer, _params(default=None, null=True)),
        ("assignee", ForeignKey, _fk(Staff, OnDelete.set_null, null=True, default=None, index=True)),
        ("grid", ForeignKey, _fk(Grid, OnDelete.set_null, null=True, default=None, index=True)),
        ("department", ForeignKey, _fk(Department, OnDelete.set_null, null=True, default=None, index=True)),
        ("title", Varchar, _params(length=200, default="")),
        ("state", Varchar, _params(length=32, default="", index=True)),
        ("paused", Boolean, _params(default=False)),
        ("final", Boolean, _params(default=False, index=True)),
        ("opened_at", Timestamptz, _params(default=TimestamptzNow())),
        ("closed_at", Timestamptz, _params(default=None, null=True)),
    ],
    ("WorkItemEvent", "meihao_work_item_event"): [
        ("item", ForeignKey, _fk(WorkItem, OnDelete.cascade, index=True)),
        ("at", Timestamptz, _params(default=TimestamptzNow())),
        ("staff", ForeignKey, _fk(Staff, OnDelete.set_null, null=True, default=None)),
        ("actor", Varchar, _params(length=100, default="")),
        ("action", Varchar, _params(length=16, default="")),
        ("from_state", Varchar, _params(length=32, default="")),
        ("to_state", Varchar, _params(length=32, default="")),
        ("reason", Text, _params(default="")),
        ("detail", JSON, _params(default="{}")),
    ],
    ("WorkItemClock", "meihao_work_item_clock"): [
        ("item", ForeignKey, _fk(WorkItem, OnDelete.cascade, index=True)),
        ("name", Varchar, _params(length=32, default="")),
        ("working_days", Integer, _params(default=None, null=True)),
        ("working_hours", Float, _params(default=None, null=True)),
        ("by_close", Boolean, _params(default=False)),
        ("started_at", Timestamptz, _params(default=None, null=True)),
        ("stopped_at", Timestamptz, _params(default=None, null=True)),
        ("due_at", Timestamptz, _params(default=None, null=True, index=True)),
        ("yellow_at", Timestamptz, _params(default=None, null=True)),
        ("paused_seconds", Integer, _params(default=0)),
        ("extensions", Integer, _params(default=0)),
        ("calendar_version", Varchar, _params(length=40, default="")),
    ],
    ("WorkItemEscalation", "meihao_work_item_escalation"): [
        ("item", ForeignKey, _fk(WorkItem, OnDelete.cascade, index=True)),
        ("clock", Varchar, _params(length=32, default="")),
        ("level", Varchar, _params(length=32, default="")),
        ("reach", Varchar, _params(length=32, default="")),
        ("reached_at", Timestamptz, _params(default=TimestamptzNow())),
        ("notify_at", Timestamptz, _params(default=TimestamptzNow(), index=True)),
        ("sent_at", Timestamptz, _params(default=None, null=True, index=True)),
        ("recipients", JSON, _params(default="[]")),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    for (class_name, tablename), columns in COLUMNS.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name, tablename=tablename, column_name=name, db_column_name=name,
                column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
            )
    return manager
