"""Bringing a database up to date: every plugin's migrations and, on PostgreSQL, the scheduler's tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from meihao.db.database import PendingMigration
from meihao.scheduling.scheduler import prepare_cluster_store

if TYPE_CHECKING:
    from meihao.runtime import Meihao


@dataclass
class Migrated:
    applied: list[PendingMigration]
    #: True when APScheduler's schema and tables were created by this run (PostgreSQL only).
    scheduler_tables: bool


async def migrate(mh: Meihao) -> Migrated:
    """What ``meihao migrate`` does, under the migration lock: two runs at once run one after the other.

    Nodes never create tables when they start: a node finding the scheduler's tables missing
    stops and says to run this.
    """
    async with mh.db.migration_lock():
        applied = await mh.db.migrate()
        made = await prepare_cluster_store(mh)
    return Migrated(applied, made)
