"""The resident's data rights (PIPL): a copy of what health holds about them, and its erasure (what is counted stays)."""

from __future__ import annotations

import json
from typing import Any

from ..tables import Contract, FollowUp, HealthCheck, Patient, Referral


async def resident_data(resident_id: int) -> dict[str, Any] | None:
    patients = await Patient.select(Patient.id, Patient.condition, Patient.team.name.as_alias("team"), Patient.registered_on,
                                    Patient.next_due, Patient.status, Patient.active).where(Patient.resident == resident_id).order_by(Patient.id)
    visits = await FollowUp.select(
        FollowUp.patient, FollowUp.visited_on, FollowUp.systolic, FollowUp.diastolic, FollowUp.glucose_tenths, FollowUp.symptoms,
        FollowUp.side_effects, FollowUp.new_complication, FollowUp.medication_change, FollowUp.decision, FollowUp.next_due,
    ).where(FollowUp.patient.is_in([p["id"] for p in patients] or [0])).order_by(FollowUp.visited_on).order_by(FollowUp.id)
    checks = await HealthCheck.select(HealthCheck.year, HealthCheck.checked_on, HealthCheck.items).where(
        HealthCheck.resident == resident_id).order_by(HealthCheck.year)
    contracts = await Contract.select(Contract.team.name.as_alias("team"), Contract.starts_on, Contract.ends_on, Contract.packages,
                                      Contract.priority_groups, Contract.status).where(Contract.resident == resident_id).order_by(Contract.id)
    referrals = await Referral.select(Referral.source, Referral.title, Referral.reason, Referral.status, Referral.outcome,
                                      Referral.created_at, Referral.closed_at).where(Referral.resident == resident_id).order_by(Referral.id)
    if not (patients or checks or contracts or referrals):
        return None
    for v in visits:
        tenths = v.pop("glucose_tenths")
        v["glucose"] = None if tenths is None else tenths / 10
    for c in checks:
        c["items"] = json.loads(c["items"])
    for c in contracts:
        c["packages"], c["priority_groups"] = json.loads(c["packages"]), json.loads(c["priority_groups"])
    result = {"patients": patients, "follow_ups": visits, "checks": checks, "contracts": contracts}
    if referrals:  # handed over by other scenes (elder3); absent without any, so earlier exports read the same
        result["referrals"] = referrals
    return result


async def erase_resident(resident_id: int) -> dict[str, int] | None:
    """Blank the readings, symptoms, medication and check items; keep the rows, the decisions and the dates (the figures)."""
    patients = Patient.select(Patient.id).where(Patient.resident == resident_id)
    visits = await FollowUp.count().where(FollowUp.patient.is_in(patients))
    checks = await HealthCheck.count().where(HealthCheck.resident == resident_id)
    referrals = await Referral.count().where(Referral.resident == resident_id)
    if not (visits or checks or referrals):
        return None
    await FollowUp.update({FollowUp.systolic: None, FollowUp.diastolic: None, FollowUp.glucose_tenths: None, FollowUp.symptoms: "",
                           FollowUp.medication_change: ""}).where(FollowUp.patient.is_in(patients))
    await HealthCheck.update({HealthCheck.items: "{}"}).where(HealthCheck.resident == resident_id)
    result = {"follow_up_readings": visits, "check_items": checks}
    if referrals:  # the concern and the outcome are free texts; the rows and statuses stay
        await Referral.update({Referral.reason: "", Referral.outcome: ""}).where(Referral.resident == resident_id)
        result["referral_texts"] = referrals
    return result
