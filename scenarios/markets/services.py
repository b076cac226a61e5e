"""The work of the markets scenario, as plain functions: markets and their days, applications, proceeds.

Every function that reads records with people in them takes the caller (a ``Principal``) and
scopes its SQL, so that a record outside the caller's scope is "not found" like a missing one.
Writes are audited inside their own transaction.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from meihao import (
    ActivityIn,
    ActivityPatch,
    Conflict,
    InvalidInput,
    NoticeIn,
    NotFound,
    Principal,
    activity_occurrences,
    audit,
    cancel_activity,
    cancel_occurrence,
    create_activity,
    fen_to_yuan,
    get_activity,
    mask_phone,
    normalise_phone,
    notify,
    scenario_settings,
    staff_works_in,
    update_activity,
    yuan_to_fen,
)
from meihao.tables import Community, Grid, Resident

from .schemas import ApplicationIn, MarketIn, MarketPatch, MarketsSettings, MerchantIn
from .tables import Application, Market, MarketDay, Merchant, Proceeds

SCENE = "markets"
#: Statuses that hold or wait for a stall: a second one for the same applicant and day is refused.
LIVE = ("pending", "approved", "waitlisted")


async def settings_of(mh: Any, community: dict[str, Any]) -> MarketsSettings:
    return await scenario_settings(mh, community["id"], SCENE)  # type: ignore[return-value]


def local_now(mh: Any, community: dict[str, Any]) -> datetime:
    return mh.clock.now().astimezone(ZoneInfo(community["timezone"]))


def _tx(mh: Any) -> Any:
    return mh.db.transaction()


# -- merchants ----------------------------------------------------------------------


def _merchant_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "contact_name": row["contact_name"],
        "contact_phone": mask_phone(row["contact_phone"]),
        "contact_resident_id": row["contact_resident"],
        "active": row["active"],
    }


async def _resident_in_community(resident_id: int, community: dict[str, Any], field: str, principal: Principal | None = None) -> dict[str, Any]:
    clauses = [Resident.id == resident_id, Resident.community == community["id"]]
    if principal is not None:
        clauses += principal.residents_where()
    row = await Resident.select(Resident.id, Resident.name, Resident.grid).where(*clauses).first()
    if row is None:
        raise NotFound(f"{field}: resident {resident_id} not found", field=field)
    return row


async def list_merchants(community: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await Merchant.select().where(Merchant.community == community["id"]).order_by(Merchant.id)
    return [_merchant_out(r) for r in rows]


async def create_merchant(mh: Any, community: dict[str, Any], data: MerchantIn, principal: Principal) -> dict[str, Any]:
    phone = normalise_phone(data.contact_phone) if data.contact_phone.strip() else ""
    if data.contact_resident_id is not None:
        await _resident_in_community(data.contact_resident_id, community, "contact_resident_id")
    async with _tx(mh):
        merchant = Merchant(
            community=community["id"], name=data.name.strip(), kind=data.kind, contact_name=data.contact_name.strip(),
            contact_phone=phone, contact_resident=data.contact_resident_id,
        )
        await merchant.save()
        await audit(principal, "markets.merchant.create", "markets.merchant", merchant.id, community_id=community["id"],
                    detail={"name": data.name})
    row = await Merchant.select().where(Merchant.id == merchant.id).first()
    return _merchant_out(row)


# -- markets ------------------------------------------------------------------------


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


async def _check_organiser(staff_id: int, community: dict[str, Any]) -> None:
    if not await staff_works_in(staff_id, community["id"]):
        raise NotFound(f"organiser_staff_id: no active staff member {staff_id} works in this community", field="organiser_staff_id")


def _non_negative(value: int | None, field: str, low: int = 0, high: int = 10_000) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInput(f"{field}: must be between {low} and {high}", field=field)


def _market_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "venue": row["venue"],
        "grid_id": row["grid"],
        "rrule": row["rrule"],
        "holiday_policy": row["holiday_policy"],
        "first_day": row["first_day"],
        "until": row["until"],
        "opens_at": row["opens_at"],
        "closes_at": row["closes_at"],
        "setup_minutes": row["setup_minutes"],
        "capacity": row["capacity"],
        "applications_close_hours": row["close_hours"],
        "organiser_staff_id": row["organiser"],
        "status": row["status"],
        "activity_id": row["activity"],
        "stall_activity_id": row["stall_activity"],
    }


async def create_market(mh: Any, community: dict[str, Any], data: MarketIn, principal: Principal) -> dict[str, Any]:
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
    if data.grid_id is not None and not await Grid.exists().where(Grid.id == data.grid_id, Grid.community == community["id"]):
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
            community=community["id"], name=data.name.strip(), venue=data.venue.strip(), grid=data.grid_id,
            rrule=data.rrule.strip(), holiday_policy=policy, first_day=data.first_day, until=data.until,
            opens_at=data.opens_at, closes_at=data.closes_at, setup_minutes=setup, capacity=capacity,
            close_hours=close_hours, organiser=data.organiser_staff_id, status="active", activity=0, stall_activity=0,
        )
        await market.save()
        activity = await create_activity(mh, community["slug"], ActivityIn(
            title=data.name.strip(), starts_at=starts, ends_at=ends,
            description="义卖所得全部用于社区公益。Proceeds go to community charity.",
            audience={"everyone": True}, reminder_offsets=[settings.community_reminder_minutes],
            source=f"markets.market:{market.id}", **common))
        stall_activity = await create_activity(mh, community["slug"], ActivityIn(
            title=f"{data.name.strip()}·摊主布展", starts_at=setup_start, ends_at=ends,
            description="摊主请按时到场布展。Stallholders: please arrive on time to set up.",
            audience={"named": ["markets.stallholders"]}, reminder_offsets=[settings.stallholder_reminder_minutes],
            source=f"markets.stalls:{market.id}", **common))
        await Market.update({Market.activity: activity["id"], Market.stall_activity: stall_activity["id"]}).where(Market.id == market.id)
        await audit(principal, "markets.market.create", "markets.market", market.id, community_id=community["id"],
                    detail={"name": data.name, "rrule": data.rrule, "venue": data.venue})
        await ensure_days(mh, community, market.id)
    return await get_market(mh, community, market.id)


async def _market_row(community: dict[str, Any], market_id: int) -> dict[str, Any]:
    row = await Market.select().where(Market.id == market_id, Market.community == community["id"]).first()
    if row is None:
        raise NotFound(f"market {market_id} not found")
    return row


async def list_markets(mh: Any, community: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await Market.select().where(Market.community == community["id"]).order_by(Market.id)
    return [_market_out(r) for r in rows]


async def get_market(mh: Any, community: dict[str, Any], market_id: int) -> dict[str, Any]:
    row = await _market_row(community, market_id)
    out = _market_out(row)
    now = mh.clock.now()
    days = await MarketDay.select().where(MarketDay.market == market_id, MarketDay.ends_at > now).order_by(MarketDay.starts_at).limit(3)
    out["next_days"] = await _days_out(row, days)
    return out


async def update_market(mh: Any, community: dict[str, Any], market_id: int, patch: MarketPatch, principal: Principal) -> dict[str, Any]:
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
            await update_activity(mh, row["stall_activity"], ActivityPatch(title=f"{name}·摊主布展", venue=venue))
        await audit(principal, "markets.market.update", "markets.market", market_id, community_id=community["id"],
                    detail={k: v for k, v in msgspec.structs.asdict(patch).items() if v is not None})
        if patch.capacity is not None:
            # days without their own capacity follow the market's: a larger one promotes from the waiting lists
            now = mh.clock.now()
            for day in await MarketDay.select(MarketDay.id).where(
                MarketDay.market == market_id, MarketDay.capacity.is_null(), MarketDay.starts_at > now, MarketDay.status != "cancelled"
            ):
                await _lock_day(mh, day["id"])
                await _promote(mh, day["id"], principal)
    return await get_market(mh, community, market_id)


async def cancel_market(mh: Any, community: dict[str, Any], market_id: int, reason: str, principal: Principal) -> dict[str, Any]:
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
        await audit(principal, "markets.market.cancel", "markets.market", market_id, community_id=community["id"], reason=reason)
    return await get_market(mh, community, market_id)


# -- market days ------------------------------------------------------------------------


async def ensure_days(mh: Any, community: dict[str, Any], market_id: int, *, ahead_days: int | None = None) -> int:
    """Open the market days from the first one (or yesterday) to ``plan_days_ahead`` from now; returns how many were new.

    The days are the occurrences of the market's kernel activity (its RRULE and holiday policy);
    repeating this adds nothing.
    """
    market = await Market.select().where(Market.id == market_id).first()
    if market is None or market["status"] != "active":
        return 0
    if ahead_days is None:
        ahead_days = (await settings_of(mh, community)).plan_days_ahead
    activity = await get_activity(market["activity"])
    now = mh.clock.now()
    known = {r["occurrence"] for r in await MarketDay.select(MarketDay.occurrence).where(MarketDay.market == market_id)}
    start = activity["starts_at"] if not known else now - timedelta(days=1)
    found = activity_occurrences(activity, start, now + timedelta(days=ahead_days), limit=500)
    tz = ZoneInfo(community["timezone"])
    rows = []
    for o in found:
        if o["key"] in known:
            continue
        original = datetime.strptime(o["key"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        stall_key = (original - timedelta(minutes=market["setup_minutes"])).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append(MarketDay(
            market=market_id, community=market["community"], occurrence=o["key"], stall_occurrence=stall_key,
            day=o["starts_at"].astimezone(tz).date(), starts_at=o["starts_at"], ends_at=o["ends_at"], status="open", updated_at=now,
        ))
    if rows:
        await MarketDay.insert(*rows).on_conflict(action="DO NOTHING")
    return len(rows)


def _capacity(day: dict[str, Any], market: dict[str, Any]) -> int:
    return day["capacity"] if day["capacity"] is not None else market["capacity"]


async def _counts(day_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {i: {"approved": 0, "waitlisted": 0, "pending": 0} for i in day_ids}
    if day_ids:
        rows = await Application.raw(
            "SELECT market_day, status, COUNT(*) AS n FROM markets_application WHERE market_day IN ("
            + ", ".join("{}" for _ in day_ids) + ") AND status IN ('approved', 'waitlisted', 'pending') GROUP BY market_day, status",
            *day_ids,
        )
        for r in rows:
            counts[r["market_day"]][r["status"]] = r["n"]
    return counts


async def _days_out(market: dict[str, Any], days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = await _counts([d["id"] for d in days])
    return [
        {
            "id": d["id"],
            "market_id": market["id"],
            "day": d["day"],
            "starts_at": d["starts_at"],
            "ends_at": d["ends_at"],
            "applications_close_at": d["starts_at"] - timedelta(hours=market["close_hours"]),
            "status": d["status"],
            "capacity": _capacity(d, market),
            "cancel_reason": d["cancel_reason"],
            **counts[d["id"]],
        }
        for d in days
    ]


async def list_days(mh: Any, community: dict[str, Any], market_id: int, start: date | None, end: date | None) -> list[dict[str, Any]]:
    market = await _market_row(community, market_id)
    query = MarketDay.select().where(MarketDay.market == market_id)
    if start is not None:
        query = query.where(MarketDay.day >= start)
    if end is not None:
        query = query.where(MarketDay.day <= end)
    return await _days_out(market, await query.order_by(MarketDay.starts_at).limit(400))


async def _day_and_market(community: dict[str, Any], day_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    day = await MarketDay.select().where(MarketDay.id == day_id, MarketDay.community == community["id"]).first()
    if day is None:
        raise NotFound(f"market day {day_id} not found")
    market = await Market.select().where(Market.id == day["market"]).first()
    return day, market


async def get_day(mh: Any, community: dict[str, Any], day_id: int) -> dict[str, Any]:
    day, market = await _day_and_market(community, day_id)
    return (await _days_out(market, [day]))[0]


async def set_day_capacity(mh: Any, community: dict[str, Any], day_id: int, capacity: int, principal: Principal) -> dict[str, Any]:
    """Change one day's capacity; a larger one promotes from the waiting list, a smaller one keeps who is approved."""
    _non_negative(capacity, "capacity", 1)
    day, _ = await _day_and_market(community, day_id)
    if day["status"] == "cancelled" or day["starts_at"] <= mh.clock.now():
        raise Conflict(f"market day {day_id} is cancelled or has begun", field="capacity")
    async with _tx(mh):
        await MarketDay.update({MarketDay.capacity: capacity, MarketDay.updated_at: mh.clock.now()}).where(MarketDay.id == day_id)
        await audit(principal, "markets.day.capacity", "markets.day", day_id, community_id=community["id"], detail={"capacity": capacity})
        await _promote(mh, day_id, principal)
    return await get_day(mh, community, day_id)


