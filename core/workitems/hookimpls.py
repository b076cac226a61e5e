"""The kernel's own answers for work items: the scheduled check that sends escalation notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meihao.hooks.declarations import Job
from meihao.hooks.specs import hookimpl


async def check_work_items(meihao: Any, now: datetime) -> None:
    """Send the work items' escalation notices that fell due (short and idempotent: see ``meihao.workitems.escalations``)."""
    from meihao.workitems.escalations import check

    await check(meihao, now)


@hookimpl
def meihao_jobs() -> list[Job]:
    return [
        Job(
            "meihao.workitems.check",
            check_work_items,
            ("interval", {"minutes": 5}),
            description="Send work items' yellow/red flags and escalations that fell due, once each",
            misfire_grace_time=None,
        ),
    ]
