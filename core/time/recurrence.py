"""Occurrences of an activity: RFC 5545 RRULE, yearly Chinese lunar dates, and the official holiday calendar.

Times are computed on the community's wall clock (a 9:00 market stays at 9:00) and
returned in UTC. Each occurrence has a stable ``key``, its original start in UTC, which
does not change when a holiday moves it; reminders and calendar feeds are keyed on it.

The official calendar (法定节假日 and 调休 adjusted workdays) comes from the
``chinese-calendar`` package, which knows the years the State Council has announced. For a
later year it does not know yet, no day counts as a statutory holiday and Monday to Friday
count as workdays; ``holiday_calendar_known(year)`` says which case applies.
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

import chinese_calendar
from dateutil.rrule import rrulestr
from lunardate import LunarDate

from meihao.errors import InvalidInput

log = logging.getLogger("meihao.recurrence")

HolidayPolicy = Literal["keep", "skip", "next_workday", "previous_workday"]
HOLIDAY_POLICIES: tuple[str, ...] = ("keep", "skip", "next_workday", "previous_workday")

#: Upper bound on occurrences looked at in one window, so a runaway rule cannot stall a worker.
MAX_OCCURRENCES = 2000


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


@lru_cache(maxsize=64)
def holiday_calendar_known(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        log.warning("the holiday calendar does not know %s yet: no statutory holidays, weekdays are workdays", year)
        return False
    return True


def statutory_holiday(day: date) -> str | None:
    """The name of the official holiday ``day`` belongs to (``National Day``), or None."""
    if not holiday_calendar_known(day.year):
        return None
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return name if on_holiday and name else None


def is_workday(day: date) -> bool:
    """A working day, counting adjusted workdays (调休上班) and official holidays."""
    if not holiday_calendar_known(day.year):
        return day.weekday() < 5
    return bool(chinese_calendar.is_workday(day))


def _shift_to_workday(day: date, step: int) -> date:
    for _ in range(40):
        day += timedelta(days=step)
        if is_workday(day):
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


def occurrences(activity: dict[str, Any], tz_name: str, start: datetime, end: datetime) -> list[Occurrence]:
    """Occurrences whose (possibly moved) start lies in ``[start, end)``, in order.

    ``activity`` has ``starts_at``, ``ends_at``, ``rrule``, ``lunar_month``, ``lunar_day``,
    ``recurrence_until``, ``exdates`` (keys) and ``holiday_policy``.
    """
    tz = ZoneInfo(tz_name)
    duration = activity["ends_at"] - activity["starts_at"]
    until = activity.get("recurrence_until")
    exdates = set(activity.get("exdates") or [])
    policy = activity.get("holiday_policy") or "keep"
    # A move shifts a start by a few days at most (the Spring Festival week): look a little wider.
    slack = timedelta(days=14) if policy in ("next_workday", "previous_workday") else timedelta(0)
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
        if policy != "keep" and statutory_holiday(day):
            if policy == "skip":
                continue
            new_day = _shift_to_workday(day, 1 if policy == "next_workday" else -1)
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
