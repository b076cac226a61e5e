"""``GET /api/jobs``: every schedule, its next fire time and its recent runs."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.di import NamedDependency

from meihao.runtime import Meihao
from meihao.web.auth import requires


async def current_job_overview(meihao: Meihao) -> list[dict[str, Any]]:
    """The job overview as this process sees it: the running scheduler's data store when it runs here (the API and the console)."""
    from meihao.scheduling import scheduler as scheduler_module  # APScheduler: imported only where a scheduler is wanted
    from meihao.scheduling.jobs import job_overview
    from meihao.scheduling.worker import in_loop_of

    running = scheduler_module._running
    if running is not None and running.mh is meihao:
        return await in_loop_of(running, lambda: job_overview(meihao, running))
    return await job_overview(meihao, None)


@get("/api/jobs", tags=["jobs"], guards=[requires("meihao.jobs.read")])
async def list_jobs(meihao: NamedDependency[Meihao]) -> list[dict[str, Any]]:
    """Every schedule: its next fire time and its recent runs with their outcome."""
    return await current_job_overview(meihao)


HANDLERS = [
    list_jobs,
]
