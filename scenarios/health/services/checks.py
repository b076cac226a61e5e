"""老年人健康管理: the yearly health check of residents 65+ — who is still due this year, and the checks recorded (items sensitive)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    Forbidden,
    InvalidInput,
    Principal,
    audit,
    community_today,
    scoped_resident,
    scoped_row,
    transaction,
)
from meihao.tables import Resident

from ..schemas import CheckIn, CheckOut, DueCheckOut
from ..tables import HealthCheck
from .common import READINGS, age_on, my_teams, settings_of, years_before


def due_select(community_id: int, today: date, check_age: int) -> Any:
    """Residents of the community ``check_age`` or older on ``today`` with no check recorded in today's year (a sub-select)."""
    return Resident.select(Resident.id).where(
        Resident.community == community_id, Resident.birth_date <= years_before(today, check_age),
        Resident.id.not_in(HealthCheck.select(HealthCheck.resident).where(HealthCheck.community == community_id,
                                                                          HealthCheck.year == today.year)))


async def due(mh: Any, principal: Principal, community: CommunityInfo) -> list[DueCheckOut]:
    """The residents in the caller's scope still due their check this year, oldest first (names and ages, no health data)."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    rows = await Resident.select(Resident.id, Resident.name, Resident.birth_date, Resident.grid).where(
        Resident.id.is_in(due_select(community.id, today, settings.check_age)), Resident.id.is_in(principal.residents_in(community.id)),
    ).order_by(Resident.birth_date).order_by(Resident.id)
    return [DueCheckOut(resident_id=r["id"], name=r["name"], age=age_on(r["birth_date"], today), grid_id=r["grid"]) for r in rows]


async def _reads(principal: Principal, community: CommunityInfo) -> bool:
    return principal.can(READINGS) or bool(await my_teams(principal, community))


async def record(mh: Any, principal: Principal, community: CommunityInfo, data: CheckIn) -> CheckOut:
    """Record a resident's check of this year (one a year); the recorder is a doctor team member or holds health.reading.read."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    resident = await scoped_resident(principal, community, data.resident_id, "resident_id")
    if not await _reads(principal, community):
        raise Forbidden("health data: a check is recorded by a doctor team or a holder of health.reading.read")
    checked_on = data.checked_on or today
    if checked_on > today or checked_on.year != today.year:
        raise InvalidInput("checked_on: a day of this year, not after today", field="checked_on")
    age = age_on(resident["birth_date"], checked_on)
    if age < settings.check_age:
        raise InvalidInput(f"resident_id: {resident['name']} is {age}; the yearly check is for residents of {settings.check_age} "
                           "or older (setting check_age)", field="resident_id")
    async with transaction(mh, lock=("health.check", f"{data.resident_id}:{today.year}")):
        if await HealthCheck.exists().where(HealthCheck.resident == data.resident_id, HealthCheck.year == checked_on.year):
            raise Conflict(f"resident_id: {resident['name']}'s check of {checked_on.year} is recorded already", field="resident_id")
        row = HealthCheck(community=community.id, resident=data.resident_id, year=checked_on.year, checked_on=checked_on,
                          items=json.dumps(data.items, ensure_ascii=False), staff=principal.staff_id)
        await row.save()
        await audit(principal, "health.check.record", "health_check", row.id, community_id=community.id,
                    detail={"resident_id": data.resident_id, "year": checked_on.year})
    return CheckOut(id=row.id, resident_id=data.resident_id, year=checked_on.year, checked_on=checked_on, items=data.items)


async def get_check(mh: Any, principal: Principal, community: CommunityInfo, check_id: int) -> CheckOut:
    """A check; its items only for the doctor teams and health.reading.read (None otherwise); every read audited."""
    row = await scoped_row(HealthCheck, check_id, principal, community, via=HealthCheck.resident, noun="check")
    reads = await _reads(principal, community)
    async with transaction(mh):
        await audit(principal, "health.check.read", "health_check", check_id, community_id=community.id, detail={"items": reads})
    return CheckOut(id=row["id"], resident_id=row["resident"], year=row["year"], checked_on=row["checked_on"],
                    items=json.loads(row["items"]) if reads else None)
