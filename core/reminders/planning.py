"""Step 1 of the reminder engine, plan: the reminder points of the occurrences ahead of each scheduled activity.

For each scheduled activity, the occurrences ahead and its reminder offsets become
``meihao_reminder_due`` rows (unique per activity, version, occurrence, offset). Safe to
repeat and to interrupt anywhere: a point planned twice is inserted once, and an activity's
``planned_until`` moves in the transaction that inserts its points. Fan-out
(:mod:`meihao.reminders.fanout`) turns the points into outbox rows when they fall due.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from meihao.db.database import json_value
from meihao.reminders.policy import DeliveryPolicy
from meihao.reminders.tables import Activity, DueReminder
from meihao.time.recurrence import occurrences

if TYPE_CHECKING:
    from meihao.runtime import Meihao


async def plan(mh: Meihao, now: datetime | None = None, activity_id: int | None = None, *, policy: DeliveryPolicy | None = None) -> int:
    """Create the reminder points of occurrences ahead; returns how many were new.

    ``activity_id``: only that activity, to the full horizon (it was just created or changed).
    ``policy``: its ``lookahead`` is how far ahead (default: :class:`DeliveryPolicy`'s).
    """
    now = now or mh.clock.now()
    policy = policy or DeliveryPolicy()
    query = Activity.select(
        Activity.all_columns(), Activity.community.timezone.as_alias("timezone")
    ).where(Activity.status == "scheduled")
    if activity_id is not None:
        query = query.where(Activity.id == activity_id)
    created = 0
    for activity in await query:
        offsets = json_value(activity["reminder_offsets"]) or []
        activity["exdates"] = json_value(activity["exdates"])
        horizon = now + timedelta(minutes=max(offsets, default=0)) + policy.lookahead
        start = activity["planned_until"] or activity["created_at"]
        # An activity just created or changed is planned to the full horizon; the periodic
        # round only extends activities with less than half the lookahead left, so that it
        # writes each of them every few days, not every round.
        due = horizon if activity_id is not None else horizon - policy.lookahead / 2
        if start >= due:
            continue
        rows = [
            DueReminder(
                activity=activity["id"],
                version=activity["version"],
                occurrence=o.key,
                offset_minutes=offset,
                starts_at=o.starts_at,
                due_at=o.starts_at - timedelta(minutes=offset),
                status="pending",
                created_at=now,
            )
            for o in occurrences(activity, activity["timezone"], start, horizon)
            for offset in offsets
        ]
        async with mh.db.transaction():
            if rows:
                inserted = await DueReminder.insert(*rows).on_conflict(action="DO NOTHING").returning(DueReminder.id)
                created += len(inserted)
            await Activity.update({Activity.planned_until: horizon}).where(
                Activity.id == activity["id"], Activity.version == activity["version"]
            )
    return created
