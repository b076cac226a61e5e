"""Throwaway databases for tests, on SQLite and on PostgreSQL, cloned from templates migrated once.

A *template* is a database migrated (and maybe filled) once per test run; each test gets
its own copy. On SQLite a copy is a copied file. On PostgreSQL a copy is first made with
``CREATE DATABASE … TEMPLATE …``; when the test is over, the copy is put back into the
state of its template (tables the test added dropped, rows deleted, the template's rows and
sequence positions restored) and handed to the next test, because on PostgreSQL 15 every
``DROP DATABASE`` waits for a checkpoint, which would cost about a second per test. A copy
whose schema the test changed in a way this cannot undo is dropped instead. The reset does
only what the test made necessary: the schema is compared only when the catalogs changed
(most tests change rows only), only tables holding rows are emptied, and the template's rows
are put back only where they changed (about 100 ms instead of 490 per test on a busy machine). Every database
of a run is named ``meihao_test_<run>_…`` and dropped when the run ends.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

#: The PostgreSQL server tests use unless MEIHAO_TEST_POSTGRES_URL names another (a
#: maintenance database of a superuser: tests create and drop databases there).
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")
#: Databases of runs older than this that are still on the server were left by killed runs.
STALE_AFTER_SECONDS = 6 * 3600


def run_prefix() -> str:
    """``meihao_test_<start time>_<random>``: the time lets a later run drop what a killed run left."""
    return f"meihao_test_{int(time.time())}_{secrets.token_hex(3)}"


def postgres_admin_url(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("MEIHAO_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def with_database(url: str, name: str) -> str:
    """``url`` with its database name replaced by ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def postgres_answers(url: str, timeout: float = 3.0) -> str | None:
    """None when a PostgreSQL server answers at ``url``; otherwise why not, in one line."""
    import asyncpg

    try:
        connection = await asyncpg.connect(url, timeout=timeout)
    except Exception as err:  # refused, timed out, auth, unknown database: all mean "not usable"
        return f"{type(err).__name__}: {err}"
    await connection.close()
    return None


@dataclass
class Template:
    """A migrated database that tests get copies of."""

    url: str
    #: PostgreSQL: what a copy must look like to be reused (schema fingerprint, rows, sequences).
    fingerprint: str = ""
    rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = field(default_factory=dict)
    sequences: dict[str, tuple[int, bool]] = field(default_factory=dict)
    tables: frozenset[str] = frozenset()
    #: PostgreSQL: a digest of each table with rows (``_digests``), to tell which ones a test changed.
    digests: dict[str, str] = field(default_factory=dict)
    #: PostgreSQL: the template's catalog signature (``_CATALOG_SIGNATURE_SQL``), which its fresh copies share.
    signature: tuple[Any, ...] = ()
    #: PostgreSQL: copies handed back and reset, ready for the next test.
    idle: list[str] = field(default_factory=list)
    backend: TestDatabases | None = None

    @property
    def backend_name(self) -> str:
        return "sqlite" if self.url.startswith("sqlite:") else "postgresql"

    async def acquire(self, directory: Path | None = None) -> str:
        """The URL of a fresh copy (a SQLite file in ``directory``); hand it back with :meth:`release`."""
        assert self.backend is not None
        return await self.backend.acquire(self, directory)

    async def release(self, url: str) -> None:
        """The copy at ``url`` is no longer used (its connections are closed)."""
        assert self.backend is not None
        await self.backend.release(self, url)


class TestDatabases(Protocol):
    """One backend's throwaway databases (``sqlite`` or ``postgresql``)."""

    name: str

    def new_database(self, source: Template | None = None) -> str:
        """A database to build a template in: empty, or a copy of ``source``. Synchronous."""

    def seal(self, url: str) -> Template:
        """Turn a database nothing is connected to any more into a template. Synchronous."""

    async def acquire(self, template: Template, directory: Path | None = None) -> str:
        """A fresh copy of ``template``; its URL."""

    async def release(self, template: Template, url: str) -> None:
        """The test is done with ``url`` (its connections closed)."""

    def finish(self) -> None:
        """Drop everything this run created."""