async def cancel_day(mh: Any, community: dict[str, Any], day_id: int, reason: str, principal: Principal) -> dict[str, Any]:
    """Call off one market day (rain, say): its reminders are cancelled; applications stay for the record."""
    day, market = await _day_and_market(community, day_id)
    if day["status"] == "cancelled":
        return await get_day(mh, community, day_id)
    if day["starts_at"] <= mh.clock.now():
        raise Conflict(f"market day {day_id} has begun", field="status")
    async with _tx(mh):
        await MarketDay.update({MarketDay.status: "cancelled", MarketDay.cancel_reason: reason, MarketDay.updated_at: mh.clock.now()}).where(
            MarketDay.id == day_id
        )
        await cancel_occurrence(mh, market["activity"], day["occurrence"])
        await cancel_occurrence(mh, market["stall_activity"], day["stall_occurrence"])
        await audit(principal, "markets.day.cancel", "markets.day", day_id, community_id=community["id"], reason=reason)
    return await get_day(mh, community, day_id)


async def close_due_days(mh: Any, community: dict[str, Any], now: datetime | None = None) -> list[int]:
    """Close applications of every market day whose deadline has passed; returns the ids closed.

    Safe to run twice: a day is claimed by a conditional update, so only one run closes it.
    """
    now = now or mh.clock.now()
    settings = await settings_of(mh, community)
    candidates = await MarketDay.select(MarketDay.id, MarketDay.starts_at, MarketDay.market.close_hours.as_alias("close_hours")).where(
        MarketDay.community == community["id"], MarketDay.status == "open", MarketDay.starts_at <= now + timedelta(days=31)
    )
    closed = []
    for day in candidates:
        if day["starts_at"] - timedelta(hours=day["close_hours"]) > now:
            continue
        async with _tx(mh):
            claimed = await MarketDay.update({MarketDay.status: "closed", MarketDay.closed_at: now, MarketDay.updated_at: now}).where(
                MarketDay.id == day["id"], MarketDay.status == "open"
            ).returning(MarketDay.id)
            if not claimed:
                continue
            decided = 0
            if settings.decide_pending_at_close and day["starts_at"] > now:
                decided = await _decide_pending_in_order(mh, day["id"], now)
            await audit(Principal.system("markets"), "markets.day.close", "markets.day", day["id"], community_id=community["id"],
                        detail={"decided": decided})
        closed.append(day["id"])
    return closed


