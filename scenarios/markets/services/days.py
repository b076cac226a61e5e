"""Market days: opened from the market's activity, listed, given a capacity, called off, and closed for applications at their deadline."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from meihao import (
    ActivityIn,
    CommunityInfo,
    Conflict,
    Principal,
    activity_occurrences,
    audit,
    cancel_activity,
    cancel_occurrence,
    create_activity,
    get_activity,
    working_calendar,
    zh_date,
)

from ..schemas import MarketDayOut
from ..tables import Application, Market, MarketDay
from .applications import _place, _promote, _tell
from .common import _day_and_market, _market_row, _non_negative, _tx, settings_of


async def ensure_days(mh: Any, community: CommunityInfo, market_id: int, *, ahead_days: int | None = None) -> int:
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
    # The days follow the street's working calendar (loaded years, typhoon days closed), as the reminders do.
    calendar = await working_calendar(mh, community)
    found = activity_occurrences(activity, start, now + timedelta(days=ahead_days), limit=500, calendar=calendar)
    tz = community.tz
    rows = []
    taken = {r["day"] for r in await MarketDay.select(MarketDay.day).where(MarketDay.market == market_id)}
    settings = None
    for o in found:
        if o["key"] in known:
            continue
        original = datetime.strptime(o["key"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        stall_key = (original - timedelta(minutes=market["setup_minutes"])).strftime("%Y-%m-%dT%H:%M:%SZ")
        day = o["starts_at"].astimezone(tz).date()
        row = MarketDay(
            market=market_id, community=market["community"], occurrence=o["key"], stall_occurrence=stall_key,
            day=day, starts_at=o["starts_at"], ends_at=o["ends_at"], status="open", updated_at=now,
        )
        if adjusted_working_weekend_day(calendar, day):
            # 调休上班: the weekend market is not held on a day people work; the occurrence leaves both activities.
            await cancel_occurrence(mh, market["activity"], o["key"])
            await cancel_occurrence(mh, market["stall_activity"], stall_key)
            if settings is None:
                settings = await settings_of(mh, community)
            target = None
            if market["rest_day_policy"] == "move":
                target = rest_day_after(calendar, day, settings.rest_day_move_days, taken)
            if target is None:
                row.status, row.cancel_reason = "cancelled", f"{zh_date(day)}调休上班，本次市集不举办"
            else:
                await _move(mh, community, market, row, target)
        taken.add(row.day)
        rows.append(row)
    if rows:
        await MarketDay.insert(*rows).on_conflict(action="DO NOTHING")
    return len(rows)


def adjusted_working_weekend_day(calendar: Any, day: date) -> bool:
    """A Saturday or Sunday that people work (a make-up workday 调休上班, or a day the street opened)."""
    return day.weekday() >= 5 and calendar.is_workday(day)


def rest_day_after(calendar: Any, day: date, within: int, taken: set[date]) -> date | None:
    """The nearest ordinary rest day (a weekend day off, not an official holiday) after ``day`` within ``within`` days,
    on which the market has no day yet; None when there is none."""
    for shift in range(1, within + 1):
        candidate = day + timedelta(days=shift)
        if candidate not in taken and calendar.day_kind(candidate) == "weekend":
            return candidate
    return None


async def _move(mh: Any, community: CommunityInfo, market: dict[str, Any], row: MarketDay, target: date) -> None:
    """The day moves to ``target``: two one-off activities of its own remind the community and the stallholders."""
    shift = timedelta(days=(target - row.day).days)
    row.moved_from, row.day = row.day, target
    row.starts_at, row.ends_at = row.starts_at + shift, row.ends_at + shift
    row.own_activity, row.own_stall_activity = await own_activities(mh, community, market, row.starts_at)
    row.stall_occurrence = (row.starts_at - timedelta(minutes=market["setup_minutes"])).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


async def own_activities(mh: Any, community: CommunityInfo, market: dict[str, Any], starts_at: datetime) -> tuple[int, int]:
    """One-off copies of the market's two activities for a moved day starting at ``starts_at``."""
    ids = []
    for activity_id in (market["activity"], market["stall_activity"]):
        activity = await get_activity(activity_id)
        length = activity["ends_at"] - activity["starts_at"]
        begins = starts_at if activity_id == market["activity"] else starts_at - timedelta(minutes=market["setup_minutes"])
        local = begins.astimezone(community.tz).replace(tzinfo=None)
        created = await create_activity(mh, community.slug, ActivityIn(
            scene=activity["scene"], title=activity["title"], description=activity["description"], venue=activity["venue"],
            starts_at=local, ends_at=local + length, audience=activity["audience"], reminder_offsets=activity["reminder_offsets"],
            channels=activity["channels"], source=activity["source"],
        ))
        ids.append(created["id"])
    return ids[0], ids[1]


