"""Occurrences of an activity: RFC 5545 RRULE, yearly Chinese lunar dates, and the holiday policy on the working calendar.

Times are computed on the community's wall clock (a 9:00 market stays at 9:00) and
returned in UTC. Each occurrence has a stable ``key``, its original start in UTC, which
does not change when a holiday moves it; reminders and calendar feeds are keyed on it.

The holiday policy reads a :class:`~meihao.time.workcalendar.WorkingCalendar`, passed in by
the caller (the kernel passes the community's, from ``meihao.working_calendar``: the official
years loaded in the database, the make-up workdays and the street's overrides). An occurrence
is *on a holiday* when its day is an official holiday (法定节假日) or a day the street closed
(a typhoon day); a day the street opened is a working day, even on a Sunday or inside a
holiday. ``skip`` drops such an occurrence; ``next_workday``/``previous_workday`` move it to
the nearest day the calendar works (make-up workdays and opened days included); ``keep``
ignores the calendar. In a year whose official schedule is not loaded, no day is an official
holiday (only closed days move) and the working weekdays are workdays; a warning is logged.

Without a calendar, :func:`package_calendar` is used: the years the pinned ``chinese-calendar``
package knows and no overrides (what this module did before the working calendar existed;
for tests and scripts, never for the kernel's own answers).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from lunardate import LunarDate

from meihao.errors import InvalidInput
from meihao.time.workcalendar import WorkingCalendar

log = logging.getLogger("meihao.recurrence")

HolidayPolicy = Literal["keep", "skip", "next_workday", "previous_workday"]
HOLIDAY_POLICIES: tuple[str, ...] = ("keep", "skip", "next_workday", "previous_workday")

#: Upper bound on occurrences looked at in one window, so a runaway rule cannot stall a worker.
MAX_OCCURRENCES = 2000
#: How far a holiday policy may move an occurrence, at most (the Spring Festival week and a
#: few closed days): windows are widened by it so that a moved occurrence is not missed.
MOVE_SLACK = timedelta(days=14)


@dataclass(frozen=True)
class Occurrence:
    key: str
    starts_at: datetime
    ends_at: datetime
    #: Set when the holiday policy moved this occurrence away from its original day.
    moved_from: date | None = None


def occurrence_key(original_start: datetime) -> str:
    return original_start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the official calendar -------------------------------------------------------------

#: The kinds of day (``WorkingCalendar.day_kind``) on which a holiday policy acts: an official
#: holiday, or a day the street (or the community) closed. An opened day is a working day.
HOLIDAY_KINDS = frozenset({"holiday", "closed"})


@lru_cache(maxsize=1)
def package_calendar() -> WorkingCalendar:
    """The official years of the pinned ``chinese-calendar`` package, without overrides: the default
    when no calendar is given (the database's seeded years hold the same days)."""
    from chinese_calendar.constants import holidays, workdays

    return WorkingCalendar(holidays={d: str(n) for d, n in holidays.items()}, makeup_workdays={d: str(n) for d, n in workdays.items()})


def holiday_calendar_known(year: int, calendar: WorkingCalendar | None = None) -> bool:
    """Whether ``year``'s official schedule is in ``calendar`` (default: the package's years)."""
    return year in (calendar or package_calendar()).known_years


def statutory_holiday(day: date, calendar: WorkingCalendar | None = None) -> str | None:
    """The name of the official holiday ``day`` belongs to (``National Day``), or None (also when the street opened it)."""
    cal = calendar or package_calendar()
    return cal.holidays[day] if cal.day_kind(day) == "holiday" else None


def is_workday(day: date, calendar: WorkingCalendar | None = None) -> bool:
    """A working day, counting adjusted workdays (调休上班), official holidays and the street's overrides."""
    return (calendar or package_calendar()).is_workday(day)


def policy_applies(day: date, calendar: WorkingCalendar) -> bool:
    """Whether a holiday policy acts on ``day``: an official holiday or a closed day (see the module's docstring)."""
    if day.year not in calendar.known_years:
        _warn_unknown_year(day.year)
    return calendar.day_kind(day) in HOLIDAY_KINDS


@lru_cache(maxsize=64)
def _warn_unknown_year(year: int) -> None:
    log.warning("the working calendar has no official schedule for %s: no statutory holidays, weekdays are workdays "
                "(load it with `meihao calendar load FILE`)", year)


def _shift_to_workday(day: date, step: int, calendar: WorkingCalendar) -> date:
    for _ in range(40):
        day += timedelta(days=step)
        if calendar.is_workday(day):
            return day
    return day


# -- rules ------------------------------------------------------------------------------


#: The parts of an RFC 5545 RRULE (DTSTART excluded: the activity's start is the first occurrence).
RULE_PARTS = (
    "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYYEARDAY", "BYWEEKNO", "BYSETPOS",
    "BYHOUR", "BYMINUTE", "BYSECOND", "WKST",
)
FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY")


def check_rule_parts(rrule: str) -> None:
    """InvalidInput in the user's terms for a rule that is not NAME=VALUE parts with a known FREQ and
    positive INTERVAL and COUNT (dateutil would answer with Python's words, or loop on INTERVAL=0)."""
    parts: dict[str, str] = {}
    for part in rrule.strip().strip(";").split(";"):
        name, equals, value = part.partition("=")
        name = name.strip().upper()
        if not equals or not name or not value.strip():
            raise InvalidInput(f"rrule: each part must read NAME=VALUE, e.g. FREQ=WEEKLY;BYDAY=SA, not {part!r}", field="rrule")
        if name not in RULE_PARTS:
            raise InvalidInput(f"rrule: {name} is not a part of a recurrence rule ({', '.join(RULE_PARTS)})", field="rrule")
        if name in parts:
            raise InvalidInput(f"rrule: {name} is given twice", field="rrule")
        parts[name] = value.strip().upper()
    if parts.get("FREQ") not in FREQUENCIES:
        raise InvalidInput(f"rrule: FREQ must be one of {', '.join(FREQUENCIES)}", field="rrule")
    for name in ("INTERVAL", "COUNT"):
        if name in parts and not (parts[name].isascii() and parts[name].isdigit() and 1 <= int(parts[name]) <= 10_000):
            raise InvalidInput(f"rrule: {name} must be a whole number from 1 to 10000", field="rrule")


def validate_rule(rrule: str, lunar_month: int | None, lunar_day: int | None, holiday_policy: str) -> None:
    """InvalidInput naming the field when a recurrence cannot be used."""
    if rrule and (lunar_month or lunar_day):
        raise InvalidInput("rrule: give either an RRULE or a lunar date, not both", field="rrule")
    if rrule:
        upper = rrule.upper()
        if "DTSTART" in upper:
            raise InvalidInput("rrule: leave DTSTART out; the activity's start is the first occurrence", field="rrule")
        check_rule_parts(rrule.removeprefix("RRULE:"))
        try:
            rrulestr(rrule.removeprefix("RRULE:"), dtstart=datetime(2026, 1, 1))
        except (ValueError, TypeError) as err:
            # dateutil's own words ("invalid 'BYDAY': XX", "not enough values to unpack") are not the
            # user's: name the part when its message does, else show what a rule looks like.
            part = re.search(r"invalid '([A-Z]+)'", str(err))
            what = f"the value of {part.group(1)} is not valid" if part else "not a valid RFC 5545 rule"
            raise InvalidInput(f"rrule: {what} (for example FREQ=WEEKLY;BYDAY=SA;COUNT=10)", field="rrule") from err
    if (lunar_month is None) != (lunar_day is None):
        raise InvalidInput("lunar_month: give lunar_month and lunar_day together", field="lunar_month")
    if lunar_month is not None and not (1 <= lunar_month <= 12 and 1 <= (lunar_day or 0) <= 30):
        raise InvalidInput("lunar_month: a lunar date is month 1–12, day 1–30", field="lunar_month")
    if holiday_policy not in HOLIDAY_POLICIES:
        raise InvalidInput(f"holiday_policy: must be one of {', '.join(HOLIDAY_POLICIES)}", field="holiday_policy")


def _lunar_starts(first_local: datetime, month: int, day: int) -> Iterator[datetime]:
    """Yearly on a lunar date, at the first occurrence's local time; a lunar 30th in a 29-day month falls on the 29th."""
    for year in range(first_local.year - 1, 2100):
        for d in (day, day - 1):
            try:
                solar = LunarDate(year, month, d).to_solar_date()
            except ValueError:
                continue
            start = datetime.combine(solar, first_local.timetz().replace(tzinfo=None))
            if start >= first_local.replace(tzinfo=None):
                yield start
            break


def lunar_date_of(day: date) -> tuple[int, int, bool]:
    """The lunar (month, day, leap month) of a solar day: to say, e.g., that a lunar 30th fell on the 29th."""
    lunar = LunarDate.fromSolarDate(day.year, day.month, day.day)
    return lunar.month, lunar.day, bool(lunar.isLeapMonth)


def _original_starts(activity: dict[str, Any], tz: ZoneInfo) -> Iterator[datetime]:
    """Naive local wall-clock starts, in order, before any holiday policy."""
    first = activity["starts_at"].astimezone(tz)
    naive_first = first.replace(tzinfo=None)
    if activity.get("rrule"):
        rule = rrulestr(activity["rrule"].removeprefix("RRULE:"), dtstart=naive_first)
        yield from rule
    elif activity.get("lunar_month"):
        yield from _lunar_starts(first, activity["lunar_month"], activity["lunar_day"])
    else:
        yield naive_first


def occurrences(
    activity: dict[str, Any], tz_name: str, start: datetime, end: datetime, calendar: WorkingCalendar | None = None
) -> list[Occurrence]:
    """Occurrences whose (possibly moved) start lies in ``[start, end)``, in order.

    ``activity`` has ``starts_at``, ``ends_at``, ``rrule``, ``lunar_month``, ``lunar_day``,
    ``recurrence_until``, ``exdates`` (keys) and ``holiday_policy``. ``calendar`` decides the
    holidays and working days (default :func:`package_calendar`); only its days are read, so
    its time zone does not matter.
    """
    tz = ZoneInfo(tz_name)
    calendar = calendar or package_calendar()
    duration = activity["ends_at"] - activity["starts_at"]
    until = activity.get("recurrence_until")
    exdates = set(activity.get("exdates") or [])
    policy = activity.get("holiday_policy") or "keep"
    # A move shifts a start by a few days at most (the Spring Festival week): look a little wider.
    slack = MOVE_SLACK if policy in ("next_workday", "previous_workday") else timedelta(0)
    result = []
    for count, naive in enumerate(_original_starts(activity, tz)):
        if count >= MAX_OCCURRENCES:
            break
        original = naive.replace(tzinfo=tz)
        if original >= end + slack or (until is not None and original > until):
            break
        if original < start - slack:
            continue
        key = occurrence_key(original)
        if key in exdates:
            continue
        day = original.date()
        moved_from = None
        if policy != "keep" and policy_applies(day, calendar):
            if policy == "skip":
                continue
            new_day = _shift_to_workday(day, 1 if policy == "next_workday" else -1, calendar)
            original_time = naive.time()
            moved = datetime.combine(new_day, original_time).replace(tzinfo=tz)
            moved_from, begins = day, moved
        else:
            begins = original
        if start <= begins < end:
            begins_utc = begins.astimezone(timezone.utc)
            result.append(Occurrence(key, begins_utc, begins_utc + duration, moved_from))
    result.sort(key=lambda o: o.starts_at)
    return result


def local_day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(tz_name)
    begin = datetime.combine(day, time(0), tzinfo=tz)
    return begin.astimezone(timezone.utc), (begin + timedelta(days=1)).astimezone(timezone.utc)
