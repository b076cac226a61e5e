"""The reminder engine: plan reminder points, fan them out to the outbox set-based, deliver through channels.

Three steps, each safe to repeat and to interrupt anywhere (kill -9 included), each in a
module of its own (whose docstring says how it stays safe):

1. **plan** (:mod:`meihao.reminders.planning`) — for each scheduled activity, the occurrences
   ahead and its reminder offsets become ``meihao_reminder_due`` rows.
2. **fan out** (:mod:`meihao.reminders.fanout`) — a due row whose time has come is written to
   the outbox (``meihao_reminder``) for every recipient and channel, by ``INSERT … SELECT`` in
   batches that commit together with their cursor.
3. **deliver** — outbox rows are claimed with a lease (:mod:`meihao.reminders.claims`),
   rendered per recipient language (:mod:`meihao.reminders.rendering`) and sent through their
   channel (:mod:`meihao.reminders.delivery`): quiet hours, retries, the inbox exactly once,
   a stable ``delivery_id`` for the rest.

How it paces itself and what a round did: :mod:`meihao.reminders.policy`. Staff digests, sent
hourly by a kernel job rather than by the engine: :mod:`meihao.reminders.digests`.
``ReminderEngine`` composes the steps for one meihao and one policy; the worker
(:mod:`meihao.scheduling.worker`) runs its ``tick()``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from meihao.hooks.declarations import Channel
from meihao.reminders import claims, delivery, fanout, planning
from meihao.reminders.policy import DeliveryPolicy, TickResult

if TYPE_CHECKING:
    from meihao.runtime import Meihao


class ReminderEngine:
    """Plans, fans out and delivers reminders for one meihao; ``tick()`` does one round of each."""

    def __init__(self, mh: Meihao, policy: DeliveryPolicy | None = None, node_id: str = "") -> None:
        self.mh = mh
        self.policy = policy or DeliveryPolicy(lease=timedelta(seconds=mh.settings.reminder_lease_seconds))
        #: The node this engine delivers for, written on the rows it claims ("": none).
        self.node_id = node_id

    def channels(self) -> dict[str, Channel]:
        return self.mh.plugins.channels_by_name

    # -- 1. plan ---------------------------------------------------------------------

    async def plan(self, now: datetime | None = None, activity_id: int | None = None) -> int:
        """Create the reminder points of occurrences ahead; returns how many were new."""
        return await planning.plan(self.mh, now, activity_id=activity_id, policy=self.policy)

    # -- 2. fan out ------------------------------------------------------------------

    async def fan_out(self, now: datetime | None = None, limit: int = 50) -> TickResult:
        """Write the outbox rows of every reminder point that is due."""
        return await fanout.fan_out(self.mh, self.policy, self.channels(), now, limit)

    async def fan_out_one(self, due: dict[str, Any], now: datetime) -> int:
        """All batches of one reminder point, resuming from its cursor; returns the outbox rows it now has."""
        return await fanout.fan_out_one(self.mh, self.policy, self.channels(), due, now)

    # -- 3. deliver ------------------------------------------------------------------

    async def release_orphans(self, node_id: str | None = None) -> int:
        """At start, rows left 'sending' by a process that died are sendable again: all of them
        (embedded mode), or those ``node_id`` claimed (see :func:`meihao.reminders.claims.release_orphans`)."""
        return await claims.release_orphans(node_id)

    async def claim(self, now: datetime) -> list[int]:
        """Lease up to ``claim_size`` sendable rows (see :func:`meihao.reminders.claims.claim`)."""
        return await claims.claim(self.mh, self.policy, now, self.node_id)

    async def deliver(self, now: datetime | None = None) -> TickResult:
        """One round: claim due outbox rows, then send, defer, retry, fail or mark them missed."""
        now = now or self.mh.clock.now()
        ids = await self.claim(now)
        if not ids:
            return TickResult()
        return await self.send_claimed(ids, now)

    async def send_claimed(self, ids: list[int], now: datetime) -> TickResult:
        """Send the rows :meth:`claim` leased at ``now`` (see :func:`meihao.reminders.delivery.send_claimed`)."""
        return await delivery.send_claimed(self.mh, self.policy, self.channels(), ids, now)

    # -- one round -------------------------------------------------------------------

    async def tick(self, now: datetime | None = None, *, plan: bool = True) -> TickResult:
        """Plan (unless ``plan=False``), fan out and deliver once, at ``now`` (default: the clock)."""
        now = now or self.mh.clock.now()
        planned = await self.plan(now) if plan else 0
        fan = await self.fan_out(now)
        delivered = await self.deliver(now)
        delivered.planned = planned
        delivered.fanned_out = fan.fanned_out
        delivered.recipients = fan.recipients
        delivered.missed += fan.missed
        return delivered


__all__ = ["ReminderEngine"]
