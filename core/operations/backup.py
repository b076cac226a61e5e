"""``meihao backup FILE`` and ``meihao restore FILE``: one file per backup, on SQLite and on PostgreSQL.

A backup file is a short header and the database's own dump after it::

    MEIHAO-BACKUP 1\\n
    {"backend": "sqlite", "key_fingerprint": "…", "created_at": "…", "meihao_version": "…", "database": "…"}\\n
    <payload>

The payload is, on SQLite, a copy of the database file made with SQLite's online backup API
(consistent while nodes keep serving and writing: the copy is one snapshot); on PostgreSQL the
output of ``pg_dump --format=custom``. ``key_fingerprint`` names the data key
(``MEIHAO_DATA_KEY``) the encrypted ID-card numbers in it need; it is a one-way digest, never
the key. A restore checks the header before it touches anything: another backend or another
key is one line and no change. It refuses a database that a live node is using (its
heartbeat is within ``node_timeout_seconds``) unless ``force``, replaces the whole database
(SQLite: page by page through the backup API; PostgreSQL: ``pg_restore --clean`` in one
transaction), and writes ``database.restore`` to the audit log of the restored database.
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.errors import ConfigurationError, InvalidInput, MeihaoError
from meihao.scheduling.nodes import list_nodes
from meihao.version import __version__

if TYPE_CHECKING:
    from meihao.runtime import Meihao

MAGIC = b"MEIHAO-BACKUP 1\n"
#: The header line is short; a longer one means the file is not a meihao backup.
MAX_HEADER = 4096
PG_TOOLS_HINT = "install the PostgreSQL client tools of the server's major version (Debian: apt install postgresql-client)"


def key_fingerprint(data_key: str) -> str:
    """A one-way digest naming a data key (16 hex characters); the key cannot be recovered from it."""
    if not data_key:
        raise ConfigurationError("no MEIHAO_DATA_KEY was loaded: a backup records which data key it needs", field="data_key")
    return hashlib.sha256(b"meihao data key fingerprint\x00" + data_key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BackupInfo:
    backend: str
    key_fingerprint: str
    created_at: str
    meihao_version: str
    database: str
    size: int = 0


def _backend(mh: Meihao) -> str:
    return "sqlite" if mh.settings.is_sqlite else "postgresql"


def _principal() -> Principal:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment (a container without /etc/passwd entry)
        user = "?"
    return Principal.system(f"cli:{user}"[:100])


# -- backup -------------------------------------------------------------------------------


async def backup(mh: Meihao, file: Path, *, overwrite: bool = False) -> BackupInfo:
    """Write a backup of the configured database to ``file`` (mode 0600: it holds personal data)."""
    file = Path(file)
    if file.exists() and not overwrite:
        raise InvalidInput(f"{file} exists; choose another file name (a backup never overwrites one)", field="file")
    if not file.parent.is_dir():
        raise InvalidInput(f"{file.parent} is not a folder", field="file")
    info = BackupInfo(
        backend=_backend(mh),
        key_fingerprint=key_fingerprint(mh.settings.data_key),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        meihao_version=__version__,
        database=mh.db.describe(),
    )
    # Recorded first, so that the backup carries the record of its own making.
    await audit(_principal(), "database.backup", "database", "", detail={"file": str(file), "key_fingerprint": info.key_fingerprint})
    fd, tmp_name = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o600)
    payload = tmp.with_name(tmp.name + ".payload")
    try:
        if info.backend == "sqlite":
            await asyncio.to_thread(_sqlite_copy, mh.settings.sqlite_path, payload)
        else:
            await asyncio.to_thread(_pg_dump, mh.settings.database_url, payload)
        with open(tmp, "wb") as out, open(payload, "rb") as data:
            out.write(MAGIC)
            out.write(json.dumps(_header(info), ensure_ascii=False).encode() + b"\n")
            shutil.copyfileobj(data, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, file)
    finally:
        tmp.unlink(missing_ok=True)
        payload.unlink(missing_ok=True)
    return BackupInfo(**{**_header(info), "size": file.stat().st_size})


def _header(info: BackupInfo) -> dict[str, Any]:
    return {
        "backend": info.backend,
        "key_fingerprint": info.key_fingerprint,
        "created_at": info.created_at,
        "meihao_version": info.meihao_version,
        "database": info.database,
    }


def _sqlite_copy(source: Path, target: Path) -> None:
    """One consistent snapshot of a live SQLite database (the online backup API, all pages in one step)."""
    if not source.exists():
        raise MeihaoError(f"there is no database at {source}")
    # Opened read-write (a read-only connection cannot always open a WAL database); the backup only reads it.
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            os.chmod(target, 0o600)
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no WAL beside it
        finally:
            dst.close()
    finally:
        src.close()


# -- the PostgreSQL tools ----------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MeihaoError(f"{name} not found on PATH: {PG_TOOLS_HINT}")
    return path


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password (kept out of the process list) and the environment carrying it."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = parts.password
        netloc = parts.netloc.rpartition("@")[2]
        user = parts.username or ""
        parts = parts._replace(netloc=f"{user}@{netloc}" if user else netloc)
    return urlunsplit(parts._replace(scheme="postgresql")), env


def _run_tool(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise MeihaoError(f"{what} failed: {lines[0] if lines else f'exit status {result.returncode}'}")


def _pg_dump(url: str, target: Path) -> None:
    dsn, env = _libpq(url)
    _run_tool([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", f"--dbname={dsn}"], env, "pg_dump")


def _pg_restore(url: str, source: Path) -> None:
    dsn, env = _libpq(url)
    _run_tool(
        [
            _tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
            "--exit-on-error", f"--dbname={dsn}", str(source),
        ],
        env,
        "pg_restore",
    )


# -- restore --------------------------------------------------------------------------------


def read_header(file: Path) -> BackupInfo:
    """The header of a backup file; one clear error when it is not one."""
    file = Path(file)
    if not file.is_file():
        raise InvalidInput(f"{file}: no such file", field="file")
    with open(file, "rb") as stream:
        if stream.read(len(MAGIC)) != MAGIC:
            raise InvalidInput(f"{file} is not a meihao backup (made by `meihao backup`)", field="file")
        line = stream.readline(MAX_HEADER)
    try:
        header = json.loads(line)
        return BackupInfo(**{k: str(header[k]) for k in ("backend", "key_fingerprint", "created_at", "meihao_version", "database")})
    except (ValueError, KeyError, TypeError) as err:
        raise InvalidInput(f"{file}: the backup's header is damaged", field="file") from err


def _payload_offset(file: Path) -> int:
    with open(file, "rb") as stream:
        stream.read(len(MAGIC))
        stream.readline(MAX_HEADER)
        return stream.tell()


async def database_in_use(mh: Meihao) -> list[str]:
    """The live nodes (a heartbeat within ``node_timeout_seconds``, not stopped) using the database."""
    try:
        nodes = await list_nodes(mh)
    except Exception:  # a new, empty database: no node table, nobody uses it
        return []
    return [f"{n['node_id']} (pid {n['pid']} on {n['host']})" for n in nodes if n["alive"]]


async def restore(mh: Meihao, file: Path, *, force: bool = False) -> BackupInfo:
    """Replace the configured database with the backup in ``file``; nothing changes unless every check passes."""
    file = Path(file)
    info = read_header(file)
    backend = _backend(mh)
    if info.backend != backend:
        raise InvalidInput(f"{file} is a {info.backend} backup; the configured database is {backend}: nothing was restored", field="file")
    expected = key_fingerprint(mh.settings.data_key)
    if info.key_fingerprint != expected:
        raise InvalidInput(
            f"{file} was made with another data key (fingerprint {info.key_fingerprint}; MEIHAO_DATA_KEY has {expected}): "
            "nothing was restored",
            field="data_key",
        )
    users = await database_in_use(mh)
    if users and not force:
        raise MeihaoError(
            f"{mh.db.describe()} is in use by {len(users)} live node(s): {', '.join(users)}; "
            "stop them first, or pass --force: nothing was restored"
        )
    target_dir = mh.settings.sqlite_path.parent if backend == "sqlite" else file.parent
    fd, payload_name = tempfile.mkstemp(prefix=".meihao-restore-", dir=target_dir)
    os.close(fd)
    payload = Path(payload_name)
    os.chmod(payload, 0o600)
    try:
        with open(file, "rb") as stream, open(payload, "wb") as out:
            stream.seek(_payload_offset(file))
            shutil.copyfileobj(stream, out, 1 << 20)
        if backend == "sqlite":
            await asyncio.to_thread(_sqlite_check, payload, file)
            await asyncio.to_thread(_sqlite_restore, payload, mh.settings.sqlite_path)
        else:
            await asyncio.to_thread(_pg_restore, mh.settings.database_url, payload)
    finally:
        payload.unlink(missing_ok=True)
    await audit(
        _principal(), "database.restore", "database", "",
        detail={"file": str(file), "key_fingerprint": info.key_fingerprint, "backup_created_at": info.created_at, "forced": bool(users)},
    )
    return BackupInfo(**{**_header(info), "size": file.stat().st_size})


def _sqlite_check(payload: Path, file: Path) -> None:
    try:
        connection = sqlite3.connect(f"{payload.resolve().as_uri()}?mode=ro", uri=True)
        try:
            ok = connection.execute("PRAGMA quick_check").fetchone()[0]
            has_register = connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'meihao_resident'").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as err:
        raise InvalidInput(f"{file}: the backup is damaged ({err}): nothing was restored", field="file") from err
    if ok != "ok" or not has_register:
        raise InvalidInput(f"{file}: the backup is damaged or not a meihao database: nothing was restored", field="file")


def _sqlite_restore(payload: Path, target: Path) -> None:
    """Copy the backup into the live file page by page (the backup API): connected processes see the restored data."""
    src = sqlite3.connect(f"{payload.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            os.chmod(target, 0o600)
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
