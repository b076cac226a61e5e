"""Volunteering's work: record service, verify its hours (staff in scope), earn and spend points in a double-entry ledger.

Hours count once staff verify them (``verify_service``); verifying earns the resident
``volunteer_points_per_hour`` points per hour in the same transaction. Points live in an
append-only ledger: every transfer has two entries that sum to zero (the resident's account
against the community's ``issued`` or ``spent``); a mistake is a reversal, never an edit. A
resident's balance never goes below zero: every debit checks it under the lock
``("meihao.points", resident_id)``, so concurrent spends take turns (PostgreSQL) or queue
(SQLite's immediate transactions).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from piccolo.query.functions.aggregate import Sum

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.db.transactions import transaction
from meihao.errors import Conflict, InvalidInput, NotFound
from meihao.register.tables import Community, Resident
from meihao.runtime import Meihao
from meihao.volunteering.tables import PointsEntry, PointsTransfer, VolunteerService

STATES = ("recorded", "verified", "rejected")
_VERIFIERS = "meihao.volunteer.verify"


def _not_found(noun: str, record_id: int, field: str | None = None) -> NotFound:
    detail = f"{noun} {record_id} not found"
    return NotFound(f"{field}: {detail}" if field else detail, field=field)


async def _resident_in_scope(principal: Principal, resident_id: int, community_id: int | None, field: str | None) -> dict[str, Any]:
    where = [Resident.id == resident_id, *principal.residents_where()]
    if community_id is not None:
        where.append(Resident.community == community_id)
    row = await Resident.select(Resident.id, Resident.name, Resident.community).where(*where).first()
    if row is None:
        raise _not_found("resident", resident_id, field)
    return row


async def _today(mh: Meihao, community_id: int) -> date:
    """Today in the community's time zone."""
    from zoneinfo import ZoneInfo

    row = await Community.select(Community.timezone).where(Community.id == community_id).first()
    return mh.clock.now().astimezone(ZoneInfo(row["timezone"])).date()


def hours_to_minutes(mh: Meihao, hours: float, field: str = "hours") -> int:
    """Hours as whole minutes, more than 0 and at most ``volunteer_max_hours_per_record``; an InvalidInput naming ``field``."""
    limit = mh.settings.volunteer_max_hours_per_record
    if not (hours > 0) or hours > limit:
        raise InvalidInput(f"{field}: more than 0 and at most {limit:g} hours, got {hours:g}", field=field)
    return round(hours * 60)


def _service_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "community": row["community"], "resident": row["resident"], "scenario": row["scenario"],
        "subject_table": row["subject_table"], "subject_id": row["subject_id"], "activity": row["activity"],
        "served_on": row["served_on"], "hours": row["minutes"] / 60, "state": row["state"],
        "recorded_by": row["recorded_by"], "verified_by": row["verified_by"], "verified_at": row["verified_at"],
    }


async def record_service(
    mh: Meihao, principal: Principal, community: Any, resident_id: int, *, hours: float, activity: str, served_on: date | None = None,
    scenario: str = "", subject_table: str = "", subject_id: int | None = None, field: str | None = "resident_id",
) -> dict[str, Any]:
    """Record a spell of service by a resident of ``community`` in the caller's scope (state ``recorded``, no hours yet counted).

    ``community`` is a ``CommunityInfo`` or ``None`` (the resident's own community); a resident out of
    scope is the same 404 as a missing one (``resident_id: resident N not found``).
    """
    community_id = None if community is None else int(getattr(community, "id", community))
    minutes = hours_to_minutes(mh, hours)
    activity = activity.strip()
    if not activity or len(activity) > 200:
        raise InvalidInput("activity: 1 to 200 characters", field="activity")
    async with transaction(mh):
        resident = await _resident_in_scope(principal, resident_id, community_id, field)
        day = served_on or await _today(mh, resident["community"])
        if day > await _today(mh, resident["community"]):
            raise InvalidInput(f"served_on: a day not after today, got {day.isoformat()}", field="served_on")
        row = VolunteerService(
            community=resident["community"], resident=resident_id, scenario=scenario, subject_table=subject_table,
            subject_id=subject_id, activity=activity, served_on=day, minutes=minutes, recorded_by=principal.staff_id,
            recorded_at=mh.clock.now(),
        )
        await row.save()
        await audit(principal, "meihao.volunteer.record", "volunteer_service", row.id, community_id=resident["community"],
                    detail={"resident": resident_id, "minutes": minutes, "scenario": scenario})
    return await get_service(principal, row.id)


async def get_service(principal: Principal, service_id: int) -> dict[str, Any]:
    """A service record whose volunteer is in the caller's scope, or the 404 of a missing one."""
    row = await VolunteerService.select().where(
        VolunteerService.id == service_id, VolunteerService.resident.is_in(_scope_ids(principal))
    ).first()
    if row is None:
        raise _not_found("volunteer service", service_id)
    return _service_out(row)


