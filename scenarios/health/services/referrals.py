"""转介: health concerns other scenes hand over (the intake ``health.referral``), listed and closed by the doctor team.

An elder visit that found a health concern and asked for a follow-up is handed over here when health is on in the
community (``meihao.hand_over``; elder_care calls it in the transaction that records the visit). The referral is the
doctor team's to see: its ``reason`` (what the visitor found) is health data, read by the resident's doctor team and
holders of ``health.reading.read`` only, like a follow-up's readings; grid staff in scope see that the resident was
referred (已转介), when, and from which record. Every read of a list or a referral is audited (``health.referral.read``).
"""

from __future__ import annotations

from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    Forbidden,
    HandOver,
    NoticeIn,
    Page,
    Principal,
    Receipt,
    audit,
    community_today,
    get_community,
    notify,
    paginate,
    scope_where,
    scoped_row,
    transaction,
)

from ..schemas import REFERRAL_STATUS_ZH, ReferralClose, ReferralOut
from ..tables import Contract, Patient, Referral, TeamMember
from .common import READINGS, my_teams, settings_of

INTAKE = "health.referral"
COLUMNS = (
    Referral.id, Referral.resident, Referral.resident.name.as_alias("name"), Referral.resident.grid.as_alias("grid_id"),
    Referral.source, Referral.title, Referral.status, Referral.team, Referral.created_at, Referral.closed_at, Referral.reason,
    Referral.outcome,
)


def reads_referral(principal: Principal, teams: set[int], team_id: int | None) -> bool:
    """The resident's doctor team (any team of the community when the resident has none) and health.reading.read."""
    return principal.can(READINGS) or (team_id in teams if team_id is not None else bool(teams))


def present(row: dict[str, Any], health: bool) -> ReferralOut:
    return ReferralOut(
        id=row["id"], resident_id=row["resident"], name=row["name"], grid_id=row["grid_id"], source=row["source"], title=row["title"],
        status=row["status"], status_zh=REFERRAL_STATUS_ZH[row["status"]], team_id=row["team"], created_at=row["created_at"],
        closed_at=row["closed_at"], reason=row["reason"] if health else None, outcome=row["outcome"] if health else None)


async def _team_of(community_id: int, resident_id: int, today: Any) -> int | None:
    """The resident's doctor team: their patient entry's (the latest), else their running contract's, else None."""
    patient = await Patient.select(Patient.team).where(
        Patient.resident == resident_id, Patient.community == community_id, Patient.active.eq(True)).order_by(Patient.id, ascending=False).first()
    if patient is not None:
        return int(patient["team"])
    contract = await Contract.select(Contract.team).where(
        Contract.resident == resident_id, Contract.community == community_id, Contract.status == "active", Contract.starts_on <= today,
        Contract.ends_on >= today).order_by(Contract.id, ascending=False).first()
    return None if contract is None else int(contract["team"])


async def accept_referral(handover: HandOver, mh: Any, principal: Principal) -> Receipt:
    """The intake ``health.referral``: a resident (``resident_id``, required) with a health concern; ``body`` is the concern
    (kept as the referral's sensitive ``reason``). The doctor team is told at once, without the concern in the notice."""
    from meihao import InvalidInput

    if handover.resident_id is None:
        raise InvalidInput("a health referral needs the resident (resident_id)")
    community = await get_community(handover.community)
    settings = await settings_of(mh, community)
    team = await _team_of(community.id, handover.resident_id, community_today(mh, community))
    row = Referral(community=community.id, resident=handover.resident_id, team=team, source=handover.source, title=handover.title[:200],
                   reason=handover.body.strip(), status="open", handed_by=principal.staff_id, created_at=mh.clock.now())
    await row.save()
    if team is not None:
        members = await TeamMember.select(TeamMember.staff).where(TeamMember.team == team)
    else:
        members = await TeamMember.select(TeamMember.staff).where(TeamMember.team.community == community.id, TeamMember.team.active.eq(True))
    staff = sorted({m["staff"] for m in members})
    if staff:
        await notify(mh, community.slug, NoticeIn(
            key=f"health.handover:{row.id}", title="健康转介提醒",
            body=f"收到一条健康转介（转介单 {row.id}，来自{_source_zh(handover.source)}），请及时联系居民并处理。",
            staff=staff, channels=list(settings.channels)), scenario="health")
    return Receipt(reference=f"{INTAKE}:{row.id}", path=f"/c/{community.slug}/health/referrals", title=handover.title)


def _source_zh(source: str) -> str:
    return {"elder_care": "老人探访", "service": "便民服务", "governance": "网格治理"}.get(source.split(".", 1)[0], "其他业务")


async def _read(principal: Principal, community: CommunityInfo, rows: list[dict[str, Any]], teams: set[int], *, listing: bool) -> None:
    if not rows:
        return
    ids = [r["id"] for r in rows]
    shown = [r["id"] for r in rows if reads_referral(principal, teams, r["team"])]
    await audit(principal, "health.referral.read", "health_referral", "" if listing else ids[0], community_id=community.id,
                detail={"referral_ids": ids, "reasons": shown})


async def list_referrals(
    mh: Any, principal: Principal, community: CommunityInfo, *, open_only: bool | None = None, page: int = 1, page_size: int | None = None,
) -> Page[ReferralOut]:
    """The referrals in the caller's scope, newest first; the reasons for the doctor team only (audited)."""
    query = Referral.select(*COLUMNS).where(Referral.community == community.id, *scope_where(principal, community, Referral.resident))
    if open_only is not None:
        query = query.where(Referral.status == "open") if open_only else query.where(Referral.status != "open")
    result = await paginate(mh, query.order_by(Referral.created_at, ascending=False).order_by(Referral.id, ascending=False),
                            page=page, page_size=page_size)
    teams = await my_teams(principal, community)
    async with transaction(mh):
        await _read(principal, community, result.rows, teams, listing=True)
    return result.page_of([present(r, reads_referral(principal, teams, r["team"])) for r in result.rows])


async def scoped_referral(principal: Principal, community: CommunityInfo, referral_id: int) -> dict[str, Any]:
    """The referral if its resident is in the caller's scope, else the same 404 as a missing one."""
    return await scoped_row(Referral, referral_id, principal, community, via=Referral.resident, columns=COLUMNS, noun="referral")


async def close_referral(mh: Any, principal: Principal, community: CommunityInfo, referral_id: int, data: ReferralClose) -> ReferralOut:
    """The doctor team (or a holder of health.reading.read) says what it did; the referral is closed once."""
    row = await scoped_referral(principal, community, referral_id)
    teams = await my_teams(principal, community)
    if not reads_referral(principal, teams, row["team"]):
        raise Forbidden("health data: only the resident's doctor team and holders of health.reading.read handle a referral")
    async with transaction(mh, lock=("health.referral", str(referral_id))):
        current = await Referral.select(Referral.status).where(Referral.id == referral_id).first()
        if current["status"] != "open":
            raise Conflict(f"referral {referral_id} is already closed")
        await Referral.update({Referral.status: "closed", Referral.outcome: data.outcome.strip(), Referral.closed_at: mh.clock.now()}).where(
            Referral.id == referral_id)
        await audit(principal, "health.referral.close", "health_referral", referral_id, community_id=community.id)
    saved = await Referral.select(*COLUMNS).where(Referral.id == referral_id).first()
    return present(saved, True)

