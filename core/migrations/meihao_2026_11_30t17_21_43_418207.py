"""Call-backs (回访) on work items: the answers that feed the 三率 (one table, additive)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Boolean, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


def _stub(class_name: str, tablename: str) -> type[Table]:
    return type(class_name, (Table,), {"id": Serial(null=False, primary_key=True, unique=False, index=False,
                                                    index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)},
                tablename=tablename, schema=None)


Staff = _stub("Staff", "meihao_staff")
WorkItem = _stub("WorkItem", "meihao_work_item")

ID = "2026-11-30T17:21:43:418207"
VERSION = "1.38.0"
DESCRIPTION = "work items: call-backs (回访)"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


def _fk(references, on_delete, **given):
    return _params(references=references, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, **given)


COLUMNS = [
    ("item", ForeignKey, _fk(WorkItem, OnDelete.cascade, index=True)),
    ("at", Timestamptz, _params(default=TimestamptzNow())),
    ("staff", ForeignKey, _fk(Staff, OnDelete.set_null, null=True, default=None)),
    ("actor", Varchar, _params(length=100, default="")),
    ("result", Varchar, _params(length=32, default="")),
    ("contacted", Boolean, _params(default=False)),
    ("resolved", Boolean, _params(default=False)),
    ("note", Text, _params(default="")),
    ("latest", Boolean, _params(default=True)),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    manager.add_table(class_name="WorkItemCallback", tablename="meihao_work_item_callback", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="WorkItemCallback", tablename="meihao_work_item_callback", column_name=name, db_column_name=name,
            column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
        )
    return manager