async def _decide_pending_in_order(mh: Any, day_id: int, now: datetime) -> int:
    """Undecided applications at the close: approved in order of application while stalls remain, then wait-listed."""
    pending = await Application.select(Application.id).where(Application.market_day == day_id, Application.status == "pending").order_by(
        Application.applied_at
    ).order_by(Application.id)
    community = None
    for app in pending:
        status = await _place(mh, day_id, app["id"], now, "markets (applications closed)")
        if community is None:
            row = await MarketDay.select(MarketDay.community).where(MarketDay.id == day_id).first()
            community = {"id": row["community"], "slug": await _slug(row["community"])}
        await _tell(mh, community, app["id"], status)
    return len(pending)


async def _slug(community_id: int) -> str:
    row = await Community.select(Community.slug).where(Community.id == community_id).first()
    return row["slug"]


# -- applications -------------------------------------------------------------------------


APPLICATION_COLUMNS = (
    Application.all_columns(),
    Application.market_day.day.as_alias("day"),
    Application.resident.name.as_alias("resident_name"),
    Application.merchant.name.as_alias("merchant_name"),
)


async def _applications_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    positions: dict[int, int] = {}
    waiting_days = sorted({r["market_day"] for r in rows if r["status"] == "waitlisted"})
    if waiting_days:
        waiting = await Application.select(Application.id, Application.market_day).where(
            Application.market_day.is_in(waiting_days), Application.status == "waitlisted"
        ).order_by(Application.waitlisted_at).order_by(Application.id)
        per_day: dict[int, int] = {}
        for w in waiting:
            per_day[w["market_day"]] = per_day.get(w["market_day"], 0) + 1
            positions[w["id"]] = per_day[w["market_day"]]
    proceeds = {}
    ids = [r["id"] for r in rows]
    if ids:
        proceeds = {p["application"]: p["amount_fen"] for p in await Proceeds.select(Proceeds.application, Proceeds.amount_fen).where(
            Proceeds.application.is_in(ids))}
    return [
        {
            "id": r["id"],
            "market_id": r["market"],
            "market_day_id": r["market_day"],
            "day": r["day"],
            "applicant_kind": "merchant" if r["merchant"] else "resident",
            "applicant_name": r["resident_name"] or r["merchant_name"] or "",
            "resident_id": r["resident"],
            "merchant_id": r["merchant"],
            "goods": r["goods"],
            "status": r["status"],
            "reason": r["reason"],
            "applied_at": r["applied_at"],
            "decided_at": r["decided_at"],
            "waitlist_position": positions.get(r["id"]),
            "proceeds": fen_to_yuan(proceeds[r["id"]]) if r["id"] in proceeds else None,
        }
        for r in rows
    ]


