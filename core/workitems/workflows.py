"""What a scene declares about its work items: states and transitions, pause and final states, clocks, escalation levels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from meihao.config import Settings

#: Who an escalation level reaches, in the order of the chain; a level reaches everyone up to its own rung.
CHAIN: tuple[str, ...] = ("assignee", "grid_leader", "community_admin", "street_admin")


@dataclass(frozen=True)
class Duration:
    """A length of working time: ``working_days`` (with ``by_close``: to the close of the n-th working
    day, the rule of most 12345 regulations) or ``working_hours``; exactly one of the two."""

    working_days: int | None = None
    working_hours: float | None = None
    by_close: bool = False

    def __post_init__(self) -> None:
        if (self.working_days is None) == (self.working_hours is None):
            raise ValueError("Duration: give exactly one of working_days and working_hours")
        if self.by_close and self.working_days is None:
            raise ValueError("Duration: by_close applies to working_days only")
        if (self.working_days or 0) < 0 or (self.working_hours or 0) < 0:
            raise ValueError("Duration: must not be negative")


@dataclass(frozen=True)
class DeadlineClock:
    """One clock of a workflow (``sign_off``, ``first_response``, ``resolution``, …).

    It starts when the item opens (``starts_in`` empty) or first enters one of ``starts_in``,
    and stops (met) when the item first enters one of ``stops_in`` or a final state. ``duration``
    is the default; ``by_kind`` gives other lengths per item kind (咨询 1 day, 投诉 10 days), and
    ``open_item(durations=...)`` overrides both for one item (a deadline given by the 12345 platform).
    """

    name: str
    duration: Duration
    stops_in: tuple[str, ...] = ()
    starts_in: tuple[str, ...] = ()
    by_kind: dict[str, Duration] = field(default_factory=dict)

    def duration_for(self, kind: str) -> Duration:
        return self.by_kind.get(kind, self.duration)


@dataclass(frozen=True)
class EscalationLevel:
    """An escalation level: reached ``working_days`` (or ``working_hours``) after a clock's deadline
    (negative: before it), reaching the chain up to ``reach`` (see :data:`CHAIN`)."""

    name: str
    reach: str
    working_days: int | None = None
    working_hours: float | None = None

    def __post_init__(self) -> None:
        if self.reach not in CHAIN:
            raise ValueError(f"EscalationLevel {self.name!r}: reach must be one of {', '.join(CHAIN)}, not {self.reach!r}")
        if (self.working_days is None) == (self.working_hours is None):
            raise ValueError(f"EscalationLevel {self.name!r}: give exactly one of working_days and working_hours")


@dataclass(frozen=True)
class Transition:
    """An allowed move from ``source`` to ``target``; ``permission`` (when given) is checked on the
    caller, and ``reason`` says that the move needs a reason (退回, 延期, 重办)."""

    source: str
    target: str
    permission: str = ""
    reason: bool = False


@dataclass(frozen=True)
class Workflow:
    """A scene's state machine for one kind of work item; the kernel enforces it.

    ``scenario`` owns the items (their notices go out under its scene); ``name`` is unique within
    it. ``initial`` is the state an item opens in. ``pause`` states stop every running clock
    (waiting for the resident); ``final`` states close the item and stop its clocks. ``levels``
    are the escalation levels (None: the kernel's defaults, from the settings); ``max_extensions``
    and ``max_extension`` limit extensions (None: the settings'). A call-back (回访) may be recorded
    on a closed item, and on an open one in a state of ``callback_in`` (answered, waiting for 回访).
    """

    scenario: str
    name: str
    initial: str
    transitions: tuple[Transition, ...]
    clocks: tuple[DeadlineClock, ...] = ()
    pause: tuple[str, ...] = ()
    final: tuple[str, ...] = ()
    levels: tuple[EscalationLevel, ...] | None = None
    max_extensions: int | None = None
    max_extension: Duration | None = None
    callback_in: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        states = self.states
        where = f"workflow {self.scenario}.{self.name}"
        for state in (*self.pause, *self.final, *self.callback_in):
            if state not in states:
                raise ValueError(f"{where}: {state!r} is in pause/final/callback_in but no transition leads to or from it")
        for transition in self.transitions:
            if transition.source in self.final:
                raise ValueError(f"{where}: {transition.source!r} is final, so no transition may leave it")
        names = [clock.name for clock in self.clocks]
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: two clocks share a name")
        for clock in self.clocks:
            for state in (*clock.stops_in, *clock.starts_in):
                if state not in states:
                    raise ValueError(f"{where}: clock {clock.name!r} names the unknown state {state!r}")
        if len({level.name for level in self.levels or ()}) != len(self.levels or ()):
            raise ValueError(f"{where}: two escalation levels share a name")

    @property
    def states(self) -> set[str]:
        return {self.initial} | {t.source for t in self.transitions} | {t.target for t in self.transitions}

    def transition(self, source: str, target: str) -> Transition | None:
        return next((t for t in self.transitions if t.source == source and t.target == target), None)

    def clock(self, name: str) -> DeadlineClock | None:
        return next((c for c in self.clocks if c.name == name), None)

    def escalation_levels(self, settings: Settings) -> tuple[EscalationLevel, ...]:
        return self.levels if self.levels is not None else default_levels(settings)


def default_levels(settings: Settings) -> tuple[EscalationLevel, ...]:
    """The kernel's escalation levels, from the settings (sources in docs/workitems.md): a yellow flag
    before the deadline to the assignee, red at the deadline, then the grid leaders, the community's
    admins and the street, each added to those before."""
    return (
        EscalationLevel("yellow", "assignee", working_days=-settings.workitem_yellow_working_days),
        EscalationLevel("red", "assignee", working_days=0),
        EscalationLevel("grid_leader", "grid_leader", working_days=settings.workitem_grid_leader_after_working_days),
        EscalationLevel("community_admin", "community_admin", working_days=settings.workitem_community_after_working_days),
        EscalationLevel("street_admin", "street_admin", working_days=settings.workitem_street_after_working_days),
    )