class SQLiteTestDatabases:
    """Copies are copied files in the test's temporary folder (pytest removes old ones)."""

    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._serial = 0

    def _path(self, directory: Path | None, stem: str) -> Path:
        self._serial += 1
        return (directory or self.directory) / f"{stem}-{self._serial}.db"

    def new_database(self, source: Template | None = None) -> str:
        path = self._path(None, "template")
        if source is not None:
            shutil.copy(database_path(source.url), path)
        return f"sqlite:///{path}"

    def seal(self, url: str) -> Template:
        # Fold the write-ahead log into the file, so that a copy of the file alone is complete.
        with sqlite3.connect(database_path(url)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Template(url=url, backend=self)

    async def acquire(self, template: Template, directory: Path | None = None) -> str:
        path = self._path(directory, "meihao")
        shutil.copy(database_path(template.url), path)
        return f"sqlite:///{path}"

    async def release(self, template: Template, url: str) -> None:
        return None

    def finish(self) -> None:
        return None


def database_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


# -- PostgreSQL --------------------------------------------------------------------------

_FINGERPRINT_SQL = """
SELECT 'c:' || table_schema || '.' || table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
       || ':' || coalesce(column_default, '')
FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'i:' || schemaname || '.' || indexname || ':' || indexdef FROM pg_indexes
WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'k:' || conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
UNION ALL
SELECT 't:' || event_object_table || ':' || trigger_name FROM information_schema.triggers
UNION ALL
SELECT 's:' || nspname FROM pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg_temp_%'
      AND nspname NOT LIKE 'pg_toast_temp_%'
UNION ALL
SELECT 'q:' || schemaname || '.' || sequencename FROM pg_sequences
UNION ALL
SELECT 'v:' || schemaname || '.' || viewname FROM pg_views WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'f:' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'y:' || n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND t.typtype IN ('e', 'd', 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind IN ('r', 'v', 'p', 'm', 'f', 'S'))
"""

_SCHEMAS_AND_TABLES_SQL = """
SELECT schemaname AS schema, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT n.nspname, NULL FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp_%'
      AND n.nspname NOT LIKE 'pg_toast_temp_%'
"""

#: A cheap sign that the schema has not changed since it was last checked: per catalog, its row count and the
#: newest row version (``xmin``). DDL inserts, updates (a new row version, a newer ``xmin``) or deletes (a smaller
#: count) rows of these catalogs; a test's inserts, updates and deletes of table rows touch none of them. The
#: full fingerprint (``_FINGERPRINT_SQL``) is ~100 times dearer: a copy whose signature is unchanged skips it.
_CATALOG_SIGNATURE_SQL = " UNION ALL ".join(
    f"SELECT '{catalog}', count(*), max(xmin::text::bigint) FROM pg_catalog.{catalog}"
    for catalog in (
        "pg_namespace", "pg_class", "pg_attribute", "pg_attrdef", "pg_constraint", "pg_index", "pg_trigger",
        "pg_proc", "pg_type", "pg_rewrite", "pg_sequence", "pg_event_trigger", "pg_policy", "pg_inherits",
    )
)

_TABLES_SQL = """
SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
"""


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _table(schema: str, name: str) -> str:
    return f"{_quote(schema)}.{_quote(name)}"


async def _sequence_positions(connection: Any) -> dict[str, tuple[int, bool]]:
    """Every sequence's position: (value, whether the next ``nextval`` returns the value after it)."""
    rows = await connection.fetch(
        "SELECT schemaname, sequencename, coalesce(last_value, start_value) AS value, last_value IS NOT NULL AS called "
        "FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    )
    return {_table(row["schemaname"], row["sequencename"]): (row["value"], row["called"]) for row in rows}


async def _digests(connection: Any, tables: list[str]) -> dict[str, str]:
    """A digest of each table's rows, in one question."""
    if not tables:
        return {}
    rows = await connection.fetch(" UNION ALL ".join(
        f"SELECT {n}, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {table} t" for n, table in enumerate(tables)
    ))
    return {tables[row[0]]: row[1] for row in rows}


async def _catalog_signature(connection: Any) -> tuple[Any, ...]:
    return tuple(tuple(row) for row in await connection.fetch(_CATALOG_SIGNATURE_SQL))


async def _fingerprint(connection: Any) -> str:
    lines = sorted(row[0] for row in await connection.fetch(_FINGERPRINT_SQL))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


class PostgresTestDatabases:
    """Databases named ``meihao_test_<run>_<n>`` on one server, all dropped when the run ends.

    Its own work (creating, resetting, dropping) runs on an event loop in a thread of its
    own, whatever loop the test runs on, so that it can keep one connection open to each
    copy between tests: a new connection starts with cold catalog caches, which would make
    each reset several times slower. Those connections sit idle, outside any transaction,
    while the tests run.
    """

    name = "postgresql"

    def __init__(self, admin_url: str, prefix: str | None = None) -> None:
        self.admin_url = admin_url
        self.prefix = prefix or run_prefix()
        self._serial = 0
        self.created: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[str, Any] = {}  # url -> open connection; used on self._loop only
        #: url -> the catalog signature of the copy when its schema was last found equal to its template's
        self._signatures: dict[str, tuple[Any, ...]] = {}
        #: How many resets compared the whole schema (the others found the catalogs untouched): for the tests.
        self.full_resets = 0
        self._admin_connection: Any = None

    # -- running on the backend's own loop ---------------------------------------------

    def _own_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="meihao test databases", daemon=True)
            self._thread.start()
        return self._loop

    def _run(self, coroutine: Any) -> Any:
        """Run ``coroutine`` on the backend's loop and wait for it (from code that is not async)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._own_loop()).result()

    async def _await(self, coroutine: Any) -> Any:
        """Run ``coroutine`` on the backend's loop and await it from the caller's loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._own_loop()))

    async def _admin(self) -> Any:
        import asyncpg

        if self._admin_connection is None or self._admin_connection.is_closed():
            self._admin_connection = await asyncpg.connect(self.admin_url, timeout=10)
        return self._admin_connection

    async def _connection(self, url: str) -> Any:
        import asyncpg

        connection = self._connections.get(url)
        if connection is None or connection.is_closed():
            connection = await asyncpg.connect(url, timeout=10)
            # A connection a test left open in a transaction must not make a reset wait forever.
            await connection.execute("SET lock_timeout = '3s'")
            self._connections[url] = connection
        return connection

    async def _forget(self, url: str) -> None:
        self._signatures.pop(url, None)
        connection = self._connections.pop(url, None)
        if connection is not None and not connection.is_closed():
            connection.terminate()

    # -- creating and dropping ---------------------------------------------------------

    async def _create(self, template: str | None) -> str:
        self._serial += 1
        name = f"{self.prefix}_{self._serial}"
        connection = await self._admin()
        clause = f" TEMPLATE {_quote(template)}" if template else ""
        await connection.execute(f"CREATE DATABASE {_quote(name)}{clause}")
        # Tests lose nothing that matters when the server crashes; commits need not wait for the disk.
        await connection.execute(f"ALTER DATABASE {_quote(name)} SET synchronous_commit = off")
        self.created.append(name)
        return with_database(self.admin_url, name)

    async def _drop(self, url: str) -> None:
        await self._forget(url)
        name = database_name(url)
        await (await self._admin()).execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
        if name in self.created:
            self.created.remove(name)

    async def drop(self, url: str) -> None:
        await self._await(self._drop(url))

    def new_database(self, source: Template | None = None) -> str:
        return self._run(self._create(database_name(source.url) if source else None))

    def seal(self, url: str) -> Template:
        return self._run(self._seal(url))

    async def _seal(self, url: str) -> Template:
        import asyncpg

        connection = await asyncpg.connect(url, timeout=10)
        try:
            template = Template(url=url, fingerprint=await _fingerprint(connection), backend=self)
            template.signature = await _catalog_signature(connection)
            tables = [(r["schemaname"], r["tablename"]) for r in await connection.fetch(_TABLES_SQL)]
            template.tables = frozenset(_table(s, t) for s, t in tables)
            for schema, table in tables:
                records = await connection.fetch(f"SELECT * FROM {_table(schema, table)}")
                if records:
                    template.rows[_table(schema, table)] = (list(records[0].keys()), [tuple(r) for r in records])
            template.digests = await _digests(connection, list(template.rows))
            template.sequences = await _sequence_positions(connection)
        finally:
            await connection.close()
        return template

    async def acquire(self, template: Template, directory: Path | None = None) -> str:
        if template.idle:
            return template.idle.pop()
        return await self._await(self._create(database_name(template.url)))

    async def release(self, template: Template, url: str) -> None:
        await self._await(self._release(template, url))

    async def _release(self, template: Template, url: str) -> None:
        try:
            reusable = await self._reset(template, url)
        except Exception:  # whatever went wrong, a fresh copy is the safe answer
            reusable = False
        if reusable:
            template.idle.append(url)
        else:
            await self._drop(url)

    async def _reset(self, template: Template, url: str) -> bool:
        """Put ``url`` back into the state of ``template``; False when that cannot be done.

        The rows always; the schema only when the catalogs show that it may have changed (most tests
        change rows only): then tables and schemas the test added are dropped and the whole schema
        is compared with the template's.
        """
        connection = await self._connection(url)
        try:
            untouched = await _catalog_signature(connection) == self._signatures.get(url, template.signature)
            async with connection.transaction():
                statements = []
                if not untouched:
                    self.full_resets += 1
                    found = await connection.fetch(_SCHEMAS_AND_TABLES_SQL)
                    template_schemas = {t.split(".")[0].strip('"') for t in template.tables} | {"public"}
                    statements += [
                        f"DROP SCHEMA {_quote(r['schema'])} CASCADE"
                        for r in found
                        if r["tablename"] is None and r["schema"] not in template_schemas
                    ]
                    statements += [
                        f"DROP TABLE IF EXISTS {_table(r['schema'], r['tablename'])} CASCADE"
                        for r in found
                        if r["tablename"] is not None
                        and r["schema"] in template_schemas
                        and _table(r["schema"], r["tablename"]) not in template.tables
                    ]
                if statements:
                    await connection.execute(";\n".join(statements))
                # Only the tables that hold rows now, or held some in the template, are emptied (most of a
                # copy's hundred tables are empty: one question finds the others). Deleting row by row beats
                # TRUNCATE here (no new files to create and sync); with foreign-key triggers off, the order
                # of the tables does not matter.
                tables = sorted(template.tables)
                occupied = await connection.fetch(
                    " UNION ALL ".join(f"SELECT {n} WHERE EXISTS (SELECT FROM {table})" for n, table in enumerate(tables))
                )
                # the template's own rows are put back only where the test changed them
                digests = await _digests(connection, list(template.rows))
                refill = {table for table, digest in template.digests.items() if digests.get(table) != digest}
                emptied = {tables[row[0]] for row in occupied if tables[row[0]] not in template.rows} | refill
                statements = ["SET LOCAL session_replication_role = replica"]
                statements += [f"DELETE FROM {table}" for table in sorted(emptied)]
                statements += [
                    f"SELECT setval('{sequence.replace(chr(39), chr(39) * 2)}', {value}, {str(called).lower()})"
                    for sequence, (value, called) in template.sequences.items()
                ]
                await connection.execute(";\n".join(statements))
                for table, (columns, records) in template.rows.items():
                    if table not in refill:
                        continue
                    schema, name = (part.strip('"') for part in table.split(".", 1))
                    await connection.copy_records_to_table(name, schema_name=schema, columns=columns, records=records)
                # Anything the test changed that the above did not undo (a column added to a
                # kernel table, say) shows here; then the copy is dropped instead.
                if not untouched and await _fingerprint(connection) != template.fingerprint:
                    return False
            if not untouched:
                self._signatures[url] = await _catalog_signature(connection)
            return True
        except Exception:
            await self._forget(url)
            raise

    def finish(self) -> None:
        if self._loop is None:
            return
        try:
            self._run(self._finish())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._loop.close()
            self._loop = self._thread = None

    async def _finish(self) -> None:
        for url in list(self._connections):
            await self._forget(url)
        connection = await self._admin()
        try:
            names = [r[0] for r in await connection.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE 'meihao\\_test\\_%'"
            )]
            cutoff = time.time() - STALE_AFTER_SECONDS
            for name in names:
                if name.startswith(self.prefix + "_") or _is_stale(name, cutoff):
                    await connection.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
        finally:
            await connection.close()
            self._admin_connection = None
        self.created.clear()


def _is_stale(name: str, cutoff: float) -> bool:
    parts = name.split("_")
    try:
        return int(parts[2]) < cutoff
    except (IndexError, ValueError):
        return False
