"""What the culture services share: the scene's name and labels, its settings, the community's clock and the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from meihao import scenario_settings

from ..schemas import CultureSettings

SCENE = "culture"
LEVELS_ZH = {"province": "省级", "city": "市级", "county": "县级", "folk": "民间"}


async def settings_of(mh: Any, community: dict[str, Any]) -> CultureSettings:
    return await scenario_settings(mh, community["id"], SCENE)  # type: ignore[return-value]


def _tz(community: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(community["timezone"])


def local_now(mh: Any, community: dict[str, Any]) -> datetime:
    return mh.clock.now().astimezone(_tz(community))


def _tx(mh: Any) -> Any:
    return mh.db.transaction()
