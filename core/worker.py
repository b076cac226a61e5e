"""The worker role: the scheduler plus the reminder pump, run beside the web app (embedded) or alone (``meihao worker``)."""

from __future__ import annotations

import asyncio
import logging
import time

from .reminders import DeliveryPolicy, ReminderEngine
from .runtime import Meihao
from .scheduler import Scheduler

log = logging.getLogger("meihao.worker")

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
        self.engine = ReminderEngine(mh, policy)
        self.poll_seconds = poll_seconds
        self.scheduler = Scheduler(mh, identity=identity) if scheduler else None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        if self.mh.db.is_sqlite:
            # Embedded mode has one worker: rows it left 'sending' when it died are sendable again.
            released = await self.engine.release_orphans()
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
            except Exception:  # keep pumping: one bad round must not stop reminders for good
                log.exception("reminder round failed")
            if not busy:
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_seconds)
                except asyncio.TimeoutError:
                    pass


async def reconcile_running_scheduler(mh: Meihao) -> None:
    """When this process runs a scheduler, bring its schedules in step now (a community switched a scenario)."""
    from . import scheduler as scheduler_module

    running = scheduler_module._running
    if running is not None and running.mh is mh:
        await running.reconcile()
