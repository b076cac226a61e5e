"""The kernel's own answers for scheduling: housekeeping of job runs, the jobs permission, reconciling schedules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao.hooks.declarations import Job, Permission
from meihao.hooks.specs import hookimpl


async def forget_old_job_runs(meihao: Any, now: Any) -> None:
    """Job runs older than 90 days are of no further use."""
    from meihao.scheduling.tables import JobRun

    await JobRun.delete().where(JobRun.started_at < now - timedelta(days=90))


@hookimpl
def meihao_jobs() -> list[Job]:
    return [
        Job(
            "meihao.forget_old_job_runs",
            forget_old_job_runs,
            ("cron", {"hour": 3, "minute": 17}),
            description="Delete job-run records older than 90 days",
            misfire_grace_time=None,
        ),
    ]


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [Permission("meihao.jobs.read", "See scheduled jobs and their runs")]


@hookimpl
async def meihao_scenario_switched(meihao: Any) -> None:
    """A scenario was switched on or off in this process: its per-community jobs are scheduled or dropped now."""
    from meihao.scheduling.worker import reconcile_running_scheduler

    await reconcile_running_scheduler(meihao)
