"""The database: engine from configuration, the Piccolo app registry built from plugins, migrations."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import importlib
import io
import os
import sqlite3
import weakref
from dataclasses import dataclass
from typing import Any

import aiosqlite
from aiosqlite.core import _STOP_RUNNING_SENTINEL
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppConfig, AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory
from piccolo.table import Table

from meihao.config import Settings
from meihao.errors import ConfigurationError, DatabaseUnavailable

os.environ.setdefault("PICCOLO_CONF", "meihao.db.piccolo_conf")

_current: Database | None = None

#: PostgreSQL advisory lock key held while migrating (any 64-bit number no other tool uses): "meihao-m".
MIGRATION_LOCK = int.from_bytes(b"meihao-m", "big") - 2**63


def current_database() -> Database:
    if _current is None:
        raise RuntimeError("no meihao database is open; build one with meihao.db.database.Database(...)")
    return _current


#: Connections each event loop keeps open to the SQLite file for statements outside a transaction.
#: SQLite runs one statement per connection at a time and the process has one event loop doing
#: the work, so a few cover the concurrency there is; a statement waits when all are busy.
SQLITE_POOL_SIZE = 4


def sqlite_engine(path: str) -> MeihaoSQLiteEngine:
    # A generous busy timeout: the web process and CLI commands may write at once.
    return MeihaoSQLiteEngine(path=path, timeout=30)


class MeihaoSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, keeping a few connections open per event loop for statements outside a transaction.

    Piccolo opens a new aiosqlite connection for every such statement: a thread started (the
    event loop waits for it), the file opened, the schema read and parsed again, ``PRAGMA
    foreign_keys``; an API request runs several statements. Here each event loop that runs
    statements has a small pool of open connections (an aiosqlite connection belongs to the
    loop that opened it, and one process may run several loops, as with
    :class:`MeihaoPostgresEngine`). The semantics are Piccolo's: ``foreign_keys`` on, rows as
    dicts, every statement committed as it finishes (the connections are in autocommit mode;
    one left inside a transaction is committed, as Piccolo's commit after each statement
    does), the busy timeout of the engine. A statement that fails leaves its connection usable;
    one cancelled midway, or left in a state we cannot tell, is closed instead of reused.

    Transactions (:meth:`Database.transaction`, ``BEGIN IMMEDIATE``) and :meth:`batch` still
    open a connection of their own, as in Piccolo, so no pooled connection ever holds one open.
    :meth:`Database.close` closes the pool of the loop it runs in; a pool whose loop is closed
    is closed when another loop opens one, or when its loop is collected.
    """

    def __init__(self, path: str, pool_size: int = SQLITE_POOL_SIZE, **kwargs: Any) -> None:
        self.pool_size = pool_size
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SQLitePool] = weakref.WeakKeyDictionary()
        super().__init__(path=path, **kwargs)

    def _pool(self) -> _SQLitePool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            for other, stale in list(self._pools.items()):
                if other.is_closed():  # its loop ended without Database.close()
                    stale.abandon()
                    self._pools.pop(other, None)
            pool = self._pools[loop] = _SQLitePool(self, self.pool_size)
            # When the loop is collected, stop the threads of what is left in its pool.
            weakref.finalize(loop, pool.abandon)
        return pool

    async def connect(self) -> Any:
        """A new connection as Piccolo opens one (``foreign_keys`` on, rows as dicts), whose thread never blocks exit."""
        connection = aiosqlite.connect(**self.connection_kwargs)
        # An idle pooled connection left open when the process ends (its loop gone without
        # Database.close()) must not keep the interpreter waiting for its thread.
        getattr(connection, "_thread", connection).daemon = True
        await connection
        try:
            connection.row_factory = dict_factory
            await connection.execute("PRAGMA foreign_keys = 1")
        except BaseException:
            _stop(connection)
            raise
        return connection

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        if query_type == "insert" and self.get_version_sync() < 3.35:
            # No RETURNING before SQLite 3.35: Piccolo's own path, on a connection of its own.
            return await super()._run_in_new_connection(query, args, query_type, table)
        pool = self._pool()
        connection = await pool.acquire()
        reusable = False
        try:
            # One hop to the connection's thread: run the statement and read every row.
            rows = await connection.execute_fetchall(query, args or [])
            if connection.in_transaction:
                await connection.commit()  # e.g. a bare BEGIN run as DDL: Piccolo commits it at once
            reusable = True
            return rows
        except sqlite3.Error:
            # The statement failed (a constraint, "database is locked", a syntax error): in
            # autocommit mode that leaves the connection as it was, unless a transaction is open.
            reusable = _outside_transaction(connection)
            raise
        finally:
            pool.release(connection, reusable)

    async def close_pool(self) -> None:
        """Close the connections the running loop keeps open (those in use close when they are given back)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()


class _SQLitePool:
    """The open connections of one event loop, at most ``size``; holds no reference to the loop."""

    def __init__(self, engine: MeihaoSQLiteEngine, size: int) -> None:
        self.engine = engine
        self.size = size
        self.idle: list[Any] = []
        self.open = 0
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.closed = False

    async def acquire(self) -> Any:
        while True:
            if self.idle:
                return self.idle.pop()
            if self.open < self.size:
                self.open += 1
                try:
                    return await self.engine.connect()
                except BaseException:
                    self.open -= 1
                    self._wake_one()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # it was woken and gives its turn to the next
                else:
                    with contextlib.suppress(ValueError):
                        self.waiters.remove(waiter)
                raise

    def release(self, connection: Any, reusable: bool) -> None:
        if reusable and not self.closed:
            self.idle.append(connection)
        else:
            self.open -= 1
            _stop(connection)
        self._wake_one()

    def _wake_one(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        self.closed = True
        idle, self.idle = self.idle, []
        self.open -= len(idle)
        for connection in idle:
            try:
                await connection.close()
            except Exception:  # already broken: stopping its thread is all that is left
                _stop(connection)

    def abandon(self) -> None:
        """Close without a loop to await in: each idle connection's thread closes it and ends."""
        self.closed = True
        idle, self.idle = self.idle, []
        self.open -= len(idle)
        for connection in idle:
            _stop(connection)


