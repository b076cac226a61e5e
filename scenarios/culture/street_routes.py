"""The culture scene's street routes (``/api/street/culture/…``): the monthly report across the communities, for street staff."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import QueryParameter

from meihao import Caller, QueryYear, Runtime, requires

from .routes import READ
from .schemas import StreetMonthOut
from .services import street

QueryMonth = Annotated[int | None, QueryParameter(ge=1, le=12)]


@get("/report", guards=[requires(READ)], tags=["culture"])
async def street_report(meihao: Runtime, principal: Caller, year: QueryYear = None, month: QueryMonth = None) -> StreetMonthOut:
    """The month's shows across the communities running the scene (held, audience, subsidy, cancelled) and the year's progress to
    the street's target (``shows_per_year``); this month on the street's clock when left out."""
    this_year, this_month = street.street_month(meihao)
    return await street.month_report(meihao, principal, year or this_year, month or this_month)


STREET_HANDLERS = [street_report]
