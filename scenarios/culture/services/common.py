"""What the culture services share: the scene's name and labels, its settings and the transaction."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, scenario_settings

from ..schemas import CultureSettings

SCENE = "culture"
LEVELS_ZH = {"province": "省级", "city": "市级", "district": "区级", "county": "县级", "folk": "民间"}
VILLAGE_KINDS = ("village", "cungaiju")


async def settings_of(mh: Any, community: CommunityInfo) -> CultureSettings:
    return await scenario_settings(mh, community.id, SCENE)  # type: ignore[return-value]


def _tx(mh: Any) -> Any:
    return mh.db.transaction()


def rate(part: int, whole: int) -> float | None:
    """``part ÷ whole`` to four decimals; None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None
