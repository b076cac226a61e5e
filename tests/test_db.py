"""The database wrapper: transactions that read, then write, side by side in one process."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from meihao.db.sqlite import SQLITE_POOL_SIZE
from meihao.tables import Community
from meihao.testing import boot_for_tests, settings_for_tests


@pytest.mark.meihao_db("sqlite")
async def test_transactions_that_read_then_write_wait_for_each_other_on_sqlite(meihao):
    # The API and the reminder pump share one SQLite file: each transaction reads, then writes
    # while the other holds its own. Deferred transactions fail with "database is locked" here.
    async def register(slug: str) -> None:
        async with meihao.db.transaction():
            await Community.count()
            await asyncio.sleep(0.05)  # the other one reads meanwhile
            await Community.insert(Community(slug=slug, name=slug, timezone="Asia/Shanghai"))

    await asyncio.gather(*(register(f"c{i}") for i in range(6)))
    assert sorted(r["slug"] for r in await Community.select(Community.slug)) == [f"c{i}" for i in range(6)]


# -- SQLite: the connections kept open for statements outside a transaction ----------------


class CountingConnect:
    """Stands in for ``aiosqlite.connect``: counts and keeps the connections opened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened: list[aiosqlite.Connection] = []
        self._connect = aiosqlite.connect
        monkeypatch.setattr(aiosqlite, "connect", self)

    def __call__(self, *args: Any, **kwargs: Any) -> aiosqlite.Connection:
        connection = self._connect(*args, **kwargs)
        self.opened.append(connection)
        return connection


def sqlite_file(mh: Any) -> Path:
    return Path(mh.db.engine.path)


def write_from_elsewhere(path: Path, slug: str) -> None:
    """A write through a connection of its own that will not wait for a lock (timeout 0)."""
    with closing(sqlite3.connect(path, timeout=0)) as connection:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO meihao_community (slug, name) VALUES (?, ?)", (slug, slug))
        connection.execute("COMMIT")


@pytest.mark.meihao_db("sqlite")
async def test_statements_outside_transactions_reuse_a_few_open_connections(meihao, monkeypatch):
    await meihao.db.close()  # start with none open
    connect = CountingConnect(monkeypatch)
    for _ in range(50):
        await Community.count()
    assert len(connect.opened) == 1  # one after the other: the same connection every time

    await asyncio.gather(*(Community.count() for _ in range(50)))
    assert 1 <= len(connect.opened) <= SQLITE_POOL_SIZE  # at once: never more than the pool holds

    async with meihao.db.transaction():  # a transaction still opens a connection of its own
        await Community.count()
    assert len(connect.opened) <= SQLITE_POOL_SIZE + 1


@pytest.mark.meihao_db("sqlite")
async def test_a_write_outside_a_transaction_is_committed_at_once_and_pooled_connections_hold_no_lock(meihao):
    path = sqlite_file(meihao)
    await Community.insert(Community(slug="seen", name="Seen", timezone="Asia/Shanghai"))
    with closing(sqlite3.connect(path)) as other:
        assert other.execute("SELECT name FROM meihao_community WHERE slug = 'seen'").fetchone() == ("Seen",)

    # Idle pooled connections neither hold a lock nor read an old snapshot.
    await Community.count()
    write_from_elsewhere(path, "from-elsewhere")
    assert await Community.exists().where(Community.slug == "from-elsewhere")


@pytest.mark.meihao_db("sqlite")
async def test_a_failed_statement_leaves_the_pooled_connection_usable(meihao, monkeypatch):
    await meihao.db.close()
    connect = CountingConnect(monkeypatch)
    await Community.insert(Community(slug="once", name="Once", timezone="Asia/Shanghai"))
    with pytest.raises(sqlite3.IntegrityError):
        await Community.insert(Community(slug="once", name="Twice", timezone="Asia/Shanghai"))
    with pytest.raises(sqlite3.OperationalError):
        await meihao.db.engine.run_ddl("SELECT * FROM no_such_table")
    # A bare BEGIN outside a transaction is committed at once, as Piccolo's engine does.
    await meihao.db.engine.run_ddl("BEGIN IMMEDIATE")
    write_from_elsewhere(sqlite_file(meihao), "after-failures")

    assert [r["name"] for r in await Community.select(Community.name).where(Community.slug.is_in(["once", "after-failures"])).order_by(Community.slug)] == [
        "after-failures",
        "Once",
    ]
    assert len(connect.opened) == 1


@pytest.mark.meihao_db("sqlite")
async def test_a_cancelled_statement_is_not_reused(meihao, monkeypatch):
    await meihao.db.close()
    connect = CountingConnect(monkeypatch)
    await Community.count()
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) FROM n"
    task = asyncio.ensure_future(meihao.db.engine.run_ddl(slow))
    await asyncio.sleep(0.05)  # its thread is running the statement
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await Community.count() == 0
    assert len(connect.opened) == 2  # the cancelled statement's connection is closed, not given to the next


@pytest.mark.meihao_db("sqlite")
async def test_database_close_closes_the_kept_connections(meihao, monkeypatch):
    connect = CountingConnect(monkeypatch)
    await asyncio.gather(*(Community.count() for _ in range(10)))
    assert connect.opened

    await meihao.db.close()
    for connection in connect.opened:
        with pytest.raises(ValueError):
            await connection.execute("SELECT 1")
    # The last connection to a WAL database folds the log back in and removes it when it closes.
    assert not Path(f"{sqlite_file(meihao)}-wal").exists()
    # A statement after close opens the pool again.
    assert await Community.count() == 0


def test_each_event_loop_has_its_own_connections(tmp_path, monkeypatch):
    """The CLI runs asyncio.run more than once on one Database; a connection of an ended loop is never reused."""
    connect = CountingConnect(monkeypatch)
    mh = boot_for_tests(settings_for_tests(tmp_path / "loops.db"))
    engine = mh.db.engine

    async def first() -> None:
        await mh.start()
        await engine.run_ddl("CREATE TABLE t (n INTEGER)")
        await engine.run_ddl("INSERT INTO t VALUES (1)")
        await mh.close()

    async def without_close() -> list[dict[str, Any]]:
        await asyncio.gather(*(engine.run_ddl("SELECT n FROM t") for _ in range(3)))
        return await engine.run_ddl("SELECT n FROM t")

    async def after(kept: list[aiosqlite.Connection]) -> list[dict[str, Any]]:
        rows = await engine.run_ddl("SELECT n FROM t")
        for connection in kept:  # the ended loop's connections were closed when this loop opened its own
            with pytest.raises(ValueError):
                await connection.execute("SELECT 1")
        await mh.close()
        return rows

    asyncio.run(first())
    assert asyncio.run(without_close()) == [{"n": 1}]
    of_ended_loop = list(connect.opened)
    assert asyncio.run(after(of_ended_loop[1:])) == [{"n": 1}]
    assert len(connect.opened) > len(of_ended_loop)  # the third loop opened its own