def original_stall_key(day: dict[str, Any], setup_minutes: int) -> str:
    original = datetime.strptime(day["occurrence"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return (original - timedelta(minutes=setup_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def cancel_moved_days_activities(mh: Any, market_id: int, now: datetime) -> None:
    """The one-off activities of the market's moved days still ahead are cancelled (the market is cancelled or suspended)."""
    for day in await MarketDay.select(MarketDay.own_activity, MarketDay.own_stall_activity).where(
        MarketDay.market == market_id, MarketDay.own_activity.is_not_null(), MarketDay.starts_at > now
    ):
        await cancel_activity(mh, day["own_activity"])
        await cancel_activity(mh, day["own_stall_activity"])


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


async def _days_out(market: dict[str, Any], days: list[dict[str, Any]]) -> list[MarketDayOut]:
    counts = await _counts([d["id"] for d in days])
    return [
        MarketDayOut(
            id=d["id"],
            market_id=market["id"],
            day=d["day"],
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            applications_close_at=d["starts_at"] - timedelta(hours=market["close_hours"]),
            status=d["status"],
            capacity=_capacity(d, market),
            cancel_reason=d["cancel_reason"],
            moved_from=d["moved_from"],
            statement_published_at=d["statement_published_at"],
            **counts[d["id"]],
        )
        for d in days
    ]


async def list_days(mh: Any, community: CommunityInfo, market_id: int, start: date | None, end: date | None) -> list[MarketDayOut]:
    market = await _market_row(community, market_id)
    query = MarketDay.select().where(MarketDay.market == market_id)
    if start is not None:
        query = query.where(MarketDay.day >= start)
    if end is not None:
        query = query.where(MarketDay.day <= end)
    return await _days_out(market, await query.order_by(MarketDay.starts_at).limit(400))


async def get_day(mh: Any, community: CommunityInfo, day_id: int) -> MarketDayOut:
    day, market = await _day_and_market(community, day_id)
    return (await _days_out(market, [day]))[0]


async def set_day_capacity(mh: Any, community: CommunityInfo, day_id: int, capacity: int, principal: Principal) -> MarketDayOut:
    """Change one day's capacity; a larger one promotes from the waiting list, a smaller one keeps who is approved."""
    _non_negative(capacity, "capacity", 1)
    day, _ = await _day_and_market(community, day_id)
    if day["status"] == "cancelled" or day["starts_at"] <= mh.clock.now():
        raise Conflict(f"market day {day_id} is cancelled or has begun", field="capacity")
    async with _tx(mh, day=day_id):  # promotions from the waiting list take turns with approvals
        await MarketDay.update({MarketDay.capacity: capacity, MarketDay.updated_at: mh.clock.now()}).where(MarketDay.id == day_id)
        await audit(principal, "markets.day.capacity", "markets.day", day_id, community_id=community.id, detail={"capacity": capacity})
        await _promote(mh, community, day_id, principal)
    return await get_day(mh, community, day_id)


async def cancel_day(mh: Any, community: CommunityInfo, day_id: int, reason: str, principal: Principal) -> MarketDayOut:
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
        if day["own_activity"] is not None:  # a day moved off an adjusted working day has its own activities
            await cancel_activity(mh, day["own_activity"])
            await cancel_activity(mh, day["own_stall_activity"])
        else:
            await cancel_occurrence(mh, market["activity"], day["occurrence"])
            await cancel_occurrence(mh, market["stall_activity"], day["stall_occurrence"])
        await audit(principal, "markets.day.cancel", "markets.day", day_id, community_id=community.id, reason=reason)
    return await get_day(mh, community, day_id)


async def close_due_days(mh: Any, community: CommunityInfo, now: datetime | None = None) -> list[int]:
    """Close applications of every market day whose deadline has passed; returns the ids closed.

    Safe to run twice: a day is claimed by a conditional update, so only one run closes it.
    """
    now = now or mh.clock.now()
    settings = await settings_of(mh, community)
    candidates = await MarketDay.select(MarketDay.id, MarketDay.starts_at, MarketDay.market.close_hours.as_alias("close_hours")).where(
        MarketDay.community == community.id, MarketDay.status == "open", MarketDay.starts_at <= now + timedelta(days=31)
    )
    closed = []
    for day in candidates:
        if day["starts_at"] - timedelta(hours=day["close_hours"]) > now:
            continue
        async with _tx(mh, day=day["id"]):  # deciding the pending ones takes turns with approvals
            claimed = await MarketDay.update({MarketDay.status: "closed", MarketDay.closed_at: now, MarketDay.updated_at: now}).where(
                MarketDay.id == day["id"], MarketDay.status == "open"
            ).returning(MarketDay.id)
            if not claimed:
                continue
            decided = 0
            if settings.decide_pending_at_close and day["starts_at"] > now:
                decided = await _decide_pending_in_order(mh, community, day["id"], now)
            await audit(Principal.system("markets"), "markets.day.close", "markets.day", day["id"], community_id=community.id,
                        detail={"decided": decided})
        closed.append(day["id"])
    return closed


async def _decide_pending_in_order(mh: Any, community: CommunityInfo, day_id: int, now: datetime) -> int:
    """Undecided applications at the close: approved in order of application while stalls remain, then wait-listed.

    Home-made food at a market that decides it one by one (``home_made_food: approval``) stays for the organiser."""
    pending = Application.select(Application.id).where(Application.market_day == day_id, Application.status == "pending")
    market = await MarketDay.select(MarketDay.market.home_made_food.as_alias("rule")).where(MarketDay.id == day_id).first()
    if market["rule"] == "approval":
        pending = pending.where(Application.home_made_food.eq(False))
    pending = await pending.order_by(
        Application.applied_at
    ).order_by(Application.id)
    for app in pending:
        status = await _place(mh, day_id, app["id"], now, "markets (applications closed)")
        await _tell(mh, community, app["id"], status)
    return len(pending)


async def next_day_fill(mh: Any, community: CommunityInfo) -> tuple[int, int]:
    """(approved stalls, capacity) of the community's next market day; (0, 0) when none is planned."""
    now = mh.clock.now()
    day = await MarketDay.select(MarketDay.id, MarketDay.capacity, MarketDay.market.capacity.as_alias("market_capacity")).where(
        MarketDay.community == community.id, MarketDay.status != "cancelled", MarketDay.ends_at > now
    ).order_by(MarketDay.starts_at).first()
    if day is None:
        return 0, 0
    filled = await Application.count().where(Application.market_day == day["id"], Application.status == "approved")
    return filled, day["capacity"] if day["capacity"] is not None else day["market_capacity"]
