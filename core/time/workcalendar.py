"""The working calendar (工作日历): working days and working hours on China's official calendar, as pure computation.

Four layers decide whether a day is worked, each over the one before it:

1. the **weekly working windows**: the ordinary working weekdays (Monday to Friday) and the
   segments of a working day (``08:30–12:00`` and ``13:30–17:30``: a lunch break between);
2. the **official holidays** (法定节假日) the State Council announces for a year;
3. the **make-up workdays** (调休上班): weekend days worked to bridge a holiday;
4. the **street's overrides**: a day closed (a typhoon, a local holiday) or opened (an extra
   working day), for the whole street or one community.

A make-up workday or an opened day has the ordinary segments. A year whose official schedule
is not loaded has no holidays and no make-up days: only the weekly windows count
(``known_years`` says which years are loaded; ``meihao doctor`` warns from November when next
year is missing).

Everything is computed on the community's wall clock (Asia/Shanghai by default) and answered
as aware datetimes in that zone. Nothing here reads the database: ``meihao.register.calendar``
loads the layers and builds a :class:`WorkingCalendar`.

Counting rules (the same for every scene; see docs/plugins.md, "Working calendar"):

* ``add_working_days(day, n)`` with a **date**: the n-th working day *after* ``day``; the day
  itself is never counted (期间开始之日不计算在内), so a start on Friday or on Saturday gives the
  same Monday for ``n=1``. ``n=0`` is ``day`` when it is a working day, else the next working
  day ("day 0" is the first day work can happen). A negative ``n`` counts back.
* ``add_working_days(moment, n)`` with a **datetime**: the same point of the working day, ``n``
  working days later (Friday 17:00 + 1 → Monday 17:00). A moment outside working hours counts
  as the close of the last working day (Friday 18:00 or Saturday + 1 → Monday 17:30); ``n=0``
  is the next moment work can happen (the moment itself inside working hours).
* ``add_working_hours(moment, h)``: the earliest moment after which ``h`` hours of working time
  have passed (an answer on a boundary is the end of the earlier segment: 12:00, not 13:30);
  ``h=0`` is the next moment work can happen; a negative ``h`` counts back.
* ``working_time_between(a, b)``: the working time inside ``[a, b]`` (negative when ``b < a``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

Segment = tuple[time, time]

#: A working day of the street offices: 08:30–12:00 and 13:30–17:30 (7.5 hours).
DEFAULT_HOURS: tuple[str, ...] = ("08:30-12:00", "13:30-17:30")
#: Monday to Friday, ISO numbering (Monday = 1).
DEFAULT_WEEKDAYS: tuple[int, ...] = (1, 2, 3, 4, 5)

#: How far a search for the next working day may go before the calendar is called broken.
_MAX_DAYS = 3700

DayKind = Literal["workday", "weekend", "holiday", "makeup_workday", "closed", "opened"]


@dataclass(frozen=True)
class Override:
    """A street's (or one community's) decision about one day: ``open`` True works it, False closes it."""

    open: bool
    reason: str = ""


def parse_segments(spec: Iterable[str]) -> tuple[Segment, ...]:
    """``["08:30-12:00", "13:30-17:30"]`` → segments; ValueError naming the bad one.

    Segments must be in order, not overlap, and lie within one day (``24:00`` is not allowed).
    """
    segments: list[Segment] = []
    for text in spec:
        start_text, sep, end_text = text.strip().partition("-")
        try:
            if not sep:
                raise ValueError
            start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
            if start.tzinfo is not None or end.tzinfo is not None:  # "08:30-12:00-13:00" reads 12:00 at UTC-13:00
                raise ValueError
        except ValueError:
            raise ValueError(f"{text!r} is not a segment like 08:30-12:00") from None
        if start >= end:
            raise ValueError(f"{text!r} ends before it starts")
        if segments and start < segments[-1][1]:
            raise ValueError(f"{text!r} overlaps or comes before the segment before it")
        segments.append((start, end))
    if not segments:
        raise ValueError("a working day needs at least one segment")
    return tuple(segments)


class WorkingCalendar:
    """Working days and hours for one community (or the whole street), from the four layers.

    ``holidays`` and ``makeup_workdays`` map a date to the holiday's name; ``overrides`` maps a
    date to an :class:`Override`; ``years`` are the years whose official schedule is loaded
    (default: the years that appear in ``holidays`` and ``makeup_workdays``).
    """

    def __init__(
        self,
        *,
        timezone_name: str = "Asia/Shanghai",
        hours: Iterable[str] | Sequence[Segment] = DEFAULT_HOURS,
        weekdays: Iterable[int] = DEFAULT_WEEKDAYS,
        holidays: Mapping[date, str] | None = None,
        makeup_workdays: Mapping[date, str] | None = None,
        overrides: Mapping[date, Override] | None = None,
        years: Iterable[int] | None = None,
    ) -> None:
        self.tz = ZoneInfo(timezone_name)
        self.timezone_name = timezone_name
        given = list(hours)
        self.segments: tuple[Segment, ...] = parse_segments(given) if given and isinstance(given[0], str) else tuple(given)  # type: ignore
        if not self.segments:
            raise ValueError("a working day needs at least one segment")
        self.weekdays = frozenset(weekdays)
        if not self.weekdays or not self.weekdays <= set(range(1, 8)):
            raise ValueError("weekdays: give one or more ISO weekdays, 1 (Monday) to 7 (Sunday)")
        self.holidays: dict[date, str] = dict(holidays or {})
        self.makeup_workdays: dict[date, str] = dict(makeup_workdays or {})
        both = sorted(set(self.holidays) & set(self.makeup_workdays))
        if both:
            raise ValueError(f"{both[0].isoformat()} is both an official holiday and a make-up workday")
        self.overrides: dict[date, Override] = dict(overrides or {})
        self.known_years: frozenset[int] = frozenset(
            years if years is not None else {d.year for d in (*self.holidays, *self.makeup_workdays)}
        )
        self._day_cache: dict[date, tuple[tuple[datetime, datetime], ...]] = {}
        self.version = self._version()

    def __repr__(self) -> str:
        years = f"{min(self.known_years)}–{max(self.known_years)}" if self.known_years else "none"
        return f"<WorkingCalendar {self.timezone_name} years {years} version {self.version}>"

    def _version(self) -> str:
        """A short hash of everything that moves an answer (names and reasons do not)."""
        data = {
            "tz": self.timezone_name,
            "segments": [[s.isoformat(), e.isoformat()] for s, e in self.segments],
            "weekdays": sorted(self.weekdays),
            "years": sorted(self.known_years),
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "makeup": sorted(d.isoformat() for d in self.makeup_workdays),
            "overrides": sorted([d.isoformat(), o.open] for d, o in self.overrides.items()),
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]

    # -- days ---------------------------------------------------------------------------

    def day_kind(self, day: date) -> DayKind:
        """Which layer decided: ``workday``/``weekend`` (weekly windows), ``holiday``,
        ``makeup_workday``, or the street's ``closed``/``opened``."""
        if isinstance(day, datetime):
            day = _utc(day).astimezone(self.tz).date()
        override = self.overrides.get(day)
        if override is not None:
            return "opened" if override.open else "closed"
        if day in self.holidays:
            return "holiday"
        if day in self.makeup_workdays:
            return "makeup_workday"
        return "workday" if day.isoweekday() in self.weekdays else "weekend"

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` (a date, or an aware datetime taken in the community's zone) is worked."""
        return self.day_kind(day) in ("workday", "makeup_workday", "opened")

    def is_working_time(self, moment: datetime) -> bool:
        """Whether ``moment`` lies inside a working segment (start included, end excluded)."""
        at = _utc(moment)
        return any(start <= at < end for start, end in self._intervals(at.astimezone(self.tz).date()))

    def _intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working segments of ``day`` as UTC intervals (none on a day off)."""
        cached = self._day_cache.get(day)
        if cached is None:
            if self.is_workday(day):
                cached = tuple(
                    (datetime.combine(day, s, self.tz).astimezone(timezone.utc), datetime.combine(day, e, self.tz).astimezone(timezone.utc))
                    for s, e in self.segments
                )
            else:
                cached = ()
            self._day_cache[day] = cached
        return cached

    def _step(self, day: date, n: int) -> date:
        """The |n|-th working day after (n > 0) or before (n < 0) ``day``, not counting ``day``."""
        step = 1 if n > 0 else -1
        remaining, searched = abs(n), 0
        while remaining:
            day += timedelta(days=step)
            searched += 1
            if searched > _MAX_DAYS * max(1, abs(n)):
                raise ValueError("no working day found: the calendar closes every day")
            if self.is_workday(day):
                remaining -= 1
                searched = 0
        return day

    def next_workday(self, day: date) -> date:
        """``day`` if it is worked, else the first working day after it."""
        return day if self.is_workday(day) else self._step(day, 1)

    def close_of(self, day: date) -> datetime:
        """The end of ``day``'s last working segment (of the next working day when ``day`` is off)."""
        return self._intervals(self.next_workday(day))[-1][1].astimezone(self.tz)

    # -- working days ---------------------------------------------------------------------

    def add_working_days(self, start: date | datetime, n: int) -> date | datetime:
        """``n`` working days from ``start`` (a date → a date, an aware datetime → an aware datetime);
        see the module's docstring for day 0 and starts on a day off."""
        if isinstance(start, datetime):
            if n == 0:
                return self.next_working_moment(start)
            day, elapsed = self._position(_utc(start))
            return self._moment_at(self._step(day, n), elapsed).astimezone(self.tz)
        if n == 0:
            return self.next_workday(start)
        return self._step(start, n)

    def _position(self, at: datetime) -> tuple[date, timedelta]:
        """The working day in progress at ``at`` and the working time already done in it.

        Before a day's opening, on a day off or after the close, it is the last working day
        that opened, with all its time done.
        """
        day = at.astimezone(self.tz).date()
        intervals = self._intervals(day)
        if not intervals or at < intervals[0][0]:
            day = self._step(day, -1)
            intervals = self._intervals(day)
        return day, sum((min(at, end) - start for start, end in intervals if start < at), timedelta(0))

    def _moment_at(self, day: date, elapsed: timedelta) -> datetime:
        """The earliest moment of ``day`` at which ``elapsed`` working time is done (its close at most)."""
        intervals = self._intervals(day)
        for start, end in intervals:
            if elapsed <= end - start:
                return start + elapsed
            elapsed -= end - start
        return intervals[-1][1]

    # -- working hours --------------------------------------------------------------------

    def next_working_moment(self, moment: datetime) -> datetime:
        """``moment`` if it is inside working hours, else the next opening."""
        at = _utc(moment)
        day = at.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            for start, end in self._intervals(day):
                if at < end:
                    return max(start, at).astimezone(self.tz)
            day += timedelta(days=1)
        raise ValueError("no working time found: the calendar closes every day")

    def add_working_hours(self, moment: datetime, hours: float | timedelta) -> datetime:
        """The moment ``hours`` of working time after (or, negative, before) ``moment``."""
        remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if not remaining:
            return self.next_working_moment(moment)
        at = _utc(moment)
        day = at.astimezone(self.tz).date()
        forwards = remaining > timedelta(0)
        remaining = abs(remaining)
        for _ in range(_MAX_DAYS + remaining.days * 2):
            intervals = self._intervals(day)
            for start, end in intervals if forwards else reversed(intervals):
                if forwards:
                    begin = max(start, at)
                    if begin >= end:
                        continue
                    if remaining <= end - begin:
                        return (begin + remaining).astimezone(self.tz)
                    remaining -= end - begin
                else:
                    finish = min(end, at)
                    if finish <= start:
                        continue
                    if remaining <= finish - start:
                        return (finish - remaining).astimezone(self.tz)
                    remaining -= finish - start
            day += timedelta(days=1 if forwards else -1)
        raise ValueError("no working time found: the calendar closes every day")

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time inside ``[a, b]``; negative when ``b`` is before ``a``."""
        first, last = _utc(a), _utc(b)
        if last < first:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        day, end_day = first.astimezone(self.tz).date(), last.astimezone(self.tz).date()
        while day <= end_day:
            for start, end in self._intervals(day):
                overlap = min(end, last) - max(start, first)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total


class Deadline(msgspec.Struct, frozen=True, kw_only=True):
    """A deadline that remembers how it was computed and on which calendar (its ``version``).

    Store all its fields (a scene keeps them in its own columns or one JSON column). A later
    change of the calendar (next year loaded, a typhoon day closed) never moves a stored
    deadline by itself: ``is_current(calendar)`` tells that the calendar has changed since,
    and ``recompute(calendar)`` is the explicit action that gives the new deadline.

    Exactly one of ``working_days`` and ``working_hours`` is set. With ``by_close`` (days only)
    the deadline is the close of the n-th working day after the start's date (the rule of
    most 12345 regulations: "within 5 working days" ends with the 5th working day's office
    hours); without it, the same point of the working day n working days later.
    """

    start: datetime
    due_at: datetime
    calendar_version: str
    working_days: int | None = None
    working_hours: float | None = None
    by_close: bool = False

    @classmethod
    def compute(
        cls,
        calendar: WorkingCalendar,
        start: datetime,
        *,
        working_days: int | None = None,
        working_hours: float | None = None,
        by_close: bool = False,
    ) -> Deadline:
        if (working_days is None) == (working_hours is None):
            raise ValueError("give exactly one of working_days and working_hours")
        if by_close and working_days is None:
            raise ValueError("by_close applies to working_days only")
        if working_days is not None:
            if by_close:
                start_day = _utc(start).astimezone(calendar.tz).date()
                due = calendar.close_of(calendar.add_working_days(start_day, working_days))  # type: ignore[arg-type]
            else:
                due = calendar.add_working_days(start, working_days)  # type: ignore[assignment]
        else:
            due = calendar.add_working_hours(start, working_hours)  # type: ignore[arg-type]
        return cls(start=start, due_at=due, calendar_version=calendar.version, working_days=working_days,
                   working_hours=working_hours, by_close=by_close)

    def is_current(self, calendar: WorkingCalendar) -> bool:
        """Whether ``calendar`` is the one this deadline was computed on."""
        return self.calendar_version == calendar.version

    def recompute(self, calendar: WorkingCalendar) -> Deadline:
        """The same rule from the same start on ``calendar``: a new Deadline (this one is unchanged)."""
        return Deadline.compute(calendar, self.start, working_days=self.working_days, working_hours=self.working_hours,
                                by_close=self.by_close)


def _utc(moment: datetime) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the working calendar needs an aware datetime, got {moment!r}")
    return moment.astimezone(timezone.utc)


# -- the same, as functions taking the calendar first (the public API's module-level names) --


def is_workday(calendar: WorkingCalendar, day: date) -> bool:
    return calendar.is_workday(day)


def add_working_days(calendar: WorkingCalendar, start: date | datetime, n: int) -> date | datetime:
    return calendar.add_working_days(start, n)


def add_working_hours(calendar: WorkingCalendar, moment: datetime, hours: float | timedelta) -> datetime:
    return calendar.add_working_hours(moment, hours)


def working_time_between(calendar: WorkingCalendar, a: datetime, b: datetime) -> timedelta:
    return calendar.working_time_between(a, b)
