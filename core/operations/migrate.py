"""Bringing a database up to date: every plugin's migrations, on PostgreSQL the scheduler's tables, and the configured calendar files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from meihao.access.principals import Principal
from meihao.db.database import PendingMigration
from meihao.register.calendar import FileLoad, load_schedule_files, read_schedule_file
from meihao.scheduling.scheduler import prepare_cluster_store

if TYPE_CHECKING:
    from meihao.runtime import Meihao


@dataclass
class Migrated:
    applied: list[PendingMigration]
    #: True when APScheduler's schema and tables were created by this run (PostgreSQL only).
    scheduler_tables: bool
    #: The files of the ``calendar_files`` setting, in order, each saying whether it changed the calendar.
    calendar_files: list[FileLoad] = field(default_factory=list)


async def migrate(mh: Meihao) -> Migrated:
    """What ``meihao migrate`` does, under the migration lock: two runs at once run one after the other.

    Nodes never create tables when they start: a node finding the scheduler's tables missing
    stops and says to run this. The ``calendar_files`` are read first (a bad one stops the
    run before anything is migrated) and loaded last; a year already loaded with the same
    content is left as it is, so running this again changes nothing.
    """
    for path in mh.settings.calendar_files:
        read_schedule_file(path)
    async with mh.db.migration_lock():
        applied = await mh.db.migrate()
        made = await prepare_cluster_store(mh)
        loads = await load_schedule_files(mh, list(mh.settings.calendar_files), Principal.system("meihao migrate"))
    return Migrated(applied, made, loads)
