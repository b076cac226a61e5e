"""One second per resident and motion, one ballot per member and motion, one sign-up per resident and festival event."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from meihao import add_unique_index

ID = "2026-11-30T20:40:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "neighbourhood: unique seconds, ballots and sign-ups"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="neighbourhood", description=DESCRIPTION)
    add_unique_index(manager, "neighbourhood_second", ["motion", "resident"])
    add_unique_index(manager, "neighbourhood_ballot", ["motion", "member"])
    add_unique_index(manager, "neighbourhood_festival_signup", ["event", "resident"])
    return manager
