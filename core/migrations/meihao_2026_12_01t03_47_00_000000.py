"""Street settings: a scenario's settings that belong to the street, stored once (``Scenario.street_settings``), additive."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T03:47:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "street settings of scenarios"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


COLUMNS = [
    ("scenario", Varchar, _params(length=64, default="", unique=True)),
    ("settings", JSON, _params(default="{}")),
    ("changed_at", Timestamptz, _params(default=TimestamptzNow())),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    manager.add_table(class_name="StreetScenarioSettings", tablename="meihao_street_settings", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="StreetScenarioSettings", tablename="meihao_street_settings", column_name=name, db_column_name=name,
            column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
        )
    return manager
