"""Attachments (附件): one table of files on scenes' rows (the bytes are on disk), additive."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import BigInt, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


def _stub(class_name: str, tablename: str) -> type[Table]:
    return type(class_name, (Table,), {"id": Serial(null=False, primary_key=True, unique=False, index=False,
                                                    index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)},
                tablename=tablename, schema=None)


Community = _stub("Community", "meihao_community")
Staff = _stub("Staff", "meihao_staff")

ID = "2026-11-30T21:12:40:318522"
VERSION = "1.38.0"
DESCRIPTION = "attachments"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


def _fk(references, on_delete, **given):
    return _params(references=references, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, **given)


COLUMNS = [
    ("community", ForeignKey, _fk(Community, OnDelete.restrict, index=True)),
    ("scenario", Varchar, _params(length=64, default="")),
    ("owner_table", Varchar, _params(length=64, default="")),
    ("row_id", BigInt, _params(default=0)),
    ("sha256", Varchar, _params(length=64, default="", index=True)),
    ("size", Integer, _params(default=0)),
    ("media_type", Varchar, _params(length=64, default="")),
    ("filename", Varchar, _params(length=200, default="")),
    ("staff", ForeignKey, _fk(Staff, OnDelete.set_null, null=True, default=None)),
    ("uploaded_by", Varchar, _params(length=100, default="")),
    ("created_at", Timestamptz, _params(default=TimestamptzNow())),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    manager.add_table(class_name="Attachment", tablename="meihao_attachment", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="Attachment", tablename="meihao_attachment", column_name=name, db_column_name=name,
            column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
        )
    return manager
