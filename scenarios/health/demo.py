"""Demo data for health (``meihao demo``): 雅居园's doctor team, its elders' hypertension and diabetes follow-ups over
the past months (some controlled, a recheck, a referral, one missed), family-doctor contracts and the 65+ checks."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from meihao import CommunityInfo, Principal, community_today, working_calendar
from meihao.tables import Resident, Staff, StaffAssignment

from .schemas import FollowUpIn, HealthSettings
from .services import rules
from .services.common import age_on, years_before
from .tables import Contract, DoctorTeam, FollowUp, HealthCheck, Patient, TeamMember

SYSTEM = Principal.system("health")


async def _doctors(community: CommunityInfo) -> list[int]:
    """The X sent down from the health service centre to the community's grids (any already there)."""
    rows = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.community == community.id, StaffAssignment.role == "dispatched")
    return sorted({r["staff"] for r in rows})


async def fill(mh: Any, community: CommunityInfo, settings: HealthSettings, seed: int) -> None:
    rng = random.Random(seed * 7919 + community.id)
    today = community_today(mh, community)
    calendar = await working_calendar(mh, community)
    team = DoctorTeam(community=community.id, name=f"{community.name}家庭医生一团队", provider="济阳街道社区卫生服务中心")
    await team.save()
    members = await _doctors(community)
    if not members:
        members = [r["id"] for r in await Staff.select(Staff.id).where(
            Staff.id.is_in(StaffAssignment.select(StaffAssignment.staff).where(StaffAssignment.community == community.id,
                                                                               StaffAssignment.role == "community_admin")))]
    if members:
        await TeamMember.insert(*[TeamMember(team=team.id, staff=s) for s in members[:3]])
    people = await Resident.select(Resident.id, Resident.birth_date).where(
        Resident.community == community.id, Resident.birth_date <= years_before(today, settings.min_age)).order_by(Resident.id)
    rng.shuffle(people)
    # about one in four of the 35+ has hypertension, one in ten type-2 diabetes (China's prevalence, rounded)
    for index, person in enumerate(people[: max(1, len(people) // 4)]):
        condition = "diabetes" if index % 3 == 2 else "hypertension"
        day = today - timedelta(days=rng.randint(300, 360))
        patient = Patient(community=community.id, resident=person["id"], condition=condition, team=team.id, registered_on=day,
                          next_due=rules.on_or_after(day, calendar), status="routine")
        await patient.save()
        in_a_row, decision, due = 0, "controlled", patient.next_due
        while due <= today and not (index % 11 == 5 and due > today - timedelta(days=40)):  # now and then one is missed
            if condition == "hypertension":
                sys = rng.choice([126, 132, 136, 138, 142, 148, 156])
                reading = FollowUpIn(systolic=sys, diastolic=sys - rng.randint(48, 58))
            else:
                reading = FollowUpIn(glucose=rng.choice([5.8, 6.2, 6.6, 6.9, 7.4, 8.1]), systolic=rng.choice([124, 132, 138]), diastolic=80)
            decision, in_a_row = rules.decide(condition, reading, in_a_row, settings)
            visit_due = rules.next_due(decision, due, settings, calendar)
            await FollowUp.insert(FollowUp(
                patient=patient.id, visited_on=due, systolic=reading.systolic, diastolic=reading.diastolic,
                glucose_tenths=None if reading.glucose is None else rules.tenths(reading.glucose), decision=decision, next_due=visit_due,
                symptoms=rng.choice(["", "", "偶有头晕", "口干"]), staff=members[0] if members else None))
            due = visit_due
        status = {"controlled": "routine", "recheck": "recheck", "referral": "referred", "emergency": "emergency"}[decision]
        await Patient.update({Patient.next_due: due, Patient.status: status, Patient.uncontrolled: in_a_row}).where(Patient.id == patient.id)
    # family-doctor contracts: most elders and patients, a few ending within the month
    elders = [p for p in people if age_on(p["birth_date"], today) >= settings.check_age]
    for person in elders[: len(elders) * 3 // 4]:
        starts = today - timedelta(days=rng.randint(20, 360))
        ends = starts.replace(year=starts.year + 1) - timedelta(days=1)
        await Contract.insert(Contract(community=community.id, resident=person["id"], team=team.id, starts_on=starts, ends_on=ends,
                                       packages='["basic", "elderly"]', priority_groups='["elderly"]'))
    # this year's checks: about half the elders so far
    for person in elders[: len(elders) // 2]:
        day = rules.on_or_before(today - timedelta(days=rng.randint(0, today.timetuple().tm_yday - 1)), calendar)
        if day.year != today.year:  # 1 or 2 January of a year that starts on a holiday: none yet
            continue
        await HealthCheck.insert(HealthCheck(
            community=community.id, resident=person["id"], year=day.year, checked_on=day,
            items='{"生活自理能力评估": "可自理", "血压": "正常", "空腹血糖": "正常", "心电图": "未见异常"}', staff=members[0] if members else None))
