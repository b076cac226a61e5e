"""meihao backup / restore: round trips on SQLite and PostgreSQL, the data key check, a database in use, the audit log."""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import date, datetime, timedelta, timezone

import msgspec
import pytest

from meihao.access.principals import SYSTEM
from meihao.access.tables import AuditLog
from meihao.errors import InvalidInput, MeihaoError
from meihao.operations.backup import MAGIC, backup, key_fingerprint, read_header, restore
from meihao.register.residents import reveal
from meihao.scheduling.tables import Node
from meihao.tables import Resident
from meihao.testing import Factories

from .commands import run

#: A Fernet key written out, so its fingerprint is a literal.
KEY = "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="
OTHER_KEY = "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI="
ID_CARD = "370125198003151238"


def test_fingerprint_is_a_digest_of_the_key_never_the_key():
    assert key_fingerprint(KEY) == "1dec80c125807ae3"
    assert key_fingerprint(OTHER_KEY) == "4e8c002a40e05bfb"
    with pytest.raises(MeihaoError, match="no MEIHAO_DATA_KEY"):
        key_fingerprint("")


async def _world(mh):
    f = Factories(mh)
    place = await f.place("alpha")
    return await f.resident(place["household_id"], name="赵大海", birth_date=date(1980, 3, 15), gender="male", id_card=ID_CARD)


async def test_round_trip_brings_back_the_data_and_encrypted_id_numbers(meihao, tmp_path):
    resident = await _world(meihao)
    file = tmp_path / "meihao.backup"
    info = await backup(meihao, file)
    assert info.backend == ("sqlite" if meihao.settings.is_sqlite else "postgresql")
    assert info.key_fingerprint == key_fingerprint(meihao.settings.data_key)
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    assert file.read_bytes().startswith(MAGIC)
    assert meihao.settings.data_key.encode() not in file.read_bytes()
    # Changes after the backup: a rename, a second resident. The restore undoes both.
    await Resident.update({Resident.name: "改过的名字"}).where(Resident.id == resident["id"])
    await Factories(meihao).resident(name="后来的人")
    restored = await restore(meihao, file)
    assert restored.created_at == info.created_at
    rows = await Resident.select(Resident.name).order_by(Resident.id)
    assert rows == [{"name": "赵大海"}]
    assert await reveal(meihao, resident["id"], "id_card", "备份恢复后核对身份证号", SYSTEM) == ID_CARD
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action).order_by(AuditLog.id)]
    # The backup's own record is inside it; the restore's is written after.
    assert actions[-3:] == ["database.backup", "database.restore", "resident.reveal"]
    entry = await AuditLog.select().where(AuditLog.action == "database.restore").first()
    assert entry["actor"].startswith("cli:")


async def test_a_backup_made_with_another_key_is_refused_and_nothing_changes(meihao, tmp_path):
    resident = await _world(meihao)
    file = tmp_path / "meihao.backup"
    await backup(meihao, file)
    await Resident.update({Resident.name: "恢复前"}).where(Resident.id == resident["id"])
    own = meihao.settings
    meihao.settings = msgspec.structs.replace(own, data_key=OTHER_KEY)
    try:
        with pytest.raises(InvalidInput) as refused:
            await restore(meihao, file)
    finally:
        meihao.settings = own
    assert refused.value.message == (
        f"{file} was made with another data key (fingerprint {key_fingerprint(own.data_key)}; MEIHAO_DATA_KEY has 4e8c002a40e05bfb): "
        "nothing was restored"
    )
    assert "\n" not in refused.value.message
    assert await Resident.select(Resident.name).where(Resident.id == resident["id"]).first() == {"name": "恢复前"}
    assert await AuditLog.count().where(AuditLog.action == "database.restore") == 0


async def test_a_database_in_use_is_restored_only_with_force(meihao, tmp_path):
    await _world(meihao)
    file = tmp_path / "meihao.backup"
    await backup(meihao, file)
    now = datetime.now(timezone.utc)
    # A node that beat 5 s ago is alive (timeout 60 s); one silent for 61 s is not.
    await Node.insert(
        Node(node_id="web-1", role="web", host="host-a", pid=4242, boot="b1", last_seen=now - timedelta(seconds=5)),
        Node(node_id="web-2", role="web", host="host-b", pid=4343, boot="b2", last_seen=now - timedelta(seconds=61)),
    )
    with pytest.raises(MeihaoError) as refused:
        await restore(meihao, file)
    assert refused.value.message == (
        f"{meihao.db.describe()} is in use by 1 live node(s): web-1 (pid 4242 on host-a); stop them first, or pass --force: nothing was restored"
    )
    assert await Node.count() == 2  # nothing restored (the backup has no nodes)
    await restore(meihao, file, force=True)
    assert await Node.count() == 0
    entry = await AuditLog.select(AuditLog.detail).where(AuditLog.action == "database.restore").first()
    detail = entry["detail"] if isinstance(entry["detail"], dict) else msgspec.json.decode(entry["detail"])
    assert detail["forced"] is True


