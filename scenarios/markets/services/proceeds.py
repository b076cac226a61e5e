"""Charity proceeds: recorded per stall, summed per market day, market and year within the caller's scope."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    InvalidInput,
    NoticeIn,
    Principal,
    audit,
    community_now,
    fen_to_yuan,
    notify,
    yuan_to_fen,
    zh_date,
)

from ..schemas import FREE_SERVICE, CommunityProceedsOut, DayTotal, MarketProceedsOut, MarketTotal, ProceedsOut, StatementOut
from ..tables import Application, MarketDay, Proceeds
from .applications import _application_row
from .common import SCENE, _day_and_market, _market_row, _tx, settings_of
from .points import day_points

#: People served by one free-service stall on one day above this are refused as a likely typo.
MOST_PEOPLE_SERVED = 2000


async def record_proceeds(
    mh: Any, community: CommunityInfo, application_id: int, amount: Decimal | None, note: str, principal: Principal,
    people_served: int | None = None,
) -> ProceedsOut:
    """The charity proceeds of one stall on its market day (recording again corrects the amount); a free-service
    stall (义诊, 便民服务) records the people it served instead of yuan."""
    settings = await settings_of(mh, community)
    row = await _application_row(community, application_id, principal)
    day, market = await _day_and_market(community, row["market_day"])
    if market["kind"] in FREE_SERVICE:
        if amount is not None:
            raise InvalidInput("amount: a free-service stall records the people served, not yuan", field="amount")
        if people_served is None or not 0 <= people_served <= MOST_PEOPLE_SERVED:
            raise InvalidInput(f"people_served: the people served, 0 to {MOST_PEOPLE_SERVED}", field="people_served")
        fen = 0
    else:
        if people_served is not None:
            raise InvalidInput("people_served: only free-service stalls (义诊, 便民服务) record people served", field="people_served")
        if amount is None:
            raise InvalidInput("amount: give the stall's proceeds in yuan", field="amount")
        # the cap catches a typo (setting max_proceeds_per_stall_yuan)
        fen = yuan_to_fen(amount, "amount", most_yuan=settings.max_proceeds_per_stall_yuan)
    if row["status"] != "approved":
        raise Conflict(f"status: application {application_id} is {row['status']}; proceeds are recorded for approved stalls", field="status")
    now = mh.clock.now()
    if day["status"] == "cancelled" or day["starts_at"] > now:
        raise Conflict("amount: proceeds are recorded once the market day has begun", field="amount")
    async with _tx(mh):
        existing = await Proceeds.select(Proceeds.id, Proceeds.amount_fen).where(Proceeds.application == application_id).first()
        if existing is None:
            await Proceeds.insert(Proceeds(
                community=community.id, market=row["market"], market_day=row["market_day"], application=application_id,
                grid=row["grid"], amount_fen=fen, people_served=people_served, note=note.strip(), recorded_by=principal.name, recorded_at=now,
            ))
        else:
            await Proceeds.update({Proceeds.amount_fen: fen, Proceeds.people_served: people_served, Proceeds.note: note.strip(),
                                   Proceeds.recorded_by: principal.name, Proceeds.recorded_at: now}).where(Proceeds.id == existing["id"])
        await audit(principal, "markets.proceeds.record", "markets.application", application_id, community_id=community.id,
                    detail={"amount_fen": fen, "people_served": people_served, "before_fen": existing["amount_fen"] if existing else None})
    saved = await Proceeds.select().where(Proceeds.application == application_id).first()
    return ProceedsOut(
        application_id=application_id, market_day_id=saved["market_day"], amount=fen_to_yuan(saved["amount_fen"]),
        note=saved["note"], recorded_by=saved["recorded_by"], recorded_at=saved["recorded_at"], people_served=saved["people_served"],
    )


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def this_year(mh: Any, community: CommunityInfo) -> int:
    return community_now(mh, community).year


async def market_proceeds(mh: Any, community: CommunityInfo, market_id: int, year: int, principal: Principal) -> MarketProceedsOut:
    """Proceeds of one market per market day of ``year`` (local dates), summed in SQL."""
    await _market_row(community, market_id)
    rows = await _sums(
        "p.market_day AS market_day, d.day AS day, COUNT(*) AS stalls, SUM(p.amount_fen) AS fen, SUM(p.people_served) AS served",
        "p.market = {}", [market_id], "p.market_day, d.day ORDER BY d.day", community, year, principal,
    )
    return MarketProceedsOut(
        market_id=market_id,
        year=year,
        days=[DayTotal(market_day_id=r["market_day"], day=_as_date(r["day"]), stalls=r["stalls"], amount=fen_to_yuan(r["fen"]),
                       people_served=r["served"] or 0) for r in rows],
        total=fen_to_yuan(sum(r["fen"] or 0 for r in rows)),
    )


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def _sums(
    columns: str, condition: str, args: list[Any], group: str, community: CommunityInfo, year: int, principal: Principal
) -> list[dict[str, Any]]:
    """Grouped sums of proceeds in one statement, for market days of ``year`` and the caller's scope."""
    first, last = _year_bounds(year)
    query = (
        f"SELECT {columns} FROM markets_proceeds AS p JOIN markets_market AS m ON m.id = p.market "
        "JOIN markets_day AS d ON d.id = p.market_day WHERE p.community = {} AND d.day >= {} AND d.day <= {} AND " + condition + " "
    )
    values: list[Any] = [community.id, first, last, *args]
    scope = _grid_scope_sql(principal)
    if scope is not None:
        query += "AND " + scope[0] + " "
        values += scope[1]
    return await Proceeds.raw(query + "GROUP BY " + group, *values)


