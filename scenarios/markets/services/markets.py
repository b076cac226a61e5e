"""Markets: created with their two recurring kernel activities, listed, changed and cancelled."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import msgspec

from meihao import (
    ActivityIn,
    ActivityPatch,
    CommunityInfo,
    Conflict,
    InvalidInput,
    NotFound,
    Principal,
    audit,
    cancel_activity,
    create_activity,
    staff_works_in,
    update_activity,
)
from meihao.tables import Grid

from ..schemas import MarketDayOut, MarketIn, MarketOut, MarketPatch
from ..tables import Market, MarketDay
from .applications import _lock_day, _promote
from .common import SCENE, _market_row, _non_negative, _tx, settings_of
from .days import _days_out, ensure_days


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


async def _check_organiser(staff_id: int, community: CommunityInfo) -> None:
    if not await staff_works_in(staff_id, community.id):
        raise NotFound(f"organiser_staff_id: no active staff member {staff_id} works in this community", field="organiser_staff_id")


def _market_out(row: dict[str, Any], next_days: list[MarketDayOut] | None = None) -> MarketOut:
    return MarketOut(
        id=row["id"],
        name=row["name"],
        venue=row["venue"],
        grid_id=row["grid"],
        rrule=row["rrule"],
        holiday_policy=row["holiday_policy"],
        first_day=row["first_day"],
        until=row["until"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        setup_minutes=row["setup_minutes"],
        capacity=row["capacity"],
        applications_close_hours=row["close_hours"],
        organiser_staff_id=row["organiser"],
        status=row["status"],
        activity_id=row["activity"],
        stall_activity_id=row["stall_activity"],
        next_days=next_days or [],
    )


async def create_market(mh: Any, community: CommunityInfo, data: MarketIn, principal: Principal) -> MarketOut:
    """A market and its two recurring kernel activities; its days for the coming weeks are opened."""
    settings = await settings_of(mh, community)
    capacity = data.capacity if data.capacity is not None else settings.default_capacity
    setup = data.setup_minutes if data.setup_minutes is not None else settings.setup_minutes
    close_hours = data.applications_close_hours if data.applications_close_hours is not None else settings.applications_close_hours
    policy = data.holiday_policy or settings.holiday_policy
    _non_negative(capacity, "capacity", 1)
    _non_negative(setup, "setup_minutes", 0, 720)
    _non_negative(close_hours, "applications_close_hours", 0, 24 * 30)
    opens, closes = _clock(data.opens_at), _clock(data.closes_at)
    if closes <= opens:
        raise InvalidInput("closes_at: must be after opens_at", field="closes_at")
    if data.until is not None and data.until < data.first_day:
        raise InvalidInput("until: must not be before first_day", field="until")
    if data.grid_id is not None and not await Grid.exists().where(Grid.id == data.grid_id, Grid.community == community.id):
        raise NotFound(f"grid_id: grid {data.grid_id} not found", field="grid_id")
    if data.organiser_staff_id is not None:
        await _check_organiser(data.organiser_staff_id, community)
    starts = datetime.combine(data.first_day, opens)
    ends = datetime.combine(data.first_day, closes)
    setup_start = starts - timedelta(minutes=setup)
    until = datetime.combine(data.until, time(23, 59)) if data.until else None
    common = dict(scene=SCENE, venue=data.venue.strip(), rrule=data.rrule.strip(), holiday_policy=policy,
                  recurrence_until=until, channels=list(settings.channels))
    async with _tx(mh):
        market = Market(
            community=community.id, name=data.name.strip(), venue=data.venue.strip(), grid=data.grid_id,
            rrule=data.rrule.strip(), holiday_policy=policy, first_day=data.first_day, until=data.until,
            opens_at=data.opens_at, closes_at=data.closes_at, setup_minutes=setup, capacity=capacity,
            close_hours=close_hours, organiser=data.organiser_staff_id, status="active", activity=0, stall_activity=0,
        )
        await market.save()
        activity = await create_activity(mh, community.slug, ActivityIn(
            title=data.name.strip(), starts_at=starts, ends_at=ends,
            description="义卖所得全部用于社区公益。Proceeds go to community charity.",
            audience={"everyone": True}, reminder_offsets=[settings.community_reminder_minutes],
            source=f"markets.market:{market.id}", **common))
        stall_activity = await create_activity(mh, community.slug, ActivityIn(
            title=f"{data.name.strip()}·摊主摆摊", starts_at=setup_start, ends_at=ends,
            description="摊主请按时到场摆摊。Stallholders: please arrive on time to set up.",
            audience={"named": ["markets.stallholders"]}, reminder_offsets=[settings.stallholder_reminder_minutes],
            source=f"markets.stalls:{market.id}", **common))
        await Market.update({Market.activity: activity["id"], Market.stall_activity: stall_activity["id"]}).where(Market.id == market.id)
        await audit(principal, "markets.market.create", "markets.market", market.id, community_id=community.id,
                    detail={"name": data.name, "rrule": data.rrule, "venue": data.venue})
        await ensure_days(mh, community, market.id)
    return await get_market(mh, community, market.id)


async def list_markets(mh: Any, community: CommunityInfo) -> list[MarketOut]:
    rows = await Market.select().where(Market.community == community.id).order_by(Market.id)
    return [_market_out(r) for r in rows]


async def get_market(mh: Any, community: CommunityInfo, market_id: int) -> MarketOut:
    """The market with its next three days (those not over yet)."""
    row = await _market_row(community, market_id)
    now = mh.clock.now()
    days = await MarketDay.select().where(MarketDay.market == market_id, MarketDay.ends_at > now).order_by(MarketDay.starts_at).limit(3)
    return _market_out(row, await _days_out(row, days))


async def update_market(mh: Any, community: CommunityInfo, market_id: int, patch: MarketPatch, principal: Principal) -> MarketOut:
    row = await _market_row(community, market_id)
    if row["status"] != "active":
        raise Conflict(f"market {market_id} is cancelled", field="status")
    values: dict[Any, Any] = {}
    if patch.capacity is not None:
        _non_negative(patch.capacity, "capacity", 1)
        values[Market.capacity] = patch.capacity
    if patch.organiser_staff_id is not None:
        await _check_organiser(patch.organiser_staff_id, community)
        values[Market.organiser] = patch.organiser_staff_id
    if patch.name is not None:
        values[Market.name] = patch.name.strip()
    if patch.venue is not None:
        values[Market.venue] = patch.venue.strip()
    async with _tx(mh):
        if values:
            await Market.update(values).where(Market.id == market_id)
        if patch.name is not None or patch.venue is not None:
            name = (patch.name or row["name"]).strip()
            venue = (patch.venue or row["venue"]).strip()
            await update_activity(mh, row["activity"], ActivityPatch(title=name, venue=venue))
            await update_activity(mh, row["stall_activity"], ActivityPatch(title=f"{name}·摊主摆摊", venue=venue))
        await audit(principal, "markets.market.update", "markets.market", market_id, community_id=community.id,
                    detail={k: v for k, v in msgspec.structs.asdict(patch).items() if v is not None})
        if patch.capacity is not None:
            # days without their own capacity follow the market's: a larger one promotes from the waiting lists
            now = mh.clock.now()
            for day in await MarketDay.select(MarketDay.id).where(
                MarketDay.market == market_id, MarketDay.capacity.is_null(), MarketDay.starts_at > now, MarketDay.status != "cancelled"
            ):
                await _lock_day(mh, day["id"])
                await _promote(mh, community, day["id"], principal)
    return await get_market(mh, community, market_id)


async def cancel_market(mh: Any, community: CommunityInfo, market_id: int, reason: str, principal: Principal) -> MarketOut:
    """No more market days: coming days are cancelled, their reminders with them; the records stay."""
    row = await _market_row(community, market_id)
    if row["status"] == "cancelled":
        return await get_market(mh, community, market_id)
    now = mh.clock.now()
    async with _tx(mh):
        await Market.update({Market.status: "cancelled"}).where(Market.id == market_id)
        await MarketDay.update({MarketDay.status: "cancelled", MarketDay.cancel_reason: reason, MarketDay.updated_at: now}).where(
            MarketDay.market == market_id, MarketDay.starts_at > now, MarketDay.status != "cancelled"
        )
        await cancel_activity(mh, row["activity"])
        await cancel_activity(mh, row["stall_activity"])
        await audit(principal, "markets.market.cancel", "markets.market", market_id, community_id=community.id, reason=reason)
    return await get_market(mh, community, market_id)


async def active_market_ids(community_id: int) -> list[int]:
    return [r["id"] for r in await Market.select(Market.id).where(Market.community == community_id, Market.status == "active")]
