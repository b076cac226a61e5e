"""Resident categories (人口类别): residence status and relation to the head of household (two columns, additive)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T20:34:26:047710"
VERSION = "1.38.0"
DESCRIPTION = "register: residence status and relation to the head of household"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


COLUMNS = [
    ("residence_status", Varchar, _params(length=16, default="", index=True)),
    ("relation_to_head", Varchar, _params(length=16, default="")),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="Resident", tablename="meihao_resident", column_name=name, db_column_name=name,
            column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
        )
    return manager
