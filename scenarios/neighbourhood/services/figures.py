"""The dashboard's figures: motions raised, passed and resolved, meetings this month, attendance rate, festival participants."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from meihao import CommunityInfo, Meihao, community_today

from ..tables import Attendance, FestivalSignup, Meeting, Member, Motion
from .follow_up import carried_out


async def figures(mh: Meihao, community: CommunityInfo) -> dict[str, Any]:
    today = community_today(mh, community)
    first = today.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    since, until = datetime.combine(first, time(), community.tz), datetime.combine(nxt, time(), community.tz)
    motions = Motion.community == community.id
    held = await Meeting.select(Meeting.id, Meeting.body, Meeting.starts_at).where(
        Meeting.community == community.id, Meeting.state == "held", Meeting.starts_at >= since, Meeting.starts_at < until)
    expected = present = 0
    for m in held:
        if m["body"] is None:
            continue
        day = m["starts_at"].astimezone(community.tz).date()
        expected += await Member.count().where(Member.body == m["body"], Member.term_start <= day, Member.term_end >= day)
        present += await Attendance.count().where(Attendance.meeting == m["id"])
    return {
        "raised": await Motion.count().where(motions),
        "passed": await Motion.count().where(motions, Motion.state.is_in(["passed", "resolved"])),
        "resolved": await Motion.count().where(motions, Motion.state == "resolved"),
        "carried_out": await carried_out(community),
        "meetings": len(held),
        "attendance_rate": None if expected == 0 else round(100 * present / expected, 1),
        "festival": await FestivalSignup.count().where(FestivalSignup.event.community == community.id, FestivalSignup.role == "participant"),
    }
