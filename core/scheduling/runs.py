"""Running one job: the one call the scheduler makes for every fire, also used by ``meihao job run`` and ``meihao.testing.fire_job``.

:func:`run_job_once` records the run in ``meihao_job_run`` and calls the plugin's function
with the arguments it names among ``meihao``, ``community`` (per-community jobs), ``now``
(the kernel's clock) and ``scheduled_at`` (the fire's scheduled time; None for a run by
hand). :func:`run_job_now` checks a job id and community the way an operator gives them
and runs the job through :func:`run_job_once`, exactly as the scheduler would.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio
from piccolo.querystring import QueryString

from meihao.errors import InvalidInput, NotFound
from meihao.hooks.declarations import Job
from meihao.register.communities import get_community
from meihao.register.tables import Community, CommunityScenario
from meihao.scheduling.store import SCHEDULE_PREFIX
from meihao.scheduling.tables import JobRun

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.scheduler")


def schedule_id(job: Job, community: str | None) -> str:
    """The stable id of a job's schedule: ``meihao:<job>`` or ``meihao:<job>@<community slug>``."""
    return f"{SCHEDULE_PREFIX}{job.id}" + (f"@{community}" if community else "")


def call_with_known_arguments(func: Any, available: dict[str, Any]) -> Any:
    """Call ``func`` with the arguments it names among ``available`` (as pluggy does for hooks)."""
    parameters = inspect.signature(func).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return func(**available)
    return func(**{name: value for name, value in available.items() if name in parameters})


async def run_job_once(mh: Meihao, job: Job, community_slug: str | None, scheduled_at: datetime | None) -> dict[str, Any] | None:
    """Run ``job`` now, in this process, recording the run in ``meihao_job_run``; returns the run's row.

    Returns None, without running it, when the fire at ``scheduled_at`` already ran (on
    another node); a run by hand (``scheduled_at`` None) always runs. An exception of the
    job is recorded (outcome ``error``) and raised again; a run cancelled mid-way (its node
    stopping) is recorded as ``cancelled`` before the cancellation goes on, never left ``running``.
    """
    now = mh.clock.now()
    sid = schedule_id(job, community_slug)
    # One run per scheduled fire, whichever node takes it: APScheduler's lease keeps two
    # nodes from taking one fire, and should a lease run out under a blocked event loop,
    # the unique (schedule_id, scheduled_at) index keeps the second taker from running it.
    inserted = await mh.db.engine.run_querystring(
        QueryString(
            'INSERT INTO "meihao_job_run" ("schedule_id", "job_id", "community", "scheduled_at", "started_at", '
            '"finished_at", "outcome", "error") VALUES ({}, {}, {}, {}, {}, NULL, {}, {}) ON CONFLICT DO NOTHING RETURNING "id"',
            sid, job.id, community_slug or "", scheduled_at, now, "running", "",
        )
    )
    if not inserted:
        log.warning("schedule %s: the fire of %s already ran on another node; not running it again", sid, scheduled_at)
        return None
    run_id = inserted[0]["id"]
    try:
        kwargs: dict[str, Any] = {"meihao": mh, "now": now, "scheduled_at": scheduled_at}
        if community_slug is not None:
            kwargs["community"] = await get_community(community_slug)
        result = call_with_known_arguments(job.func, kwargs)
        if inspect.isawaitable(result):
            await result
    except Exception as err:
        await JobRun.update(
            {JobRun.outcome: "error", JobRun.error: f"{type(err).__name__}: {err}", JobRun.finished_at: mh.clock.now()}
        ).where(JobRun.id == run_id)
        raise
    except (asyncio.CancelledError, anyio.get_cancelled_exc_class()):
        # The node is stopping: say so in the run's row, shielded from the cancellation in
        # progress (an await inside a cancelled anyio scope would be cancelled again).
        with anyio.CancelScope(shield=True):
            await JobRun.update(
                {JobRun.outcome: "cancelled", JobRun.error: "the node stopped while the job ran", JobRun.finished_at: mh.clock.now()}
            ).where(JobRun.id == run_id)
        raise
    await JobRun.update({JobRun.outcome: "success", JobRun.finished_at: mh.clock.now()}).where(JobRun.id == run_id)
    return await JobRun.select().where(JobRun.id == run_id).first()


def find_job(mh: Meihao, job_id: str) -> tuple[str, Job]:
    """The loaded plugin that declares ``job_id`` and its Job; NotFound naming the job otherwise."""
    for plugin, job in mh.plugins.jobs():
        if job.id == job_id:
            return plugin, job
    raise NotFound(f"job {job_id!r} is not declared by any loaded plugin (see `meihao jobs`)", field="job_id")


async def job_target(mh: Meihao, job_id: str, community: str | None = None) -> Job:
    """The Job ``job_id``, checked to run for ``community`` as the scheduler would plan it.

    A per-community job needs ``community`` (a slug) and, when a scenario declares it, a
    community that has the scenario switched on, since the scheduler plans it nowhere else;
    a street-wide job takes no community. Raises NotFound or InvalidInput naming the field
    (``job_id`` or ``community``).
    """
    plugin, job = find_job(mh, job_id)
    if not job.per_community:
        if community is not None:
            raise InvalidInput(f"job {job_id!r} runs for the whole street, not per community: give no community", field="community")
        return job
    if community is None:
        raise InvalidInput(f"job {job_id!r} runs per community: name one (--community SLUG)", field="community")
    row = await Community.select(Community.id).where(Community.slug == community).first()
    if row is None:
        raise NotFound(f"community {community!r} not found", field="community")
    if plugin in mh.plugins.scenarios:
        enabled = await CommunityScenario.exists().where(
            CommunityScenario.community == row["id"], CommunityScenario.scenario == plugin, CommunityScenario.enabled.eq(True)
        )
        if not enabled:
            raise InvalidInput(f"scenario {plugin!r} is not enabled in community {community!r}: job {job_id!r} does not run there", field="community")
    return job


async def run_job_now(mh: Meihao, job_id: str, community: str | None = None, *, scheduled_at: datetime | None = None) -> dict[str, Any] | None:
    """Run the job ``job_id`` now as the scheduler does (``meihao job run``, ``meihao.testing.fire_job``); returns the run's row.

    ``job_id`` and ``community`` are checked first (:func:`job_target`), before anything
    runs. ``scheduled_at`` is the fire being run (None: by hand); see :func:`run_job_once`.
    """
    job = await job_target(mh, job_id, community)
    return await run_job_once(mh, job, community, scheduled_at)
