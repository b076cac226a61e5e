"""The street's view of 戏曲进乡村: the yearly target (a street setting) and the monthly report across communities."""

from __future__ import annotations

import calendar
import math
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count, Sum

from meihao import InvalidInput, Principal, fen_to_yuan, street_communities, street_settings

from ..schemas import CultureStreetSettings, StreetCommunityMonthOut, StreetMonthOut
from ..tables import Show
from .common import SCENE


def street_month(mh: Any) -> tuple[int, int]:
    """This month on the street's clock (``MEIHAO_DEFAULT_TIMEZONE``)."""
    now = mh.clock.now().astimezone(ZoneInfo(mh.settings.default_timezone))
    return now.year, now.month


def expected_by(target: int, month: int) -> int:
    """The yearly target pro rata to the end of ``month``, rounded up: 4 a year is 1 by March, 2 by June, 4 by December."""
    return math.ceil(target * month / 12)


async def month_report(mh: Any, principal: Principal, year: int, month: int) -> StreetMonthOut:
    if not 1 <= month <= 12:
        raise InvalidInput("month: between 1 and 12", field="month")
    settings: CultureStreetSettings = await street_settings(mh, SCENE)  # type: ignore[assignment]
    communities = await street_communities(mh, SCENE, principal)
    ids = [c.id for c in communities]
    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    if ids:
        grouped = await Show.select(
            Show.community, Show.status, Count(Show.id).as_alias("n"), Sum(Show.attendance).as_alias("audience"),
            Sum(Show.subsidy_fen).as_alias("subsidy"),
        ).where(Show.community.is_in(ids), Show.day >= first, Show.day <= last, Show.status.is_in(["delivered", "cancelled"])).group_by(
            Show.community, Show.status)
        rows = {(r["community"], r["status"]): r for r in grouped}
    per_community = []
    for c in communities:
        held = rows.get((c.id, "delivered"), {})
        per_community.append(StreetCommunityMonthOut(
            slug=c.slug, name=c.name, shows_delivered=held.get("n", 0), audience=held.get("audience") or 0,
            subsidy=fen_to_yuan(held.get("subsidy") or 0), shows_cancelled=rows.get((c.id, "cancelled"), {}).get("n", 0),
        ))
    per_month = [0] * month
    if ids:
        for r in await Show.select(Show.day).where(Show.community.is_in(ids), Show.status == "delivered", Show.day >= date(year, 1, 1),
                                                   Show.day <= last):
            per_month[r["day"].month - 1] += 1
    delivered_to_date = sum(per_month)
    expected = expected_by(settings.shows_per_year, month)
    return StreetMonthOut(
        year=year, month=month, target=settings.shows_per_year, delivered_to_date=delivered_to_date, expected_to_date=expected,
        on_track=delivered_to_date >= expected,
        shows_delivered=sum(c.shows_delivered for c in per_community), audience=sum(c.audience for c in per_community),
        subsidy=fen_to_yuan(sum((rows.get((c.id, "delivered"), {}).get("subsidy") or 0) for c in communities)),
        shows_cancelled=sum(c.shows_cancelled for c in per_community), communities=per_community, per_month=per_month,
    )
