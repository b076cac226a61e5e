"""The job overview as this process sees it, for ``GET /api/jobs`` and the console's Operations page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from meihao.runtime import Meihao


async def current_job_overview(meihao: Meihao) -> list[dict[str, Any]]:
    """Every schedule with its next fire time and recent runs: the running scheduler's data store when it runs here."""
    from meihao.scheduling import scheduler as scheduler_module  # APScheduler: imported only where a scheduler is wanted
    from meihao.scheduling.jobs import job_overview
    from meihao.scheduling.worker import in_loop_of

    running = scheduler_module._running
    if running is not None and running.mh is meihao:
        return await in_loop_of(running, lambda: job_overview(meihao, running))
    return await job_overview(meihao, None)
