"""The kernel's own answers for activities: the kernel's audiences and the activity permissions."""

from __future__ import annotations

from typing import Any

from meihao.hooks.declarations import Audience, Permission
from meihao.hooks.specs import hookimpl

_PLANNERS = ("community_admin", "grid_leader", "grid_worker")


def _elders(community_id: int, today: Any, meihao: Any) -> Any:
    """Residents aged ``MEIHAO_ELDER_AGE`` (60) or more on ``today``, the community's date of the fan-out."""
    from datetime import date

    from meihao.register.residents import shift_years
    from meihao.register.tables import Resident

    on = today or date.today()
    age = meihao.settings.elder_age if meihao is not None else 60
    return Resident.select(Resident.id).where(Resident.community == community_id, Resident.birth_date <= shift_years(on, age))


def _everyone(community_id: int) -> Any:
    from meihao.register.tables import Resident

    return Resident.select(Resident.id).where(Resident.community == community_id)


@hookimpl
def meihao_audiences() -> list[Audience]:
    return [
        Audience("meihao.everyone", "全体居民", "Every resident", _everyone),
        Audience("meihao.elders", "老年人", "Older residents (MEIHAO_ELDER_AGE, 60, and over)", _elders),
    ]


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("meihao.activity.read", "See activities, their audiences (masked) and delivery state", (*_PLANNERS, "grid_part_time", "dispatched")),
        Permission("meihao.activity.write", "Plan, reschedule and cancel activities", _PLANNERS),
    ]
