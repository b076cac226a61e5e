"""A resident's data rights in neighbourhood: memberships, seconds, sign-ups and what they raised at evening talks.

Erasure blanks the words they raised (a note about them, in their own words) and keeps the rest:
a membership, a second or a sign-up is a count against the anonymised register entry.
"""

from __future__ import annotations

from typing import Any

from ..tables import FestivalSignup, Member, Raised, Second


async def resident_data(resident_id: int) -> dict[str, Any] | None:
    memberships = await Member.select(Member.body.name.as_alias("body"), Member.role, Member.term_start, Member.term_end).where(
        Member.resident == resident_id).order_by(Member.id)
    seconds = await Second.select(Second.motion.title.as_alias("motion"), Second.at).where(Second.resident == resident_id).order_by(Second.id)
    signups = await FestivalSignup.select(FestivalSignup.event.title.as_alias("event"), FestivalSignup.role).where(
        FestivalSignup.resident == resident_id).order_by(FestivalSignup.id)
    raised = await Raised.select(Raised.text).where(Raised.resident == resident_id).order_by(Raised.id)
    if not (memberships or seconds or signups or raised):
        return None
    return {"memberships": memberships, "seconds": seconds, "festival_signups": signups, "raised": [r["text"] for r in raised]}


async def erase_resident(resident_id: int) -> dict[str, int] | None:
    changed = await Raised.update({Raised.text: "已删除"}).where(Raised.resident == resident_id).returning(Raised.id)
    return {"raised": len(changed)} if changed else None
