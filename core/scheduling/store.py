"""Cluster mode's shared schedule store, read with plain SQL by any node (no APScheduler needed to look)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from piccolo.querystring import QueryString

from meihao.errors import ConfigurationError

if TYPE_CHECKING:
    from meihao.runtime import Meihao

#: Schedule ids the kernel owns start with this; others in the data store are left alone.
SCHEDULE_PREFIX = "meihao:"
#: Cluster mode: APScheduler's tables live in this PostgreSQL schema.
CLUSTER_SCHEMA = "meihao_scheduler"


async def scheduler_tables_exist(mh: Meihao) -> bool:
    rows = await mh.db.engine.run_querystring(
        QueryString(
            "SELECT 1 AS present FROM information_schema.tables WHERE table_schema = {} AND table_name = {}",
            CLUSTER_SCHEMA, "metadata",
        )
    )
    return bool(rows)


async def check_cluster_store(mh: Meihao) -> None:
    """Cluster mode: the scheduler's tables must exist (``meihao migrate`` makes them; starting nodes never do)."""
    if not await scheduler_tables_exist(mh):
        raise ConfigurationError(
            f"the scheduler's tables are missing (schema {CLUSTER_SCHEMA} in {mh.db.describe()}); run `meihao migrate` first"
        )


async def stored_cluster_schedules(mh: Meihao) -> list[dict[str, Any]]:
    """Cluster mode: the kernel's schedules as the shared data store holds them (id, next fire
    time, paused, which node holds it), read with plain SQL by any node. Empty on SQLite, whose
    store belongs to its one process, and before ``meihao migrate`` made the tables."""
    if mh.db.is_sqlite or not await scheduler_tables_exist(mh):
        return []
    return await mh.db.engine.run_querystring(
        QueryString(
            f'SELECT "id", "next_fire_time", "paused", "acquired_by" FROM "{CLUSTER_SCHEMA}"."schedules" '
            'WHERE "id" LIKE {} ORDER BY "next_fire_time"',
            SCHEDULE_PREFIX + "%",
        )
    )


async def overdue_cluster_schedules(mh: Meihao, before: datetime) -> list[dict[str, Any]]:
    """The stored schedules whose next fire time is before ``before``: no scheduler node is processing them."""
    return [
        row for row in await stored_cluster_schedules(mh)
        if not row["paused"] and row["next_fire_time"] is not None and row["next_fire_time"] < before
    ]
