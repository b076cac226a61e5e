"""The kernel's own answers for reminders: the in-app inbox channel, kernel audiences and housekeeping jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .hookspecs import hookimpl
from .types import Audience, Channel, Job, Message, Permission


async def send_to_inbox(message: Message) -> None:
    """Runs inside the engine's transaction that marks the reminder sent: exactly once."""
    from .reminder_tables import InboxMessage

    await InboxMessage.insert(
        InboxMessage(
            recipient_kind=message.recipient_kind,
            recipient_id=message.recipient_id,
            reminder=message.reminder_id or None,
            activity=message.activity.get("id"),
            language=message.language,
            body=message.body,
        )
    ).on_conflict(action="DO NOTHING")


def _elders(community_id: int) -> Any:
    from datetime import date

    from .residents import shift_years
    from .tables import Resident

    return Resident.select(Resident.id).where(Resident.community == community_id, Resident.birth_date <= shift_years(date.today(), 60))


def _everyone(community_id: int) -> Any:
    from .tables import Resident

    return Resident.select(Resident.id).where(Resident.community == community_id)


async def forget_old_job_runs(meihao: Any, now: Any) -> None:
    """Job runs older than 90 days are of no further use."""
    from .reminder_tables import JobRun

    await JobRun.delete().where(JobRun.started_at < now - timedelta(days=90))


@hookimpl(trylast=True)
def meihao_channels() -> list[Channel]:
    return [
        Channel(
            "inbox",
            "站内信",
            "In-app inbox",
            send_to_inbox,
            for_residents=True,
            needs_address=False,
            options={"transactional": True},
        )
    ]


@hookimpl
def meihao_audiences() -> list[Audience]:
    return [
        Audience("meihao.everyone", "全体居民", "Every resident", _everyone),
        Audience("meihao.elders", "60岁以上老人", "Residents aged 60 and over", _elders),
    ]


@hookimpl
def meihao_jobs() -> list[Job]:
    return [
        Job(
            "meihao.forget_old_job_runs",
            forget_old_job_runs,
            ("cron", {"hour": 3, "minute": 17}),
            description="Delete job-run records older than 90 days",
            misfire_grace_time=None,
        )
    ]


_PLANNERS = ("community_admin", "grid_leader", "grid_worker")


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("meihao.activity.read", "See activities, their audiences (masked) and delivery state", (*_PLANNERS, "grid_part_time", "dispatched")),
        Permission("meihao.activity.write", "Plan, reschedule and cancel activities", _PLANNERS),
        Permission("meihao.reminder.manage", "Record residents' reminder channels, opt-outs and calendar links; quiet hours", _PLANNERS),
        Permission("meihao.jobs.read", "See scheduled jobs and their runs"),
    ]


@hookimpl
async def meihao_community_enabled(meihao: Any) -> None:
    """A scenario was switched on in this process: its per-community jobs are scheduled now."""
    from .worker import reconcile_running_scheduler

    await reconcile_running_scheduler(meihao)


@hookimpl
async def meihao_community_disabled(meihao: Any) -> None:
    from .worker import reconcile_running_scheduler

    await reconcile_running_scheduler(meihao)
