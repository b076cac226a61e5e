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
    """A resident's volunteer service and points transfers (PIPL export); None when there is none."""
    from meihao.volunteering.tables import PointsTransfer, VolunteerService

    service = await VolunteerService.select(
        VolunteerService.activity, VolunteerService.served_on, VolunteerService.minutes, VolunteerService.state, VolunteerService.scenario,
    ).where(VolunteerService.resident == resident_id).order_by(VolunteerService.id)
    points = await PointsTransfer.select(PointsTransfer.kind, PointsTransfer.points, PointsTransfer.reason, PointsTransfer.at).where(
        PointsTransfer.resident == resident_id).order_by(PointsTransfer.id)
    if not service and not points:
        return None
    return {"volunteer_service": service, "points": points}
