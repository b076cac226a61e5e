"""The database: engine from configuration, the Piccolo app registry built from plugins, migrations."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
from dataclasses import dataclass
from typing import Any

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppConfig, AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from meihao.config import Settings
from meihao.db.postgres import MeihaoPostgresEngine
from meihao.db.sqlite import MeihaoSQLiteEngine, sqlite_engine
from meihao.errors import ConfigurationError, DatabaseUnavailable

os.environ.setdefault("PICCOLO_CONF", "meihao.db.piccolo_conf")


_current: Database | None = None


#: PostgreSQL advisory lock key held while migrating (any 64-bit number no other tool uses): "meihao-m".
MIGRATION_LOCK = int.from_bytes(b"meihao-m", "big") - 2**63


def current_database() -> Database:
    if _current is None:
        raise RuntimeError("no meihao database is open; build one with meihao.db.database.Database(...)")
    return _current


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        try:
            settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigurationError(
                f"MEIHAO_DATABASE_URL: cannot create the folder {settings.sqlite_path.parent}: {err.strerror or err}",
                field="database_url",
            ) from err
        return sqlite_engine(str(settings.sqlite_path))
    return MeihaoPostgresEngine(config={"dsn": settings.database_url})


def icontains(column: Any, text: str) -> Any:
    """``column`` contains ``text``, ignoring case, alike on both databases.

    SQLite's LIKE already ignores ASCII case; PostgreSQL's does not, so it gets ILIKE.
    (``%`` and ``_`` in ``text`` act as wildcards on both.)
    """
    pattern = f"%{text}%"
    if column._meta.engine_type in ("postgres", "cockroach"):
        return column.ilike(pattern)
    return column.like(pattern)


def count_if(condition: Any, alias: str) -> Any:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END) AS alias``: how many rows match a Piccolo condition, counted in the same
    pass as other figures of one ``select`` (the sum is NULL over no rows: read it as ``int(row[alias] or 0)``)."""
    from piccolo.querystring import QueryString

    return QueryString("SUM(CASE WHEN {} THEN 1 ELSE 0 END)", condition.querystring).as_alias(alias)


def json_value(value: Any) -> Any:
    """A JSON column's value, alike on both databases: SQLite hands back the text, PostgreSQL the decoded value."""
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class PendingMigration:
    app: str
    migration_id: str


class Database:
    """One opened database with the tables of every loaded plugin bound to it."""

    def __init__(self, settings: Settings, app_modules: list[str]) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self.app_registry = AppRegistry(apps=app_modules)
        self.app_configs: list[AppConfig] = [importlib.import_module(m).APP_CONFIG for m in app_modules]
        self.activate()

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.engine, SQLiteEngine)

    def tables(self) -> list[type[Table]]:
        return [table for config in self.app_configs for table in config.table_classes]

    def activate(self) -> None:
        """Make this the database Piccolo's tables and migrations talk to."""
        global _current
        _current = self
        for table in [*self.tables(), Migration]:
            table._meta.db = self.engine

    async def start(self) -> None:
        """Open the pool (PostgreSQL) and check the database answers; one clear error if not."""
        self.activate()
        try:
            if isinstance(self.engine, PostgresEngine) and self.engine.pool is None:
                # A bounded connect timeout: a dropped packet must not hang start-up for a minute.
                await self.engine.start_connection_pool(
                    min_size=1, max_size=self.settings.database_pool_size, timeout=10
                )
            await self.engine.run_ddl("SELECT 1")
            if self.is_sqlite:
                await self.engine.run_ddl("PRAGMA journal_mode=WAL")
        except (OSError, ConnectionError) as err:
            raise DatabaseUnavailable(f"cannot reach the database at {self.describe()}: {err}") from err
        except Exception as err:  # drivers raise their own types (asyncpg, sqlite3)
            raise DatabaseUnavailable(f"cannot use the database at {self.describe()}: {type(err).__name__}: {err}") from err

    async def close(self) -> None:
        """Close the connections this event loop keeps open (the pool on PostgreSQL, the kept connections on SQLite)."""
        if isinstance(self.engine, PostgresEngine) and self.engine.pool is not None:
            await self.engine.close_connection_pool()
        elif isinstance(self.engine, MeihaoSQLiteEngine):
            await self.engine.close_pool()

    def describe(self) -> str:
        if self.is_sqlite:
            return str(self.settings.sqlite_path)
        url = self.settings.database_url
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"  # never print a password

    async def pending_migrations(self) -> list[PendingMigration]:
        self.activate()
        manager = BaseMigrationManager()
        try:
            await manager.create_migration_table()
        except Exception:
            # Another process created it between Piccolo's existence check and its CREATE TABLE
            # (two commands started at once on a new database).
            if not await Migration.table_exists():
                raise
        pending = []
        for config in self._sorted_configs():
            ran = set(await Migration.get_migrations_which_ran(app_name=config.app_name))
            ids = manager.get_migration_ids(manager.get_migration_modules(config.resolved_migrations_folder_path))
            pending += [PendingMigration(config.app_name, i) for i in sorted(set(ids) - ran)]
        return pending

    async def migrate(self) -> list[PendingMigration]:
        """Apply every pending migration of every app; returns what ran. Running it again does nothing."""
        pending = await self.pending_migrations()
        for config in self._sorted_configs():
            if not any(p.app == config.app_name for p in pending):
                continue
            output = io.StringIO()
            with contextlib.redirect_stdout(output):
                result = await ForwardsMigrationManager(app_name=config.app_name).run()
            if not result.success:
                raise ConfigurationError(f"migrations of {config.app_name!r} failed: {result.message}\n{output.getvalue()}")
        return pending

    @contextlib.asynccontextmanager
    async def migration_lock(self) -> Any:
        """Hold the installation's migration lock: ``meihao migrate`` run twice at once runs one after the other.

        On PostgreSQL a session advisory lock on a connection of its own (released when the
        connection closes, also when the process dies); on SQLite the database's own write
        lock already serializes Piccolo's migration steps, and a second run finds nothing to do.
        """
        if self.is_sqlite:
            yield
            return
        import asyncpg

        try:
            conn = await asyncpg.connect(self.settings.database_url, timeout=10)
        except (OSError, asyncpg.PostgresError) as err:
            raise DatabaseUnavailable(f"cannot reach the database at {self.describe()}: {err}") from err
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            yield
        finally:
            await conn.close()  # closing the session releases the lock

    def _sorted_configs(self) -> list[AppConfig]:
        names = BaseMigrationManager().get_sorted_app_names()
        by_name = {c.app_name: c for c in self.app_configs}
        return [by_name[n] for n in names if n in by_name]

    def transaction(self) -> Any:
        """A transaction; on SQLite it takes the write lock at its start (``BEGIN IMMEDIATE``).

        SQLite's default (deferred) transaction reads first and asks for the write lock at its
        first write; when another connection wrote meanwhile it fails at once with "database is
        locked", whatever the busy timeout. Taking the lock up front makes concurrent writers
        (the API and the reminder pump in one process) wait their turn instead.
        """
        if self.is_sqlite:
            return self.engine.transaction(transaction_type=TransactionType.immediate)
        return self.engine.transaction()
