"""An item's clocks rebuilt from its history: when each started and stopped, its paused working time, its deadline.

Pure computation on a :class:`~meihao.WorkingCalendar`: nothing here reads the database. Paused
time is never a counter that transitions add to: it is the working time the item spent in its
workflow's pause states, read off the history each time, so a history is the whole truth.

A clock's deadline: ``start + (duration + extensions)`` on the calendar (the rule of
:class:`~meihao.Deadline`), then moved later by the paused working time. While the item is in a
pause state the clock has no deadline (it is stopped; it gets one again on resumption).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from meihao.time.workcalendar import Deadline, WorkingCalendar
from meihao.workitems.workflows import EscalationLevel, Workflow


@dataclass
class ClockState:
    """What a clock is now: ``due_at`` None when not started or paused; ``stopped_at`` set when met."""

    name: str
    started_at: datetime | None
    stopped_at: datetime | None
    paused: bool
    paused_time: timedelta
    extensions: int
    due_at: datetime | None
    yellow_at: datetime | None
    calendar_version: str


def timeline(events: list[dict[str, Any]]) -> list[tuple[datetime, str]]:
    """The states the item entered, in order: ``(when, state)`` from its open and transition events."""
    return [(e["at"], e["to_state"]) for e in events if e["action"] in ("open", "transition")]


def rebuild(
    workflow: Workflow, rule: dict[str, Any], events: list[dict[str, Any]], calendar: WorkingCalendar, now: datetime,
    levels: tuple[EscalationLevel, ...] = (),
) -> ClockState:
    """The clock named ``rule["name"]`` (with its ``working_days``/``working_hours``/``by_close``) from the history."""
    clock = workflow.clock(rule["name"])
    assert clock is not None, rule["name"]
    entered = timeline(events)
    stops = set(clock.stops_in) | set(workflow.final)
    started_at = stopped_at = None
    for at, state in entered:
        if started_at is None:
            if not clock.starts_in or state in clock.starts_in:
                started_at = at
            else:
                continue
        if state in stops:
            stopped_at = at
            break
    current = entered[-1][1] if entered else workflow.initial
    paused_now = started_at is not None and stopped_at is None and current in workflow.pause
    paused = _paused_time(workflow, entered, started_at, stopped_at or now, calendar)
    days, hours = rule["working_days"], rule["working_hours"]
    extensions = 0
    for e in events:
        if e["action"] == "extend" and e["detail"].get("clock") == rule["name"]:
            extensions += 1
            days = days + e["detail"].get("working_days", 0) if days is not None else None
            hours = hours + e["detail"].get("working_hours", 0) if hours is not None else None
    due_at = yellow_at = None
    if started_at is not None and not paused_now:
        due_at = Deadline.compute(calendar, started_at, working_days=days, working_hours=hours, by_close=rule["by_close"]).due_at
        if paused:
            due_at = calendar.add_working_hours(due_at, paused)
        # The yellow flag: the earliest level before the deadline, unless it falls before the clock
        # started (a 2-hour sign-off has no yellow day).
        before = [level_reached_at(level, due_at, calendar) for level in levels if (level.working_days or level.working_hours or 0) < 0]
        if before and min(before) > started_at:
            yellow_at = min(before)
    return ClockState(
        name=rule["name"], started_at=started_at, stopped_at=stopped_at, paused=paused_now, paused_time=paused,
        extensions=extensions, due_at=due_at, yellow_at=yellow_at, calendar_version=calendar.version,
    )


def _paused_time(
    workflow: Workflow, entered: list[tuple[datetime, str]], start: datetime | None, end: datetime, calendar: WorkingCalendar,
) -> timedelta:
    """Working time spent in pause states inside ``[start, end]``."""
    if start is None:
        return timedelta(0)
    total = timedelta(0)
    for (since, state), (until, _) in zip(entered, [*entered[1:], (end, "")], strict=True):
        if state in workflow.pause:
            a, b = max(since, start), min(until, end)
            if b > a:
                total += calendar.working_time_between(a, b)
    return total


def level_reached_at(level: EscalationLevel, due_at: datetime, calendar: WorkingCalendar) -> datetime:
    """When ``level`` is reached for a deadline: its offset from ``due_at`` in working days or hours."""
    if level.working_days:
        return calendar.add_working_days(due_at, level.working_days)  # type: ignore[return-value]
    if level.working_hours:
        return calendar.add_working_hours(due_at, level.working_hours)
    return due_at


def flag(state: ClockState | dict[str, Any], now: datetime) -> str:
    """``met`` (stopped in time), ``met_late`` (stopped after its deadline), ``waiting`` (not started),
    ``paused``, ``red`` (past due), ``yellow`` (past its yellow moment) or ``green``."""
    get = state.get if isinstance(state, dict) else lambda name: getattr(state, name)
    if get("stopped_at") is not None:
        return "met_late" if get("due_at") is not None and get("stopped_at") > get("due_at") else "met"
    if get("started_at") is None:
        return "waiting"
    if get("due_at") is None:
        return "paused"
    if now >= get("due_at"):
        return "red"
    if get("yellow_at") is not None and now >= get("yellow_at"):
        return "yellow"
    return "green"


#: From calm to alarming: an item's flag is its worst clock's.
FLAG_ORDER = ("met", "met_late", "waiting", "paused", "green", "yellow", "red")
