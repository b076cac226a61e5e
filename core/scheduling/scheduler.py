"""The kernel's scheduler: plugins' Jobs become APScheduler 4 schedules. Every APScheduler import lives here.

Plugins declare :class:`meihao.Job` values and never see APScheduler. The schedules wanted
at any moment follow from the database (which communities enabled which scenario, and
their time zones) and the loaded plugins; :meth:`Scheduler.reconcile` makes the data store
match them, adding, replacing (when a trigger or time zone changed) and removing schedules
by stable id. It runs at start-up, when a community switches a scenario in this process,
and every minute (a switch made by another process, e.g. the CLI, is picked up then).

Embedded mode keeps APScheduler's data store in its own SQLite file beside the main
database (``<db>.scheduler.db``); a SQLite data store is never shared between processes.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import logging
import os
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler import AsyncScheduler, CoalescePolicy, ConflictPolicy, JobOutcome, JobReleased, RunState, ScheduleLookupError, current_job
from apscheduler.abc import Trigger
from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore
from apscheduler.eventbrokers.local import LocalEventBroker
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from meihao.db.sqlite import create_private
from meihao.errors import ConfigurationError, NotFound
from meihao.hooks.declarations import Job
from meihao.register.tables import Community, CommunityScenario
from meihao.scheduling.runs import run_job_once, schedule_id
from meihao.scheduling.store import CLUSTER_SCHEMA, SCHEDULE_PREFIX, check_cluster_store, scheduler_tables_exist

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.scheduler")

#: APScheduler's lease on a schedule or job: a job that blocks the event loop longer may run twice.
LEASE = timedelta(seconds=30)
#: When APScheduler fails (its database went away), it is started again after this long, doubling up to the maximum.
RESTART_SECONDS = 2.0
RESTART_MAX_SECONDS = 60.0


@dataclass(frozen=True)
class PlannedSchedule:
    """One schedule the kernel wants: a plugin's job, for one community or for the whole street."""

    id: str
    plugin: str
    job: Job
    community: str | None
    timezone: str

    @property
    def fingerprint(self) -> str:
        """Changes when what the schedule does or when it fires changes; equal ones are left alone."""
        kind, kwargs = self.job.trigger
        parts: list[Any] = [kind, kwargs, self.timezone, _seconds(self.job.misfire_grace_time)]
        if not self.job.coalesce:  # appended only when set, so that existing fingerprints stay equal
            parts.append("coalesce=all")
        raw = json.dumps(parts, sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def trigger(self) -> Trigger:
        return build_trigger(self.job, self.timezone)


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def build_trigger(job: Job, tz: str, start_time: datetime | None = None) -> Trigger:
    """The APScheduler trigger for a job, in time zone ``tz``; a wrong trigger names the job."""
    kind, kwargs = job.trigger
    try:
        if kind == "cron":
            # APScheduler 4.0.0a6 reads the first fire's fields off start_time's own wall clock
            # (default: the machine's zone), then stamps them with the trigger's zone: on a UTC
            # server a community cron job would first fire a day late or at a time already past.
            zone = ZoneInfo(tz)
            start = (start_time or datetime.now(timezone.utc)).astimezone(zone)
            return CronTrigger(**kwargs, timezone=zone, start_time=start)
        if kind == "interval":
            return IntervalTrigger(**kwargs, **({"start_time": start_time} if start_time else {}))
        if kind == "date":
            return DateTrigger(**kwargs)
    except (TypeError, ValueError) as err:
        raise ConfigurationError(f"job {job.id!r}: invalid {kind} trigger {kwargs!r}: {err}") from err
    raise ConfigurationError(f"job {job.id!r}: trigger kind must be cron, interval or date, not {kind!r}")


async def planned_schedules(mh: Meihao) -> list[PlannedSchedule]:
    """Every schedule the loaded plugins and the database's communities call for."""
    communities = await Community.select(Community.id, Community.slug, Community.timezone).order_by(Community.id)
    enabled: dict[str, set[int]] = {}
    for row in await CommunityScenario.select(CommunityScenario.community, CommunityScenario.scenario).where(
        CommunityScenario.enabled.eq(True)
    ):
        enabled.setdefault(row["scenario"], set()).add(row["community"])
    scenarios = mh.plugins.scenarios
    result = []
    for plugin, job in mh.plugins.jobs():
        if not job.per_community:
            result.append(PlannedSchedule(schedule_id(job, None), plugin, job, None, mh.settings.default_timezone))
            continue
        for community in communities:
            if plugin in scenarios and community["id"] not in enabled.get(plugin, set()):
                continue
            result.append(PlannedSchedule(schedule_id(job, community["slug"]), plugin, job, community["slug"], community["timezone"]))
    return result


def next_fire_time(planned: PlannedSchedule, now: datetime) -> datetime | None:
    """When a planned schedule fires next after ``now`` (for listings; the data store keeps the real one)."""
    trigger = build_trigger(planned.job, planned.timezone, start_time=now) if planned.job.trigger[0] != "date" else planned.trigger()
    fire = trigger.next()
    while fire is not None and fire < now:
        fire = trigger.next()
    return fire


# -- running a job --------------------------------------------------------------

_running: Scheduler | None = None


async def run_job(job_id: str, community: str | None = None) -> None:
    """The one function every schedule calls (by reference): finds the plugin's Job and runs it.

    Plugins' functions need not be importable by name, and a job renamed inside a plugin
    keeps working, because the data store only ever holds this reference and the job id.
    """
    scheduler = _running
    if scheduler is None:
        raise RuntimeError("no meihao scheduler is running in this process")
    await scheduler.execute(job_id, community)


@dataclass
class ReconcileResult:
    added: list[str]
    replaced: list[str]
    removed: list[str]


class Scheduler:
    """The running scheduler of one process (embedded mode: web and scheduler together)."""

    def __init__(self, mh: Meihao, *, data_store_url: str | None = None, identity: str | None = None) -> None:
        self.mh = mh
        self.data_store_url = data_store_url or default_data_store_url(mh)
        #: The node's stable name: APScheduler's leases on schedules and jobs carry it.
        self.identity = identity or mh.settings.default_node_id()
        self._lock_file: int | None = None
        self._stack: AsyncExitStack | None = None
        self._scheduler: AsyncScheduler | None = None
        self._supervisor: asyncio.Task[None] | None = None
        #: The event loop the scheduler runs in (role ``both`` runs it in a worker thread's loop).
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stopping = asyncio.Event()
        self._jobs: dict[str, tuple[str, Job]] = {}
        #: (schedule id, outcome) of every job released in this process, newest last.
        self.outcomes: list[tuple[str | None, str]] = []

    def _store_and_broker(self) -> tuple[Any, Any]:
        """Embedded: SQLite store of its own + local broker. Cluster: PostgreSQL (own schema) + psycopg broker."""
        if self.data_store_url.startswith("sqlite"):
            return SQLAlchemyDataStore(self.data_store_url), LocalEventBroker()
        from apscheduler.eventbrokers.psycopg import PsycopgEventBroker

        # Made from the URL, the data store's engine is disposed of when APScheduler stops (also
        # before it is started again after a failure); the broker opens its own connections.
        store = SQLAlchemyDataStore(self.data_store_url, schema=CLUSTER_SCHEMA)
        return store, PsycopgEventBroker(self.data_store_url.replace("+psycopg", "", 1))

    @property
    def running(self) -> bool:
        """Started here and APScheduler still runs (its loop may have stopped on an error of its own)."""
        return self._scheduler is not None and self._scheduler.state is RunState.started

    async def start(self) -> None:
        """Start APScheduler in a task of its own and wait until it fires; start-up errors are raised here.

        That task, not the caller, hosts APScheduler's task groups. When one of APScheduler's
        loops fails, its task group cancels the host: e.g. PostgreSQL restarted, and the psycopg
        event broker's LISTEN connection raises ``OperationalError``, which APScheduler 4.0.0a6
        does not reconnect on. In the caller that would end ``meihao worker`` (or the web
        app's lifespan); here the error is logged and APScheduler is started again.
        """
        if self._supervisor is not None:
            raise RuntimeError("the scheduler is already started")
        self._stopping = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(self._supervise(ready), name="meihao scheduler")
        try:
            await ready
        except BaseException:
            task.cancel()
            raise
        self._supervisor = task

    async def stop(self) -> None:
        if self._supervisor is not None:
            task, self._supervisor = self._supervisor, None
            self._stopping.set()
            await task

    async def _supervise(self, ready: asyncio.Future[None]) -> None:
        """Open APScheduler, wait for :meth:`stop`, close it; when it fails meanwhile, log that and open it again."""
        delay = RESTART_SECONDS
        try:
            while True:
                failure: BaseException | None = None
                try:
                    await self._open()
                    if not ready.done():
                        ready.set_result(None)
                    delay = RESTART_SECONDS
                    await self._stopping.wait()
                except (Exception, asyncio.CancelledError) as err:  # APScheduler cancels its host when a loop of its fails
                    failure = err
                try:
                    await self._close()  # exits APScheduler's task groups: raises what failed in them
                except Exception as err:
                    failure = err
                task = asyncio.current_task()
                if task is not None and task.cancelling():  # cancelled from outside, not by APScheduler
                    raise asyncio.CancelledError
                if not ready.done():
                    ready.set_exception(failure or RuntimeError("the scheduler did not start"))
                    return
                if self._stopping.is_set():
                    if failure is not None:
                        log.warning("the scheduler stopped with an error", exc_info=failure)
                    return
                log.error("the scheduler failed; starting it again in %.0f s", delay, exc_info=failure)
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
                    return
                except asyncio.TimeoutError:
                    delay = min(delay * 2, RESTART_MAX_SECONDS)
        finally:
            if not ready.done():
                ready.set_exception(RuntimeError("the scheduler stopped while starting"))

    async def _open(self) -> None:
        """Open the data store, register the kernel's task per job, reconcile schedules, start firing."""
        global _running
        if _running is not None and _running is not self:
            raise ConfigurationError("a meihao scheduler is already running in this process")
        self._jobs = {job.id: (plugin, job) for plugin, job in self.mh.plugins.jobs()}
        if self.data_store_url.startswith("sqlite"):
            self._lock_sqlite_store()
        else:
            await check_cluster_store(self.mh)
        stack = AsyncExitStack()
        await stack.__aenter__()
        stack.callback(self._unlock_sqlite_store)
        try:
            scheduler = AsyncScheduler(
                *self._store_and_broker(), identity=self.identity, lease_duration=LEASE, cleanup_interval=timedelta(hours=1)
            )
            await stack.enter_async_context(scheduler)
            scheduler.subscribe(self._released, {JobReleased})
            self._scheduler = scheduler
            _running = self
            for job_id, (_, job) in self._jobs.items():
                # One task per job, so that max_running_jobs=1 keeps each job from overlapping itself only.
                await scheduler.configure_task(
                    SCHEDULE_PREFIX + job_id, func=run_job, misfire_grace_time=job.misfire_grace_time, max_running_jobs=1
                )
            await self.reconcile()
            await scheduler.start_in_background()
        except BaseException:
            _running = None
            self._scheduler = None
            await stack.aclose()
            raise
        self._stack = stack

    async def _close(self) -> None:
        global _running
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()
        if _running is self:
            _running = None
        self._scheduler = None

    def _lock_sqlite_store(self) -> None:
        """A SQLite data store is never shared between processes: the second scheduler on it stops here."""
        store = self.data_store_url.split(":///", 1)[1]
        create_private(store)  # the scheduler's own SQLite file, 0600 like the main database
        path = store + ".lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigurationError(
                f"another process already runs the scheduler on {self.mh.db.describe()} (lock {path}); on SQLite "
                "only one process may: run the others with --role web (MEIHAO_ROLE=web)",
                field="role",
            ) from None
        self._lock_file = fd

    def _unlock_sqlite_store(self) -> None:
        if self._lock_file is not None:
            fd, self._lock_file = self._lock_file, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _released(self, event: JobReleased) -> None:
        self.outcomes.append((event.schedule_id, event.outcome.name))
        if event.outcome is not JobOutcome.success:
            log.warning("job of schedule %s ended: %s %s", event.schedule_id, event.outcome.name, event.exception_type or "")

    def _require(self) -> AsyncScheduler:
        if self._scheduler is None:
            raise RuntimeError("the scheduler is not started")
        return self._scheduler

    async def reconcile(self) -> ReconcileResult:
        """Make the data store's schedules match :func:`planned_schedules`; idempotent.

        A schedule whose fingerprint is unchanged is left as it is, keeping its next fire
        time, so a fire missed during downtime still runs (once, coalesced) after a restart.
        """
        scheduler = self._require()
        wanted = {p.id: p for p in await planned_schedules(self.mh)}
        existing = {s.id: s for s in await scheduler.get_schedules() if s.id.startswith(SCHEDULE_PREFIX)}
        result = ReconcileResult([], [], [])
        for sid, planned in wanted.items():
            current = existing.get(sid)
            if current is not None and current.metadata.get("fingerprint") == planned.fingerprint:
                continue
            await scheduler.add_schedule(
                SCHEDULE_PREFIX + planned.job.id,
                planned.trigger(),
                id=sid,
                args=(planned.job.id, planned.community),
                coalesce=CoalescePolicy.latest if planned.job.coalesce else CoalescePolicy.all,
                misfire_grace_time=planned.job.misfire_grace_time,
                metadata={"fingerprint": planned.fingerprint, "plugin": planned.plugin, "community": planned.community or ""},
                conflict_policy=ConflictPolicy.replace,
            )
            (result.replaced if current is not None else result.added).append(sid)
        for sid in existing.keys() - wanted.keys():
            await scheduler.remove_schedule(sid)
            result.removed.append(sid)
        if result.added or result.replaced or result.removed:
            log.info("schedules reconciled: %s", result)
        return result

    async def schedules(self) -> list[dict[str, Any]]:
        """The kernel's schedules as the data store holds them (id, next fire time, paused)."""
        scheduler = self._require()
        rows = []
        for s in sorted(await scheduler.get_schedules(), key=lambda s: s.id):
            if s.id.startswith(SCHEDULE_PREFIX):
                rows.append({"id": s.id, "next_fire_time": s.next_fire_time, "paused": s.paused, "trigger": repr(s.trigger)})
        return rows

    async def next_fire_time(self, sid: str) -> datetime | None:
        try:
            return (await self._require().get_schedule(sid)).next_fire_time
        except ScheduleLookupError as err:
            raise NotFound(f"schedule {sid!r} not found") from err

    async def run_now(self, sid: str) -> str:
        """Run a schedule's job once, now, through the scheduler's workers; returns the outcome."""
        scheduler = self._require()
        try:
            schedule = await scheduler.get_schedule(sid)
        except ScheduleLookupError as err:
            raise NotFound(f"schedule {sid!r} not found") from err
        job_id = await scheduler.add_job(schedule.task_id, args=schedule.args, result_expiration_time=60)
        result = await scheduler.get_job_result(job_id)
        return result.outcome.name if result is not None else "unknown"

    async def execute(self, job_id: str, community_slug: str | None) -> None:
        """Run one job now, in this process, recording the run in ``meihao_job_run`` (:func:`run_job_once`)."""
        if job_id not in self._jobs:
            raise NotFound(f"job {job_id!r} is not declared by any loaded plugin")
        _, job = self._jobs[job_id]
        try:
            scheduled_at = current_job.get().scheduled_fire_time
        except LookupError:  # called directly, not by APScheduler
            scheduled_at = None
        await run_job_once(self.mh, job, community_slug, scheduled_at)


