"""Step 1 of the reminder engine, plan: the reminder points of the occurrences ahead of each scheduled activity.

For each scheduled activity, the occurrences ahead and its reminder offsets become
``meihao_reminder_due`` rows (unique per activity, version, occurrence, offset). Safe to
repeat and to interrupt anywhere: a point planned twice is inserted once, and an activity's
``planned_until`` moves in the transaction that inserts its points. Fan-out
(:mod:`meihao.reminders.fanout`) turns the points into outbox rows when they fall due.

Occurrences follow the community's working calendar (its holiday policy). Each activity
records the calendar ``version`` it was planned on; when the calendar has changed since (a
year loaded, a day closed or opened), the points already planned for a holiday policy's
occurrences ahead are brought in line first (:func:`replan_on_calendar`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from meihao.db.database import json_value
from meihao.register.calendar import working_calendar
from meihao.reminders.policy import DeliveryPolicy
from meihao.reminders.tables import Activity, DueReminder
from meihao.time.recurrence import MOVE_SLACK, occurrences
from meihao.time.workcalendar import WorkingCalendar

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.reminders")


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
    calendars: dict[int, WorkingCalendar] = {}
    for activity in await query:
        offsets = json_value(activity["reminder_offsets"]) or []
        activity["exdates"] = json_value(activity["exdates"])
        calendar = calendars.get(activity["community"])
        if calendar is None:
            calendar = await working_calendar(mh, {"id": activity["community"], "timezone": activity["timezone"]})
            calendars[activity["community"]] = calendar
        if (activity["holiday_policy"] or "keep") != "keep" and activity["calendar_version"] != calendar.version:
            created += await replan_on_calendar(mh, activity, offsets, calendar, now)
        horizon = now + timedelta(minutes=max(offsets, default=0)) + policy.lookahead
        start = activity["planned_until"] or activity["created_at"]
        # An activity just created or changed is planned to the full horizon; the periodic
        # round only extends activities with less than half the lookahead left, so that it
        # writes each of them every few days, not every round.
        due = horizon if activity_id is not None else horizon - policy.lookahead / 2
        if start >= due:
            continue
        rows = [
            _point(activity, o.key, offset, o.starts_at, now)
            for o in occurrences(activity, activity["timezone"], start, horizon, calendar)
            for offset in offsets
        ]
        async with mh.db.transaction():
            if rows:
                inserted = await DueReminder.insert(*rows).on_conflict(action="DO NOTHING").returning(DueReminder.id)
                created += len(inserted)
            await Activity.update({Activity.planned_until: horizon, Activity.calendar_version: calendar.version}).where(
                Activity.id == activity["id"], Activity.version == activity["version"]
            )
    return created


def _point(activity: dict[str, Any], key: str, offset: int, starts_at: datetime, now: datetime) -> DueReminder:
    return DueReminder(
        activity=activity["id"],
        version=activity["version"],
        occurrence=key,
        offset_minutes=offset,
        starts_at=starts_at,
        due_at=starts_at - timedelta(minutes=offset),
        status="pending",
        created_at=now,
    )


async def replan_on_calendar(mh: Meihao, activity: dict[str, Any], offsets: list[int], calendar: WorkingCalendar, now: datetime) -> int:
    """Bring the points already planned for ``activity`` (to its ``planned_until``) in line with ``calendar``; returns the new points.

    Only points not yet due are changed (fan-out owns the due ones, and what was sent stays
    sent): a point of an occurrence the calendar now moves gets the new start and due time;
    one of an occurrence it now skips (or moves into the past) is cancelled; one cancelled by
    an earlier calendar whose occurrence is back is pending again (its due time may have
    passed: it then goes out at once, the occurrence being still ahead); an occurrence newly
    inside the planned window gets its points. The activity's version is not raised, so
    nothing unaffected is sent again. Safe to repeat and to run on two nodes at once: every
    change is conditional on the point's status, and inserts ignore points already there.
    """
    planned_until = activity["planned_until"]
    # A window already past (the planner idle) may still hold points an earlier calendar moved beyond it,
    # up to MOVE_SLACK later: those are looked at too.
    if planned_until is None or not offsets:
        await _record(activity, calendar)
        return 0
    # Look past the planner's cursor too: a point planned before it may now fall after it.
    target = {o.key: o for o in occurrences(activity, activity["timezone"], now, planned_until + MOVE_SLACK, calendar)}
    mine = (DueReminder.activity == activity["id"], DueReminder.version == activity["version"])
    columns = (DueReminder.id, DueReminder.occurrence, DueReminder.offset_minutes, DueReminder.starts_at, DueReminder.due_at,
               DueReminder.status)
    rows = {r["id"]: r for r in await DueReminder.select(*columns).where(*mine, DueReminder.status == "pending", DueReminder.due_at > now)}
    if target:
        rows.update({r["id"]: r for r in await DueReminder.select(*columns).where(*mine, DueReminder.occurrence.is_in(list(target)))})
    planned_keys = {r["occurrence"] for r in rows.values()}
    have = {(r["occurrence"], r["offset_minutes"]) for r in rows.values()}
    moved = cancelled = reopened = 0
    async with mh.db.transaction():
        for row in rows.values():
            occurrence = target.get(row["occurrence"])
            not_yet_due = row["status"] == "pending" and row["due_at"] > now
            if occurrence is None:
                if not_yet_due:
                    cancelled += len(await DueReminder.update({DueReminder.status: "cancelled"}).where(
                        DueReminder.id == row["id"], DueReminder.status == "pending").returning(DueReminder.id))
                continue
            times = {DueReminder.starts_at: occurrence.starts_at,
                     DueReminder.due_at: occurrence.starts_at - timedelta(minutes=row["offset_minutes"])}
            if not_yet_due and row["starts_at"] != occurrence.starts_at:
                moved += len(await DueReminder.update(times).where(
                    DueReminder.id == row["id"], DueReminder.status == "pending").returning(DueReminder.id))
            elif row["status"] == "cancelled":  # only a calendar cancels a point of the current version whose occurrence exists
                reopened += len(await DueReminder.update({**times, DueReminder.status: "pending"}).where(
                    DueReminder.id == row["id"], DueReminder.status == "cancelled").returning(DueReminder.id))
        new = [
            _point(activity, key, offset, o.starts_at, now)
            for key, o in target.items()
            if o.starts_at < planned_until or key in planned_keys
            for offset in offsets
            if (key, offset) not in have
        ]
        inserted = await DueReminder.insert(*new).on_conflict(action="DO NOTHING").returning(DueReminder.id) if new else []
        await _record(activity, calendar)
    if moved or cancelled or reopened or inserted:
        log.info("activity %s re-planned on calendar %s: %d point(s) moved, %d cancelled, %d back, %d new",
                 activity["id"], calendar.version, moved, cancelled, reopened, len(inserted))
    return len(inserted)


async def _record(activity: dict[str, Any], calendar: WorkingCalendar) -> None:
    await Activity.update({Activity.calendar_version: calendar.version}).where(
        Activity.id == activity["id"], Activity.version == activity["version"])
    activity["calendar_version"] = calendar.version