def _scope_ids(principal: Principal) -> Any:
    return Resident.select(Resident.id).where(*principal.residents_where())


async def verify_service(mh: Meihao, principal: Principal, service_id: int, *, approve: bool = True) -> dict[str, Any]:
    """Staff in scope verify (or reject) a recorded spell of service; verifying earns its points in the same transaction.

    Only a ``recorded`` record can be decided (409 otherwise); the caller needs
    ``meihao.volunteer.verify`` and the volunteer in their scope (else the 404 of a missing record).
    """
    principal.require(_VERIFIERS)
    async with transaction(mh, lock=("meihao.volunteer.service", service_id)):
        row = await get_service(principal, service_id)
        if row["state"] != "recorded":
            raise Conflict(f"volunteer service {service_id} is already {row['state']}")
        state = "verified" if approve else "rejected"
        now = mh.clock.now()
        await VolunteerService.update({VolunteerService.state: state, VolunteerService.verified_by: principal.staff_id,
                                       VolunteerService.verified_at: now}).where(VolunteerService.id == service_id)
        await audit(principal, f"meihao.volunteer.{'verify' if approve else 'reject'}", "volunteer_service", service_id,
                    community_id=row["community"], detail={"resident": row["resident"], "minutes": round(row["hours"] * 60)})
        if approve:
            points = (round(row["hours"] * 60) * mh.settings.volunteer_points_per_hour) // 60
            if points > 0:
                await _transfer(principal, row["community"], row["resident"], "earn", points, scenario=row["scenario"],
                                reason=row["activity"], service=service_id)
    return await get_service(principal, service_id)


async def _balance(resident_id: int) -> int:
    row = await PointsEntry.select(Sum(PointsEntry.points).as_alias("n")).where(
        PointsEntry.resident == resident_id, PointsEntry.account == "resident").first()
    return int((row or {}).get("n") or 0)


async def _transfer(principal: Principal, community_id: int, resident_id: int, kind: str, points: int, *, scenario: str = "",
                    reason: str = "", service: int | None = None, reverses: int | None = None, signed: int | None = None,
                    other: str | None = None) -> int:
    """Write one transfer and its two entries (the resident's ``signed`` points, the community's the opposite); audited."""
    delta = signed if signed is not None else (points if kind == "earn" else -points)
    transfer = PointsTransfer(community=community_id, resident=resident_id, kind=kind, points=delta, scenario=scenario, reason=reason,
                              service=service, reverses=reverses, staff=principal.staff_id)
    await transfer.save()
    other = other or ("issued" if kind == "earn" else "spent")
    await PointsEntry.insert(
        PointsEntry(transfer=transfer.id, community=community_id, account="resident", resident=resident_id, points=delta),
        PointsEntry(transfer=transfer.id, community=community_id, account=other, resident=None, points=-delta),
    )
    await audit(principal, f"meihao.points.{kind}", "points_transfer", transfer.id, community_id=community_id,
                detail={"resident": resident_id, "points": delta, "scenario": scenario})
    return transfer.id


async def award_points(mh: Meihao, principal: Principal, community: Any, resident_id: int, points: int, *, reason: str,
                       scenario: str = "") -> dict[str, Any]:
    """Give a resident of ``community`` in scope ``points`` for an action (not hours: those earn on verification)."""
    if points <= 0 or points > 100000:
        raise InvalidInput(f"points: 1 to 100000, got {points}", field="points")
    async with transaction(mh, lock=("meihao.points", resident_id)):
        resident = await _resident_in_scope(principal, resident_id, int(getattr(community, "id", community)), "resident_id")
        transfer = await _transfer(principal, resident["community"], resident_id, "earn", points, scenario=scenario, reason=reason)
        balance = await _balance(resident_id)
    return {"transfer": transfer, "resident": resident_id, "points": points, "balance": balance}


async def spend_points(mh: Meihao, principal: Principal, community: Any, resident_id: int, points: int, *, reason: str,
                       scenario: str = "", field: str | None = "resident_id") -> dict[str, Any]:
    """A resident of ``community`` in scope pays ``points`` (积分超市); 409 when the balance would go below zero."""
    if points <= 0 or points > 100000:
        raise InvalidInput(f"points: 1 to 100000, got {points}", field="points")
    community_id = None if community is None else int(getattr(community, "id", community))
    async with transaction(mh, lock=("meihao.points", resident_id)):
        resident = await _resident_in_scope(principal, resident_id, community_id, field)
        balance = await _balance(resident_id)
        if balance < points:
            raise Conflict(f"points: the balance is {balance}, less than {points}", field="points")
        transfer = await _transfer(principal, resident["community"], resident_id, "spend", points, scenario=scenario, reason=reason)
    return {"transfer": transfer, "resident": resident_id, "points": points, "balance": balance - points}


