"""The WeChat channel's shared access token and residents' bindings."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T03:46:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "wechat: access token, bindings"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


TABLES = {
    ("WechatToken", "wechat_token"): [
        ("app_id", Varchar, _params(length=64, default="", unique=True)),
        ("access_token", Text, _params(default="")),
        ("expires_at", Timestamptz, _params(default=None, null=True)),
        ("refreshing_until", Timestamptz, _params(default=None, null=True)),
        ("refreshes", Integer, _params(default=0)),
    ],
    ("WechatBinding", "wechat_binding"): [
        ("resident_id", Integer, _params(default=0, unique=True)),
        ("openid_digest", Varchar, _params(length=64, default="", index=True)),
        ("bound_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wechat", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name, tablename=tablename, column_name=name, db_column_name=name,
                column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
            )
    return manager
