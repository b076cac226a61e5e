"""Time in a community: its local "now" and "today", read from the kernel's clock (a FakeClock in tests)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from meihao.register.schemas import CommunityInfo
    from meihao.runtime import Meihao


def community_now(mh: Meihao, community: CommunityInfo) -> datetime:
    """Now on the community's wall clock: an aware datetime in its time zone, from ``mh.clock``."""
    return mh.clock.now().astimezone(community.tz)


def community_today(mh: Meihao, community: CommunityInfo) -> date:
    """Today's date in the community (a day starts at its local midnight, not the server's or UTC's)."""
    return community_now(mh, community).date()
