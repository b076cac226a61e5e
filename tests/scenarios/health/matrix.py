"""The health scenario in the access matrix (tests/access/test_matrix.py): its world and its routes.

Each community has a doctor team with no member among the world's staff (so only the street, which holds
health.reading.read, reads health data); each place's resident is a hypertension patient with one follow-up
and an open tracing task in their grid, a signed contract, and a second resident of the place (65+) has this
year's check. Builders use the place's own community: another community meets the kernel's 403, another grid
the plugin's 404, the same as a record that does not exist. The routes that need health data are in the
``# --- health (helper) ---`` block of test_matrix.py, with each role's answer written out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from meihao import HandOver, Principal
from meihao.scenarios.health.schemas import CheckIn, ContractIn, FollowUpIn, PatientIn, TeamIn
from meihao.scenarios.health.services import checks, contracts, patients, referrals, teams, tracing
from meihao.scenarios.health.tables import Contract, DoctorTeam, FollowUp, HealthCheck, Patient, Referral, TeamMember

HL = "/api/communities/{slug}/health"
TABLES = (DoctorTeam, TeamMember, Patient, FollowUp, HealthCheck, Contract, Referral)


def _hl(w: Any, p: str, rest: str) -> str:
    return f"/api/communities/{w.slugs[p]}/health{rest}"


async def populate(mh: Any, world: Any, places: tuple[str, ...]) -> None:
    from meihao import open_item
    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import enable
    from meihao.testing import Factories

    f = Factories(mh)
    system = Principal.system()
    for slug in ("alpha", "beta"):
        await enable(mh, slug, "health", {})
        community = await get_community(slug)
        team = await teams.create_team(mh, system, community, TeamIn(name=f"{slug}家医团队"))
        for place in [p for p in places if world.slugs[p] == slug]:
            ids = world.places[place]
            ids["hl_team_id"] = team.id
            patient = await patients.register(mh, system, community, PatientIn(resident_id=ids["resident_id"], condition="hypertension",
                                                                               team_id=team.id))
            ids["hl_patient_id"] = patient.id
            await patients.record_follow_up(mh, system, community, patient.id, FollowUpIn(systolic=150, diastolic=95))
            item = await open_item(mh, system, tracing.TRACING, community, kind="tracing", title="请提醒去看医生",
                                   subject=(tracing.SUBJECT, patient.id), grid=ids["grid_id"])
            await Patient.update({Patient.tracing_item: item["id"]}).where(Patient.id == patient.id)
            ids["hl_tracing_id"] = item["id"]
            contract = await contracts.sign(mh, system, community, ContractIn(resident_id=ids["resident_id"], team_id=team.id,
                                                                              starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)))
            ids["hl_contract_id"] = contract.id  # health2
            elder = await f.resident(ids["household2_id"], name=f"{place}老人", birth_date=date(1950, 2, 2))
            check = await checks.record(mh, system, community, CheckIn(resident_id=elder["id"], items={"血压": "150/95"}))
            ids["hl_check_id"] = check.id
            # elder3: a referral handed over by an elder visit (the intake, as meihao.hand_over calls it)
            receipt = await referrals.accept_referral(HandOver(community=slug, source="elder_care.visit:1", title="老人探访发现健康问题",
                                                               body="健康状况：头晕", resident_id=ids["resident_id"]), mh, system)
            ids["hl_referral_id"] = int(receipt.reference.rsplit(":", 1)[1])


def _path(key: str, rest: str = "", body: Any = None) -> Any:
    return lambda w, p: (_hl(w, p, rest.format(id=w.places[p][key])), body)


RECORD_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{HL}/patients/{{patient_id}}"): _path("hl_patient_id", "/patients/{id}"),
    ("POST", f"{HL}/patients"): lambda w, p: (_hl(w, p, "/patients"), {
        "resident_id": w.places[p]["resident_id"], "condition": "diabetes", "team_id": w.places[p]["hl_team_id"]}),
    ("GET", f"{HL}/checks/{{check_id}}"): _path("hl_check_id", "/checks/{id}"),
    ("POST", f"{HL}/tracing/{{item_id}}/reminded"): _path("hl_tracing_id", "/tracing/{id}/reminded", {"note": "电话提醒"}),
    ("POST", f"{HL}/contracts"): lambda w, p: (_hl(w, p, "/contracts"), {
        "resident_id": w.places[p]["resident_id"], "team_id": w.places[p]["hl_team_id"], "starts_on": "2031-01-01",
        "ends_on": "2031-12-31"}),
    # health2: ending a contract early (its last day within its days)
    ("POST", f"{HL}/contracts/{{contract_id}}/end"): _path("hl_contract_id", "/contracts/{id}/end", {"reason": "迁出本社区",
                                                                                                     "ends_on": "2026-06-30"}),
}

# A record of another grid answers exactly as one that does not exist.
MISSING_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{HL}/patients/{{patient_id}}"): lambda w, p: (_hl(w, p, "/patients/987654"), None),
    ("GET", f"{HL}/checks/{{check_id}}"): lambda w, p: (_hl(w, p, "/checks/987654"), None),
    ("POST", f"{HL}/tracing/{{item_id}}/reminded"): lambda w, p: (_hl(w, p, "/tracing/987654/reminded"), {"note": "电话提醒"}),
    ("POST", f"{HL}/contracts/{{contract_id}}/end"): lambda w, p: (_hl(w, p, "/contracts/987654/end"), {"reason": "迁出本社区",
                                                                                                       "ends_on": "2026-06-30"}),
}

COMMUNITY_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{HL}/teams"): lambda w, p: (_hl(w, p, "/teams"), None),
    ("POST", f"{HL}/teams"): lambda w, p: (_hl(w, p, "/teams"), {"name": "家医二队"}),
    ("GET", f"{HL}/patients"): lambda w, p: (_hl(w, p, "/patients?page_size=100"), None),
    ("GET", f"{HL}/tracing"): lambda w, p: (_hl(w, p, "/tracing"), None),
    ("GET", f"{HL}/checks/due"): lambda w, p: (_hl(w, p, "/checks/due"), None),
    ("GET", f"{HL}/contracts"): lambda w, p: (_hl(w, p, "/contracts"), None),
    ("GET", f"{HL}/referrals"): lambda w, p: (_hl(w, p, "/referrals"), None),  # elder3
}
