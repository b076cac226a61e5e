"""Claiming outbox rows for delivery with a lease, and releasing the rows a dead process left claimed.

A claimed row is ``sending`` with a ``lease_until``: its sender has it until then, and a row
whose lease ran out (the sender died, or stalled) is claimed again. Delivery
(:mod:`meihao.reminders.delivery`) renews a row's lease just before sending it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from piccolo.querystring import QueryString

from meihao.reminders.policy import DeliveryPolicy
from meihao.reminders.tables import Reminder

if TYPE_CHECKING:
    from meihao.runtime import Meihao


async def release_orphans(node_id: str | None = None) -> int:
    """At start, rows left 'sending' by a process that died are sendable again: every such row in
    embedded mode (one worker), or those claimed under ``node_id`` — this node's name, which this
    process now holds, so the claimer was its killed predecessor — without waiting for their lease.
    A row whose send had begun keeps ``send_started_at``: it is sent again with the same delivery id."""
    condition = Reminder.status == "sending"
    if node_id is not None:
        condition = condition & (Reminder.claimed_by == node_id)
    rows = await Reminder.update({Reminder.status: "pending", Reminder.lease_until: None}).where(condition).returning(Reminder.id)
    return len(rows)


async def claim(mh: Meihao, policy: DeliveryPolicy, now: datetime, node_id: str = "") -> list[int]:
    """Lease up to ``claim_size`` sendable rows: pending ones that are due, oldest first, then
    rows whose sender's lease ran out (it died, or stalled: see
    :func:`meihao.reminders.delivery.send_claimed`). Each is one statement reading the
    (status, next_attempt_at) index in order, so a claim costs the same with 10 or 10⁶ rows waiting.
    """
    lease = now + policy.lease
    pending = QueryString('"status" = {} AND "next_attempt_at" <= {}', "pending", now)
    expired = QueryString('"status" = {} AND "next_attempt_at" <= {} AND "lease_until" < {}', "sending", now, now)
    ids: list[int] = []
    for condition in (pending, expired):
        room = policy.claim_size - len(ids)
        if room <= 0:
            break
        # On PostgreSQL two workers may pick the same ids; the outer condition, checked again on
        # the locked row, lets only one of them have it. SQLite runs one writer at a time, and
        # there the outer condition would only stop it from using the id list.
        recheck = QueryString("") if mh.db.is_sqlite else QueryString(" AND {}", condition)
        rows = await mh.db.engine.run_querystring(
            QueryString(
                'UPDATE "meihao_reminder" SET "status" = {}, "lease_until" = {}, "claimed_by" = {}, "attempts" = "attempts" + 1 '
                'WHERE "id" IN (SELECT "id" FROM "meihao_reminder" WHERE {} ORDER BY "next_attempt_at" LIMIT {}){} '
                'RETURNING "id"',
                "sending",
                lease,
                node_id,
                condition,
                room,
                recheck,
            ),
        )
        ids += [r["id"] for r in rows]
    return sorted(ids)


__all__ = ["claim", "release_orphans"]
