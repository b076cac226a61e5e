"""Test helpers that drive the kernel as it runs in production: fire a job at a fake time, read a resident's inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meihao.runtime import Meihao
from meihao.time.clock import FakeClock


async def fire_job(mh: Meihao, job_id: str, community: str | None = None, at: datetime | None = None) -> dict[str, Any] | None:
    """Run the job ``job_id`` as the scheduler would fire it at ``at`` (like Home Assistant's ``async_fire_time_changed``).

    With ``at`` (an aware datetime), ``mh.clock`` is set to it (a :class:`~meihao.FakeClock`
    is put in place when the clock is the real one) and the run is the scheduled fire at that
    time: the job gets ``now == scheduled_at == at`` (UTC, whole seconds), and firing the same
    job at the same time again runs nothing and returns None, as a second node taking the
    same fire would. Without ``at`` it runs now, by hand (``scheduled_at`` None), as
    ``meihao job run`` does. ``community`` is the slug, needed by per-community jobs, and must
    have the job's scenario switched on.

    The run goes through the kernel's own call (:func:`meihao.scheduling.runs.run_job_once`)
    and is recorded in ``meihao_job_run``. Returns that record: a dict with the keys ``id``,
    ``schedule_id`` (``meihao:<job>`` or ``meihao:<job>@<slug>``), ``job_id``, ``community``
    (the slug or ``""``), ``scheduled_at``, ``started_at``, ``finished_at``, ``outcome``
    (``success``) and ``error`` (``""``). A job that raises is recorded with outcome
    ``error`` and its exception is raised here. A wrong job id or community raises
    :class:`~meihao.NotFound` or :class:`~meihao.InvalidInput` (``field`` ``job_id`` or
    ``community``) and runs nothing.
    """
    from meihao.scheduling.runs import run_job_now

    scheduled_at = None
    if at is not None:
        if isinstance(mh.clock, FakeClock):
            mh.clock.set(at)
        else:
            mh.clock = FakeClock(at)
        scheduled_at = mh.clock.now()
    return await run_job_now(mh, job_id, community, scheduled_at=scheduled_at)


async def inbox(mh: Meihao, resident_id: int, *, unread_only: bool = False) -> list[dict[str, Any]]:
    """The resident's in-app inbox as they see it through their secret link (``GET /api/inbox/{token}``), newest first.

    Each message is a dict with the keys ``id``, ``activity`` (the activity's id, or None),
    ``language``, ``body`` (the rendered text), ``created_at`` (when it was delivered, by
    ``mh.clock``: a FakeClock's time in tests) and ``read_at`` (None until read). Read
    through the kernel's inbox service, so no link is made or rotated. A resident that does
    not exist raises :class:`~meihao.NotFound`.
    """
    from meihao.reminders.recipients import check_recipient
    from meihao.reminders.recipients import inbox as read_inbox

    await check_recipient("resident", resident_id)
    return await read_inbox("resident", resident_id, unread_only=unread_only, limit=1000)


async def work_item_escalations(item_id: int) -> list[dict[str, Any]]:
    """The escalation levels of a work item's clocks, in the order they are reached: each a dict with
    ``clock``, ``level``, ``reach``, ``reached_at``, ``notify_at`` (moved into working hours),
    ``sent_at`` (None until the check sent it) and ``recipients`` (the staff ids it went to).

    Levels not yet sent are planned again at every change of the item; a sent level stays. Drive
    the check with ``fire_job(mh, "meihao.workitems.check", at=...)``.
    """
    from meihao.workitems.tables import WorkItemEscalation as E

    rows = await E.select(E.clock, E.level, E.reach, E.reached_at, E.notify_at, E.sent_at, E.recipients).where(
        E.item == item_id).order_by(E.reached_at).order_by(E.id).output(load_json=True)
    return list(rows)
