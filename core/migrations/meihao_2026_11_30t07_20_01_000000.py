"""Activities created before the owner was recorded belong to the scenario named like their scene.

(Kept apart from the column it fills: a migration's raw steps run before its new columns.)
A row whose scene names no installed scenario ("service", say) simply has no owner at run time.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-30T07:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "older activities belong to the scenario named like their scene"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)

    async def fill() -> None:
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl('UPDATE "meihao_activity" SET "scenario" = "scene" WHERE "scenario" = \'\'')

    manager.add_raw(fill)
    return manager
