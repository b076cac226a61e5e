"""The markets scenario in the access matrix (tests/access/test_matrix.py): its world and its routes.

Each community of the matrix world gets a weekly market since two weeks ago; each place's
resident has a pending application for the market day in a week and an approved stall on
last week's day (for proceeds). Builders use the place's own community, so a place in
another community meets the kernel's 403 and a place in another grid the plugin's 404.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from meihao import Principal, award_points, community_today
from meihao.scenarios.markets.schemas import ApplicationIn, MarketIn, MerchantIn
from meihao.scenarios.markets.services.applications import apply
from meihao.scenarios.markets.services.markets import create_market
from meihao.scenarios.markets.services.merchants import create_merchant
from meihao.scenarios.markets.tables import Application, Market, MarketDay, Merchant, PointsPayment, Proceeds

M = "/api/communities/{slug}/markets"
TABLES = (Merchant, Market, MarketDay, Application, Proceeds, PointsPayment)


def _m(w: Any, p: str, rest: str) -> str:
    return f"/api/communities/{w.slugs[p]}/markets{rest}"


async def populate(mh: Any, world: Any, places: tuple[str, ...]) -> None:
    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import enable

    system = Principal.system()
    for slug in ("alpha", "beta"):
        await enable(mh, slug, "markets", {})
        community = await get_community(slug)
        today = community_today(mh, community)
        market = await create_market(mh, community, MarketIn(
            venue="广场", rrule="FREQ=WEEKLY", first_day=today - timedelta(days=14), holiday_policy="keep",
            money="stall_fee", fee=Decimal(10), beneficiary="社区助老食堂", receiving_charity="济阳区慈善总会",
            accepts_points=True), system)  # rules16b: its stalls take volunteer points
        merchant = await create_merchant(mh, community, MerchantIn(name="便民超市"), system)
        days = {d["day"]: d["id"] for d in await MarketDay.select(MarketDay.id, MarketDay.day).where(MarketDay.market == market.id)}
        past, next_week, in_two_weeks = days[today - timedelta(days=7)], days[today + timedelta(days=7)], days[today + timedelta(days=14)]
        for place in (p for p in places if world.slugs[p] == slug):
            ids = world.places[place]
            ids["mk_market_id"], ids["mk_day_id"], ids["mk_day2_id"], ids["mk_merchant_id"] = market.id, next_week, in_two_weeks, merchant.id
            ids["mk_past_day_id"] = past
            application = await apply(mh, community, next_week, ApplicationIn(resident_id=ids["resident_id"], goods="旧书"), system)
            ids["mk_app_id"] = application.id
            stall = Application(community=community.id, market=market.id, market_day=past, resident=ids["resident_id"],
                                contact=ids["resident_id"], grid=ids["grid_id"], goods="绿植", status="approved")
            await stall.save()
            ids["mk_paid_app_id"] = stall.id
            # rules16b: points to pay a stall with, one a role
            await award_points(mh, system, community, ids["resident_id"], 20, reason="志愿服务", scenario="markets")


RECORD_ROUTES: dict[tuple[str, str], Any] = {
    ("POST", f"{M}/days/{{day_id}}/applications"): lambda w, p: (
        _m(w, p, f"/days/{w.places[p]['mk_day2_id']}/applications"), {"resident_id": w.places[p]["resident_id"], "goods": "手工皂"}),
    ("GET", f"{M}/applications/{{application_id}}"): lambda w, p: (_m(w, p, f"/applications/{w.places[p]['mk_app_id']}"), None),
    ("POST", f"{M}/applications/{{application_id}}/approve"): lambda w, p: (_m(w, p, f"/applications/{w.places[p]['mk_app_id']}/approve"), None),
    ("POST", f"{M}/applications/{{application_id}}/refuse"): lambda w, p: (
        _m(w, p, f"/applications/{w.places[p]['mk_app_id']}/refuse"), {"reason": "货品不符合公益市集要求"}),
    ("POST", f"{M}/applications/{{application_id}}/cancel"): lambda w, p: (_m(w, p, f"/applications/{w.places[p]['mk_app_id']}/cancel"), {}),
    ("PUT", f"{M}/applications/{{application_id}}/proceeds"): lambda w, p: (
        _m(w, p, f"/applications/{w.places[p]['mk_paid_app_id']}/proceeds"), {"amount": "35.50"}),
    ("PUT", f"{M}/applications/{{application_id}}/waiver"): lambda w, p: (
        _m(w, p, f"/applications/{w.places[p]['mk_app_id']}/waiver"), {"reason": "低保家庭减免摊位费"}),
    # --- rules16b: volunteer points paid at a stall ---
    ("POST", f"{M}/applications/{{application_id}}/points"): lambda w, p: (
        _m(w, p, f"/applications/{w.places[p]['mk_paid_app_id']}/points"), {"resident_id": w.places[p]["resident_id"], "points": 1}),
    ("GET", f"{M}/applications/{{application_id}}/points"): lambda w, p: (_m(w, p, f"/applications/{w.places[p]['mk_paid_app_id']}/points"), None),
    # --- end rules16b ---
}

COMMUNITY_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{M}/merchants"): lambda w, p: (_m(w, p, "/merchants"), None),
    ("POST", f"{M}/merchants"): lambda w, p: (_m(w, p, "/merchants"), {"name": "便民超市"}),
    ("GET", f"{M}/merchants/{{merchant_id}}"): lambda w, p: (_m(w, p, f"/merchants/{w.places[p]['mk_merchant_id']}"), None),
    ("PATCH", f"{M}/merchants/{{merchant_id}}"): lambda w, p: (_m(w, p, f"/merchants/{w.places[p]['mk_merchant_id']}"), {"contact_name": "周经理"}),
    ("GET", f"{M}/markets"): lambda w, p: (_m(w, p, "/markets"), None),
    ("POST", f"{M}/markets"): lambda w, p: (_m(w, p, "/markets"), {"venue": "广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "2030-01-01"}),
    ("GET", f"{M}/markets/{{market_id}}"): lambda w, p: (_m(w, p, f"/markets/{w.places[p]['mk_market_id']}"), None),
    ("PATCH", f"{M}/markets/{{market_id}}"): lambda w, p: (_m(w, p, f"/markets/{w.places[p]['mk_market_id']}"), {"capacity": 40}),
    ("POST", f"{M}/markets/{{market_id}}/cancel"): lambda w, p: (_m(w, p, f"/markets/{w.places[p]['mk_market_id']}/cancel"), {"reason": "场地改造"}),
    ("GET", f"{M}/markets/{{market_id}}/days"): lambda w, p: (_m(w, p, f"/markets/{w.places[p]['mk_market_id']}/days"), None),
    ("GET", f"{M}/markets/{{market_id}}/proceeds"): lambda w, p: (_m(w, p, f"/markets/{w.places[p]['mk_market_id']}/proceeds"), None),
    ("GET", f"{M}/proceeds"): lambda w, p: (_m(w, p, "/proceeds"), None),
    ("GET", f"{M}/days/{{day_id}}"): lambda w, p: (_m(w, p, f"/days/{w.places[p]['mk_day_id']}"), None),
    ("PATCH", f"{M}/days/{{day_id}}"): lambda w, p: (_m(w, p, f"/days/{w.places[p]['mk_day_id']}"), {"capacity": 12}),
    ("POST", f"{M}/days/{{day_id}}/cancel"): lambda w, p: (_m(w, p, f"/days/{w.places[p]['mk_day_id']}/cancel"), {"reason": "大风预警"}),
    # a list scoped to the caller's grids: the leak check sees only their residents' names
    ("GET", f"{M}/days/{{day_id}}/applications"): lambda w, p: (_m(w, p, f"/days/{w.places[p]['mk_day_id']}/applications"), None),
    # the public statement (公示) sums the whole community: it is posted for everyone
    ("GET", f"{M}/days/{{day_id}}/statement"): lambda w, p: (_m(w, p, f"/days/{w.places[p]['mk_past_day_id']}/statement"), None),
    ("POST", f"{M}/days/{{day_id}}/statement"): lambda w, p: (_m(w, p, f"/days/{w.places[p]['mk_past_day_id']}/statement"), None),
}
