"""强社公司账目: the community enterprise's ledger in fen, the month close and the quarterly public statement (财务公开).

Writes to the ledger of a community take the lock ``("commerce.ledger", community id)``, and so does the month close:
an entry is either in a month before it closes (and counted in its totals) or refused with 409 after it.
The close is one transaction: the totals and the closed mark are saved together or not at all.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    InvalidInput,
    NotFound,
    NoticeIn,
    Principal,
    audit,
    community_today,
    fen_to_yuan,
    notify,
    transaction,
    yuan_to_fen,
)

from ..schemas import SERVICES, EntryIn, EntryOut, Line, MonthOut, StatementIn, StatementOut, YearOut
from ..tables import Booking, LedgerEntry, MonthClose, Partner, Statement
from .common import SCENARIO, community_admins, month_bounds, month_of, quarter_months, settings_of


def lock(community: CommunityInfo) -> tuple[str, str]:
    return ("commerce.ledger", str(community.id))


def _entry_out(row: dict[str, Any]) -> EntryOut:
    return EntryOut(id=row["id"], month=row["month"], day=row["day"], kind=row["kind"], amount_fen=row["amount_fen"],
                    amount_yuan=fen_to_yuan(row["amount_fen"]), service=row["service"], partner_id=row["partner"], note=row["note"])


async def _closed(community: CommunityInfo, month: str) -> dict[str, Any] | None:
    return await MonthClose.select().where(MonthClose.community == community.id, MonthClose.month == month).first()


async def add_entry(mh: Any, principal: Principal, community: CommunityInfo, data: EntryIn) -> EntryOut:
    """记账: one income, cost or 公益投入. 409 when its month is closed."""
    settings = await settings_of(mh, community)
    amount = yuan_to_fen(data.amount_yuan, "amount_yuan", most_yuan=settings.largest_entry_yuan)
    if amount == 0:
        raise InvalidInput("amount_yuan: must be more than 0", field="amount_yuan")
    if data.kind == "income" and data.service is None:
        raise InvalidInput("service: an income names the service it came from", field="service")
    if data.kind != "income" and data.service is not None:
        raise InvalidInput("service: only an income names a service", field="service")
    if data.day > community_today(mh, community):
        raise InvalidInput("day: an entry is for a day that has come", field="day")
    if data.partner_id is not None and not await Partner.exists().where(Partner.id == data.partner_id, Partner.community == community.id):
        raise NotFound(f"partner_id: partner {data.partner_id} not found", field="partner_id")
    month = month_of(data.day)
    async with transaction(mh, lock=lock(community)):
        if await _closed(community, month) is not None:
            raise Conflict(f"day: the month {month} is closed; enter it in an open month (a correction)", field="day")
        row = LedgerEntry(community=community.id, month=month, day=data.day, kind=data.kind, amount_fen=amount,
                          service=data.service or "", partner=data.partner_id, note=data.note.strip(), staff=principal.staff_id)
        await row.save()
        await audit(principal, "commerce.ledger.entry", "commerce_ledger_entry", row.id, community_id=community.id,
                    detail={"kind": data.kind, "amount_fen": amount, "month": month})
    found = await LedgerEntry.select().where(LedgerEntry.id == row.id).first()
    return _entry_out(found)


def _lines(totals: dict[str, int], labels: dict[str, str]) -> list[Line]:
    return [Line(key=k, label=labels.get(k, k), amount_fen=v, amount_yuan=fen_to_yuan(v)) for k, v in totals.items()]


async def _breakdown(community: CommunityInfo, months: list[str]) -> dict[str, Any]:
    rows = await LedgerEntry.select(LedgerEntry.month, LedgerEntry.kind, LedgerEntry.amount_fen, LedgerEntry.service,
                                    LedgerEntry.partner, LedgerEntry.partner.name.as_alias("partner_name")).where(
        LedgerEntry.community == community.id, LedgerEntry.month.is_in(months))
    totals = {"income": 0, "cost": 0, "public_good": 0}
    by_service: dict[str, int] = {}
    by_partner: dict[str, int] = {}
    by_month: dict[str, int] = {m: 0 for m in months}
    partner_names: dict[str, str] = {"": "无合作单位"}
    for r in rows:
        totals[r["kind"]] += r["amount_fen"]
        if r["kind"] == "income":
            by_service[r["service"]] = by_service.get(r["service"], 0) + r["amount_fen"]
            key = str(r["partner"] or "")
            partner_names[key] = r["partner_name"] or partner_names[""]
            by_partner[key] = by_partner.get(key, 0) + r["amount_fen"]
            by_month[r["month"]] += r["amount_fen"]
    return {"totals": totals, "service": _lines(dict(sorted(by_service.items())), SERVICES),
            "partner": _lines(dict(sorted(by_partner.items())), partner_names), "month": _lines(by_month, {})}


async def month_view(mh: Any, community: CommunityInfo, month: str) -> MonthOut:
    closed = await _closed(community, month)
    rows = await LedgerEntry.select().where(LedgerEntry.community == community.id, LedgerEntry.month == month).order_by(
        LedgerEntry.day).order_by(LedgerEntry.id)
    b = await _breakdown(community, [month])
    return MonthOut(month=month, closed=closed is not None, closed_at=closed["closed_at"] if closed else None,
                    income_fen=b["totals"]["income"], cost_fen=b["totals"]["cost"], public_good_fen=b["totals"]["public_good"],
                    income_by_service=b["service"], income_by_partner=b["partner"], entries=[_entry_out(r) for r in rows])


async def year_view(mh: Any, community: CommunityInfo, year: int) -> YearOut:
    months = [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    b = await _breakdown(community, months)
    closed = await MonthClose.select(MonthClose.month).where(MonthClose.community == community.id, MonthClose.month.is_in(months))
    return YearOut(year=year, income_fen=b["totals"]["income"], cost_fen=b["totals"]["cost"], public_good_fen=b["totals"]["public_good"],
                   income_by_month=b["month"], income_by_service=b["service"], income_by_partner=b["partner"],
                   closed_months=sorted(r["month"] for r in closed))


async def close_month(mh: Any, principal: Principal, community: CommunityInfo, month: str) -> MonthOut:
    """月结: a month that is over, not closed yet, closes with its totals; afterwards its entries cannot change (409).
    All or nothing: the totals, the closed mark and the audit row are one transaction."""
    first, last = month_bounds(month)
    if last >= community_today(mh, community):
        raise Conflict(f"month: {month} is not over yet; close it from {(last + timedelta(days=1)).isoformat()}", field="month")
    async with transaction(mh, lock=lock(community)):
        if await _closed(community, month) is not None:
            raise Conflict(f"month: {month} is closed already", field="month")
        b = await _breakdown(community, [month])
        count = await LedgerEntry.count().where(LedgerEntry.community == community.id, LedgerEntry.month == month)
        row = MonthClose(community=community.id, month=month, income_fen=b["totals"]["income"], cost_fen=b["totals"]["cost"],
                         public_good_fen=b["totals"]["public_good"], entries=count, staff=principal.staff_id, closed_at=mh.clock.now())
        await row.save()
        await audit(principal, "commerce.ledger.close", "commerce_month_close", row.id, community_id=community.id,
                    detail={"month": month, "entries": count, **{f"{k}_fen": v for k, v in b["totals"].items()}})
    return await month_view(mh, community, month)


def signed_yuan(fen: int) -> str:
    """-1250 → "-12.50" (fen_to_yuan takes no negative amounts of its own)."""
    return fen_to_yuan(fen) if fen >= 0 else "-" + fen_to_yuan(-fen)


def _statement_out(row: dict[str, Any]) -> StatementOut:
    return StatementOut(id=row["id"], year=row["year"], quarter=row["quarter"], income_fen=row["income_fen"], cost_fen=row["cost_fen"],
                        public_good_fen=row["public_good_fen"], body=row["body"], published_at=row["published_at"])


def _statement_text(community: CommunityInfo, data: StatementIn, b: dict[str, Any]) -> str:
    t = b["totals"]
    services = "；".join(f"{line.label}{line.amount_yuan}元" for line in b["service"] if line.amount_fen) or "无"
    return (f"{community.name}强社公司{data.year}年第{data.quarter}季度财务公开：收入{fen_to_yuan(t['income'])}元"
            f"（{services}），支出{fen_to_yuan(t['cost'])}元，公益投入{fen_to_yuan(t['public_good'])}元，"
            f"结余{signed_yuan(t['income'] - t['cost'] - t['public_good'])}元。"
            "如有疑问，请到社区党群服务中心查阅账目。")


async def publish_statement(mh: Any, principal: Principal, community: CommunityInfo, data: StatementIn) -> StatementOut:
    """财务公开: the quarter's three months closed, its totals published once as a notice to the community's admins and the
    residents served in the quarter. 409 for a quarter with an open month or published already."""
    months = quarter_months(data.year, data.quarter)
    settings = await settings_of(mh, community)
    async with transaction(mh, lock=lock(community)):
        closed = {r["month"] for r in await MonthClose.select(MonthClose.month).where(
            MonthClose.community == community.id, MonthClose.month.is_in(months))}
        missing = [m for m in months if m not in closed]
        if missing:
            raise Conflict(f"quarter: close {', '.join(missing)} first", field="quarter")
        if await Statement.exists().where(Statement.community == community.id, Statement.year == data.year,
                                          Statement.quarter == data.quarter):
            raise Conflict(f"quarter: {data.year} Q{data.quarter} is published already", field="quarter")
        b = await _breakdown(community, months)
        body = _statement_text(community, data, b)
        row = Statement(community=community.id, year=data.year, quarter=data.quarter, income_fen=b["totals"]["income"],
                        cost_fen=b["totals"]["cost"], public_good_fen=b["totals"]["public_good"], body=body, staff=principal.staff_id,
                        published_at=mh.clock.now())
        await row.save()
        await audit(principal, "commerce.statement.publish", "commerce_statement", row.id, community_id=community.id,
                    detail={"year": data.year, "quarter": data.quarter})
        first, last = month_bounds(months[0])[0], month_bounds(months[-1])[1]
        served = await Booking.select(Booking.resident).where(
            Booking.community == community.id, Booking.status != "cancelled", Booking.slot.starts_at >= _start(first, community),
            Booking.slot.starts_at < _start(last + timedelta(days=1), community))
        residents = sorted({r["resident"] for r in served})
        staff = await community_admins(community)
        if residents or staff:
            await notify(mh, community.slug, NoticeIn(
                key=f"commerce.statement:{data.year}-Q{data.quarter}", title=f"{data.year}年第{data.quarter}季度财务公开",
                body=body, staff=staff, residents=residents, channels=list(settings.channels), useful_for=timedelta(days=14)),
                scenario=SCENARIO)
    found = await Statement.select().where(Statement.id == row.id).first()
    return _statement_out(found)


#: The kernel, for the scheduled statement (the audit names the job, not a person).
SYSTEM = Principal.system(SCENARIO)


def quarter_before(day: Any) -> tuple[int, int]:
    """The quarter that ended last before ``day``'s quarter: 1 April 2026 → (2026, 1); 31 March 2026 → (2025, 4)."""
    quarter = (day.month - 1) // 3 + 1
    return (day.year, quarter - 1) if quarter > 1 else (day.year - 1, 4)


