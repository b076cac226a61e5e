"""Tables of scheduling: the nodes of an installation and the record of job runs."""

from __future__ import annotations

from piccolo.columns import (
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Node(Table, tablename="meihao_node"):
    """One process of the installation (a node), by its stable name: what it runs and when it was last alive.

    A node writes ``last_seen`` every ``node_heartbeat_seconds``; ``boot`` is new at every
    start, so that two live processes cannot hold one name (see :mod:`meihao.scheduling.nodes`).
    """

    node_id = Varchar(length=100, unique=True)
    role = Varchar(length=16)
    host = Varchar(length=255, default="")
    pid = Integer(default=0)
    version = Varchar(length=32, default="")
    boot = Varchar(length=32)
    started_at = Timestamptz(default=TimestamptzNow())
    last_seen = Timestamptz(default=TimestamptzNow(), index=True)
    stopped_at = Timestamptz(null=True, default=None)


class JobRun(Table, tablename="meihao_job_run"):
    """One run of a scheduled job and how it ended; what ``meihao jobs`` shows as recent runs."""

    schedule_id = Varchar(length=200, index=True)
    job_id = Varchar(length=120, index=True)
    community = Varchar(length=64, default="")
    scheduled_at = Timestamptz(null=True, default=None)
    started_at = Timestamptz(default=TimestamptzNow(), index=True)
    finished_at = Timestamptz(null=True, default=None)
    #: ``running``, ``success`` or ``error``.
    outcome = Varchar(length=16, default="running")
    error = Text(default="")


SCHEDULING_TABLES: list[type[Table]] = [Node, JobRun]
