"""elder_care's figures for the community dashboard: elders by care level, living alone, visits due and overdue."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, Principal, community_today, scope_where

from ..schemas import CARE_LEVELS
from ..tables import Elder


async def metrics(mh: Any, community: CommunityInfo, principal: Principal) -> dict[str, int]:
    """The figures of the elders ``principal`` reaches in ``community`` (a grid worker: their grid's)."""
    today = community_today(mh, community)
    mine = [*scope_where(principal, community, Elder.resident), Elder.active.eq(True)]
    figures = {"elders": await Elder.count().where(*mine)}
    for level in CARE_LEVELS:
        figures[f"elders_{level}"] = await Elder.count().where(*mine, Elder.care_level == level)
    figures["living_alone"] = await Elder.count().where(*mine, Elder.living_alone.eq(True))
    figures["visits_due_today"] = await Elder.count().where(*mine, Elder.next_due_on == today)
    figures["overdue"] = await Elder.count().where(*mine, Elder.next_due_on < today)
    return figures
