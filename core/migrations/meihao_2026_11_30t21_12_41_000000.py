"""Attachments: the index a row's attachments are found by (after the table exists: raw steps run first)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao.db.migration_helpers import add_index

ID = "2026-11-30T21:12:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "attachments: owner index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    add_index(manager, "meihao_attachment", ["scenario", "owner_table", "row_id"])
    return manager