def _scoped(community: dict[str, Any], principal: Principal) -> list[Any]:
    return [Application.community == community["id"], *principal.where(Application.community, Application.grid)]


async def _application_row(community: dict[str, Any], application_id: int, principal: Principal) -> dict[str, Any]:
    row = await Application.select(*APPLICATION_COLUMNS).where(Application.id == application_id, *_scoped(community, principal)).first()
    if row is None:
        raise NotFound(f"application {application_id} not found")
    return row


async def get_application(mh: Any, community: dict[str, Any], application_id: int, principal: Principal) -> dict[str, Any]:
    return (await _applications_out([await _application_row(community, application_id, principal)]))[0]


async def list_applications(
    mh: Any, community: dict[str, Any], day_id: int, principal: Principal, status: str | None = None
) -> list[dict[str, Any]]:
    await _day_and_market(community, day_id)
    query = Application.select(*APPLICATION_COLUMNS).where(Application.market_day == day_id, *_scoped(community, principal))
    if status:
        query = query.where(Application.status == status)
    return await _applications_out(await query.order_by(Application.applied_at).order_by(Application.id))


async def apply(mh: Any, community: dict[str, Any], day_id: int, data: ApplicationIn, principal: Principal) -> dict[str, Any]:
    """A stall application for one market day, by a resident (in the caller's scope) or a partner merchant."""
    if (data.resident_id is None) == (data.merchant_id is None):
        raise InvalidInput("resident_id: give either resident_id or merchant_id", field="resident_id")
    day, market = await _day_and_market(community, day_id)
    now = mh.clock.now()
    if day["status"] == "cancelled":
        raise Conflict(f"market_day_id: market day {day_id} is cancelled", field="market_day_id")
    closes = day["starts_at"] - timedelta(hours=market["close_hours"])
    if day["status"] != "open" or now >= closes:
        local = closes.astimezone(ZoneInfo(community["timezone"])).strftime("%Y-%m-%d %H:%M")
        raise Conflict(f"market_day_id: applications for this market day closed at {local}", field="market_day_id")
    contact = grid = None
    if data.resident_id is not None:
        resident = await _resident_in_community(data.resident_id, community, "resident_id", principal)
        contact, grid = resident["id"], resident["grid"]
        duplicate = Application.resident == resident["id"]
    else:
        if not principal.manages_community(community["id"]):
            raise NotFound(f"merchant_id: merchant {data.merchant_id} not found", field="merchant_id")
        merchant = await Merchant.select().where(
            Merchant.id == data.merchant_id, Merchant.community == community["id"], Merchant.active.eq(True)
        ).first()
        if merchant is None:
            raise NotFound(f"merchant_id: merchant {data.merchant_id} not found", field="merchant_id")
        contact = merchant["contact_resident"]
        duplicate = Application.merchant == merchant["id"]
    async with _tx(mh):
        await _lock_day(mh, day_id)
        if await Application.exists().where(Application.market_day == day_id, duplicate, Application.status.is_in(list(LIVE))):
            raise Conflict("resident_id: this applicant already has an application for this market day", field=(
                "resident_id" if data.resident_id is not None else "merchant_id"))
        application = Application(
            community=community["id"], market=market["id"], market_day=day_id, resident=data.resident_id, merchant=data.merchant_id,
            contact=contact, grid=grid, goods=data.goods.strip(), status="pending", applied_at=now,
        )
        await application.save()
        await audit(principal, "markets.application.create", "markets.application", application.id, community_id=community["id"],
                    detail={"market_day": day_id, "goods": data.goods})
    return await get_application(mh, community, application.id, principal)