async def community_proceeds(mh: Any, community: CommunityInfo, year: int, principal: Principal) -> CommunityProceedsOut:
    """Proceeds of every market of the community in ``year``, per market and in all."""
    rows = await _sums(
        "p.market AS market, m.name AS name, COUNT(DISTINCT p.market_day) AS days, COUNT(*) AS stalls, SUM(p.amount_fen) AS fen, "
        "SUM(p.people_served) AS served",
        "1 = 1", [], "p.market, m.name ORDER BY p.market", community, year, principal,
    )
    return CommunityProceedsOut(
        year=year,
        markets=[MarketTotal(market_id=r["market"], name=r["name"], days=r["days"], stalls=r["stalls"], amount=fen_to_yuan(r["fen"]),
                            people_served=r["served"] or 0) for r in rows],
        total=fen_to_yuan(sum(r["fen"] or 0 for r in rows)),
    )


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


async def proceeds_total_fen(community: CommunityInfo, year: int) -> int:
    rows = await _sums("SUM(p.amount_fen) AS fen", "1 = 1", [], "p.community", community, year, Principal.system())
    return (rows[0]["fen"] if rows else 0) or 0


KIND_WORDS = {"charity_sale": "义卖", "free_clinic": "义诊", "convenience": "便民服务", "swap": "以物易物"}


