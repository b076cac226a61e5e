"""The worker role: the scheduler plus the reminder pump, run beside the web app (embedded) or alone (``meihao worker``)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from meihao.reminders.engine import ReminderEngine
from meihao.reminders.policy import DeliveryPolicy
from meihao.scheduling.scheduler import Scheduler

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.worker")

T = TypeVar("T")

#: How often the pump looks for due reminders; the delivery target is 2 s after the due time.
POLL_SECONDS = 0.5
#: How often the planning horizon of every activity is moved forward.
PLAN_SECONDS = 30.0
#: How often schedules are reconciled with the database (switches made by other processes).
RECONCILE_SECONDS = 60.0


class Worker:
    """Runs the scheduler and the reminder pump until stopped; one per process."""

    def __init__(
        self,
        mh: Meihao,
        *,
        policy: DeliveryPolicy | None = None,
        poll_seconds: float = POLL_SECONDS,
        scheduler: bool = True,
        identity: str | None = None,
    ) -> None:
        self.mh = mh
        self.identity = identity
        self.engine = ReminderEngine(mh, policy, node_id=identity or "")
        self.poll_seconds = poll_seconds
        self.scheduler = Scheduler(mh, identity=identity) if scheduler else None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        released = 0
        if self.mh.db.is_sqlite:
            # Embedded mode has one worker: rows it left 'sending' when it died are sendable again.
            released = await self.engine.release_orphans()
        elif self.identity:
            # This process holds the node's name, so rows claimed under it were claimed by its
            # killed predecessor: sendable again now, not when their lease runs out.
            released = await self.engine.release_orphans(self.identity)
        if released:
            log.warning("%d reminders were being sent when the last run stopped; sending them again", released)
        if self.scheduler is not None:
            await self.scheduler.start()
        self._stopping.clear()
        self._task = asyncio.create_task(self._pump(), name="meihao reminder pump")

    @property
    def running(self) -> bool:
        """The pump is pumping and, when this worker has one, the scheduler runs."""
        pumping = self._task is not None and not self._task.done()
        return pumping and (self.scheduler is None or self.scheduler.running)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            task, self._task = self._task, None
            try:
                await asyncio.wait_for(task, timeout=10)
            except asyncio.TimeoutError:  # pragma: no cover - a channel that hangs past its own timeout
                task.cancel()
        if self.scheduler is not None:
            await self.scheduler.stop()

    async def _pump(self) -> None:
        last_reconcile = time.monotonic()
        last_plan = 0.0
        while not self._stopping.is_set():
            busy = False
            try:
                # Activities plan their own reminders when created or changed; the periodic
                # plan only moves the planning horizon forward.
                plan = time.monotonic() - last_plan > PLAN_SECONDS
                result = await self.engine.tick(plan=plan)
                if plan:
                    last_plan = time.monotonic()
                busy = bool(result.sent or result.fanned_out or result.retried or result.failed or result.missed)
                if self.scheduler is not None and time.monotonic() - last_reconcile > RECONCILE_SECONDS:
                    await self.scheduler.reconcile()
                    last_reconcile = time.monotonic()
            except Exception as err:  # keep pumping: one bad round must not stop reminders for good
                if self.mh.db.is_sqlite and "disk is full" in str(err):
                    # SQLITE_FULL: the round's transaction was rolled back whole (nothing lost,
                    # the file intact); say what to do instead of a traceback every half second.
                    log.error(
                        "reminder round failed: the database's disk is full (%s); rounds are retried, and "
                        "nothing is lost or sent twice once there is space again: %s",
                        self.mh.db.describe(), err,
                    )
                else:
                    log.exception("reminder round failed")
            if not busy:
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_seconds)
                except asyncio.TimeoutError:
                    pass


class WorkerThread:
    """A :class:`Worker` in a thread of its own, with its own event loop and database connections.

    For the role ``both``: the API and the reminder pump in one process. On one event loop,
    every statement of the pump would queue behind the API's requests in flight, and under
    load a reminder waited tens of seconds (docs/performance.md); here the pump keeps its
    own loop and pool and shares only the interpreter with the API.
    """

    def __init__(self, mh: Meihao, *, identity: str | None = None) -> None:
        self.mh = mh
        self.identity = identity
        self.worker: Worker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.running

    @property
    def scheduler(self) -> Scheduler | None:
        return self.worker.scheduler if self.worker is not None else None

    async def start(self) -> None:
        """Start the thread and wait until its worker runs; what stops it from starting is raised here."""
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="meihao worker", daemon=True)
        self._thread.start()
        await asyncio.wrap_future(ready)

    async def stop(self) -> None:
        if self._thread is None:
            return
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        await asyncio.to_thread(self._thread.join, 30)
        self._thread = None

    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main(ready))
        finally:
            loop.close()

    async def _main(self, ready: concurrent.futures.Future[None]) -> None:
        self._stop = asyncio.Event()
        try:
            await self.mh.db.start()  # this loop's own pool
            self.worker = Worker(self.mh, identity=self.identity)
            await self.worker.start()
        except BaseException as err:
            self.worker = None
            await self.mh.db.close()
            ready.set_exception(err)
            return
        ready.set_result(None)
        try:
            await self._stop.wait()
            await self.worker.stop()
        finally:
            await self.mh.db.close()


async def in_loop_of(scheduler: Scheduler, call: Callable[[], Awaitable[T]]) -> T:
    """Run ``call()`` in the event loop the scheduler runs in (a worker thread's, or this one)."""
    loop = scheduler.loop
    if loop is None or loop is asyncio.get_running_loop():
        return await call()
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_awaited(call), loop))


async def _awaited(call: Callable[[], Awaitable[Any]]) -> Any:
    return await call()


async def reconcile_running_scheduler(mh: Meihao) -> None:
    """When this process runs a scheduler, bring its schedules in step now (a community switched a scenario)."""
    from meihao.scheduling import scheduler as scheduler_module

    running = scheduler_module._running
    if running is not None and running.mh is mh:
        await in_loop_of(running, running.reconcile)
