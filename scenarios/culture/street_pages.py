"""The culture scene's street page (``/street/culture/report``): the month across the communities and the year's progress."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from meihao import Caller, ListQuery, NavLink, Runtime, page_requires, render_page

from .routes import READ
from .services import street

MONTHS = tuple(range(1, 13))


@get("/report", guards=[page_requires(READ)])
async def report_page(request: Request[Any, Any, Any], meihao: Runtime, principal: Caller) -> Response[Any]:
    query = ListQuery.read(request, ("year", "month"))
    this_year, this_month = street.street_month(meihao)
    year = query.integer("year", 1900, 2199) or this_year
    month = query.integer("month", 1, 12) or this_month
    report = await street.month_report(meihao, principal, year, month)
    bars = [(f"{m}月", n) for m, n in enumerate(report.per_month, start=1)]
    return render_page(request, "culture/street_report.html", report=report, bars=bars, months=MONTHS, this_year=this_year)


STREET_HANDLERS = [report_page]
STREET_NAV = [NavLink("戏曲进乡村月报", "Monthly report", "report", permission=READ)]
