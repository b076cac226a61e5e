"""A plugin for the cluster tests, loaded by the nodes through MEIHAO_PLUGINS=ticker=tests.cluster.ticker.

Two jobs fire every two seconds, one for the street and one per community, and every
scheduled fire they see must run: ``coalesce=False``. Each run appends one line — job,
community, node, pid, scheduled fire time — to the file in MEIHAO_TEST_TICK_FILE, with
O_APPEND so that lines from several processes never mix. The test counts runs per fire
time from that file, not from the kernel's own job-run table, which could not show a
second run that the kernel's guard had prevented.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from meihao import Job, hookimpl

INTERVAL = timedelta(seconds=2)


def _record(job: str, meihao: Any, scheduled_at: datetime | None, community: dict[str, Any] | None = None) -> None:
    where = community["slug"] if community else "-"
    stamp = scheduled_at.isoformat() if scheduled_at else "-"
    line = f"{job} {where} {meihao.settings.node_id or '-'} {os.getpid()} {stamp}\n"
    fd = os.open(os.environ["MEIHAO_TEST_TICK_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


async def tick(meihao: Any, scheduled_at: datetime | None) -> None:
    _record("tick", meihao, scheduled_at)


async def round_(meihao: Any, scheduled_at: datetime | None, community: dict[str, Any]) -> None:
    _record("round", meihao, scheduled_at, community)


@hookimpl
def meihao_jobs() -> list[Job]:
    seconds = {"seconds": INTERVAL.total_seconds()}
    return [
        Job(id="ticker.tick", func=tick, trigger=("interval", seconds), coalesce=False, misfire_grace_time=None),
        Job(id="ticker.round", func=round_, trigger=("interval", seconds), per_community=True, coalesce=False, misfire_grace_time=None),
    ]
