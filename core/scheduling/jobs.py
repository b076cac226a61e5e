"""What ``meihao jobs`` and ``GET /api/jobs`` show: every planned schedule, its next fire time, its recent runs."""

from __future__ import annotations

from datetime import timezone
from typing import TYPE_CHECKING, Any

from meihao.hooks.declarations import Job
from meihao.scheduling.scheduler import Scheduler, next_fire_time, planned_schedules
from meihao.scheduling.store import stored_cluster_schedules
from meihao.scheduling.tables import JobRun

if TYPE_CHECKING:
    from meihao.runtime import Meihao


async def recent_runs(limit: int = 20, schedule: str | None = None) -> list[dict[str, Any]]:
    query = JobRun.select().order_by(JobRun.id, ascending=False).limit(limit)
    if schedule:
        query = query.where(JobRun.schedule_id == schedule)
    return await query


async def job_overview(mh: Meihao, scheduler: Scheduler | None = None, runs_per_schedule: int = 3) -> list[dict[str, Any]]:
    """Every planned schedule with its next fire time and recent runs (``meihao jobs`` and the API).

    With a running ``scheduler`` the next fire time is the data store's. On PostgreSQL it is
    read from the shared store by any node (a web node, the CLI). Otherwise it is computed
    from the trigger (the CLI never opens the scheduler's SQLite file).
    """
    now = mh.clock.now()
    # What the data store holds, read once: the running scheduler's own, or the shared one.
    running = scheduler is not None and scheduler.running
    stored = {row["id"]: row["next_fire_time"] for row in await (scheduler.schedules() if running else stored_cluster_schedules(mh))}
    rows = []
    for planned in sorted(await planned_schedules(mh), key=lambda p: p.id):
        fire = stored[planned.id] if planned.id in stored else next_fire_time(planned, now)
        runs = await JobRun.select(JobRun.started_at, JobRun.finished_at, JobRun.outcome, JobRun.error).where(
            JobRun.schedule_id == planned.id
        ).order_by(JobRun.id, ascending=False).limit(runs_per_schedule)
        rows.append(
            {
                "id": planned.id,
                "job": planned.job.id,
                "plugin": planned.plugin,
                "community": planned.community,
                "timezone": planned.timezone,
                "trigger": _describe_trigger(planned.job),
                "description": planned.job.description,
                "next_fire_time": fire.astimezone(timezone.utc) if fire else None,
                "recent_runs": runs,
            }
        )
    return rows


def _describe_trigger(job: Job) -> str:
    kind, kwargs = job.trigger
    return f"{kind} " + ", ".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
