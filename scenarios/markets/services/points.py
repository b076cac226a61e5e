"""Volunteer points (积分) paid at a stall: spent through the kernel's points ledger (``meihao.spend_points``), never
written to its tables here; this scene keeps which stall and day they were paid at."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, Conflict, Principal, audit, spend_points

from ..schemas import PointsPaymentIn, PointsPaymentOut
from ..tables import PointsPayment
from .applications import _application_row
from .common import SCENE, _day_and_market, _tx


def _out(row: dict[str, Any], balance: int | None = None) -> PointsPaymentOut:
    return PointsPaymentOut(
        id=row["id"], application_id=row["application"], market_day_id=row["market_day"], resident_id=row["resident"],
        points=row["points"], transfer_id=row["transfer"], balance=balance, note=row["note"], recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"],
    )


async def pay_with_points(mh: Any, community: CommunityInfo, application_id: int, data: PointsPaymentIn, principal: Principal) -> PointsPaymentOut:
    """A resident of the community in the caller's scope pays ``points`` at an approved stall of a market that accepts
    points, once its day has begun: the kernel takes them from her balance (409 ``points`` when it is smaller) in the
    same transaction as this scene's row."""
    row = await _application_row(community, application_id, principal)
    day, market = await _day_and_market(community, row["market_day"])
    if not market["accepts_points"]:
        raise Conflict("points: this market does not accept volunteer points", field="points")
    if row["status"] != "approved":
        raise Conflict(f"status: application {application_id} is {row['status']}; points are paid at approved stalls", field="status")
    now = mh.clock.now()
    if day["status"] == "cancelled" or day["starts_at"] > now:
        raise Conflict("points: points are paid once the market day has begun", field="points")
    async with _tx(mh):
        spent = await spend_points(mh, principal, community, data.resident_id, data.points, reason=f"{market['name']}·{row['goods']}",
                                   scenario=SCENE)
        payment = PointsPayment(
            community=community.id, market=row["market"], market_day=row["market_day"], application=application_id, grid=row["grid"],
            resident=data.resident_id, points=data.points, transfer=spent["transfer"], note=data.note.strip(), recorded_by=principal.name,
            recorded_at=now,
        )
        await payment.save()
        await audit(principal, "markets.points.pay", "markets.application", application_id, community_id=community.id,
                    detail={"resident": data.resident_id, "points": data.points, "transfer": spent["transfer"]})
    saved = await PointsPayment.select().where(PointsPayment.id == payment.id).first()
    return _out(saved, spent["balance"])


async def list_payments(community: CommunityInfo, application_id: int, principal: Principal) -> list[PointsPaymentOut]:
    """Points paid at one stall, oldest first (the stall in the caller's scope, else its 404)."""
    await _application_row(community, application_id, principal)
    rows = await PointsPayment.select().where(PointsPayment.application == application_id).order_by(PointsPayment.id)
    return [_out(r) for r in rows]


async def day_points(day_id: int) -> tuple[int, int]:
    """(points, payments) paid at a market day's stalls, over the whole community (the statement is posted for everyone)."""
    rows = await PointsPayment.select(PointsPayment.points).where(PointsPayment.market_day == day_id)
    return sum(r["points"] for r in rows), len(rows)
