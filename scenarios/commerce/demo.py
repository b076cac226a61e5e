"""Demo data for commerce (``meihao demo``): 华阳 (商居互融 综合体) with the postal and the health partners, a housekeeping
firm, four services with a year of slots and bookings, the enterprise's ledger for the past year (a monthly income in the
thousands of yuan), its months closed and quarters published, the merchant alliance's shops, discounts and complaints."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from meihao import CommunityInfo, community_today
from meihao.tables import Grid, Resident

from .schemas import CommerceSettings
from .services.common import month_bounds, month_of, quarter_months
from .tables import Booking, Complaint, Discount, LedgerEntry, MonthClose, Offer, Partner, Shop, Slot, Statement

#: (service, title, partner index or None, venue, price in fen, weekday (0 Monday), hour, hours, capacity)
OFFERS = [
    ("parcel", "快递代收代寄", 0, "华阳社区邮政便民服务站", 0, 0, 9, 2, 30),
    ("health_hut", "健康小屋 血压血糖测量", 1, "华阳社区健康小屋", 0, 2, 9, 2, 12),
    ("housekeeping", "家政保洁（2小时）", 2, "上门服务", 6000, 4, 14, 2, 4),
    ("meal", "长者助餐 午餐", None, "华阳社区长者食堂", 1200, 1, 11, 1, 20),
]
#: Monthly amounts in yuan (low, high): income per service, the costs, 公益投入.
INCOME = {"parcel": (1600, 2400), "health_hut": (300, 600), "housekeeping": (1200, 2000), "meal": (2400, 3400)}
COSTS = (3200, 4400)
PUBLIC_GOOD = (500, 900)
SHOPS = [("华阳便民超市", "华阳路12号"), ("老张家常菜馆", "华阳路18号"), ("丽人理发店", "华阳路21号"), ("济阳烧烤", "华阳路25号"),
         ("百姓大药房", "华阳路30号"), ("小刘水果店", "华阳路33号")]
DISCOUNTS = [(0, "凭居民卡购物满50元减5元"), (2, "60岁以上老人理发8折"), (4, "居民测血压免费，常用药9.5折"), (5, "每周三居民水果9折")]
COMPLAINTS = [(3, "fumes", "烧烤店晚上油烟大，楼上住户窗户不敢开。"), (1, "pavement", "饭店在人行道上摆桌，老人推车过不去。"),
              (3, "noise", "烧烤店夜里十一点后还有客人喧哗。")]


def _at(day: date, hour: int, community: CommunityInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=community.tz)


async def fill(mh: Any, community: CommunityInfo, settings: CommerceSettings, seed: int) -> None:
    rng = random.Random(seed * 104729 + community.id)
    today = community_today(mh, community)
    partners = []
    # the postal contract ends within the alert window (the console shows it), the others later
    for name, kind, contact, start, end in (
        ("中国邮政济阳揽投部", "postal", "王经理", today - timedelta(days=340), today + timedelta(days=25)),
        ("济阳街道社区卫生服务中心", "health", "刘主任", today - timedelta(days=200), today + timedelta(days=165)),
        ("好帮手家政服务有限公司", "housekeeping", "陈女士", today - timedelta(days=100), today + timedelta(days=265)),
    ):
        row = Partner(community=community.id, name=name, kind=kind, contact=contact, contract_starts_on=start, contract_ends_on=end)
        await row.save()
        partners.append(row.id)
    # who came to the slots gone by (a rng of its own: the rest of the demo stays as it was for a seed); the last week's wait to be marked
    marks = random.Random(seed * 7919 + community.id)
    people = [r["id"] for r in await Resident.select(Resident.id).where(Resident.community == community.id).order_by(Resident.id)]
    now = mh.clock.now()
    for service, title, partner, venue, price, weekday, hour, hours, capacity in OFFERS:
        offer = Offer(community=community.id, partner=partners[partner] if partner is not None else None, service=service, title=title,
                      venue=venue, price_fen=price)
        await offer.save()
        day = today - timedelta(days=364)
        day += timedelta(days=(weekday - day.weekday()) % 7)
        while day <= today + timedelta(days=21):
            slot = Slot(offer=offer.id, starts_at=_at(day, hour, community), ends_at=_at(day, hour + hours, community), capacity=capacity)
            await slot.save()
            if people:
                upcoming = slot.starts_at > now
                taken = rng.randint(0, capacity // 3) if upcoming else rng.randint(capacity // 3, capacity)
                chosen = rng.sample(people, min(taken, len(people)))
                if chosen:
                    await Booking.insert(*[Booking(community=community.id, slot=slot.id, resident=r, by=rng.choice(["staff", "resident"]),
                                                   created_at=slot.starts_at - timedelta(days=rng.randint(1, 6)),
                                                   **_attended(marks, slot, now)) for r in chosen])
            day += timedelta(days=7)
    # the ledger: twelve months before this one, closed, and this month so far
    month = today.replace(day=1)
    months = []
    for _ in range(12):
        month = (month - timedelta(days=1)).replace(day=1)
        months.append(month_of(month))
    months.reverse()
    for m in [*months, month_of(today)]:
        first, last = month_bounds(m)
        last = min(last, today)
        entries = []
        for index, (service, (low, high)) in enumerate(INCOME.items()):
            partner = {"parcel": partners[0], "health_hut": partners[1], "housekeeping": partners[2]}.get(service)
            entries.append(LedgerEntry(community=community.id, month=m, day=last, kind="income", service=service, partner=partner,
                                       amount_fen=rng.randint(low, high) * 100 + rng.choice([0, 50]), note="月度收入"))
        entries.append(LedgerEntry(community=community.id, month=m, day=last, kind="cost", amount_fen=rng.randint(*COSTS) * 100,
                                   note="人员工资、水电及耗材"))
        entries.append(LedgerEntry(community=community.id, month=m, day=last, kind="public_good",
                                   amount_fen=rng.randint(*PUBLIC_GOOD) * 100, note=rng.choice(["困难老人助餐补贴", "邻里节活动经费", "楼道照明维修"])))
        if m == month_of(today) and today.day < 5:
            continue  # the first days of a month: nothing booked yet
        await LedgerEntry.insert(*entries)
        if m != month_of(today):
            totals = {k: sum(e.amount_fen for e in entries if e.kind == k) for k in ("income", "cost", "public_good")}
            await MonthClose.insert(MonthClose(community=community.id, month=m, income_fen=totals["income"], cost_fen=totals["cost"],
                                               public_good_fen=totals["public_good"], entries=len(entries),
                                               closed_at=_at(month_bounds(m)[1] + timedelta(days=3), 10, community)))
    closed = set(months)
    for year in sorted({int(m[:4]) for m in months}):
        for quarter in range(1, 5):
            qm = quarter_months(year, quarter)
            if set(qm) <= closed:
                rows = await LedgerEntry.select(LedgerEntry.kind, LedgerEntry.amount_fen).where(
                    LedgerEntry.community == community.id, LedgerEntry.month.is_in(qm))
                t = {k: sum(r["amount_fen"] for r in rows if r["kind"] == k) for k in ("income", "cost", "public_good")}
                await Statement.insert(Statement(
                    community=community.id, year=year, quarter=quarter, income_fen=t["income"], cost_fen=t["cost"],
                    public_good_fen=t["public_good"], published_at=_at(month_bounds(qm[-1])[1] + timedelta(days=5), 10, community),
                    body=f"{community.name}强社公司{year}年第{quarter}季度财务公开：收入{t['income'] / 100:.2f}元，支出{t['cost'] / 100:.2f}元，"
                         f"公益投入{t['public_good'] / 100:.2f}元。"))
    grids = [r["id"] for r in await Grid.select(Grid.id).where(Grid.community == community.id).order_by(Grid.id)]
    shops = []
    for index, (name, address) in enumerate(SHOPS):
        shop = Shop(community=community.id, grid=grids[index % len(grids)] if grids else None, name=name, address=address)
        await shop.save()
        shops.append(shop)
    await Discount.insert(*[Discount(shop=shops[i].id, description=text, valid_until=today + timedelta(days=180)) for i, text in DISCOUNTS])
    for days_ago, (shop, category, text) in zip((20, 9, 2), COMPLAINTS):
        await Complaint.insert(Complaint(community=community.id, grid=shops[shop].grid, shop=shops[shop].id, category=category, text=text,
                                         created_at=now - timedelta(days=days_ago)))


def _attended(marks: random.Random, slot: Slot, now: datetime) -> dict[str, Any]:
    """A booking of a slot more than a week gone is marked: about nine in ten came (served), the rest did not (no_show)."""
    if slot.ends_at > now - timedelta(days=7):
        return {}
    return {"status": "served" if marks.random() < 0.9 else "no_show", "attended_at": slot.ends_at + timedelta(minutes=30)}
