"""A private, throwaway PostgreSQL server for tests that stop or restart it (the shared one at :5432 must never be).

The fixture ``private_postgres`` runs ``initdb`` into a fresh temporary folder and starts the
server with ``pg_ctl`` on a free loopback port, trust authentication only, with one
database (``meihao``) in it. Tests call :meth:`PostgresInstance.restart`, ``stop`` and
``start``; the server is stopped and its folder removed when the test ends, whatever happened.

PostgreSQL refuses to run as root: when the tests run as root, its programs run as the
``postgres`` system user (``runuser``), and the folder belongs to that user.

Without PostgreSQL's server programs the tests that need one are skipped, except under
``CI=true``, where they fail (the same policy as meihao.testing for the shared server).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.receivers import free_port

#: The server's settings: a small, fast, disposable server (nothing here must survive a crash).
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "shared_buffers": "'32MB'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "log_min_messages": "'warning'",
}
PROGRAMS = ("initdb", "pg_ctl", "postgres", "psql")
#: How long pg_ctl may wait for a start or a stop, in seconds (the machine is shared and slow).
PG_CTL_WAIT = 60


def postgres_bindir() -> Path | None:
    """The folder with PostgreSQL's server programs: ``pg_config --bindir``, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True).stdout
            candidates.append(Path(out.strip()))
        except (OSError, subprocess.SubprocessError):
            pass

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if all((folder / program).is_file() for program in PROGRAMS):
            return folder
    return None


def _in_ci(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("CI", "").lower() in ("1", "true", "yes")


def why_unavailable() -> str | None:
    """None when a private server can be run here; otherwise why not, in one line."""
    if postgres_bindir() is None:
        return "PostgreSQL's server programs (initdb, pg_ctl, postgres) are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no 'postgres' user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root, and runuser is missing (needed to run the server as 'postgres')"
    return None


class PostgresInstance:
    """One private PostgreSQL server in ``folder``, listening on 127.0.0.1:``port``."""

    def __init__(self, bindir: Path, folder: Path) -> None:
        self.bindir = bindir
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.port = 0
        self.database = "meihao"
        self._as_postgres = os.geteuid() == 0

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        """The URL of the test database ``meihao`` on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, program: str, *args: str, timeout: float = PG_CTL_WAIT + 30) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.folder)
        if result.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}\n{self.log_tail()}")
        return result

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "server log:\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def create(self) -> None:
        """initdb, a free port, start, and the test database."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
        for attempt in range(3):
            # Another process may take the port between our probe and the server's bind: try another.
            self.port = free_port()
            settings = {**SERVER_SETTINGS, "port": str(self.port), "unix_socket_directories": f"'{self.folder}'"}
            with (self.data / "postgresql.auto.conf").open("a") as conf:
                conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
            try:
                self.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        self.psql(f'CREATE DATABASE "{self.database}"')

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._run("psql", "-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                         "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql, timeout=60).stdout

    def start(self) -> None:
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(PG_CTL_WAIT))

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``fast`` (the default) ends every session at once and rolls back their transactions."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", str(PG_CTL_WAIT))

    def restart(self, mode: str = "fast") -> None:
        """Stop (``fast``: connections are cut) and start again on the same port and data."""
        self._run("pg_ctl", "restart", "-D", str(self.data), "-l", str(self.log), "-m", mode, "-w", "-t", str(PG_CTL_WAIT))

    def is_running(self) -> bool:
        command = [str(self.bindir / "pg_ctl"), "status", "-D", str(self.data)]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0

    def destroy(self) -> None:
        """Stop the server however it can be stopped, and remove its folder."""
        try:
            if self.data.exists() and self.is_running():
                self.stop("immediate")
        except (RuntimeError, OSError, subprocess.SubprocessError):
            self._kill_postmaster()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)  # the postmaster this instance started, by its id
        except (OSError, ValueError, IndexError):
            pass


@pytest.fixture
def private_postgres() -> Iterator[PostgresInstance]:
    """A private PostgreSQL server for this test only: restart it, stop it; it is removed afterwards."""
    problem = why_unavailable()
    if problem is not None:
        if _in_ci():
            pytest.fail(f"CI=true: this test needs a private PostgreSQL server, but {problem}")
        pytest.skip(f"needs a private PostgreSQL server: {problem}")
    bindir = postgres_bindir()
    assert bindir is not None
    folder = Path(tempfile.mkdtemp(prefix="meihao-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    instance = PostgresInstance(bindir, folder)
    try:
        instance.create()
        yield instance
    finally:
        instance.destroy()
