"""What the scene's services share: its name, and a motion found within the caller's scope (council and follow-ups)."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, Principal, scoped_row

from ..tables import Motion

SCENARIO = "neighbourhood"


async def scoped_motion(principal: Principal, community: CommunityInfo, motion_id: int, field: str | None = None) -> dict[str, Any]:
    """The motion's row if the caller reaches its grid; the same 404 as a missing motion otherwise."""
    return await scoped_row(Motion, motion_id, principal, community, via=(Motion.community, Motion.grid), field=field, noun="motion")
