"""The SMS channel's record of the messages the provider accepted (caps, cost, receipts)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T00:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sms: messages sent"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


COLUMNS = [
    ("delivery_id", Varchar, _params(length=64, default="", unique=True)),
    ("recipient_kind", Varchar, _params(length=8, default="")),
    ("recipient_id", Integer, _params(default=0, index=True)),
    ("community", Varchar, _params(length=64, default="", index=True)),
    ("local_date", Date, _params(default=DateNow(), index=True)),
    ("local_month", Varchar, _params(length=7, default="", index=True)),
    ("provider", Varchar, _params(length=16, default="")),
    ("template_id", Varchar, _params(length=64, default="")),
    ("segments", Integer, _params(default=1)),
    ("provider_id", Varchar, _params(length=128, default="", index=True)),
    ("status", Varchar, _params(length=16, default="sent")),
    ("sent_at", Timestamptz, _params(default=TimestamptzNow())),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sms", description=DESCRIPTION)
    manager.add_table(class_name="SmsSent", tablename="sms_sent", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="SmsSent", tablename="sms_sent", column_name=name, db_column_name=name,
            column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
        )
    return manager
