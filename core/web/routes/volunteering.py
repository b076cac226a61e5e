"""Volunteering: a resident's service, hours, star and points; recording and verifying service; spending points.

A resident or record outside the caller's scope is a 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from meihao.runtime import Meihao
from meihao.volunteering import ledger
from meihao.web.auth import requires
from meihao.web.params import Caller, PathId


class ServiceIn(msgspec.Struct, forbid_unknown_fields=True):
    activity: str
    hours: float
    served_on: date | None = None


class ServiceOut(msgspec.Struct):
    id: int
    community: int
    resident: int
    scenario: str
    subject_table: str
    subject_id: int | None
    activity: str
    served_on: date
    hours: float
    state: str
    recorded_by: int | None
    verified_by: int | None
    verified_at: datetime | None


class VerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool = True


class SpendIn(msgspec.Struct, forbid_unknown_fields=True):
    points: int
    reason: str


class PointsOut(msgspec.Struct):
    transfer: int
    resident: int
    points: int
    balance: int


class VolunteerOut(msgspec.Struct):
    resident: int
    name: str
    hours: float
    year: int
    hours_in_year: float
    star: int
    points: int
    records: list[ServiceOut]


@get("/api/residents/{resident_id:int}/volunteering", tags=["volunteering"], guards=[requires("meihao.volunteer.read")])
async def get_volunteering(resident_id: PathId, meihao: NamedDependency[Meihao], principal: Caller,
                           year: FromQuery[int | None] = None) -> VolunteerOut:
    """Verified hours (all and in ``year``), the star rating, the points balance and the latest 50 records."""
    if year is not None and not 2000 <= year <= 2100:
        from meihao.errors import InvalidInput

        raise InvalidInput("year: 2000 to 2100", field="year")
    return msgspec.convert(await ledger.volunteer_summary(meihao, principal, resident_id, year=year), VolunteerOut)


@post("/api/residents/{resident_id:int}/volunteering/records", tags=["volunteering"], guards=[requires("meihao.volunteer.record")])
async def record_volunteer_service(resident_id: PathId, data: JSONBody[ServiceIn], meihao: NamedDependency[Meihao],
                                   principal: Caller) -> ServiceOut:
    """Record a spell of service (``recorded``): its hours count once staff verify it."""
    row = await ledger.record_service(meihao, principal, None, resident_id, hours=data.hours, activity=data.activity,
                                      served_on=data.served_on, field=None)
    return msgspec.convert(row, ServiceOut)


@post("/api/volunteering/records/{record_id:int}/verify", tags=["volunteering"], status_code=200,
      guards=[requires("meihao.volunteer.verify")])
async def verify_volunteer_service(record_id: PathId, data: JSONBody[VerifyIn], meihao: NamedDependency[Meihao],
                                   principal: Caller) -> ServiceOut:
    """Verify (``approve``, the default; points are earned) or reject a recorded spell of service."""
    return msgspec.convert(await ledger.verify_service(meihao, principal, record_id, approve=data.approve), ServiceOut)


@post("/api/residents/{resident_id:int}/volunteering/spend", tags=["volunteering"], status_code=200,
      guards=[requires("meihao.points.spend")])
async def spend_volunteer_points(resident_id: PathId, data: JSONBody[SpendIn], meihao: NamedDependency[Meihao],
                                 principal: Caller) -> PointsOut:
    """Take ``points`` from the resident's balance (积分超市); 409 when the balance is smaller."""
    reason = data.reason.strip()
    if not reason or len(reason) > 200:
        from meihao.errors import InvalidInput

        raise InvalidInput("reason: 1 to 200 characters", field="reason")
    return PointsOut(**await ledger.spend_points(meihao, principal, None, resident_id, data.points, reason=reason, field=None))


HANDLERS = [get_volunteering, record_volunteer_service, verify_volunteer_service, spend_volunteer_points]
