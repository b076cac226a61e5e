"""Nodes: every running process of an installation registers under a stable name and says it is alive.

A cluster is several nodes sharing one PostgreSQL: web nodes serve the API, scheduler
nodes run plugins' jobs and deliver reminders, and a node with the role ``both`` does
everything (embedded mode, on SQLite or PostgreSQL). Each node has a stable name
(``MEIHAO_NODE_ID``; default ``<host>-<role>[-<port>]``), which is also the scheduler's
identity in APScheduler's data store, so leases held by a node that restarts carry its
name. A name belongs to one live process: a second process starting with the name of a
node that wrote a heartbeat within ``node_timeout_seconds`` (and did not stop cleanly)
is refused with one line — unless that holder is known dead without waiting for the
timeout: its pid is not alive on this host (a process killed with SIGKILL and restarted at
once by systemd), or, on SQLite, the node's lock file beside the database is free (each
node holds an ``flock`` on it while it runs, which the kernel releases when the process
dies, in whatever container). ``meihao doctor`` and ``meihao nodes`` read this table to say
which nodes run and whether any of them runs the scheduler, with the same test: a dead
local pid is never called alive.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from piccolo.querystring import QueryString

from meihao.config import SCHEDULER_ROLES, Settings
from meihao.errors import ConfigurationError
from meihao.scheduling.tables import Node
from meihao.version import __version__

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.nodes")


def _utcnow() -> datetime:
    # Heartbeats are wall-clock facts about processes, never the (possibly fake) scenario clock.
    return datetime.now(timezone.utc)


#: The boots of the registrations this process holds now: a row with this process's pid and
#: another boot was written by an earlier process that had the same pid (a container's pid 1
#: restarted), not by a live one.
_HELD_BOOTS: set[str] = set()


#: How much later than its node row a process with the row's pid must have started to be another program.
PID_REUSE_SLACK = timedelta(seconds=30)


def _process_started_at(pid: int) -> datetime | None:
    """When process ``pid`` started (Linux ``/proc``), or None when that cannot be told."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        with open("/proc/stat", "rb") as f:
            btime = next(int(line.split()[1]) for line in f if line.startswith(b"btime "))
        ticks = int(stat[stat.rindex(b")") + 2 :].split()[19])  # field 22, starttime, counted after "(comm)"
        return datetime.fromtimestamp(btime + ticks / os.sysconf("SC_CLK_TCK"), timezone.utc)
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _pid_state(pid: int) -> str | None:
    """The one-letter state of process ``pid`` on Linux (``Z`` zombie, ``X`` dead), or None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2 :].split()[0].decode()
    except (OSError, ValueError, IndexError):
        return None


def local_holder_dead(row: dict[str, Any]) -> bool:
    """True when the process recorded in a node row is certainly not running: the row is from
    this host and its pid is not alive here, is a zombie, is this very process under another
    boot (an earlier incarnation with the same pid), or belongs to a process that started after
    the row did (the pid was reused). A row from another host is never judged here."""
    if row["host"] != socket.gethostname()[:255]:
        return False
    pid = row["pid"]
    if pid <= 0:
        return False
    if pid == os.getpid():
        return row["boot"] not in _HELD_BOOTS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, run by another user
        pass
    if _pid_state(pid) in ("Z", "X"):
        return True  # killed, not yet reaped by its parent
    started = _process_started_at(pid)
    # /proc's start time counts from the boot time in wall-clock seconds: ticks round it, and a
    # clock stepped since boot (NTP) shifts it. The slack keeps a live holder from ever looking
    # younger than its row; a pid reused later than that (after a reboot, typically) is told apart.
    return started is not None and started > row["started_at"] + PID_REUSE_SLACK


def node_lock_path(settings: Settings, node_id: str) -> str | None:
    """On SQLite, the file a node holds an ``flock`` on while it runs (beside the database); None on PostgreSQL."""
    if not settings.is_sqlite:
        return None
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in node_id)
    return f"{settings.sqlite_path}.node-{safe}.lock"


def _try_lock(path: str) -> int | None:
    """An open descriptor holding an exclusive ``flock`` on ``path``, or None when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _lock_free(path: str) -> bool:
    """True when the node's lock file exists (its holder ran with one) and nobody holds it (that holder died)."""
    if not os.path.exists(path):
        return False
    fd = _try_lock(path)
    if fd is None:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    return True