def _outside_transaction(connection: Any) -> bool:
    try:
        return not connection.in_transaction
    except Exception:  # closed or broken
        return False


def _stop(connection: Any) -> None:
    """Close a connection without waiting: its thread closes it after anything still queued there, then ends.

    aiosqlite's own ``stop()`` does the same but also hands back a future of the current event
    loop, which its thread then resolves; when that loop has closed by then (a pool abandoned
    from a short ``asyncio.run``, or from a loop's finalizer), the thread dies with "Event loop
    is closed". So this queues aiosqlite's close-and-stop step without a future (aiosqlite is
    pinned; ``_tx`` and the sentinel are its worker's protocol).
    """

    def close_and_stop() -> object:
        if connection._connection is not None:
            connection._connection.close()
            connection._connection = None
        return _STOP_RUNNING_SENTINEL

    connection._running = False
    connection._tx.put_nowait((None, close_and_stop))


class MeihaoPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine with one connection pool per event loop, and no version check.

    An asyncpg pool belongs to the event loop that opened it, and one process may run
    several loops over the same database (Litestar's test client serves the app in a
    thread of its own; the CLI runs ``asyncio.run`` more than once). Each loop that calls
    :meth:`Database.start` gets its own pool; a loop without one connects per query.

    Piccolo connects synchronously in the constructor to read the server version and warns
    when it cannot; meihao connects in :meth:`Database.start` instead, so that booting never
    blocks on the network and an unreachable server is one clear error.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def pool(self) -> Any:
        loop = _running_loop()
        return None if loop is None else self._pools.get(loop)

    @pool.setter
    def pool(self, value: Any) -> None:
        loop = _running_loop()
        if loop is None:
            return  # Piccolo's constructor sets None before any loop runs
        if value is None:
            self._pools.pop(loop, None)
        else:
            self._pools[loop] = value

    async def check_version(self) -> None:
        return None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


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
