"""What the health services share: names, permissions, settings, the doctor teams and who may read health data."""

from __future__ import annotations

from datetime import date
from typing import Any

from meihao import CommunityInfo, Principal, scenario_settings

from ..schemas import HealthSettings
from ..tables import DoctorTeam, TeamMember

SCENARIO = "health"
#: The kernel, for jobs, audiences and figures over the whole community.
EVERYONE = Principal.system(SCENARIO)

PATIENT_READ = "health.patient.read"
PATIENT_WRITE = "health.patient.write"
FOLLOW_UP_RECORD = "health.followup.record"
READINGS = "health.reading.read"
TEAM_MANAGE = "health.team.manage"
CHECK_RECORD = "health.check.record"
CONTRACT_MANAGE = "health.contract.manage"
TRACING = "health.tracing.handle"


async def settings_of(mh: Any, community: CommunityInfo) -> HealthSettings:
    return await scenario_settings(mh, community.id, SCENARIO)  # type: ignore[return-value]


async def my_teams(principal: Principal, community: CommunityInfo) -> set[int]:
    """The doctor teams of the community the caller is a member of."""
    if principal.staff_id is None:
        return set()
    rows = await TeamMember.select(TeamMember.team).where(
        TeamMember.staff == principal.staff_id, TeamMember.team.community == community.id, TeamMember.team.active.eq(True))
    return {r["team"] for r in rows}


def reads_health(principal: Principal, teams: set[int], team_id: int | None) -> bool:
    """Health data (readings, conditions, check items) is read by the patient's doctor team and holders of health.reading.read."""
    return principal.can(READINGS) or (team_id is not None and team_id in teams)


async def team_in(community: CommunityInfo, team_id: int, field: str = "team_id") -> dict[str, Any]:
    from meihao import NotFound

    row = await DoctorTeam.select().where(DoctorTeam.id == team_id, DoctorTeam.community == community.id, DoctorTeam.active.eq(True)).first()
    if row is None:
        raise NotFound(f"{field}: team {team_id} not found", field=field)
    return row


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def years_before(day: date, years: int) -> date:
    """The last birth date that makes someone ``years`` old on ``day`` (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
