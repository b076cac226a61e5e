"""Nodes: every running process of an installation registers under a stable name and says it is alive.

A cluster is several nodes sharing one PostgreSQL: web nodes serve the API, scheduler
nodes run plugins' jobs and deliver reminders, and a node with the role ``both`` does
everything (embedded mode, on SQLite or PostgreSQL). Each node has a stable name
(``MEIHAO_NODE_ID``; default ``<host>-<role>[-<port>]``), which is also the scheduler's
identity in APScheduler's data store, so leases held by a node that restarts carry its
name. A name belongs to one live process: a second process starting with the name of a
node that wrote a heartbeat within ``node_timeout_seconds`` (and did not stop cleanly)
is refused with one line — unless that process was on this host and is no longer running
(killed): then the name is taken over at once. ``meihao doctor`` reads this table to say which nodes run and
whether any of them runs the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from piccolo.querystring import QueryString

from meihao.config import SCHEDULER_ROLES
from meihao.errors import ConfigurationError
from meihao.scheduling.tables import Node
from meihao.version import __version__

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.nodes")


def pid_dead_here(host: str, pid: int | None) -> bool:
    """True when ``pid`` was recorded on this very host and no such process runs now: such a node is gone,
    whatever its last heartbeat says. (This process's own pid counts as alive.)"""
    if host != socket.gethostname()[:255] or not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _utcnow() -> datetime:
    # Heartbeats are wall-clock facts about processes, never the (possibly fake) scenario clock.
    return datetime.now(timezone.utc)


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

    async def start(self) -> None:
        """Claim the node name; refuse when a live process holds it. Then beat in the background."""
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
            if not taken:
                holder = await Node.select().where(Node.node_id == self.node_id).first()
                if holder is not None and pid_dead_here(holder["host"], holder["pid"]):
                    # killed (SIGKILL, power loss) on this host: its name is free at once, not after the timeout
                    taken = await self._run(
                        'UPDATE "meihao_node" SET "role" = {}, "host" = {}, "pid" = {}, "version" = {}, "boot" = {}, '
                        '"started_at" = {}, "last_seen" = {}, "stopped_at" = NULL '
                        'WHERE "node_id" = {} AND "boot" = {} RETURNING "id"',
                        *claim, self.node_id, holder["boot"],
                    )
                    if taken:
                        log.warning("node %s: took over from pid %s, which is no longer running", self.node_id, holder["pid"])
            if not taken:
                holder = await Node.select().where(Node.node_id == self.node_id).first()
                seen = (now - holder["last_seen"]).total_seconds() if holder else 0.0
                raise ConfigurationError(
                    f"node id {self.node_id!r} is in use by pid {holder['pid'] if holder else '?'} on "
                    f"{holder['host'] if holder else '?'} (alive {seen:.0f} s ago); give each node its own "
                    "MEIHAO_NODE_ID, or stop the other process",
                    field="node_id",
                )
        self.holding = True
        log.info("node %s (%s) started", self.node_id, self.role)
        self._task = asyncio.create_task(self._beat(), name=f"meihao node {self.node_id} heartbeat")

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
            try:
                await Node.update({Node.stopped_at: _utcnow()}).where((Node.node_id == self.node_id) & (Node.boot == self.boot))
            except Exception:  # the database may be gone while stopping; the timeout says the rest
                log.warning("node %s: could not record its stop", self.node_id, exc_info=True)

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


async def list_nodes(mh: Meihao, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every node ever registered, with ``alive`` (beat within the timeout and not stopped), newest first."""
    now = now or _utcnow()
    cutoff = now - timedelta(seconds=mh.settings.node_timeout_seconds)
    rows = await Node.select().order_by(Node.last_seen, ascending=False)
    for row in rows:
        row["alive"] = row["stopped_at"] is None and row["last_seen"] >= cutoff and not pid_dead_here(row["host"], row["pid"])
        row["runs_scheduler"] = row["role"] in SCHEDULER_ROLES
    return rows
