"""Unique keys and composite indexes of the reminder tables (apart: raw steps run before new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao.db.migration_helpers import add_index, add_unique_index

ID = "2026-11-28T12:26:23:000000"
VERSION = "1.38.0"
DESCRIPTION = "reminder unique keys and indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    add_unique_index(manager, "meihao_reminder_due", ["activity", "version", "occurrence", "offset_minutes"])
    add_unique_index(manager, "meihao_reminder", ["due", "recipient_kind", "recipient_id", "channel"])
    add_unique_index(manager, "meihao_contact", ["recipient_kind", "recipient_id", "channel"])
    add_unique_index(manager, "meihao_reminder_optout", ["recipient_kind", "recipient_id", "scene", "channel"])
    add_unique_index(manager, "meihao_recipient_token", ["recipient_kind", "recipient_id", "purpose"])
    # The delivery pump's claim query: pending rows by next attempt.
    add_index(manager, "meihao_reminder", ["status", "next_attempt_at"])
    add_index(manager, "meihao_reminder_due", ["status", "due_at"])
    return manager
