"""The test databases themselves: copies start as their template, on both backends; CI insists on PostgreSQL."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from meihao.tables import Community
from meihao.testing import choose_backends
from meihao.testing.databases import Template, database_name, postgres_admin_url


async def test_each_test_starts_on_a_migrated_empty_database(meihao, meihao_db_backend):
    assert meihao.db.is_sqlite == (meihao_db_backend.name == "sqlite")
    assert await meihao.db.pending_migrations() == []
    assert await Community.count() == 0
    await Community.insert(Community(slug="left-behind", name="留下的"))


async def test_nothing_of_the_previous_test_is_left(meihao):
    # Runs after the test above on the same backend; on PostgreSQL it may get the same
    # database back, reset.
    assert await Community.count() == 0


async def _server_databases() -> set[str]:
    connection = await asyncpg.connect(postgres_admin_url())
    try:
        return {r[0] for r in await connection.fetch("SELECT datname FROM pg_database")}
    finally:
        await connection.close()


@pytest.mark.meihao_db("postgresql")
async def test_a_released_postgresql_copy_is_reset_to_its_template(_meihao_template: Template):
    url = await _meihao_template.acquire()
    connection = await asyncpg.connect(url)
    try:
        migrations = await connection.fetchval("SELECT count(*) FROM migration")
        await connection.execute("INSERT INTO meihao_community (slug, name) VALUES ('x', 'X')")
        await connection.execute("CREATE TABLE plugin_leftover (id serial PRIMARY KEY)")
        await connection.execute("CREATE SCHEMA scheduler_leftover")
        await connection.execute("CREATE TABLE scheduler_leftover.jobs (id int)")
        await connection.execute("INSERT INTO migration (name, app_name) VALUES ('x', 'leftover')")
    finally:
        await connection.close()
    await _meihao_template.release(url)

    again = await _meihao_template.acquire()
    assert again == url  # reused, not copied again
    connection = await asyncpg.connect(again)
    try:
        assert await connection.fetchval("SELECT count(*) FROM meihao_community") == 0
        assert await connection.fetchval("SELECT count(*) FROM migration") == migrations
        assert await connection.fetchval("SELECT to_regclass('plugin_leftover')") is None
        assert await connection.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'scheduler_leftover'") == 0
        # the sequence starts where the template's does: ids are the same as on a fresh copy
        await connection.execute("INSERT INTO meihao_community (slug, name) VALUES ('y', 'Y')")
        assert await connection.fetchval("SELECT id FROM meihao_community") == 1
    finally:
        await connection.close()
    await _meihao_template.release(again)


@pytest.mark.meihao_db("postgresql")
async def test_a_copy_whose_kernel_table_changed_is_dropped_not_reused(_meihao_template: Template):
    url = await _meihao_template.acquire()
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("ALTER TABLE meihao_community ADD COLUMN changed_by_a_test text")
    finally:
        await connection.close()
    await _meihao_template.release(url)
    assert database_name(url) not in await _server_databases()
    fresh = await _meihao_template.acquire()
    assert fresh != url
    await _meihao_template.release(fresh)


@pytest.mark.meihao_db("postgresql")
async def test_a_copy_whose_rows_alone_changed_is_reset_without_comparing_its_schema(_meihao_template: Template):
    """Most tests change rows only: the catalogs are untouched, so the reset skips the schema's comparison
    (``full_resets`` does not move) and still leaves no row and no sequence position behind."""
    backend = _meihao_template.backend
    url = await _meihao_template.acquire()
    await _meihao_template.release(url)  # a copy checked once: the next reset of it starts from a known schema
    url = await _meihao_template.acquire()
    connection = await asyncpg.connect(url)
    try:
        migrations = await connection.fetchval("SELECT count(*) FROM migration")  # a table the template has rows in
        await connection.execute("DELETE FROM migration WHERE id = (SELECT min(id) FROM migration)")
        await connection.execute("INSERT INTO migration (name, app_name) VALUES ('x', 'leftover')")
        await connection.execute("INSERT INTO meihao_community (slug, name) VALUES ('a', 'A'), ('b', 'B')")
        await connection.execute("UPDATE meihao_community SET name = 'C' WHERE slug = 'a'")
        await connection.execute("DELETE FROM meihao_community WHERE slug = 'b'")
        await connection.execute("SELECT nextval(pg_get_serial_sequence('meihao_community', 'id'))")
    finally:
        await connection.close()
    full_resets = backend.full_resets
    await _meihao_template.release(url)
    assert backend.full_resets == full_resets

    again = await _meihao_template.acquire()
    assert again == url
    connection = await asyncpg.connect(again)
    try:
        assert await connection.fetchval("SELECT count(*) FROM meihao_community") == 0
        assert await connection.fetchval("SELECT count(*) FROM migration WHERE app_name = 'leftover'") == 0
        assert await connection.fetchval("SELECT count(*) FROM migration") == migrations
        await connection.execute("INSERT INTO meihao_community (slug, name) VALUES ('y', 'Y')")
        assert await connection.fetchval("SELECT id FROM meihao_community") == 1
    finally:
        await connection.close()
    await _meihao_template.release(again)


@pytest.mark.meihao_db("postgresql")
@pytest.mark.parametrize("change", [
    "ALTER TABLE meihao_community RENAME COLUMN name TO renamed_by_a_test",  # same row counts, a newer row version
    "ALTER TABLE meihao_community ALTER COLUMN name SET DEFAULT 'x'",
    "CREATE INDEX made_by_a_test ON meihao_community (name)",
])
async def test_a_copy_whose_schema_changed_in_place_is_compared_and_dropped(_meihao_template: Template, change: str):
    backend = _meihao_template.backend
    url = await _meihao_template.acquire()
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(change)
    finally:
        await connection.close()
    full_resets = backend.full_resets
    await _meihao_template.release(url)
    assert backend.full_resets == full_resets + 1
    assert database_name(url) not in await _server_databases()


@pytest.mark.meihao_db("sqlite")
async def test_sqlite_copies_are_files_of_their_own(_meihao_template: Template, tmp_path: Path):
    first, second = await _meihao_template.acquire(tmp_path), await _meihao_template.acquire(tmp_path)
    assert first != second
    assert Path(first.removeprefix("sqlite:///")).parent == tmp_path


# -- choosing the backends ---------------------------------------------------------------

SAMPLE = """
from meihao.tables import Community

