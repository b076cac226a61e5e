"""SQLite for meihao: Piccolo's engine with a few connections kept open per event loop."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import sqlite3
import weakref
from typing import Any

import aiosqlite
from aiosqlite.core import _STOP_RUNNING_SENTINEL
from piccolo.engine.sqlite import SQLiteEngine, dict_factory
from piccolo.table import Table

from meihao.db.counting import StatementCounting

#: Connections each event loop keeps open to the SQLite file for statements outside a transaction.
#: SQLite runs one statement per connection at a time and the process has one event loop doing
#: the work, so a few cover the concurrency there is; a statement waits when all are busy.
SQLITE_POOL_SIZE = 4


def sqlite_engine(path: str) -> MeihaoSQLiteEngine:
    # A generous busy timeout: the web process and CLI commands may write at once.
    return MeihaoSQLiteEngine(path=path, timeout=30)


def create_private(path: str | os.PathLike[str]) -> None:
    """Create a missing SQLite file readable by its owner only (0600), like the data key beside it.

    SQLite gives the ``-wal``, ``-shm`` and journal files the mode of the database file, so they are
    private too. An existing file keeps its mode (the operator's choice).
    """
    name = os.fspath(path)
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    try:
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except FileNotFoundError:
        pass  # its folder does not exist: opening the database reports that in its own words


class MeihaoSQLiteEngine(StatementCounting, SQLiteEngine):
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

    def _ensure_private_file(self) -> None:
        """Before the first connection: a missing database file is created 0600 (not when the engine is built:
        commands that never open the database write nothing)."""
        if not getattr(self, "_file_ready", False):
            create_private(self.path)
            self._file_ready = True

    async def get_connection(self) -> Any:
        self._ensure_private_file()
        return await super().get_connection()

    async def connect(self) -> Any:
        """A new connection as Piccolo opens one (``foreign_keys`` on, rows as dicts), whose thread never blocks exit."""
        self._ensure_private_file()
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
        self._ensure_private_file()
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