async def test_not_a_backup_and_another_backend_are_one_line(meihao, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello")
    with pytest.raises(InvalidInput, match="is not a meihao backup"):
        await restore(meihao, junk)
    with pytest.raises(InvalidInput, match="no such file"):
        await restore(meihao, tmp_path / "missing.backup")
    other = "postgresql" if meihao.settings.is_sqlite else "sqlite"
    forged = tmp_path / "other.backup"
    header = {"backend": other, "key_fingerprint": key_fingerprint(meihao.settings.data_key), "created_at": "x", "meihao_version": "x", "database": "x"}
    forged.write_bytes(MAGIC + msgspec.json.encode(header) + b"\npayload")
    assert read_header(forged).backend == other
    with pytest.raises(InvalidInput) as refused:
        await restore(meihao, forged)
    mine = "sqlite" if meihao.settings.is_sqlite else "postgresql"
    assert refused.value.message == f"{forged} is a {other} backup; the configured database is {mine}: nothing was restored"


async def test_backup_never_overwrites_a_file(meihao, tmp_path):
    file = tmp_path / "exists.backup"
    file.write_text("keep me")
    with pytest.raises(InvalidInput) as refused:
        await backup(meihao, file)
    assert refused.value.message == f"{file} exists; choose another file name (a backup never overwrites one)"
    assert file.read_text() == "keep me"


@pytest.mark.meihao_db("postgresql")
async def test_missing_postgresql_tools_are_one_clear_line(meihao, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MeihaoError) as refused:
        await backup(meihao, tmp_path / "x.backup")
    assert refused.value.message == (
        "pg_dump not found on PATH: install the PostgreSQL client tools of the server's major version (Debian: apt install postgresql-client)"
    )
    assert not (tmp_path / "x.backup").exists()


def test_cli_backup_and_restore_with_a_wrong_key(tmp_path):
    env = {"MEIHAO_DATABASE_URL": f"sqlite:///{tmp_path / 'meihao.db'}", "MEIHAO_DATA_KEY": KEY}
    assert run(tmp_path, "migrate", **env).returncode == 0
    made = run(tmp_path, "backup", "one.backup", **env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"backed up {tmp_path / 'meihao.db'} to one.backup (")
    assert made.stdout.rstrip().endswith("data key 1dec80c125807ae3)")
    again = run(tmp_path, "backup", "one.backup", **env)
    assert again.returncode == 1
    assert again.stderr == "Error: one.backup exists; choose another file name (a backup never overwrites one)\n"
    wrong = run(tmp_path, "restore", "one.backup", **{**env, "MEIHAO_DATA_KEY": OTHER_KEY})
    assert wrong.returncode == 1
    assert wrong.stderr == (
        "Error: one.backup was made with another data key (fingerprint 1dec80c125807ae3; MEIHAO_DATA_KEY has 4e8c002a40e05bfb): "
        "nothing was restored\n"
    )
    done = run(tmp_path, "restore", "one.backup", **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"restored {tmp_path / 'meihao.db'} from one.backup (made ")
    # into a new, empty database: no migration needed first, nothing pending after
    fresh = {**env, "MEIHAO_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    into_new = run(tmp_path, "restore", "one.backup", **fresh)
    assert into_new.returncode == 0, into_new.stderr
    assert run(tmp_path, "migrate", **fresh).stdout == f"Nothing to migrate in {tmp_path / 'fresh.db'}.\n"


@pytest.mark.meihao_db("sqlite")
async def test_a_sqlite_backup_is_one_snapshot_while_another_process_writes(meihao, tmp_path):
    """A writer commits a row every few milliseconds during the backup: the copy holds a whole prefix of them, intact."""
    import sqlite3
    import threading
    import time

    await _world(meihao)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        connection = sqlite3.connect(meihao.settings.sqlite_path, timeout=30, isolation_level=None)
        connection.execute("CREATE TABLE IF NOT EXISTS load_probe (n INTEGER PRIMARY KEY)")
        n = 0
        while not stop.is_set():
            n += 1
            connection.execute("INSERT INTO load_probe (n) VALUES (?)", (n,))
            written.append(n)
            time.sleep(0.002)  # a busy node: hundreds of commits a second
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 50:
            await asyncio.sleep(0.01)
        await backup(meihao, tmp_path / "busy.backup")
        after = len(written)
        while len(written) < after + 20:
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        thread.join()
    await restore(meihao, tmp_path / "busy.backup", force=True)
    connection = sqlite3.connect(meihao.settings.sqlite_path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        numbers = [n for (n,) in connection.execute("SELECT n FROM load_probe ORDER BY n")]
    finally:
        connection.close()
    assert len(numbers) >= 50
    assert numbers == list(range(1, len(numbers) + 1))  # a prefix: no gap, nothing half-written
    assert len(numbers) < len(written)  # the writer went on after the snapshot


@pytest.mark.meihao_db("postgresql")
async def test_cli_round_trip_on_postgresql(meihao, tmp_path):
    """The commands drive pg_dump and pg_restore against the configured URL (a throwaway database of this run)."""
    resident = await _world(meihao)
    env = {"MEIHAO_DATABASE_URL": meihao.settings.database_url, "MEIHAO_DATA_KEY": meihao.settings.data_key}
    made = await asyncio.to_thread(run, tmp_path, "backup", "pg.backup", **env)
    assert made.returncode == 0, made.stderr
    assert read_header(tmp_path / "pg.backup").backend == "postgresql"
    await Resident.delete().where(Resident.id == resident["id"])
    restored = await asyncio.to_thread(run, tmp_path, "restore", "pg.backup", **env)
    assert restored.returncode == 0, restored.stderr
    assert await Resident.select(Resident.name).where(Resident.id == resident["id"]).first() == {"name": "赵大海"}
    assert await reveal(meihao, resident["id"], "id_card", "备份恢复后核对身份证号", SYSTEM) == ID_CARD