async def test_sample(meihao, meihao_db_backend):
    assert await Community.count() == 0
    print("BACKEND", meihao_db_backend.name)
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pytest(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (folder / "test_sample.py").write_text(SAMPLE)
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "MEIHAO_TEST_DATABASES", "PYTEST_ADDOPTS")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", "-o", "asyncio_mode=auto", "-W", "ignore", *args, "test_sample.py"],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.meihao_db("postgresql")  # needs a server to compare against
def test_both_backends_by_default_and_the_run_drops_its_databases(tmp_path, meihao_db_backend):
    result = _pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert "BACKEND sqlite" in result.stdout and "BACKEND postgresql" in result.stdout
    prefix = re.search(r"databases (meihao_test_\w+?)_\*", result.stdout).group(1)
    import asyncio

    assert not [name for name in asyncio.run(_server_databases()) if name.startswith(prefix)]


def test_ci_fails_loudly_when_postgresql_does_not_answer(tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/postgres"
    result = _pytest(tmp_path, CI="true", MEIHAO_TEST_POSTGRES_URL=url)
    assert result.returncode == 4, result.stdout + result.stderr  # a usage error: nothing ran
    assert "CI=true" in result.stderr and "does not answer" in result.stderr


def test_without_ci_a_missing_postgresql_means_sqlite_only():
    environ = {"MEIHAO_TEST_POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{_closed_port()}/postgres"}
    assert choose_backends(None, environ) == ["sqlite"]
    assert choose_backends(None, {**environ, "CI": "false"}) == ["sqlite"]


def test_asking_for_postgresql_that_does_not_answer_is_an_error():
    environ = {"MEIHAO_TEST_POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{_closed_port()}/postgres"}
    with pytest.raises(pytest.UsageError, match="PostgreSQL was asked for but does not answer"):
        choose_backends("sqlite,postgresql", environ)
    with pytest.raises(pytest.UsageError, match="PostgreSQL was asked for"):
        choose_backends(None, {**environ, "MEIHAO_TEST_DATABASES": "postgresql"})
    assert choose_backends("sqlite", {**environ, "CI": "true"}) == ["sqlite"]  # an explicit choice wins


def test_the_choice_can_be_narrowed_and_names_are_checked():
    assert choose_backends("sqlite", {}) == ["sqlite"]
    assert choose_backends(None, {"MEIHAO_TEST_DATABASES": " SQLite "}) == ["sqlite"]
    with pytest.raises(pytest.UsageError, match="unknown backend 'mysql'"):
        choose_backends("mysql", {})


@pytest.mark.meihao_db("postgresql")  # only where a server answers
def test_both_by_default_when_postgresql_answers(meihao_db_backend):
    assert choose_backends(None, {"MEIHAO_TEST_POSTGRES_URL": postgres_admin_url()}) == ["sqlite", "postgresql"]
    assert choose_backends("postgres", {}) == ["postgresql"]
