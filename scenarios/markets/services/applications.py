"""Stall applications: apply, approve, refuse and withdraw; the waiting list and its promotions; the notices to applicants."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    InvalidInput,
    NotFound,
    NoticeIn,
    Principal,
    audit,
    fen_to_yuan,
    notify,
    scope_where,
    scoped_resident,
    scoped_row,
    zh_date,
)

from ..schemas import ApplicationIn, ApplicationOut
from ..tables import Application, MarketDay, Merchant, Proceeds
from .common import LIVE, SCENE, _day_and_market, _tx, settings_of

APPLICATION_COLUMNS = (
    Application.all_columns(),
    Application.market_day.day.as_alias("day"),
    Application.resident.name.as_alias("resident_name"),
    Application.merchant.name.as_alias("merchant_name"),
)


async def _applications_out(rows: list[dict[str, Any]]) -> list[ApplicationOut]:
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
    proceeds, served = {}, {}
    ids = [r["id"] for r in rows]
    if ids:
        for p in await Proceeds.select(Proceeds.application, Proceeds.amount_fen, Proceeds.people_served).where(Proceeds.application.is_in(ids)):
            proceeds[p["application"]], served[p["application"]] = p["amount_fen"], p["people_served"]
    return [
        ApplicationOut(
            id=r["id"],
            market_id=r["market"],
            market_day_id=r["market_day"],
            day=r["day"],
            applicant_kind="merchant" if r["merchant"] else "resident",
            applicant_name=r["resident_name"] or r["merchant_name"] or "",
            resident_id=r["resident"],
            merchant_id=r["merchant"],
            goods=r["goods"],
            status=r["status"],
            reason=r["reason"],
            applied_at=r["applied_at"],
            decided_at=r["decided_at"],
            waitlist_position=positions.get(r["id"]),
            proceeds=fen_to_yuan(proceeds[r["id"]]) if r["id"] in proceeds else None,
            home_made_food=r["home_made_food"],
            fee_waived=r["fee_waived"],
            waiver_reason=r["waiver_reason"],
            people_served=served.get(r["id"]),
        )
        for r in rows
    ]


#: An application is placed by its community and the applicant's grid (a merchant's has none: the community's admins only).
PLACED_BY = (Application.community, Application.grid)


async def _application_row(community: CommunityInfo, application_id: int, principal: Principal) -> dict[str, Any]:
    return await scoped_row(Application, application_id, principal, community, via=PLACED_BY, columns=APPLICATION_COLUMNS, noun="application")


async def get_application(mh: Any, community: CommunityInfo, application_id: int, principal: Principal) -> ApplicationOut:
    return (await _applications_out([await _application_row(community, application_id, principal)]))[0]


async def list_applications(
    mh: Any, community: CommunityInfo, day_id: int, principal: Principal, status: str | None = None
) -> list[ApplicationOut]:
    await _day_and_market(community, day_id)
    query = Application.select(*APPLICATION_COLUMNS).where(Application.market_day == day_id, *scope_where(principal, community, PLACED_BY))
    if status:
        query = query.where(Application.status == status)
    return await _applications_out(await query.order_by(Application.applied_at).order_by(Application.id))


async def apply(mh: Any, community: CommunityInfo, day_id: int, data: ApplicationIn, principal: Principal) -> ApplicationOut:
    """A stall application for one market day, by a resident (in the caller's scope) or a partner merchant."""
    if (data.resident_id is None) == (data.merchant_id is None):
        raise InvalidInput("resident_id: give either resident_id or merchant_id", field="resident_id")
    day, market = await _day_and_market(community, day_id)
    now = mh.clock.now()
    if day["status"] == "cancelled":
        raise Conflict(f"market_day_id: market day {day_id} is cancelled", field="market_day_id")
    closes = day["starts_at"] - timedelta(hours=market["close_hours"])
    if day["status"] != "open" or now >= closes:
        local = closes.astimezone(community.tz).strftime("%Y-%m-%d %H:%M")
        raise Conflict(f"market_day_id: applications for this market day closed at {local}", field="market_day_id")
    if data.home_made_food and market["home_made_food"] == "forbid":
        raise InvalidInput("home_made_food: this market takes no home-made food", field="home_made_food")
    contact = grid = None
    if data.resident_id is not None:
        resident = await scoped_resident(principal, community, data.resident_id, "resident_id")
        contact, grid = resident["id"], resident["grid"]
        duplicate = Application.resident == resident["id"]
    else:
        if not principal.manages_community(community.id):
            raise NotFound(f"merchant_id: merchant {data.merchant_id} not found", field="merchant_id")
        merchant = await Merchant.select().where(
            Merchant.id == data.merchant_id, Merchant.community == community.id, Merchant.active.eq(True)
        ).first()
        if merchant is None:
            raise NotFound(f"merchant_id: merchant {data.merchant_id} not found", field="merchant_id")
        contact = merchant["contact_resident"]
        duplicate = Application.merchant == merchant["id"]
    async with _tx(mh, day=day_id):  # one live application per applicant and day: applications take turns
        if await Application.exists().where(Application.market_day == day_id, duplicate, Application.status.is_in(list(LIVE))):
            raise Conflict("resident_id: this applicant already has an application for this market day", field=(
                "resident_id" if data.resident_id is not None else "merchant_id"))
        application = Application(
            community=community.id, market=market["id"], market_day=day_id, resident=data.resident_id, merchant=data.merchant_id,
            contact=contact, grid=grid, goods=data.goods.strip(), status="pending", applied_at=now, home_made_food=data.home_made_food,
        )
        await application.save()
        await audit(principal, "markets.application.create", "markets.application", application.id, community_id=community.id,
                    detail={"market_day": day_id, "goods": data.goods, "home_made_food": data.home_made_food})
    return await get_application(mh, community, application.id, principal)


async def _lock_day(mh: Any, day_id: int) -> None:
    """Take the market day's lock inside the transaction already open (held until it ends): decisions on its stalls take turns."""
    async with _tx(mh, day=day_id):
        pass


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


async def _promote(mh: Any, community: CommunityInfo, day_id: int, principal: Principal) -> list[int]:
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
        for application_id in promoted:
            await audit(principal, "markets.application.promote", "markets.application", application_id, community_id=day["community"])
            await _tell(mh, community, application_id, "approved")
    return promoted


NOTICE_TEXT = {
    "approved": "您报名的{day}{market}摊位已确认，请于开市前按时到{venue}摆摊。",
    "waitlisted": "{day}{market}摊位已满，您已进入候补名单；有摊位空出时将按顺序递补并通知您。",
    "refused": "很抱歉，您报名的{day}{market}摊位未获通过：{reason}",
}


async def _tell(mh: Any, community: CommunityInfo, application_id: int, status: str) -> None:
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
    body = NOTICE_TEXT[status].format(market=row["market"], day=zh_date(row["day"]), venue=row["venue"], reason=row["reason"])
    settings = await settings_of(mh, community)
    await notify(mh, community.slug, NoticeIn(
        scene=SCENE, key=f"markets.application:{application_id}:{status}", title=f"{row['market']}摊位申请", body=body,
        residents=[row["contact"]], channels=list(settings.channels), useful_for=min(until_over, timedelta(days=3)),
    ))


async def approve(mh: Any, community: CommunityInfo, application_id: int, principal: Principal) -> ApplicationOut:
    """Approve a pending application: a stall if one is free, else the waiting list (the answer says which)."""
    row = await _application_row(community, application_id, principal)
    if row["status"] != "pending":
        raise Conflict(f"status: application {application_id} is {row['status']}, not pending", field="status")
    day, _ = await _day_and_market(community, row["market_day"])
    now = mh.clock.now()
    if day["status"] == "cancelled" or day["starts_at"] <= now:
        raise Conflict("status: the market day is cancelled or has begun", field="status")
    async with _tx(mh, day=row["market_day"]):  # at most `capacity` approved: approvals take turns
        if not await Application.exists().where(Application.id == application_id, Application.status == "pending"):
            raise Conflict(f"status: application {application_id} was decided meanwhile", field="status")
        status = await _place(mh, row["market_day"], application_id, now, principal.name)
        await audit(principal, "markets.application.approve", "markets.application", application_id, community_id=community.id,
                    detail={"result": status})
        await _tell(mh, community, application_id, status)
    return await get_application(mh, community, application_id, principal)


async def refuse(mh: Any, community: CommunityInfo, application_id: int, reason: str, principal: Principal) -> ApplicationOut:
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
        await audit(principal, "markets.application.refuse", "markets.application", application_id, community_id=community.id, reason=reason)
        await _tell(mh, community, application_id, "refused")
    return await get_application(mh, community, application_id, principal)


async def cancel_application(mh: Any, community: CommunityInfo, application_id: int, reason: str, principal: Principal) -> ApplicationOut:
    """The applicant withdraws (or staff withdraw for them); a freed stall goes to the first on the waiting list."""
    row = await _application_row(community, application_id, principal)
    if row["status"] not in LIVE:
        raise Conflict(f"status: application {application_id} is already {row['status']}", field="status")
    day, _ = await _day_and_market(community, row["market_day"])
    now = mh.clock.now()
    if day["starts_at"] <= now:
        raise Conflict("status: the market day has begun", field="status")
    async with _tx(mh, day=row["market_day"]):  # a freed stall is promoted once
        updated = await Application.update({Application.status: "cancelled", Application.reason: reason.strip(), Application.decided_at: now}).where(
            Application.id == application_id, Application.status.is_in(list(LIVE))
        ).returning(Application.id)
        if not updated:
            raise Conflict(f"status: application {application_id} changed meanwhile", field="status")
        await audit(principal, "markets.application.cancel", "markets.application", application_id, community_id=community.id, reason=reason)
        if row["status"] == "approved":
            await _promote(mh, community, row["market_day"], principal)
    return await get_application(mh, community, application_id, principal)


async def set_waiver(mh: Any, community: CommunityInfo, application_id: int, waived: bool, reason: str, principal: Principal) -> ApplicationOut:
    """Waive (减免) the market's stall fee or contribution for one stall, with its reason, or take the waiver back."""
    row = await _application_row(community, application_id, principal)
    _, market = await _day_and_market(community, row["market_day"])
    if market["money"] == "none":
        raise Conflict("waived: this market takes no stall fee or contribution", field="waived")
    if waived and not reason.strip():
        raise InvalidInput("reason: say why the fee is waived", field="reason")
    if row["status"] not in LIVE:
        raise Conflict(f"status: application {application_id} is {row['status']}", field="status")
    async with _tx(mh):
        await Application.update({Application.fee_waived: waived, Application.waiver_reason: reason.strip() if waived else ""}).where(
            Application.id == application_id)
        await audit(principal, "markets.application.waiver", "markets.application", application_id, community_id=community.id,
                    reason=reason.strip(), detail={"waived": waived})
    return await get_application(mh, community, application_id, principal)