async def _lock_day(mh: Any, day_id: int) -> None:
    """Serialise decisions on one market day: touching its row takes a row lock (PostgreSQL) or the write lock (SQLite)."""
    await MarketDay.update({MarketDay.updated_at: mh.clock.now()}).where(MarketDay.id == day_id)


async def _place(mh: Any, day_id: int, application_id: int, now: datetime, actor: str) -> str:
    """Approve if a stall is free, else put on the waiting list. The caller holds the day's lock."""
    day = await MarketDay.select(MarketDay.capacity, MarketDay.market.capacity.as_alias("market_capacity")).where(MarketDay.id == day_id).first()
    capacity = day["capacity"] if day["capacity"] is not None else day["market_capacity"]
    taken = await Application.count().where(Application.market_day == day_id, Application.status == "approved")
    status = "approved" if taken < capacity else "waitlisted"
    values: dict[Any, Any] = {Application.status: status, Application.decided_at: now, Application.decided_by: actor, Application.reason: ""}
    if status == "waitlisted":
        values[Application.waitlisted_at] = now
    await Application.update(values).where(Application.id == application_id)
    return status


async def _promote(mh: Any, day_id: int, principal: Principal) -> list[int]:
    """Fill free stalls of a day from its waiting list, first come first served; returns who was promoted."""
    day = await MarketDay.select(
        MarketDay.capacity, MarketDay.starts_at, MarketDay.status, MarketDay.community, MarketDay.market.capacity.as_alias("market_capacity")
    ).where(MarketDay.id == day_id).first()
    now = mh.clock.now()
    if day is None or day["status"] == "cancelled" or day["starts_at"] <= now:
        return []
    capacity = day["capacity"] if day["capacity"] is not None else day["market_capacity"]
    free = capacity - await Application.count().where(Application.market_day == day_id, Application.status == "approved")
    if free <= 0:
        return []
    waiting = await Application.select(Application.id).where(Application.market_day == day_id, Application.status == "waitlisted").order_by(
        Application.waitlisted_at
    ).order_by(Application.id).limit(free)
    promoted = [w["id"] for w in waiting]
    if promoted:
        await Application.update({Application.status: "approved", Application.decided_at: now, Application.reason: "从候补名单递补 promoted from the waiting list"}).where(
            Application.id.is_in(promoted)
        )
        community = {"id": day["community"], "slug": await _slug(day["community"])}
        for application_id in promoted:
            await audit(principal, "markets.application.promote", "markets.application", application_id, community_id=day["community"])
            await _tell(mh, community, application_id, "approved")
    return promoted


NOTICE_TEXT = {
    "approved": "您报名的{market}（{day}）摊位已确认，请于开市前按时到{venue}布展。",
    "waitlisted": "{market}（{day}）摊位已满，您已进入候补名单；有摊位空出时将按顺序递补并通知您。",
    "refused": "很抱歉，您报名的{market}（{day}）摊位未获通过：{reason}",
}


