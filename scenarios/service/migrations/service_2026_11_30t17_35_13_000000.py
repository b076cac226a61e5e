"""One 12345 work order per external id in a community, one duty shift per community and day: unique indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao import add_unique_index

ID = "2026-11-30T17:35:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "service: unique external ids and duty days"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="service", description=DESCRIPTION)
    add_unique_index(manager, "service_request", ["community", "external_id"])
    add_unique_index(manager, "service_duty_shift", ["community", "day"])
    return manager
