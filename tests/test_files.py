"""Files meihao creates hold personal data: the SQLite database and its WAL are the owner's only (0600),
like the data key beside them (issue 11, finding 16)."""

from __future__ import annotations

import os
import stat

import pytest

from meihao.testing import Factories, boot_for_tests, settings_for_tests

pytestmark = pytest.mark.meihao_db("sqlite")


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    previous = os.umask(0o022)  # what most systems give: files 0644 unless made private
    yield
    os.umask(previous)


async def test_a_new_database_its_wal_and_shm_are_private(tmp_path, open_umask):
    database = tmp_path / "fresh.db"
    mh = boot_for_tests(settings_for_tests(database))
    assert not database.exists()  # booting alone writes nothing
    await mh.start()
    try:
        await mh.db.migrate()
        await Factories(mh).community("hepan")
        names = sorted(p.name for p in tmp_path.iterdir())
        assert {"fresh.db", "fresh.db-wal", "fresh.db-shm"} <= set(names), names
        for name in names:
            if name.startswith("fresh.db"):
                assert _mode(tmp_path / name) == 0o600, name
    finally:
        await mh.close()


async def test_an_existing_database_keeps_its_mode(tmp_path, open_umask):
    database = tmp_path / "kept.db"
    database.touch(mode=0o640)
    os.chmod(database, 0o640)
    mh = boot_for_tests(settings_for_tests(database))
    await mh.start()
    try:
        await mh.db.migrate()
    finally:
        await mh.close()
    assert _mode(database) == 0o640
