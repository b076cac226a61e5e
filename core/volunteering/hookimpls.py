"""The kernel's own answers for volunteering: its permissions."""

from __future__ import annotations

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
        Permission("meihao.points.spend", "Take residents' points in payment (积分超市)", ("community_admin", "grid_leader", "grid_worker")),
    ]
