"""Demo data of the markets scenario (``meihao demo``): partner merchants, markets, a year of proceeds, the next day's stalls.

What each community gets follows its brand: 华阳 "商居互融" brings its partner merchants
(the post office and the health partner of the source among them), 城关 "老街坊" its
volunteer teams. A short weekly special starting tomorrow makes reminders fall due during
a demo run. Past market days are written straight into the tables (the API refuses
applications after the deadline); coming days go through the same service functions as
the API.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from meihao import CommunityInfo, Principal, community_now
from meihao.tables import Resident, ResidentTag

from .schemas import ApplicationIn, MarketIn, MarketOut, MarketsSettings, MerchantIn, MerchantOut
from .services.applications import apply, approve
from .services.days import ensure_days
from .services.markets import create_market
from .services.merchants import create_merchant
from .services.proceeds import publish_statement
from .tables import Application, MarketDay, Proceeds

SYSTEM = Principal.system("meihao demo")

MERCHANTS: dict[str, list[tuple[str, str, str]]] = {
    "huayang": [
        ("华阳便民超市", "shop", "刘店长"),
        ("邮政华阳便民服务站", "enterprise", "王站长"),
        ("山东健康·华阳健康小屋", "enterprise", "张医生"),
        ("华阳社区志愿者协会", "social_organisation", "赵会长"),
        ("澄波湖畔花艺工作室", "shop", "孙女士"),
    ],
    "chengguan": [
        ("城关老街烧饼铺", "shop", "马师傅"),
        ("供销社老字号杂货店", "shop", "李经理"),
        ("老街坊志愿服务队", "social_organisation", "周队长"),
    ],
}

#: (name, venue, RRULE, opens, closes, capacity) per community; markets elsewhere get the first.
MARKETS: dict[str, list[tuple[str, str, str, str, str, int]]] = {
    "huayang": [("睦邻善市公益市集", "华阳社区党群服务中心广场", "FREQ=MONTHLY;BYDAY=2SA", "09:00", "11:30", 30)],
    "chengguan": [("老街坊睦邻善市", "城关老街文化广场", "FREQ=MONTHLY;BYDAY=-1SU", "08:30", "11:00", 24)],
}

GOODS = [
    "手工编织杯垫", "旧书义卖", "多肉绿植", "自制酱菜", "儿童闲置玩具", "手工香皂", "剪纸窗花", "二手衣物",
    "老粗布鞋垫", "书法春联", "自家菜园蔬菜", "手工布艺包", "中老年编织帽", "亲子绘本", "家常面点",
]
#: Goods that are home-made food (自制食品): flagged, decided one by one.
HOME_MADE = {"自制酱菜", "家常面点"}

#: Where each community's charity market sends its money: (beneficiary project, receiving charity). The money is a
#: charity contribution of 10 yuan per stall (waived for families on 低保) plus what the stalls raise.
MONEY: dict[str, tuple[str, str]] = {
    "huayang": ("华阳社区困难家庭学生助学", "济阳区慈善总会"),
    "chengguan": ("老街坊助老食堂", "济阳区慈善总会"),
}

MERCHANT_GOODS = ["便民日用品", "邮政便民服务与集邮", "义诊与血压测量", "志愿服务咨询", "鲜花绿植", "烧饼", "老字号杂货"]


async def fill(mh: Any, community: CommunityInfo, settings: MarketsSettings, seed: int) -> None:
    rng = random.Random(f"meihao demo markets {seed} {community.slug}")
    slug = community.slug
    merchants = []
    for name, kind, contact in MERCHANTS.get(slug, MERCHANTS["huayang"][:2]):
        merchants.append(await create_merchant(mh, community, MerchantIn(name=name, kind=kind, contact_name=contact), SYSTEM))
    volunteers = [r["resident"] for r in await ResidentTag.select(ResidentTag.resident).where(
        ResidentTag.tag == "volunteer", ResidentTag.resident.community == community.id)]
    others = [r["id"] for r in await Resident.select(Resident.id).where(Resident.community == community.id).limit(2000)]
    pool = list(dict.fromkeys(volunteers + others))  # volunteers are among the others too: once each
    if not pool:
        return
    now_local = community_now(mh, community)
    year_start = date(now_local.year, 1, 1)
    tomorrow = now_local.date() + timedelta(days=1)
    specs = list(MARKETS.get(slug, MARKETS["huayang"]))
    specs.append(("睦邻善市·便民专场", specs[0][1], "FREQ=WEEKLY;COUNT=4", "09:00", "11:00", 12))
    beneficiary, charity = MONEY.get(slug, MONEY["huayang"])
    for index, (name, venue, rrule, opens, closes, capacity) in enumerate(specs):
        first = year_start if index == 0 else tomorrow
        money = dict(kind="charity_sale", money="contribution", fee=Decimal(10), beneficiary=beneficiary, receiving_charity=charity)
        market = await create_market(mh, community, MarketIn(
            name=name, venue=venue, rrule=rrule, first_day=first, opens_at=opens, closes_at=closes, capacity=capacity,
            # the special is announced late: applications close the evening before; its stalls serve for free (便民服务)
            applications_close_hours=None if index == 0 else 12,
            **(money if index == 0 else dict(kind="convenience")),  # type: ignore[arg-type]
        ), SYSTEM)
        await ensure_days(mh, community, market.id)
        # days not held (an adjusted working Saturday, 调休上班) stay as the rest-day policy left them
        days = await MarketDay.select().where(MarketDay.market == market.id, MarketDay.status != "cancelled").order_by(MarketDay.starts_at)
        now = mh.clock.now()
        past = [d for d in days if d["starts_at"] <= now]
        close = timedelta(hours=market.applications_close_hours)
        coming = [d for d in days if d["starts_at"] - close > now]
        await _past_days(mh, rng, community, market, past, pool, merchants)
        if coming:
            await _next_day(mh, rng, community, coming[0], capacity, pool, merchants)


async def _past_days(mh: Any, rng: random.Random, community: CommunityInfo, market: MarketOut, days: list[dict[str, Any]],
                     pool: list[int], merchants: list[MerchantOut]) -> None:
    """Market days already held: approved stalls (the contribution waived for families on 低保) and what each raised
    — tens of yuan a stall, hundreds to a few thousand a day — as the organiser recorded them, and the day's 公示."""
    poor = {r["resident"] for r in await ResidentTag.select(ResidentTag.resident).where(
        ResidentTag.tag == "low_income", ResidentTag.resident.community == community.id)}
    for day in days:
        await MarketDay.update({MarketDay.status: "closed", MarketDay.closed_at: day["starts_at"]}).where(MarketDay.id == day["id"])
        residents = rng.sample(pool, min(len(pool), max(1, market.capacity - rng.randint(2, 6))))
        grids = {r["id"]: r["grid"] for r in await Resident.select(Resident.id, Resident.grid).where(Resident.id.is_in(residents))}
        applied = day["starts_at"] - timedelta(days=rng.randint(3, 12))
        rows = []
        for r in residents:
            goods = rng.choice(GOODS)
            rows.append(Application(
                community=community.id, market=market.id, market_day=day["id"], resident=r, contact=r, grid=grids[r], goods=goods,
                status="approved", applied_at=applied, decided_at=applied + timedelta(hours=20), decided_by="社区管理员",
                home_made_food=goods in HOME_MADE, fee_waived=r in poor and market.money != "none",
                waiver_reason="低保家庭减免" if r in poor and market.money != "none" else ""))
        for merchant in rng.sample(merchants, min(2, len(merchants))):
            rows.append(Application(community=community.id, market=market.id, market_day=day["id"], merchant=merchant.id,
                                    goods=rng.choice(MERCHANT_GOODS), status="approved", applied_at=applied,
                                    decided_at=applied + timedelta(hours=20), decided_by="社区管理员"))
        saved = await Application.insert(*rows).returning(Application.id, Application.grid)
        await Proceeds.insert(*[
            Proceeds(community=community.id, market=market.id, market_day=day["id"], application=a["id"], grid=a["grid"],
                     amount_fen=rng.randint(10, 120) * 100 + rng.choice((0, 0, 50)), recorded_by="社区管理员",
                     recorded_at=day["ends_at"] + timedelta(hours=1))
            for a in saved
        ])
        if market.money != "none":
            await publish_statement(mh, community, day["id"], SYSTEM, tell=False)  # history: told at the time


async def _next_day(mh: Any, rng: random.Random, community: CommunityInfo, day: dict[str, Any], capacity: int,
                    pool: list[int], merchants: list[MerchantOut]) -> None:
    """The coming market day: applications through the service functions, approved to capacity, then a waiting list."""
    residents = rng.sample(pool, min(len(pool), capacity + 3))
    applications = []
    for merchant in merchants[:2]:
        applications.append(await apply(mh, community, day["id"], ApplicationIn(merchant_id=merchant.id, goods=rng.choice(MERCHANT_GOODS)), SYSTEM))
    for resident in residents:
        goods = rng.choice(GOODS)
        applications.append(await apply(mh, community, day["id"], ApplicationIn(
            resident_id=resident, goods=goods, home_made_food=goods in HOME_MADE), SYSTEM))
    for application in applications[: len(applications) - 2]:  # two left for the organiser to decide
        await approve(mh, community, application.id, SYSTEM)