async def _tell(mh: Any, community: dict[str, Any], application_id: int, status: str) -> None:
    """Tell the applicant (the resident, or the merchant's contact person) what became of the application; once per outcome."""
    row = await Application.select(
        Application.contact, Application.reason, Application.market.name.as_alias("market"), Application.market.venue.as_alias("venue"),
        Application.market_day.day.as_alias("day"), Application.market_day.ends_at.as_alias("ends_at"),
    ).where(Application.id == application_id).first()
    if row is None or row["contact"] is None or status not in NOTICE_TEXT:
        return
    until_over = row["ends_at"] - mh.clock.now()
    if until_over <= timedelta(minutes=1):
        return
    body = NOTICE_TEXT[status].format(market=row["market"], day=f"{row['day']:%m月%d日}", venue=row["venue"], reason=row["reason"])
    settings = await settings_of(mh, community)
    await notify(mh, community["slug"], NoticeIn(
        scene=SCENE, key=f"markets.application:{application_id}:{status}", title=f"{row['market']}摊位申请", body=body,
        residents=[row["contact"]], channels=list(settings.channels), useful_for=min(until_over, timedelta(days=3)),
    ))


async def approve(mh: Any, community: dict[str, Any], application_id: int, principal: Principal) -> dict[str, Any]:
    """Approve a pending application: a stall if one is free, else the waiting list (the answer says which)."""
    row = await _application_row(community, application_id, principal)
    if row["status"] != "pending":
        raise Conflict(f"status: application {application_id} is {row['status']}, not pending", field="status")
    day, _ = await _day_and_market(community, row["market_day"])
    now = mh.clock.now()
    if day["status"] == "cancelled" or day["starts_at"] <= now:
        raise Conflict("status: the market day is cancelled or has begun", field="status")
    async with _tx(mh):
        await _lock_day(mh, row["market_day"])
        if not await Application.exists().where(Application.id == application_id, Application.status == "pending"):
            raise Conflict(f"status: application {application_id} was decided meanwhile", field="status")
        status = await _place(mh, row["market_day"], application_id, now, principal.name)
        await audit(principal, "markets.application.approve", "markets.application", application_id, community_id=community["id"],
                    detail={"result": status})
        await _tell(mh, community, application_id, status)
    return await get_application(mh, community, application_id, principal)


async def refuse(mh: Any, community: dict[str, Any], application_id: int, reason: str, principal: Principal) -> dict[str, Any]:
    """Refuse a pending or wait-listed application, with the reason the applicant is told."""
    if not reason.strip():
        raise InvalidInput("reason: say why the application is refused", field="reason")
    row = await _application_row(community, application_id, principal)
    if row["status"] not in ("pending", "waitlisted"):
        raise Conflict(f"status: application {application_id} is {row['status']}; only pending or wait-listed ones can be refused", field="status")
    now = mh.clock.now()
    async with _tx(mh):
        updated = await Application.update(
            {Application.status: "refused", Application.reason: reason.strip(), Application.decided_at: now, Application.decided_by: principal.name}
        ).where(Application.id == application_id, Application.status.is_in(["pending", "waitlisted"])).returning(Application.id)
        if not updated:
            raise Conflict(f"status: application {application_id} was decided meanwhile", field="status")
        await audit(principal, "markets.application.refuse", "markets.application", application_id, community_id=community["id"], reason=reason)
        await _tell(mh, community, application_id, "refused")
    return await get_application(mh, community, application_id, principal)


async def cancel_application(mh: Any, community: dict[str, Any], application_id: int, reason: str, principal: Principal) -> dict[str, Any]:
    """The applicant withdraws (or staff withdraw for them); a freed stall goes to the first on the waiting list."""
    row = await _application_row(community, application_id, principal)
    if row["status"] not in LIVE:
        raise Conflict(f"status: application {application_id} is already {row['status']}", field="status")
    day, _ = await _day_and_market(community, row["market_day"])
    now = mh.clock.now()
    if day["starts_at"] <= now:
        raise Conflict("status: the market day has begun", field="status")
    async with _tx(mh):
        await _lock_day(mh, row["market_day"])
        updated = await Application.update({Application.status: "cancelled", Application.reason: reason.strip(), Application.decided_at: now}).where(
            Application.id == application_id, Application.status.is_in(list(LIVE))
        ).returning(Application.id)
        if not updated:
            raise Conflict(f"status: application {application_id} changed meanwhile", field="status")
        await audit(principal, "markets.application.cancel", "markets.application", application_id, community_id=community["id"], reason=reason)
        if row["status"] == "approved":
            await _promote(mh, row["market_day"], principal)
    return await get_application(mh, community, application_id, principal)


# -- proceeds ------------------------------------------------------------------------------


