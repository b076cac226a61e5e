"""The scene's figures (国家基本公共卫生服务规范: 健康管理, 规范管理率, 控制率), contract and 65+ check figures, in SQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from piccolo.query.functions.aggregate import Count

from meihao import CommunityInfo, Principal, community_today, scope_where
from meihao.tables import Resident

from ..tables import Contract, FollowUp, HealthCheck, Patient
from .common import settings_of, years_before


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


async def figures(mh: Any, principal: Principal, community: CommunityInfo) -> dict[str, Any]:
    """managed: active patients in scope; 规范管理率: of those with a follow-up this year, the share with at least
    ``follow_ups_per_year``; 控制率: of them, the share whose latest follow-up was controlled; contract rate: residents
    with an active contract over residents; 65+ checked this year and still due."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    year_start = date(today.year, 1, 1)
    patients = Patient.select(Patient.id).where(Patient.active.eq(True), *scope_where(principal, community, Patient.resident))
    managed = await Patient.count().where(Patient.id.is_in(patients))
    counts = await FollowUp.select(FollowUp.patient, Count(FollowUp.id).as_alias("n")).where(
        FollowUp.patient.is_in(patients), FollowUp.visited_on >= year_start, FollowUp.visited_on <= today).group_by(FollowUp.patient)
    seen = {r["patient"] for r in counts}
    standard = sum(1 for r in counts if r["n"] >= settings.follow_ups_per_year)
    controlled = 0
    if seen:
        # the latest follow-up of each patient seen this year (highest date, then id)
        latest = await FollowUp.select(FollowUp.patient, FollowUp.visited_on, FollowUp.id, FollowUp.decision).where(
            FollowUp.patient.is_in(list(seen))).order_by(FollowUp.visited_on).order_by(FollowUp.id)
        last = {r["patient"]: r["decision"] for r in latest}
        controlled = sum(1 for d in last.values() if d == "controlled")
    # counted straight on the register (its (community, birth_date) index), not through nested id lists
    in_scope = principal.residents_in(community.id)
    mine = (Resident.community == community.id, *principal.residents_where())
    residents = await Resident.count().where(*mine)
    signed = await Contract.select(Contract.resident).where(
        Contract.resident.is_in(in_scope), Contract.status == "active", Contract.starts_on <= today, Contract.ends_on >= today).distinct()
    elders = await Resident.count().where(*mine, Resident.birth_date <= years_before(today, settings.check_age))
    checked = await HealthCheck.count().where(HealthCheck.resident.is_in(in_scope), HealthCheck.year == today.year)
    return {
        "managed": managed, "followed_this_year": len(seen), "standard_managed": standard,
        "standard_rate": _rate(standard, len(seen)), "control_rate": _rate(controlled, len(seen)),
        "contracts": len(signed), "contract_rate": _rate(len(signed), residents),
        "checked_65": checked, "due_65": elders - checked, "check_rate": _rate(checked, elders),
    }
