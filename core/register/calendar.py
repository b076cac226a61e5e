"""The working calendar's data: official schedules per year, the street's overrides, and the calendar they make.

The computation lives in :mod:`meihao.time.workcalendar`; this module loads its layers from
the database (``meihao_calendar_year``/``_day``/``_override``), reads schedule files for
``meihao calendar load``, and writes overrides. ``working_calendar(mh, community)`` is the
public entry point: it answers a :class:`WorkingCalendar` in the community's zone, cached
until the data changes.

Schedule file (TOML, or JSON with the same keys and dates as ``"YYYY-MM-DD"`` strings)::

    year = 2027
    source = "国务院办公厅关于2027年部分节假日安排的通知"

    [[holidays]]                 # 放假: days off, weekends inside the holiday included
    name = "春节 Spring Festival"
    start = 2027-02-05
    end = 2027-02-11             # inclusive; leave out for one day (or write date = …)

    [[workdays]]                 # 调休上班: make-up workdays
    name = "春节 Spring Festival"
    date = 2027-02-14
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from piccolo.query.functions.aggregate import Count, Max

from meihao.access.audit import audit
from meihao.access.principals import SYSTEM, Principal
from meihao.errors import InvalidInput, NotFound
from meihao.register.communities import get_community
from meihao.register.tables import CalendarDay, CalendarOverride, CalendarYear
from meihao.time.workcalendar import Override, WorkingCalendar

if TYPE_CHECKING:
    from meihao.runtime import Meihao

_ENTRY_KEYS = {"name", "date", "start", "end"}
_FILE_KEYS = {"year", "source", "holidays", "workdays"}


@dataclass
class OfficialYear:
    """One year's official schedule: holidays and make-up workdays, each day with its holiday's name."""

    year: int
    source: str = ""
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)


# -- schedule files ----------------------------------------------------------------------


def read_schedule_file(path: str | Path) -> OfficialYear:
    """Parse a schedule file (``.toml`` or ``.json``); InvalidInput naming the file and the line or field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidInput(f"{path}: cannot read it: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise InvalidInput(f"{path}: not UTF-8 text") from err
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InvalidInput(f"{path}: line {err.lineno}: not valid JSON: {err.msg}") from err
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise InvalidInput(f"{path}: not valid TOML: {err}") from err
    return parse_schedule(data, where=str(path))


def parse_schedule(data: Any, where: str = "schedule") -> OfficialYear:
    """An OfficialYear from a decoded file; every problem names the field (``holidays[2].end``)."""

    def bad(field_name: str, problem: str) -> InvalidInput:
        return InvalidInput(f"{where}: {field_name}: {problem}", field=field_name)

    if not isinstance(data, dict):
        raise bad("(top level)", "must be a table/object with year, holidays and workdays")
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise bad(unknown[0], f"unknown key (known: {', '.join(sorted(_FILE_KEYS))})")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1949 < year < 2200:
        raise bad("year", f"must be a year such as 2027, got {year!r}")
    source = data.get("source", "")
    if not isinstance(source, str):
        raise bad("source", "must be text")
    result = OfficialYear(year=year, source=source)
    seen: dict[date, str] = {}
    for kind in ("holidays", "workdays"):
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            raise bad(kind, "must be a list of entries ([[holidays]] in TOML)")
        target = result.holidays if kind == "holidays" else result.workdays
        for index, entry in enumerate(entries):
            label = f"{kind}[{index}]"
            if not isinstance(entry, dict):
                raise bad(label, "must be a table/object with name and date (or start and end)")
            extra = sorted(set(entry) - _ENTRY_KEYS)
            if extra:
                raise bad(f"{label}.{extra[0]}", "unknown key (known: name, date, start, end)")
            name = entry.get("name", "")
            if not isinstance(name, str) or not name.strip():
                raise bad(f"{label}.name", "give the holiday's name, e.g. \"春节 Spring Festival\"")
            if "date" in entry and ("start" in entry or "end" in entry):
                raise bad(f"{label}.date", "give either date or start (and end), not both")
            first = _day(entry.get("date", entry.get("start")), f"{label}.{'date' if 'date' in entry else 'start'}", bad)
            last = _day(entry["end"], f"{label}.end", bad) if "end" in entry else first
            if last < first:
                raise bad(f"{label}.end", f"{last.isoformat()} is before the start {first.isoformat()}")
            day = first
            while day <= last:
                if day.year != year:
                    raise bad(label, f"{day.isoformat()} is not in {year}")
                if day in seen:
                    raise bad(label, f"{day.isoformat()} is already listed ({seen[day]})")
                seen[day] = label
                target[day] = name.strip()
                day += timedelta(days=1)
    if not result.holidays:
        raise bad("holidays", f"no holiday listed for {year}: a year's official schedule has some")
    return result


def _day(value: Any, field_name: str, bad: Any) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    if value is None:
        raise bad(field_name, "missing: give a date such as 2027-10-01")
    raise bad(field_name, f"{value!r} is not a date such as 2027-10-01")


# -- official years ----------------------------------------------------------------------


async def load_official_year(mh: Meihao, schedule: OfficialYear, principal: Principal = SYSTEM) -> None:
    """Store ``schedule``, replacing what was loaded for its year (the calendar's version changes with the data)."""
    async with mh.db.transaction():
        await CalendarDay.delete().where(CalendarDay.year == schedule.year)
        await CalendarYear.delete().where(CalendarYear.year == schedule.year)
        # loaded_at is the real time (not mh.clock): the calendar cache tells reloads apart by it.
        await CalendarYear.insert(CalendarYear(year=schedule.year, source=schedule.source))
        days = [CalendarDay(year=schedule.year, day=d, kind="holiday", name=n) for d, n in sorted(schedule.holidays.items())]
        days += [CalendarDay(year=schedule.year, day=d, kind="workday", name=n) for d, n in sorted(schedule.workdays.items())]
        await CalendarDay.insert(*days)
        await audit(principal, "calendar.load", "calendar_year", schedule.year, detail={
            "source": schedule.source, "holidays": len(schedule.holidays), "workdays": len(schedule.workdays)})


async def stored_year(year: int) -> OfficialYear | None:
    """The schedule loaded for ``year`` as it is stored (None when the year is not loaded)."""
    row = await CalendarYear.select(CalendarYear.source).where(CalendarYear.year == year).first()
    if row is None:
        return None
    stored = OfficialYear(year=year, source=row["source"])
    for day in await official_days(year):
        (stored.holidays if day["kind"] == "holiday" else stored.workdays)[day["day"]] = day["name"]
    return stored


@dataclass
class FileLoad:
    """What loading one schedule file did: ``changed`` is False when the year was already loaded with the same content."""

    path: str
    year: int
    changed: bool


async def load_schedule_files(mh: Meihao, paths: list[str], principal: Principal = SYSTEM) -> list[FileLoad]:
    """Load the schedule files named by the ``calendar_files`` setting (``meihao migrate`` does).

    Every file is read and checked before anything is written (a bad one raises InvalidInput
    naming it, and nothing is loaded). A year whose stored schedule has the same source, days
    and names is not written again: no new ``loaded_at``, no audit entry, the same calendar
    version. Two files for one year are refused.
    """
    schedules = [read_schedule_file(path) for path in paths]
    seen: dict[int, str] = {}
    for path, schedule in zip(paths, schedules, strict=True):
        if schedule.year in seen:
            raise InvalidInput(f"calendar_files: {path} and {seen[schedule.year]} both give {schedule.year}", field="calendar_files")
        seen[schedule.year] = path
    done = []
    for path, schedule in zip(paths, schedules, strict=True):
        same = await stored_year(schedule.year) == schedule
        if not same:
            await load_official_year(mh, schedule, principal)
        done.append(FileLoad(path=path, year=schedule.year, changed=not same))
    return done


async def official_years() -> list[dict[str, Any]]:
    """Every loaded year, oldest first: ``year``, ``source``, ``loaded_at``, ``holidays``, ``workdays`` (counts)."""
    years = await CalendarYear.select().order_by(CalendarYear.year)
    counts = await CalendarDay.select(CalendarDay.year, CalendarDay.kind, Count(CalendarDay.id, alias="n")).group_by(
        CalendarDay.year, CalendarDay.kind)
    by = {(r["year"], r["kind"]): r["n"] for r in counts}
    return [{"year": y["year"], "source": y["source"], "loaded_at": y["loaded_at"],
             "holidays": by.get((y["year"], "holiday"), 0), "workdays": by.get((y["year"], "workday"), 0)} for y in years]


async def official_days(year: int) -> list[dict[str, Any]]:
    """The days of ``year``'s schedule in order: ``day``, ``kind`` (holiday | workday), ``name``."""
    return await CalendarDay.select(CalendarDay.day, CalendarDay.kind, CalendarDay.name).where(
        CalendarDay.year == year).order_by(CalendarDay.day)


async def year_loaded(year: int) -> bool:
    return await CalendarYear.exists().where(CalendarYear.year == year)


# -- the street's overrides ------------------------------------------------------------


async def set_override(
    mh: Meihao, day: date, *, open: bool, reason: str, community: str | None = None, principal: Principal = SYSTEM
) -> dict[str, Any]:
    """Close (``open=False``) or open ``day`` for the whole street or one community (its slug); replaces
    an earlier override of the same day and place. The reason is required (it is shown beside the day)."""
    if not reason.strip():
        raise InvalidInput("reason: say why (e.g. \"台风停工 typhoon\"); it is shown beside the day", field="reason")
    community_id = (await get_community(community))["id"] if community else None
    async with mh.db.transaction():
        await CalendarOverride.delete().where(CalendarOverride.day == day, _same_place(community_id))
        row = CalendarOverride(day=day, community=community_id, open=open, reason=reason.strip(), created_by=principal.name,
                               created_at=mh.clock.now())
        await row.save()
        await audit(principal, "calendar.override", "calendar_override", row.id, community_id=community_id,
                    reason=reason.strip(), detail={"day": day.isoformat(), "open": open})
    return {"id": row.id, "day": day, "community": community, "open": open, "reason": reason.strip()}


async def remove_override(mh: Meihao, day: date, *, community: str | None = None, principal: Principal = SYSTEM) -> None:
    """Remove the override of ``day`` (for the street, or for one community); NotFound when there is none."""
    community_id = (await get_community(community))["id"] if community else None
    async with mh.db.transaction():
        existing = await CalendarOverride.select(CalendarOverride.id).where(CalendarOverride.day == day, _same_place(community_id))
        if not existing:
            raise NotFound(f"no override on {day.isoformat()}" + (f" for {community}" if community else " for the whole street"))
        await CalendarOverride.delete().where(CalendarOverride.id.is_in([r["id"] for r in existing]))
        await audit(principal, "calendar.override.remove", "calendar_override", existing[0]["id"], community_id=community_id,
                    detail={"day": day.isoformat()})


def _same_place(community_id: int | None) -> Any:
    return CalendarOverride.community.is_null() if community_id is None else CalendarOverride.community == community_id


async def list_overrides(year: int | None = None) -> list[dict[str, Any]]:
    """Overrides in day order: ``day``, ``community`` (slug or None for the street), ``open``, ``reason``, ``created_by``."""
    query = CalendarOverride.select(
        CalendarOverride.id, CalendarOverride.day, CalendarOverride.community.slug.as_alias("community"), CalendarOverride.open,
        CalendarOverride.reason, CalendarOverride.created_by,
    ).order_by(CalendarOverride.day).order_by(CalendarOverride.id)
    if year is not None:
        query = query.where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
    return await query


# -- the calendar ------------------------------------------------------------------------


async def working_calendar(mh: Meihao, community: Any = None, *, stamp: tuple[Any, ...] | None = None) -> WorkingCalendar:
    """The working calendar of ``community`` (a slug, a community as hooks and routes receive it,
    or None for the street as a whole), in its time zone, with the street's overrides and its own.

    Built from the database and cached per process until the calendar's data changes (another
    node's load or override is seen on the next call: the check is one small query). A page that
    needs the calendars of several communities reads :func:`calendar_stamp` once and passes it.
    """
    community_id, tz = await _place(mh, community)
    if stamp is None:
        stamp = await calendar_stamp()
    cache: dict[Any, tuple[Any, WorkingCalendar]] = vars(mh).setdefault("_working_calendars", {})
    key = (community_id, tz, tuple(mh.settings.working_hours), tuple(mh.settings.working_weekdays))
    cached = cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    years = [r["year"] for r in await CalendarYear.select(CalendarYear.year)]
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    for row in await CalendarDay.select(CalendarDay.day, CalendarDay.kind, CalendarDay.name):
        (holidays if row["kind"] == "holiday" else workdays)[row["day"]] = row["name"]
    overrides: dict[date, Override] = {}
    places = CalendarOverride.community.is_null()
    if community_id is not None:
        places = places | (CalendarOverride.community == community_id)
    # The community's own override of a day wins over the street's.
    rows = await CalendarOverride.select(CalendarOverride.day, CalendarOverride.community, CalendarOverride.open,
                                         CalendarOverride.reason).where(places).order_by(CalendarOverride.id)
    for row in sorted(rows, key=lambda r: r["community"] is not None):
        overrides[row["day"]] = Override(open=row["open"], reason=row["reason"])
    calendar = WorkingCalendar(
        timezone_name=tz, hours=mh.settings.working_hours, weekdays=mh.settings.working_weekdays,
        holidays=holidays, makeup_workdays=workdays, overrides=overrides, years=years,
    )
    cache[key] = (stamp, calendar)
    return calendar


async def _place(mh: Meihao, community: Any) -> tuple[int | None, str]:
    if community is None:
        return None, mh.settings.default_timezone
    if isinstance(community, str):
        community = await get_community(community)
    if isinstance(community, Mapping):
        return community["id"], community.get("timezone") or mh.settings.default_timezone
    return community.id, getattr(community, "timezone", "") or mh.settings.default_timezone


async def calendar_stamp() -> tuple[Any, ...]:
    """Changes whenever a year is (re)loaded or an override is set or removed: a reload writes a
    new ``loaded_at`` (the real time, never reused), and the overrides are few enough to compare
    whole (SQLite may hand a deleted row's id to the next one, so ids alone would not tell)."""
    years = await CalendarYear.select(Count(CalendarYear.id, alias="n"), Max(CalendarYear.loaded_at, alias="last")).first()
    overrides = await CalendarOverride.select(
        CalendarOverride.day, CalendarOverride.community, CalendarOverride.open, CalendarOverride.reason).order_by(CalendarOverride.id)
    return years["n"], years["last"], tuple(tuple(r.values()) for r in overrides)