async def record_proceeds(
    mh: Any, community: dict[str, Any], application_id: int, amount: Decimal, note: str, principal: Principal
) -> dict[str, Any]:
    """The charity proceeds of one stall on its market day (recording again corrects the amount)."""
    settings = await settings_of(mh, community)
    # the cap catches a typo (setting max_proceeds_per_stall_yuan)
    fen = yuan_to_fen(amount, "amount", most_yuan=settings.max_proceeds_per_stall_yuan)
    row = await _application_row(community, application_id, principal)
    if row["status"] != "approved":
        raise Conflict(f"status: application {application_id} is {row['status']}; proceeds are recorded for approved stalls", field="status")
    day, _ = await _day_and_market(community, row["market_day"])
    now = mh.clock.now()
    if day["status"] == "cancelled" or day["starts_at"] > now:
        raise Conflict("amount: proceeds are recorded once the market day has begun", field="amount")
    async with _tx(mh):
        existing = await Proceeds.select(Proceeds.id, Proceeds.amount_fen).where(Proceeds.application == application_id).first()
        if existing is None:
            await Proceeds.insert(Proceeds(
                community=community["id"], market=row["market"], market_day=row["market_day"], application=application_id,
                grid=row["grid"], amount_fen=fen, note=note.strip(), recorded_by=principal.name, recorded_at=now,
            ))
        else:
            await Proceeds.update({Proceeds.amount_fen: fen, Proceeds.note: note.strip(), Proceeds.recorded_by: principal.name,
                                   Proceeds.recorded_at: now}).where(Proceeds.id == existing["id"])
        await audit(principal, "markets.proceeds.record", "markets.application", application_id, community_id=community["id"],
                    detail={"amount_fen": fen, "before_fen": existing["amount_fen"] if existing else None})
    saved = await Proceeds.select().where(Proceeds.application == application_id).first()
    return {
        "application_id": application_id, "market_day_id": saved["market_day"], "amount": fen_to_yuan(saved["amount_fen"]),
        "note": saved["note"], "recorded_by": saved["recorded_by"], "recorded_at": saved["recorded_at"],
    }


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def this_year(mh: Any, community: dict[str, Any]) -> int:
    return local_now(mh, community).year


async def market_proceeds(mh: Any, community: dict[str, Any], market_id: int, year: int, principal: Principal) -> dict[str, Any]:
    """Proceeds of one market per market day of ``year`` (local dates), summed in SQL."""
    await _market_row(community, market_id)
    rows = await _sums(
        "p.market_day AS market_day, d.day AS day, COUNT(*) AS stalls, SUM(p.amount_fen) AS fen",
        "p.market = {}", [market_id], "p.market_day, d.day ORDER BY d.day", community, year, principal,
    )
    return {
        "market_id": market_id,
        "year": year,
        "days": [{"market_day_id": r["market_day"], "day": _as_date(r["day"]), "stalls": r["stalls"], "amount": fen_to_yuan(r["fen"])} for r in rows],
        "total": fen_to_yuan(sum(r["fen"] or 0 for r in rows)),
    }


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def _sums(
    columns: str, condition: str, args: list[Any], group: str, community: dict[str, Any], year: int, principal: Principal
) -> list[dict[str, Any]]:
    """Grouped sums of proceeds in one statement, for market days of ``year`` and the caller's scope."""
    first, last = _year_bounds(year)
    query = (
        f"SELECT {columns} FROM markets_proceeds AS p JOIN markets_market AS m ON m.id = p.market "
        "JOIN markets_day AS d ON d.id = p.market_day WHERE p.community = {} AND d.day >= {} AND d.day <= {} AND " + condition + " "
    )
    values: list[Any] = [community["id"], first, last, *args]
    scope = _grid_scope_sql(principal)
    if scope is not None:
        query += "AND " + scope[0] + " "
        values += scope[1]
    return await Proceeds.raw(query + "GROUP BY " + group, *values)


async def community_proceeds(mh: Any, community: dict[str, Any], year: int, principal: Principal) -> dict[str, Any]:
    """Proceeds of every market of the community in ``year``, per market and in all."""
    rows = await _sums(
        "p.market AS market, m.name AS name, COUNT(DISTINCT p.market_day) AS days, COUNT(*) AS stalls, SUM(p.amount_fen) AS fen",
        "1 = 1", [], "p.market, m.name ORDER BY p.market", community, year, principal,
    )
    return {
        "year": year,
        "markets": [{"market_id": r["market"], "name": r["name"], "days": r["days"], "stalls": r["stalls"], "amount": fen_to_yuan(r["fen"])} for r in rows],
        "total": fen_to_yuan(sum(r["fen"] or 0 for r in rows)),
    }


def _grid_scope_sql(principal: Principal) -> tuple[str, list[Any]] | None:
    """The caller's scope over ``p.community``/``p.grid`` as raw SQL (for the grouped sum)."""
    if principal.street:
        return None
    parts, args = [], []
    if principal.community_ids:
        parts.append("p.community IN (" + ", ".join("{}" for _ in principal.community_ids) + ")")
        args += sorted(principal.community_ids)
    if principal.grid_ids:
        parts.append("p.grid IN (" + ", ".join("{}" for _ in principal.grid_ids) + ")")
        args += sorted(principal.grid_ids)
    if not parts:
        return "1 = 0", []
    return "(" + " OR ".join(parts) + ")", args


