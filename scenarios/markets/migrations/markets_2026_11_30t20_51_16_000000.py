"""Issue 16: a market's type, stall fee or contribution and where the money goes, the rest-day policy, home-made food;
a stall's waiver and home-made food flag; people served by free-service stalls; a day moved off an adjusted working
weekend day, and its public statement (公示). Additive only (SQLite cannot ALTER a column)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T20:51:16:000000"
VERSION = "1.38.0"
DESCRIPTION = "markets: type, fee, beneficiary, receiving charity, rest-day policy, home-made food, waivers, people served, statement"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


COLUMNS = [
    ("Market", "markets_market", "kind", Varchar, _params(length=20, default="charity_sale")),
    ("Market", "markets_market", "money", Varchar, _params(length=16, default="none")),
    ("Market", "markets_market", "fee_fen", Integer, _params(default=0)),
    ("Market", "markets_market", "beneficiary", Varchar, _params(length=200, default="")),
    ("Market", "markets_market", "receiving_charity", Varchar, _params(length=200, default="")),
    ("Market", "markets_market", "rest_day_policy", Varchar, _params(length=16, default="skip")),
    ("Market", "markets_market", "home_made_food", Varchar, _params(length=16, default="approval")),
    ("MarketDay", "markets_day", "moved_from", Date, _params(default=None, null=True)),
    ("MarketDay", "markets_day", "own_activity", Integer, _params(default=None, null=True)),
    ("MarketDay", "markets_day", "own_stall_activity", Integer, _params(default=None, null=True, index=True)),
    ("MarketDay", "markets_day", "statement", Text, _params(default="")),
    ("MarketDay", "markets_day", "statement_published_at", Timestamptz, _params(default=None, null=True)),
    ("Application", "markets_application", "home_made_food", Boolean, _params(default=False)),
    ("Application", "markets_application", "fee_waived", Boolean, _params(default=False)),
    ("Application", "markets_application", "waiver_reason", Varchar, _params(length=200, default="")),
    ("Proceeds", "markets_proceeds", "people_served", Integer, _params(default=None, null=True)),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="markets", description=DESCRIPTION)
    for class_name, tablename, column, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name=class_name, tablename=tablename, column_name=column, db_column_name=column,
            column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
        )
    return manager