async def statement(mh: Any, community: CommunityInfo, day_id: int) -> StatementOut:
    """The public statement (公示) of a market day that has begun: stalls, fees or contributions (waivers apart),
    proceeds or people served, and where the money goes. Sums over the whole community: it is posted for everyone."""
    day, market = await _day_and_market(community, day_id)
    if day["status"] == "cancelled" or day["starts_at"] > mh.clock.now():
        raise Conflict("status: a statement is made once the market day has been held", field="status")
    stalls = await Application.select(Application.id, Application.fee_waived).where(
        Application.market_day == day_id, Application.status == "approved")
    waived = sum(1 for s in stalls if s["fee_waived"])
    paying = len(stalls) - waived if market["money"] != "none" else 0
    fees = paying * market["fee_fen"]
    sums = await Proceeds.select(Proceeds.amount_fen, Proceeds.people_served).where(Proceeds.market_day == day_id)
    raised = sum(p["amount_fen"] for p in sums)
    served = sum(p["people_served"] or 0 for p in sums)
    when = zh_date(day["day"])
    lines = [f"{market['name']}（{KIND_WORDS[market['kind']]}）{when}在{market['venue']}举办，共{len(stalls)}个摊位。"]
    if market["money"] != "none":
        word = "摊位费" if market["money"] == "stall_fee" else "爱心捐赠"
        lines.append(f"{word}每摊{fen_to_yuan(market['fee_fen'])}元，{paying}个摊位缴纳，共{fen_to_yuan(fees)}元；减免{waived}个摊位。")
    if market["kind"] in FREE_SERVICE:
        lines.append(f"共服务居民{served}人次。")
    elif raised:
        lines.append(f"义卖所得{fen_to_yuan(raised)}元。")
    if fees + raised:
        if market["receiving_charity"] and market["beneficiary"]:
            lines.append(f"以上款项合计{fen_to_yuan(fees + raised)}元，由{market['receiving_charity']}接收，用于{market['beneficiary']}。")
        else:
            lines.append(f"以上款项合计{fen_to_yuan(fees + raised)}元，接收的慈善组织和受益项目尚未登记。")
    paid_points, payments = await day_points(day_id)
    if paid_points:
        lines.append(f"另有{payments}笔志愿积分支付，共{paid_points}分。")
    lines.append("欢迎居民监督。")
    return StatementOut(
        market_day_id=day_id, market_id=market["id"], day=day["day"], kind=market["kind"], stalls=len(stalls), paying_stalls=paying,
        waived_stalls=waived, fees=fen_to_yuan(fees), proceeds=fen_to_yuan(raised), total=fen_to_yuan(fees + raised), people_served=served,
        beneficiary=market["beneficiary"], receiving_charity=market["receiving_charity"], text="".join(lines),
        published_at=day["statement_published_at"], points=paid_points, points_payments=payments,
    )


async def publish_statement(mh: Any, community: CommunityInfo, day_id: int, principal: Principal, *, tell: bool = True) -> StatementOut:
    """Publish the day's statement (公示): its text is kept as published and the publication audited; publishing
    again after a correction replaces it. With ``tell`` the day's stallholders get it in their inbox (the demo's
    past days, published as history, are not told now)."""
    out = await statement(mh, community, day_id)
    if out.total != "0.00" and not (out.receiving_charity and out.beneficiary):
        # a residents' committee cannot hold public-fundraising money itself: the statement names who received it
        raise Conflict("receiving_charity: name the beneficiary project and the receiving charity of the market first",
                       field="receiving_charity")
    now = mh.clock.now()
    async with _tx(mh):
        await MarketDay.update({MarketDay.statement: out.text, MarketDay.statement_published_at: now, MarketDay.updated_at: now}).where(
            MarketDay.id == day_id)
        await audit(principal, "markets.day.statement", "markets.day", day_id, community_id=community.id, detail={"total": out.total})
    out.published_at = now
    if tell:
        await _tell_stallholders(mh, community, day_id, out.text, now)
    return out


#: How long a published statement is worth delivering to the stallholders' inboxes.
STATEMENT_USEFUL_FOR = timedelta(days=7)


async def _tell_stallholders(mh: Any, community: CommunityInfo, day_id: int, text: str, published_at: Any) -> None:
    """The day's stallholders (the contact residents of its approved stalls) get the statement as a notice; a
    republication after a correction is told again (its key carries the time)."""
    contacts = await Application.select(Application.contact).where(
        Application.market_day == day_id, Application.status == "approved", Application.contact.is_not_null())
    residents = sorted({r["contact"] for r in contacts})
    if not residents:
        return
    settings = await settings_of(mh, community)
    await notify(mh, community.slug, NoticeIn(
        scene=SCENE, key=f"markets.statement:{day_id}:{published_at.isoformat()}", title="市集公示", body=text, residents=residents,
        channels=list(settings.channels), useful_for=STATEMENT_USEFUL_FOR))
