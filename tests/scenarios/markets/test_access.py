"""The markets routes through meihao.testing.check_route_access: every route guarded, out of scope as missing, off where not switched on."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from meihao import Principal
from meihao.scenarios.markets.schemas import ApplicationIn, MarketIn
from meihao.scenarios.markets.services.applications import apply
from meihao.scenarios.markets.services.markets import create_market
from meihao.scenarios.markets.tables import Application, MarketDay
from meihao.testing import Call, check_route_access
from tests.scenarios.markets import matrix

P = "/api/communities/huayang/markets"
M = "/api/communities/{slug}/markets"


async def _market_with_applications(w) -> dict[str, int]:
    """A weekly market since two weeks ago; 王秀英 (grid A) applied for next week's day and had a stall last week."""
    system = Principal.system()
    today = w.clock.now().astimezone(w.tz).date()
    market = await create_market(w.mh, w.community, MarketIn(venue="广场", rrule="FREQ=WEEKLY", first_day=today - timedelta(days=14),
                                                               holiday_policy="keep", money="stall_fee", fee=Decimal(10),
                                                               beneficiary="社区助老食堂", receiving_charity="济阳区慈善总会"), system)
    days = {d["day"]: d["id"] for d in await MarketDay.select(MarketDay.id, MarketDay.day).where(MarketDay.market == market.id)}
    wang = w.residents["王秀英"]
    application = await apply(w.mh, w.community, days[today + timedelta(days=7)], ApplicationIn(resident_id=wang["id"], goods="旧书"), system)
    stall = Application(community=w.community.id, market=market.id, market_day=days[today - timedelta(days=7)], resident=wang["id"],
                        contact=wang["id"], grid=w.grids["A"], goods="绿植", status="approved")
    await stall.save()
    return {"resident": wang["id"], "day": days[today + timedelta(days=14)], "application": application.id, "stall": stall.id}


#: street16: photos of a market day, the community's (a day has no grid): community routes, checked as such.
DAY_PHOTOS = [f"{method} {M}/days/{{row_id}}/attachments{tail}"
              for method, tail in (("GET", ""), ("POST", ""), ("GET", "/{attachment_id}"), ("DELETE", "/{attachment_id}"))]


async def test_every_markets_route_keeps_the_access_rules(huayang):
    ids = await _market_with_applications(huayang)
    report = await check_route_access(
        huayang.client,
        "markets",
        records={
            f"POST {M}/days/{{day_id}}/applications": Call(
                f"{P}/days/{ids['day']}/applications", {"resident_id": ids["resident"], "goods": "手工皂"}, record=ids["resident"]),
            f"GET {M}/applications/{{application_id}}": Call(f"{P}/applications/{ids['application']}"),
            f"POST {M}/applications/{{application_id}}/approve": Call(f"{P}/applications/{ids['application']}/approve"),
            f"POST {M}/applications/{{application_id}}/refuse": Call(f"{P}/applications/{ids['application']}/refuse", {"reason": "货品不符合要求"}),
            f"POST {M}/applications/{{application_id}}/cancel": Call(f"{P}/applications/{ids['application']}/cancel", {}),
            f"PUT {M}/applications/{{application_id}}/proceeds": Call(f"{P}/applications/{ids['stall']}/proceeds", {"amount": "35.50"}),
            f"PUT {M}/applications/{{application_id}}/waiver": Call(f"{P}/applications/{ids['application']}/waiver", {"reason": "低保家庭减免"}),
            # rules16b: volunteer points paid at a stall (the market takes none: inside is a 409, not a refusal)
            f"POST {M}/applications/{{application_id}}/points": Call(
                f"{P}/applications/{ids['stall']}/points", {"resident_id": ids["resident"], "points": 1}),
            f"GET {M}/applications/{{application_id}}/points": Call(f"{P}/applications/{ids['stall']}/points"),
        },
        community_routes=[f"{method} {path}" for method, path in matrix.COMMUNITY_ROUTES] + DAY_PHOTOS,
        without_scene=huayang.other_slug,
    )
    assert report.answers[f"GET {M}/applications/{{application_id}}"] == {"anonymous": 401, "without_scene": 404, "outside": 404, "inside": 200}
    assert report.answers[f"POST {M}/days/{{day_id}}/applications"]["inside"] == 201


async def test_the_check_names_each_breach(huayang):
    """A route left out, a record the outsider reaches, and an answer unlike a missing record's are each reported."""
    ids = await _market_with_applications(huayang)
    with pytest.raises(AssertionError) as failed:
        await check_route_access(
            huayang.client,
            "markets",
            records={
                # the community admin reaches every grid: the record is not out of their scope
                f"GET {M}/applications/{{application_id}}": Call(f"{P}/applications/{ids['application']}"),
            },
            community_routes=[f"{method} {path}" for method, path in matrix.COMMUNITY_ROUTES] + DAY_PHOTOS,
            without_scene=huayang.other_slug,
            outside="community_admin",
        )
    problems = str(failed.value).splitlines()
    # eight routes left out (the waiver's and the two of points among them) and the record reached
    assert problems[0] == "markets: 9 access problem(s):"
    assert f"- POST {M}/applications/{{application_id}}/approve: not classified; name it in records= (a Call on a record) or community_routes=" in problems
    assert any(p.startswith(f"- GET {M}/applications/{{application_id}} as 'community_admin' (out of scope): answered 200, not 404") for p in problems)