async def prepare_cluster_store(mh: Meihao) -> bool:
    """Create APScheduler's schema and tables on PostgreSQL (``meihao migrate``); True when they were made now.

    The caller holds the migration lock, so two migrate commands never race on them.
    """
    if mh.db.is_sqlite or await scheduler_tables_exist(mh):
        return False
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(default_data_store_url(mh))
    try:
        # Entering the scheduler opens its data store, which creates the schema, the tables and
        # the schema version row; nothing is started, no schedule is added.
        async with AsyncScheduler(SQLAlchemyDataStore(engine, schema=CLUSTER_SCHEMA), LocalEventBroker()):
            pass
    finally:
        await engine.dispose()
    return True


def default_data_store_url(mh: Meihao) -> str:
    """Embedded mode: a SQLite file of its own beside the main database (never shared between processes)."""
    settings = mh.settings
    if settings.is_sqlite:
        path = Path(settings.sqlite_path).resolve()
        return f"sqlite+aiosqlite:///{path.with_name(path.name + '.scheduler.db')}"
    # Cluster mode: the scheduler's tables live in their own schema of the same database, and
    # nodes wake each other through the psycopg event broker (LISTEN/NOTIFY).
    scheme, _, rest = settings.database_url.partition("://")
    return f"postgresql+psycopg://{rest}"
