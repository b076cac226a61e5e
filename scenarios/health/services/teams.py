"""Doctor teams (家庭医生团队): who in the community's staff reads and records its patients' health data."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, InvalidInput, Principal, audit, scoped_staff, transaction

from ..schemas import TeamIn, TeamOut
from ..tables import DoctorTeam, TeamMember


async def create_team(mh: Any, principal: Principal, community: CommunityInfo, data: TeamIn) -> TeamOut:
    name = data.name.strip()
    if not name:
        raise InvalidInput("name: must not be empty", field="name")
    members = sorted(set(data.members))
    for staff_id in members:
        await scoped_staff(principal, community, staff_id, field="members")
    async with transaction(mh):
        team = DoctorTeam(community=community.id, name=name, provider=data.provider.strip())
        await team.save()
        if members:
            await TeamMember.insert(*[TeamMember(team=team.id, staff=s) for s in members])
        await audit(principal, "health.team.create", "health_team", team.id, community_id=community.id, detail={"members": members})
    return TeamOut(id=team.id, name=name, provider=data.provider.strip(), members=members)


async def list_teams(community: CommunityInfo) -> list[TeamOut]:
    teams = await DoctorTeam.select().where(DoctorTeam.community == community.id, DoctorTeam.active.eq(True)).order_by(DoctorTeam.id)
    members = await TeamMember.select(TeamMember.team, TeamMember.staff).where(TeamMember.team.is_in([t["id"] for t in teams] or [0]))
    return [TeamOut(id=t["id"], name=t["name"], provider=t["provider"],
                    members=sorted(m["staff"] for m in members if m["team"] == t["id"])) for t in teams]
