"""Writes what an item's history means now: its clocks' deadlines and the escalation levels still to come.

Called inside the transaction that changed the item (open, transition, extension), so the
clocks and the pending escalations always match the history. Escalation rows already sent
stay as they are: each level of each clock fires once in the item's life, even when an
extension moves the deadline afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from meihao.register.calendar import working_calendar
from meihao.register.tables import Community
from meihao.workitems.clocks import level_reached_at, rebuild
from meihao.workitems.tables import WorkItemClock, WorkItemEscalation, WorkItemEvent
from meihao.workitems.workflows import Workflow

if TYPE_CHECKING:
    from meihao.runtime import Meihao


async def history(item_id: int) -> list[dict[str, Any]]:
    """The item's events in order: ``at``, ``staff``, ``actor``, ``action``, ``from_state``, ``to_state``, ``reason``, ``detail``."""
    return await WorkItemEvent.select(
        WorkItemEvent.id, WorkItemEvent.at, WorkItemEvent.staff, WorkItemEvent.actor, WorkItemEvent.action,
        WorkItemEvent.from_state, WorkItemEvent.to_state, WorkItemEvent.reason, WorkItemEvent.detail,
    ).where(WorkItemEvent.item == item_id).order_by(WorkItemEvent.at).order_by(WorkItemEvent.id).output(load_json=True)


async def recompute(mh: Meihao, workflow: Workflow, item: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """Rebuild every clock of ``item`` from its history, store them, and re-plan its pending escalations.

    Returns the clocks as stored (``name``, ``started_at``, ``stopped_at``, ``due_at``, ``yellow_at``,
    ``paused_seconds``, ``extensions``, ...).
    """
    place = await Community.select(Community.id, Community.timezone).where(Community.id == item["community"]).first()
    calendar = await working_calendar(mh, place)
    levels = workflow.escalation_levels(mh.settings)
    events = await history(item["id"])
    rules = await WorkItemClock.select().where(WorkItemClock.item == item["id"]).order_by(WorkItemClock.id)
    sent = {(r["clock"], r["level"]) for r in await WorkItemEscalation.select(WorkItemEscalation.clock, WorkItemEscalation.level).where(
        WorkItemEscalation.item == item["id"], WorkItemEscalation.sent_at.is_not_null())}
    await WorkItemEscalation.delete().where(WorkItemEscalation.item == item["id"], WorkItemEscalation.sent_at.is_null())
    pending: list[WorkItemEscalation] = []
    stored = []
    for rule in rules:
        state = rebuild(workflow, rule, events, calendar, now, levels)
        values = {
            "started_at": state.started_at, "stopped_at": state.stopped_at, "due_at": state.due_at, "yellow_at": state.yellow_at,
            "paused_seconds": int(state.paused_time.total_seconds()), "extensions": state.extensions,
            "calendar_version": state.calendar_version,
        }
        await WorkItemClock.update({getattr(WorkItemClock, k): v for k, v in values.items()}).where(WorkItemClock.id == rule["id"])
        stored.append({**rule, **values})
        if state.due_at is None or state.stopped_at is not None or item["final"]:
            continue
        for level in levels:
            if (state.name, level.name) in sent:
                continue
            reached = level_reached_at(level, state.due_at, calendar)
            if reached <= state.started_at:  # a warning "before" a clock that had not started yet
                continue
            pending.append(WorkItemEscalation(
                item=item["id"], clock=state.name, level=level.name, reach=level.reach, reached_at=reached,
                # Notices go out in working hours: one reached at night or on a holiday waits for the next opening.
                notify_at=calendar.next_working_moment(reached),
            ))
    if pending:
        await WorkItemEscalation.insert(*pending)
    return stored
