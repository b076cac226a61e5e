"""elder_care's figures for the community dashboard: elders by care level, living alone, visits due and overdue."""

from __future__ import annotations

from typing import Any

from ..schemas import CARE_LEVELS
from ..tables import Elder
from .common import local_today, residents_of


async def metrics(mh: Any, community: dict[str, Any]) -> dict[str, int]:
    today = local_today(mh, community)
    mine = [Elder.resident.is_in(residents_of(community["id"])), Elder.active.eq(True)]
    figures = {"elders": await Elder.count().where(*mine)}
    for level in CARE_LEVELS:
        figures[f"elders_{level}"] = await Elder.count().where(*mine, Elder.care_level == level)
    figures["living_alone"] = await Elder.count().where(*mine, Elder.living_alone.eq(True))
    figures["visits_due_today"] = await Elder.count().where(*mine, Elder.next_due_on == today)
    figures["overdue"] = await Elder.count().where(*mine, Elder.next_due_on < today)
    return figures
