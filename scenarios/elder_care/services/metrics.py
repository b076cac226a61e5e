"""elder_care's figures for the community dashboard: elders by care level, living alone, visits due and overdue."""

from __future__ import annotations

from typing import Any

from piccolo.query.functions.aggregate import Count

from meihao import CommunityInfo, Principal, community_today, scope_where

from ..schemas import CARE_LEVELS
from ..tables import Elder
from .common import count_if


async def metrics(mh: Any, community: CommunityInfo, principal: Principal) -> dict[str, int]:
    """The figures of the elders ``principal`` reaches in ``community`` (a grid worker: their grid's), counted in one query."""
    today = community_today(mh, community)
    figures: dict[str, Any] = {f"elders_{level}": Elder.care_level == level for level in CARE_LEVELS}
    figures["living_alone"] = Elder.living_alone.eq(True)
    figures["visits_due_today"] = Elder.next_due_on == today
    figures["overdue"] = Elder.next_due_on < today
    row = await Elder.select(
        Count(Elder.id, alias="elders"),
        *(count_if(condition, name) for name, condition in figures.items()),
    ).where(*scope_where(principal, community, Elder.resident), Elder.active.eq(True)).first()
    return {"elders": row["elders"], **{name: int(row[name] or 0) for name in figures}}