class NodeRegistration:
    """This process as a node: :meth:`start` claims the name, a task beats, :meth:`stop` marks it stopped."""

    def __init__(
        self, mh: Meihao, *, port: int | None = None, role: str | None = None, on_lost: Callable[[], None] | None = None
    ) -> None:
        self.mh = mh
        #: Called when another process has taken this node's name over (this one was presumed
        #: dead): ``meihao serve`` and ``meihao worker`` stop, so that two processes never run
        #: the scheduler under one identity.
        self.on_lost = on_lost
        self.role = role or mh.settings.role
        # The default name says the role registered here, also when it differs from the settings' role.
        self.node_id = mh.settings.default_node_id(port, self.role)
        self.boot = secrets.token_hex(8)
        self._task: asyncio.Task[None] | None = None
        #: True while the name is held by this process (False after another process took it over).
        self.holding = False
        #: On SQLite, the descriptor holding this node's lock file while it runs.
        self._lock_fd: int | None = None

    async def start(self) -> None:
        """Claim the node name; refuse when a live process holds it. Then beat in the background."""
        lock_path = node_lock_path(self.mh.settings, self.node_id)
        if lock_path is not None:
            try:
                self._lock_fd = _try_lock(lock_path)
            except OSError as err:
                log.warning("node %s: cannot open its lock file %s (%s); judging the holder by pid and heartbeat", self.node_id, lock_path, err)
        try:
            await self._claim()
        except BaseException:
            self._unlock()
            raise
        self.holding = True
        _HELD_BOOTS.add(self.boot)
        log.info("node %s (%s) started", self.node_id, self.role)
        self._task = asyncio.create_task(self._beat(), name=f"meihao node {self.node_id} heartbeat")

    async def _claim(self) -> None:
        now = _utcnow()
        # what this process writes into the row it claims, in the columns' order below
        claim = (self.role, socket.gethostname()[:255], os.getpid(), __version__, self.boot, now, now)
        inserted = await self._run(
            'INSERT INTO "meihao_node" ("node_id", "role", "host", "pid", "version", "boot", "started_at", "last_seen", "stopped_at") '
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, NULL) "
            'ON CONFLICT ("node_id") DO NOTHING RETURNING "id"',
            self.node_id, *claim,
        )
        if not inserted:
            cutoff = now - timedelta(seconds=self.mh.settings.node_timeout_seconds)
            taken = await self._run(
                'UPDATE "meihao_node" SET "role" = {}, "host" = {}, "pid" = {}, "version" = {}, "boot" = {}, '
                '"started_at" = {}, "last_seen" = {}, "stopped_at" = NULL '
                'WHERE "node_id" = {} AND ("stopped_at" IS NOT NULL OR "last_seen" < {}) RETURNING "id"',
                *claim, self.node_id, cutoff,
            )
            holder = None if taken else await Node.select().where(Node.node_id == self.node_id).first()
            if holder is not None and (self._lock_fd is not None or local_holder_dead(holder)):
                # The holder died without stopping (SIGKILL, out of memory): on SQLite its lock
                # file is free; elsewhere its pid is gone from this host. Take the name at once,
                # from that holder only (a third process may have been faster).
                reason = "its lock file is free" if self._lock_fd is not None else "that pid is not alive on this host"
                taken = await self._run(
                    'UPDATE "meihao_node" SET "role" = {}, "host" = {}, "pid" = {}, "version" = {}, "boot" = {}, '
                    '"started_at" = {}, "last_seen" = {}, "stopped_at" = NULL '
                    'WHERE "node_id" = {} AND "boot" = {} RETURNING "id"',
                    *claim, self.node_id, holder["boot"],
                )
                if taken:
                    log.warning(
                        "node %s: took the name over from pid %s on %s, which died without stopping (%s)",
                        self.node_id, holder["pid"], holder["host"], reason,
                    )
                else:
                    holder = await Node.select().where(Node.node_id == self.node_id).first()
            if not taken:
                seen = (now - holder["last_seen"]).total_seconds() if holder else 0.0
                raise ConfigurationError(
                    f"node id {self.node_id!r} is in use by pid {holder['pid'] if holder else '?'} on "
                    f"{holder['host'] if holder else '?'} (alive {seen:.0f} s ago); give each node its own "
                    "MEIHAO_NODE_ID, or stop the other process",
                    field="node_id",
                )

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self.holding:
            self.holding = False
            _HELD_BOOTS.discard(self.boot)
            try:
                await Node.update({Node.stopped_at: _utcnow()}).where((Node.node_id == self.node_id) & (Node.boot == self.boot))
            except Exception:  # the database may be gone while stopping; the timeout says the rest
                log.warning("node %s: could not record its stop", self.node_id, exc_info=True)
        self._unlock()

    async def beat(self) -> bool:
        """Write one heartbeat; False when another process has taken the name over (this one was presumed dead)."""
        rows = await Node.update({Node.last_seen: _utcnow()}).where(
            (Node.node_id == self.node_id) & (Node.boot == self.boot)
        ).returning(Node.id)
        return bool(rows)

    async def _beat(self) -> None:
        interval = self.mh.settings.node_heartbeat_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                if not await self.beat() and self.holding:
                    self.holding = False
                    _HELD_BOOTS.discard(self.boot)
                    self._unlock()
                    log.error(
                        "node %s: another process took this node's name over (this one was silent for over %g s)%s",
                        self.node_id, self.mh.settings.node_timeout_seconds, "; stopping" if self.on_lost else "",
                    )
                    if self.on_lost is not None:
                        self.on_lost()
            except Exception:  # a database restart: the next beat tries again
                log.warning("node %s: heartbeat failed", self.node_id, exc_info=True)

    async def _run(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        return await self.mh.db.engine.run_querystring(QueryString(sql, *args))


def holder_dead(settings: Settings, row: dict[str, Any]) -> bool:
    """True when a node row's process is known dead before its heartbeat times out: its pid is
    not alive on this host, or (SQLite) nobody holds its lock file."""
    if local_holder_dead(row):
        return True
    path = node_lock_path(settings, row["node_id"])
    if path is None:
        return False
    try:
        return _lock_free(path)
    except OSError:
        return False


async def list_nodes(mh: Meihao, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every node ever registered, newest first, with ``alive``: beat within the timeout, not
    stopped, and not known dead (:func:`holder_dead`: a dead local pid, a free lock file);
    ``dead`` says the last of these."""
    now = now or _utcnow()
    cutoff = now - timedelta(seconds=mh.settings.node_timeout_seconds)
    rows = await Node.select().order_by(Node.last_seen, ascending=False)
    for row in rows:
        row["dead"] = row["stopped_at"] is None and holder_dead(mh.settings, row)
        row["alive"] = row["stopped_at"] is None and row["last_seen"] >= cutoff and not row["dead"]
        row["runs_scheduler"] = row["role"] in SCHEDULER_ROLES
    return rows
