"""邻里节 the neighbourhood festival: sub-events with capacity, sign-ups (participants and volunteers), volunteer shifts served."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from meihao import (
    CommunityInfo,
    Conflict,
    InvalidInput,
    Meihao,
    NotFound,
    Principal,
    audit,
    record_volunteer_service,
    scoped_resident,
    transaction,
)

from ..schemas import FestivalEventIn, FestivalEventOut, ShiftIn, SignupIn
from ..tables import FestivalEvent, FestivalSignup


async def _event(community: CommunityInfo, event_id: int) -> dict[str, Any]:
    row = await FestivalEvent.select().where(FestivalEvent.id == event_id, FestivalEvent.community == community.id).first()
    if row is None:
        raise NotFound(f"festival event {event_id} not found")
    return row


async def _counts(event_ids: list[int]) -> dict[tuple[int, str], int]:
    if not event_ids:
        return {}
    rows = await FestivalSignup.select(FestivalSignup.event, FestivalSignup.role, Count(FestivalSignup.id).as_alias("n")).where(
        FestivalSignup.event.is_in(event_ids)).group_by(FestivalSignup.event, FestivalSignup.role)
    return {(r["event"], r["role"]): r["n"] for r in rows}


def _out(r: dict[str, Any], counts: dict[tuple[int, str], int]) -> FestivalEventOut:
    return FestivalEventOut(id=r["id"], festival=r["festival"], title=r["title"], starts_at=r["starts_at"], ends_at=r["ends_at"],
                            capacity=r["capacity"], volunteers_needed=r["volunteers_needed"],
                            participants=counts.get((r["id"], "participant"), 0), volunteers=counts.get((r["id"], "volunteer"), 0))


async def list_events(community: CommunityInfo) -> list[FestivalEventOut]:
    rows = await FestivalEvent.select().where(FestivalEvent.community == community.id).order_by(FestivalEvent.starts_at).limit(500)
    counts = await _counts([r["id"] for r in rows])
    return [_out(r, counts) for r in rows]


async def get_event(community: CommunityInfo, event_id: int) -> FestivalEventOut:
    row = await _event(community, event_id)
    return _out(row, await _counts([event_id]))


async def create_event(mh: Meihao, principal: Principal, community: CommunityInfo, data: FestivalEventIn) -> FestivalEventOut:
    for name, value, limit in (("festival", data.festival, 100), ("title", data.title, 100)):
        if not value.strip() or len(value.strip()) > limit:
            raise InvalidInput(f"{name}: 1 to {limit} characters", field=name)
    starts = data.starts_at if data.starts_at.tzinfo else data.starts_at.replace(tzinfo=community.tz)
    ends = data.ends_at if data.ends_at.tzinfo else data.ends_at.replace(tzinfo=community.tz)
    if not starts < ends <= starts + timedelta(days=7):
        raise InvalidInput("ends_at: after starts_at, at most 7 days later", field="ends_at")
    if not 1 <= data.capacity <= 10000:
        raise InvalidInput("capacity: 1 to 10000", field="capacity")
    if not 0 <= data.volunteers_needed <= 1000:
        raise InvalidInput("volunteers_needed: 0 to 1000", field="volunteers_needed")
    async with transaction(mh):
        row = FestivalEvent(community=community.id, festival=data.festival.strip(), title=data.title.strip(), starts_at=starts, ends_at=ends,
                            capacity=data.capacity, volunteers_needed=data.volunteers_needed)
        await row.save()
        await audit(principal, "neighbourhood.festival.create", "festival_event", row.id, community_id=community.id)
    return await get_event(community, row.id)


async def sign_up(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int, data: SignupIn) -> FestivalEventOut:
    """A resident in scope signs up as a participant (up to ``capacity``) or a volunteer (up to ``volunteers_needed``), once."""
    if data.role not in ("participant", "volunteer"):
        raise InvalidInput("role: participant or volunteer", field="role")
    await scoped_resident(principal, community, data.resident_id, "resident_id")
    event = await _event(community, event_id)
    limit = event["capacity"] if data.role == "participant" else event["volunteers_needed"]
    async with transaction(mh, lock=("neighbourhood.festival", event_id)):
        if await FestivalSignup.exists().where(FestivalSignup.event == event_id, FestivalSignup.resident == data.resident_id):
            raise Conflict(f"resident_id: resident {data.resident_id} has signed up for this event already", field="resident_id")
        taken = await FestivalSignup.count().where(FestivalSignup.event == event_id, FestivalSignup.role == data.role)
        if taken >= limit:
            raise Conflict(f"role: the event's {data.role} places are full ({limit})", field="role")
        await FestivalSignup.insert(FestivalSignup(event=event_id, resident=data.resident_id, role=data.role, at=mh.clock.now()))
        await audit(principal, "neighbourhood.festival.sign_up", "festival_event", event_id, community_id=community.id,
                    detail={"resident": data.resident_id, "role": data.role})
    return await get_event(community, event_id)


async def serve_shift(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int, data: ShiftIn) -> dict[str, Any]:
    """A rostered volunteer served their shift: the kernel records the hours (to be verified by staff in scope)."""
    await scoped_resident(principal, community, data.resident_id, "resident_id")
    event = await _event(community, event_id)
    signup = await FestivalSignup.select().where(FestivalSignup.event == event_id, FestivalSignup.resident == data.resident_id,
                                                 FestivalSignup.role == "volunteer").first()
    if signup is None:
        raise Conflict(f"resident_id: resident {data.resident_id} is not rostered as a volunteer for this event", field="resident_id")
    if signup["service"] is not None:
        raise Conflict(f"resident_id: resident {data.resident_id}'s shift is recorded already", field="resident_id")
    day = event["starts_at"].astimezone(community.tz).date()
    async with transaction(mh, lock=("neighbourhood.festival", event_id)):
        service = await record_volunteer_service(mh, principal, community, data.resident_id, hours=data.hours, served_on=day,
                                                 activity=f"{event['festival']}·{event['title']}", scenario="neighbourhood",
                                                 subject_table="neighbourhood_festival_event", subject_id=event_id)
        await FestivalSignup.update({FestivalSignup.service: service["id"]}).where(FestivalSignup.id == signup["id"])
    return service
