"""A scheduled fire of a schedule runs once: unique (schedule_id, scheduled_at) on job runs.

Runs started by hand have no scheduled time (NULL), and NULLs never collide.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao.db.migration_helpers import add_unique_index

ID = "2026-11-28T15:05:07:000000"
VERSION = "1.38.0"
DESCRIPTION = "one job run per scheduled fire"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    add_unique_index(manager, "meihao_job_run", ["schedule_id", "scheduled_at"])
    return manager