async def reverse_transfer(mh: Meihao, principal: Principal, transfer_id: int, *, reason: str) -> dict[str, Any]:
    """Undo a transfer with a reversal of its entries (once); a reversal that would leave the balance below zero is a 409."""
    principal.require(_VERIFIERS)
    row = await PointsTransfer.select().where(PointsTransfer.id == transfer_id, PointsTransfer.resident.is_in(_scope_ids(principal))).first()
    if row is None or row["kind"] == "reversal":
        raise _not_found("points transfer", transfer_id)
    async with transaction(mh, lock=("meihao.points", row["resident"])):
        if await PointsTransfer.exists().where(PointsTransfer.reverses == transfer_id):
            raise Conflict(f"points transfer {transfer_id} is already reversed")
        balance = await _balance(row["resident"])
        if balance - row["points"] < 0:
            raise Conflict(f"points: the balance is {balance}, less than the {row['points']} to take back", field="points")
        new = await _transfer(principal, row["community"], row["resident"], "reversal", abs(row["points"]), scenario=row["scenario"],
                              reason=reason, reverses=transfer_id, signed=-row["points"],
                              other="issued" if row["kind"] in ("earn", "penalty") else "spent")
    return {"transfer": new, "resident": row["resident"], "points": -row["points"], "balance": balance - row["points"]}


def star_of(mh: Meihao, hours: float) -> int:
    """The star rating (0 to 5) that ``hours`` of verified service reach (``volunteer_star_hours``)."""
    return sum(1 for threshold in mh.settings.volunteer_star_hours if hours >= threshold)


async def points_balance(principal: Principal, resident_id: int) -> int:
    """A resident's points in the caller's scope (the 404 of a missing resident otherwise)."""
    await _resident_in_scope(principal, resident_id, None, None)
    return await _balance(resident_id)


async def volunteer_summary(mh: Meihao, principal: Principal, resident_id: int, *, year: int | None = None) -> dict[str, Any]:
    """Verified hours in all and in ``year`` (the community's current year by default), the star, the points and recent records."""
    resident = await _resident_in_scope(principal, resident_id, None, None)
    year = year or (await _today(mh, resident["community"])).year
    verified = [VolunteerService.resident == resident_id, VolunteerService.state == "verified"]
    total = await VolunteerService.select(Sum(VolunteerService.minutes).as_alias("m")).where(*verified).first()
    in_year = await VolunteerService.select(Sum(VolunteerService.minutes).as_alias("m")).where(
        *verified, VolunteerService.served_on >= date(year, 1, 1), VolunteerService.served_on <= date(year, 12, 31)).first()
    hours = int((total or {}).get("m") or 0) / 60
    records = await VolunteerService.select().where(VolunteerService.resident == resident_id).order_by(
        VolunteerService.served_on, ascending=False).order_by(VolunteerService.id, ascending=False).limit(50)
    return {
        "resident": resident_id, "name": resident["name"], "hours": hours, "year": year,
        "hours_in_year": int((in_year or {}).get("m") or 0) / 60, "star": star_of(mh, hours),
        "points": await _balance(resident_id), "records": [_service_out(r) for r in records],
    }


async def community_hours(community_id: int, since: date, until: date) -> dict[str, Any]:
    """Verified hours and volunteers in a community from ``since`` to ``until`` (for a scene's figures; no scope: the kernel's)."""
    where = [VolunteerService.community == community_id, VolunteerService.state == "verified",
             VolunteerService.served_on >= since, VolunteerService.served_on <= until]
    row = await VolunteerService.select(Sum(VolunteerService.minutes).as_alias("m")).where(*where).first()
    people = await VolunteerService.select(VolunteerService.resident).where(*where).distinct()
    return {"hours": int((row or {}).get("m") or 0) / 60, "volunteers": len(people)}


async def services_to_verify(principal: Principal, community_id: int, *, limit: int = 200) -> list[dict[str, Any]]:
    """The community's ``recorded`` service records of volunteers in the caller's scope, oldest first (what is left to verify)."""
    if not principal.reaches_community(community_id):
        raise NotFound(f"community {community_id} not found")
    rows = await VolunteerService.select(*VolunteerService.all_columns(), VolunteerService.resident.name.as_alias("name")).where(
        VolunteerService.community == community_id, VolunteerService.state == "recorded",
        VolunteerService.resident.is_in(_scope_ids(principal))).order_by(VolunteerService.served_on).order_by(VolunteerService.id).limit(limit)
    return [{**_service_out(r), "name": r["name"]} for r in rows]
