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
    fen_to_yuan,
    staff_works_in,
    update_activity,
    yuan_to_fen,
)
from meihao.tables import Grid

from ..schemas import HOME_MADE_FOOD, REST_DAY_POLICIES, MarketDayOut, MarketIn, MarketOut, MarketPatch
from ..tables import Market, MarketDay
from .applications import _lock_day, _promote
from .common import SCENE, _market_row, _non_negative, _tx, settings_of
from .days import _days_out, cancel_moved_days_activities, ensure_days


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


async def _check_organiser(staff_id: int, community: CommunityInfo) -> None:
    if not await staff_works_in(staff_id, community.id):
        raise NotFound(f"organiser_staff_id: no active staff member {staff_id} works in this community", field="organiser_staff_id")


#: What names a residents' (or villagers') committee: it may not receive public-fundraising money itself.
COMMITTEE_WORDS = ("居委会", "居民委员会", "村委会", "村民委员会")

#: What the community is told about each kind of market (the community activity's description). Only a charity
#: sale says its proceeds go to community causes.
DESCRIPTIONS = {
    "charity_sale": "义卖所得全部用于社区公益。Proceeds go to community charity.",
    "free_clinic": "义诊免费，欢迎有需要的居民前来。Free health checks and advice.",
    "convenience": "便民服务免费，欢迎居民前来。Free services for residents.",
    "swap": "带上闲置物品来交换。Bring things you no longer need to swap.",
}


def check_money(kind: str, money: str, fee_fen: int, beneficiary: str, receiving_charity: str) -> None:
    """A market that takes a fee or contribution says where the money goes before it takes any; a charity named
    is never a residents' committee. InvalidInput naming the field otherwise."""
    if money == "none" and fee_fen:
        raise InvalidInput("fee: a market without a stall fee or contribution takes no fee", field="fee")
    if money != "none" and fee_fen <= 0:
        raise InvalidInput("fee: give the stall fee or contribution per stall in yuan", field="fee")
    if money != "none" and not beneficiary.strip():
        raise InvalidInput("beneficiary: say which project the money goes to", field="beneficiary")
    if money != "none" and not receiving_charity.strip():
        raise InvalidInput("receiving_charity: name the charity that receives the money", field="receiving_charity")
    check_charity(receiving_charity)


def check_charity(receiving_charity: str) -> None:
    if any(word in receiving_charity for word in COMMITTEE_WORDS):
        raise InvalidInput(
            "receiving_charity: a residents' committee cannot hold public-fundraising money itself; name a charity",
            field="receiving_charity",
        )


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
        kind=row["kind"],
        money=row["money"],
        fee=fen_to_yuan(row["fee_fen"]),
        beneficiary=row["beneficiary"],
        receiving_charity=row["receiving_charity"],
        rest_day_policy=row["rest_day_policy"],
        home_made_food=row["home_made_food"],
        accepts_points=bool(row["accepts_points"]),
    )


async def create_market(mh: Any, community: CommunityInfo, data: MarketIn, principal: Principal) -> MarketOut:
    """A market and its two recurring kernel activities; its days for the coming weeks are opened."""
    settings = await settings_of(mh, community)
    capacity = data.capacity if data.capacity is not None else settings.default_capacity
    setup = data.setup_minutes if data.setup_minutes is not None else settings.setup_minutes
    close_hours = data.applications_close_hours if data.applications_close_hours is not None else settings.applications_close_hours
    policy = data.holiday_policy or settings.holiday_policy
    rest_day = data.rest_day_policy or settings.rest_day_policy
    if rest_day not in REST_DAY_POLICIES:
        raise InvalidInput("rest_day_policy: must be skip or move", field="rest_day_policy")
    home_made = data.home_made_food or settings.home_made_food
    if home_made not in HOME_MADE_FOOD:
        raise InvalidInput("home_made_food: must be forbid, approval or allow", field="home_made_food")
    fee_fen = yuan_to_fen(data.fee, "fee", most_yuan=settings.max_proceeds_per_stall_yuan)
    check_money(data.kind, data.money, fee_fen, data.beneficiary, data.receiving_charity)
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
            kind=data.kind, money=data.money, fee_fen=fee_fen, beneficiary=data.beneficiary.strip(),
            receiving_charity=data.receiving_charity.strip(), rest_day_policy=rest_day, home_made_food=home_made,
            accepts_points=data.accepts_points,
        )
        await market.save()
        activity = await create_activity(mh, community.slug, ActivityIn(
            title=data.name.strip(), starts_at=starts, ends_at=ends,
            description=DESCRIPTIONS[data.kind],
            audience={"everyone": True}, reminder_offsets=[settings.community_reminder_minutes],
            source=f"markets.market:{market.id}:{data.kind}", **common))
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
    """Every market with its next three days (those not over yet), as ``GET /markets/{id}`` gives them."""
    rows = await Market.select().where(Market.community == community.id).order_by(Market.id)
    now = mh.clock.now()
    ids = [r["id"] for r in rows]
    coming: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for day in await MarketDay.select().where(MarketDay.market.is_in(ids), MarketDay.ends_at > now).order_by(MarketDay.starts_at):
            if len(coming[day["market"]]) < 3:
                coming[day["market"]].append(day)
    return [_market_out(r, await _days_out(r, coming[r["id"]])) for r in rows]


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
    if patch.beneficiary is not None or patch.receiving_charity is not None:
        beneficiary = row["beneficiary"] if patch.beneficiary is None else patch.beneficiary.strip()
        charity = row["receiving_charity"] if patch.receiving_charity is None else patch.receiving_charity.strip()
        check_money(row["kind"], row["money"], row["fee_fen"], beneficiary, charity)
        values[Market.beneficiary] = beneficiary
        values[Market.receiving_charity] = charity
    if patch.accepts_points is not None:
        values[Market.accepts_points] = patch.accepts_points
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
        await cancel_moved_days_activities(mh, market_id, now)
        await audit(principal, "markets.market.cancel", "markets.market", market_id, community_id=community.id, reason=reason)
    return await get_market(mh, community, market_id)


async def active_market_ids(community_id: int) -> list[int]:
    return [r["id"] for r in await Market.select(Market.id).where(Market.community == community_id, Market.status == "active")]
