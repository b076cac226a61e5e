from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-28T15:30:08:096748"
VERSION = "1.38.0"
DESCRIPTION = "one index on id_card_hash"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="meihao", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Resident",
        tablename="meihao_resident",
        column_name="id_card_hash",
        db_column_name="id_card_hash",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
