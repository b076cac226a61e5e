"""Issue 16: 空巢/留守 flags, the disability grade apart from loss of self-care, the civil-affairs categories, the shortened
revisit after a follow-up, the follow-up's work item, days overdue on alerts. Additive only (SQLite cannot ALTER a column)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Date, Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T17:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "elder_care: empty nest, left behind, disability grade, categories, revisit, follow-up item, days overdue"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


COLUMNS = [
    ("Elder", "elder_care_elder", "empty_nest", Boolean, _params(default=False)),
    ("Elder", "elder_care_elder", "left_behind", Boolean, _params(default=False)),
    ("Elder", "elder_care_elder", "disability_grade", Integer, _params(default=None, null=True)),
    ("Elder", "elder_care_elder", "categories", Varchar, _params(length=200, default="")),
    ("Elder", "elder_care_elder", "revisit_on", Date, _params(default=None, null=True)),
    ("Visit", "elder_care_visit", "follow_up_item", Integer, _params(default=None, null=True)),
    ("OverdueAlert", "elder_care_alert", "days_overdue", Integer, _params(default=0)),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="elder_care", description=DESCRIPTION)
    for class_name, tablename, column, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name=class_name, tablename=tablename, column_name=column, db_column_name=column,
            column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
        )
    return manager
