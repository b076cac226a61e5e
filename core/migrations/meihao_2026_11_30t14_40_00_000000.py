"""An index for the dashboards' counts of reminders sent (the overview's figures and its chart by day)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao.db.migration_helpers import add_index

ID = "2026-11-30T14:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reminder status and sent_at index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    # Reminders sent in a period (status = 'sent' AND sent_at in [start, end)): the overview's counts and chart.
    # Failed and waiting ones are found by the delivery pump's (status, next_attempt_at) index.
    add_index(manager, "meihao_reminder", ["status", "sent_at"])
    return manager