async def publish_due_statement(mh: Any, community: CommunityInfo) -> StatementOut | None:
    """The job's 季度公示: the quarter that ended last, once. Its months still open are closed (they are over), then it is
    published as by hand. Nothing when ``auto_statement`` is off, when it was published already (by hand or by an earlier
    run), or when the quarter has no ledger entry."""
    settings = await settings_of(mh, community)
    if not settings.auto_statement:
        return None
    year, quarter = quarter_before(community_today(mh, community))
    if await Statement.exists().where(Statement.community == community.id, Statement.year == year, Statement.quarter == quarter):
        return None
    months = quarter_months(year, quarter)
    if not await LedgerEntry.exists().where(LedgerEntry.community == community.id, LedgerEntry.month.is_in(months)):
        return None
    try:
        for month in months:
            if await _closed(community, month) is None:
                await close_month(mh, SYSTEM, community, month)
        return await publish_statement(mh, SYSTEM, community, StatementIn(year=year, quarter=quarter))
    except Conflict:
        return None  # an admin closed or published it at the same moment: theirs stands


def _start(day: Any, community: CommunityInfo) -> Any:
    from datetime import datetime, time

    return datetime.combine(day, time(0), tzinfo=community.tz)


async def list_statements(community: CommunityInfo) -> list[StatementOut]:
    rows = await Statement.select().where(Statement.community == community.id).order_by(Statement.year, ascending=False).order_by(
        Statement.quarter, ascending=False)
    return [_statement_out(r) for r in rows]