async def proceeds_total_fen(community_id: int, year: int) -> int:
    rows = await _sums("SUM(p.amount_fen) AS fen", "1 = 1", [], "p.community", {"id": community_id}, year, Principal.system())
    return (rows[0]["fen"] if rows else 0) or 0


# -- who is reminded --------------------------------------------------------------------------


def stallholders(community_id: int, activity_id: int | None = None, occurrence: str | None = None) -> Any:
    """Residents to remind before set-up: the contacts of approved stalls of the day being fanned out.

    Without an activity (a preview) it is every approved stallholder of the community's coming days.
    """
    query = Application.select(Application.contact).where(
        Application.community == community_id, Application.status == "approved", Application.contact.is_not_null()
    )
    if activity_id is not None:
        query = query.where(Application.market.is_in(Market.select(Market.id).where(Market.stall_activity == activity_id)))
    if occurrence is not None:
        query = query.where(Application.market_day.is_in(MarketDay.select(MarketDay.id).where(MarketDay.stall_occurrence == occurrence)))
    return query


# -- the dashboard ------------------------------------------------------------------------------


async def next_day_fill(mh: Any, community: dict[str, Any]) -> tuple[int, int]:
    """(approved stalls, capacity) of the community's next market day; (0, 0) when none is planned."""
    now = mh.clock.now()
    day = await MarketDay.select(MarketDay.id, MarketDay.capacity, MarketDay.market.capacity.as_alias("market_capacity")).where(
        MarketDay.community == community["id"], MarketDay.status != "cancelled", MarketDay.ends_at > now
    ).order_by(MarketDay.starts_at).first()
    if day is None:
        return 0, 0
    filled = await Application.count().where(Application.market_day == day["id"], Application.status == "approved")
    return filled, day["capacity"] if day["capacity"] is not None else day["market_capacity"]


async def active_market_ids(community_id: int) -> list[int]:
    return [r["id"] for r in await Market.select(Market.id).where(Market.community == community_id, Market.status == "active")]



# -- switching the scenario off and on ------------------------------------------------------------


async def suspend(mh: Any, community: dict[str, Any]) -> None:
    """The community switched markets off: its markets stop reminding (their activities are cancelled); records stay."""
    for market in await Market.select().where(Market.community == community["id"], Market.status == "active"):
        await cancel_activity(mh, market["activity"])
        await cancel_activity(mh, market["stall_activity"])
        await Market.update({Market.status: "suspended"}).where(Market.id == market["id"])


async def resume(mh: Any, community: dict[str, Any]) -> None:
    """The community switched markets on again: suspended markets get their activities back (same days, same keys)."""
    settings = await settings_of(mh, community)
    for market in await Market.select().where(Market.community == community["id"], Market.status == "suspended"):
        old = await get_activity(market["activity"])
        old_stalls = await get_activity(market["stall_activity"])
        ids = []
        for activity, offsets in ((old, [settings.community_reminder_minutes]), (old_stalls, [settings.stallholder_reminder_minutes])):
            created = await create_activity(mh, community["slug"], ActivityIn(
                scene=SCENE, title=activity["title"], description=activity["description"], venue=activity["venue"],
                starts_at=activity["starts_at"], ends_at=activity["ends_at"], rrule=activity["rrule"],
                recurrence_until=activity["recurrence_until"], holiday_policy=activity["holiday_policy"],
                audience=activity["audience"], reminder_offsets=offsets, channels=list(settings.channels), source=activity["source"],
            ))
            ids.append(created["id"])
        await Market.update({Market.status: "active", Market.activity: ids[0], Market.stall_activity: ids[1]}).where(Market.id == market["id"])
        for day in await MarketDay.select(MarketDay.occurrence, MarketDay.stall_occurrence).where(
            MarketDay.market == market["id"], MarketDay.status == "cancelled", MarketDay.starts_at > mh.clock.now()
        ):  # days called off stay off
            await cancel_occurrence(mh, ids[0], day["occurrence"])
            await cancel_occurrence(mh, ids[1], day["stall_occurrence"])


# -- reminder texts --------------------------------------------------------------------------------


def render(activity: dict[str, Any], language: str) -> str | None:
    """The text of a market reminder: the community's, or the stallholders' before set-up."""
    source = str(activity.get("source", ""))
    title, venue, starts = activity.get("title", ""), activity.get("venue", ""), activity.get("starts_at", "")
    if source.startswith("markets.market:"):
        if language == "en":
            return f"Charity market: {title}, {starts} at {venue}. All proceeds go to community charity; neighbours welcome!"
        return f"【{title}】{starts} 在{venue}开市，义卖所得全部用于社区公益，欢迎街坊邻居来逛！"
    if source.startswith("markets.stalls:"):
        if language == "en":
            return f"Stallholders of {title.split('·')[0]}: set-up starts {starts} at {venue}. Please arrive on time."
        return f"摊主提醒：{starts} 开始在{venue}布展（{title.split('·')[0]}），请按时到场，带好摊位物品。"
    return None  # notices and anything else: as the kernel renders them
