"""The working calendar over HTTP: what is loaded, and the street's overrides (a typhoon day closed, an extra working day)."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from meihao.errors import InvalidInput
from meihao.register import calendar
from meihao.runtime import Meihao
from meihao.web.auth import requires
from meihao.web.params import Caller, QueryYear


class OverrideIn(msgspec.Struct, forbid_unknown_fields=True):
    """``open``: true opens the day (an extra working day), false closes it; ``community``: a slug, or
    null for the whole street; ``reason`` is required."""

    open: bool
    reason: str
    community: str | None = None


class OverrideOut(msgspec.Struct):
    day: date
    community: str | None
    open: bool
    reason: str
    created_by: str = ""


class CalendarOut(msgspec.Struct):
    version: str
    timezone: str
    working_hours: list[str]
    working_weekdays: list[int]
    years: list[dict[str, Any]]


@get("/api/working-calendar", tags=["working calendar"])
async def calendar_overview(meihao: NamedDependency[Meihao]) -> CalendarOut:
    """The street's working calendar: its version, weekly windows and the official years loaded."""
    working = await calendar.working_calendar(meihao)
    years = [{k: v for k, v in row.items() if k != "loaded_at"} for row in await calendar.official_years()]
    return CalendarOut(version=working.version, timezone=working.timezone_name, working_hours=list(meihao.settings.working_hours),
                       working_weekdays=list(meihao.settings.working_weekdays), years=years)


@get("/api/working-calendar/overrides", tags=["working calendar"])
async def list_overrides(year: QueryYear = None) -> list[OverrideOut]:
    """The street's and communities' overrides, in day order (of one year with ``?year=``)."""
    return [OverrideOut(day=r["day"], community=r["community"], open=r["open"], reason=r["reason"], created_by=r["created_by"])
            for r in await calendar.list_overrides(year)]


@put("/api/working-calendar/overrides/{day:str}", tags=["working calendar"], guards=[requires("meihao.calendar.manage")])
async def set_override(day: FromPath[str], data: JSONBody[OverrideIn], meihao: NamedDependency[Meihao], principal: Caller) -> OverrideOut:
    """Close or open ``day`` for the whole street or one community; replaces an earlier override of that day and place."""
    row = await calendar.set_override(meihao, _day(day), open=data.open, reason=data.reason, community=data.community, principal=principal)
    return OverrideOut(day=row["day"], community=row["community"], open=row["open"], reason=row["reason"], created_by=principal.name)


@delete("/api/working-calendar/overrides/{day:str}", tags=["working calendar"], guards=[requires("meihao.calendar.manage")], status_code=204)
async def remove_override(day: FromPath[str], meihao: NamedDependency[Meihao], principal: Caller,
                          community: FromQuery[str | None] = None) -> None:
    """Remove the override of ``day`` (``?community=slug`` for one community's); 404 when there is none."""
    await calendar.remove_override(meihao, _day(day), community=community, principal=principal)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise InvalidInput(f"day: {text!r} is not a date such as 2027-10-01", field="day") from err


HANDLERS = [
    calendar_overview,
    list_overrides,
    set_override,
    remove_override,
]
