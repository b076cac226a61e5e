"""The markets demo data, and what switching the scenario off and on does to reminders."""

from __future__ import annotations

from meihao import scenario_settings
from meihao.scenarios.markets.tables import Application, Market, MarketDay, Proceeds
from meihao.testing import drain

P = "/api/communities/huayang/markets"


async def test_demo_data_fills_a_year_of_markets_and_makes_reminders_fall_due(huayang):
    w = huayang
    w.at(2026, 6, 17, 10, 0)  # a Wednesday; the special starts tomorrow
    settings = await scenario_settings(w.mh, w.community.id, "markets")
    await w.mh.plugins.demo_data(w.community, "markets", settings, 1169, w.mh)
    markets = await Market.select().where(Market.community == w.community.id).order_by(Market.id)
    assert [m["name"] for m in markets] == ["睦邻善市公益市集", "睦邻善市·便民专场"]
    held = await MarketDay.count().where(MarketDay.market == markets[0]["id"], MarketDay.status == "closed")
    assert held == 4  # the second Saturdays of January to June, but 14 February and 9 May: adjusted working Saturdays (调休上班)
    skipped = await MarketDay.select(MarketDay.day, MarketDay.cancel_reason).where(
        MarketDay.market == markets[0]["id"], MarketDay.status == "cancelled").order_by(MarketDay.day)
    assert [(str(d["day"]), d["cancel_reason"]) for d in skipped] == [
        ("2026-02-14", "2月14日（周六）调休上班，本次市集不举办"), ("2026-05-09", "5月9日（周六）调休上班，本次市集不举办")]
    assert await Proceeds.count() == 32  # eight stalls on each of the four held days (demo seed 1169)
    async with w.client("community_admin") as admin:
        year = (await admin.get(f"{P}/proceeds")).json()
        # tens of yuan a stall (10 to 120.50): hundreds of yuan a day here, a few thousand on a full 30-stall day
        assert year == {"year": 2026, "total": "2120.50", "markets": [
            {"market_id": markets[0]["id"], "name": "睦邻善市公益市集", "days": 4, "stalls": 32, "amount": "2120.50", "people_served": 0}]}
        assert (markets[0]["kind"], markets[0]["money"], markets[0]["receiving_charity"]) == ("charity_sale", "contribution", "济阳区慈善总会")
        assert markets[1]["kind"] == "convenience"  # the special's stalls serve for free
        published = await MarketDay.select(MarketDay.statement).where(MarketDay.statement_published_at.is_not_null())
        assert len(published) == 4  # each held day's 公示
        assert all(p["statement"].endswith("由济阳区慈善总会接收，用于华阳社区困难家庭学生助学。欢迎居民监督。") for p in published)
        special = (await admin.get(f"{P}/markets/{markets[1]['id']}")).json()
        assert special["next_days"][0]["day"] == "2026-06-18"
    approved = await Application.count().where(Application.market == markets[1]["id"], Application.status == "approved")
    assert approved == 6  # 6 residents and 2 merchants applied, the last two left for the organiser
    result = await drain(w.engine)
    # the whole community hears of tomorrow's special, applicants get their notices
    assert (result.sent, result.recipients) == (14, 14)


async def test_switching_markets_off_stops_reminders_and_on_brings_them_back(huayang):
    w = huayang
    async with w.client("community_admin") as admin:
        market = (await admin.post(f"{P}/markets", json={
            "venue": "华阳小区中心广场", "rrule": "FREQ=WEEKLY;BYDAY=SA", "first_day": "2026-03-07"})).json()
        await drain(w.engine)
    async with w.client() as street:
        assert (await street.delete("/api/communities/huayang/scenarios/markets")).status_code == 200
        w.at(2026, 3, 6, 9, 0)
        assert (await drain(w.engine)).recipients == 0
        assert (await street.put("/api/communities/huayang/scenarios/markets", json={"settings": {}})).status_code == 200
        again = (await street.get(f"{P}/markets/{market['id']}")).json()
        assert again["status"] == "active" and again["activity_id"] != market["activity_id"]
        assert [d["day"] for d in (await street.get(f"{P}/markets/{market['id']}/days")).json()][:2] == ["2026-03-07", "2026-03-14"]
        assert (await drain(w.engine)).recipients == 6  # tomorrow's market, once
        assert (await drain(w.engine)).recipients == 0
