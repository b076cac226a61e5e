"""The kernel's own answers for volunteering: its permissions and a resident's part of a data export.

Erasure anonymises the resident's register entry in place; their hours and points are counts
attached to that entry, and stay (nothing here names them), so this plugin erases nothing.
"""

from __future__ import annotations

from typing import Any

from meihao.hooks.declarations import Permission
from meihao.hooks.specs import hookimpl

_TEAM = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("meihao.volunteer.read", "Read residents' volunteer service, hours, star and points", _TEAM),
        Permission("meihao.volunteer.record", "Record a resident's volunteer service (hours count once verified)", _TEAM),
        # Hours are posted only once verified by staff who lead in scope.
        Permission("meihao.volunteer.verify", "Verify or reject recorded volunteer hours, and reverse points", ("community_admin", "grid_leader")),
        Permission("meihao.volunteer.manage", "Set up volunteer teams and shifts", ("community_admin", "grid_leader")),
        Permission("meihao.points.spend", "Take residents' points in payment (积分超市)", ("community_admin", "grid_leader", "grid_worker")),
    ]


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    """A resident's volunteer service, points transfers, teams and shift sign-ups (PIPL export); None when there is none."""
    from meihao.volunteering.tables import PointsTransfer, VolunteerMember, VolunteerService, VolunteerSignup

    service = await VolunteerService.select(
        VolunteerService.activity, VolunteerService.served_on, VolunteerService.minutes, VolunteerService.state, VolunteerService.scenario,
    ).where(VolunteerService.resident == resident_id).order_by(VolunteerService.id)
    points = await PointsTransfer.select(PointsTransfer.kind, PointsTransfer.points, PointsTransfer.reason, PointsTransfer.at).where(
        PointsTransfer.resident == resident_id).order_by(PointsTransfer.id)
    teams = await VolunteerMember.select(VolunteerMember.team.name.as_alias("team"), VolunteerMember.skills, VolunteerMember.availability,
                                         VolunteerMember.joined_on).where(VolunteerMember.resident == resident_id).order_by(VolunteerMember.id)
    signups = await VolunteerSignup.select(VolunteerSignup.shift.title.as_alias("shift"), VolunteerSignup.shift.starts_at.as_alias("starts_at"),
                                           VolunteerSignup.state, VolunteerSignup.checked_in_at, VolunteerSignup.checked_out_at).where(
        VolunteerSignup.resident == resident_id).order_by(VolunteerSignup.id)
    if not service and not points and not teams and not signups:
        return None
    found: dict[str, Any] = {"volunteer_service": service, "points": points}
    if teams:
        found["volunteer_teams"] = teams
    if signups:
        found["volunteer_signups"] = signups
    return found
