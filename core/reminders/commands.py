"""What staff do to an activity — plan, reschedule, cancel it, cancel one date — with the checks every caller shares.

``POST /api/communities/{slug}/activities`` and the console's activity form (and the other
routes and pages that change an activity) call these, so the two cannot drift apart: the
caller's reach into the community, the audience's reach and its fan-out cap
(:func:`~meihao.reminders.audiences.check_reach`, :func:`~meihao.reminders.audiences.check_fan_out`),
the service's own validation and flood caps (:func:`~meihao.reminders.activities.check_load`),
the change and its audit entry in one transaction, then the reminders planned.

A community outside the caller's scope is :class:`~meihao.errors.Forbidden` (the API's 403 for a
community it names); an activity outside it is :class:`~meihao.errors.NotFound`, as if missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meihao.access.audit import audit
from meihao.errors import Forbidden, InvalidInput
from meihao.register.communities import get_community
from meihao.reminders import activities as activity_service
from meihao.reminders import notices
from meihao.reminders.activities import ActivityIn, ActivityPatch, activity_in_scope
from meihao.reminders.audiences import WHOLE_COMMUNITY, check_fan_out, check_reach, parse_audience

if TYPE_CHECKING:
    from meihao.access.principals import Principal
    from meihao.register.schemas import CommunityInfo
    from meihao.runtime import Meihao

#: The longest reason a cancellation keeps (in the audit log and the notice).
MAX_REASON = 200


async def community_in_reach(slug: str, principal: Principal) -> CommunityInfo:
    """The community, or Forbidden when the caller's scope does not reach it (NotFound when there is none)."""
    community = await get_community(slug)
    if not principal.reaches_community(community["id"]):
        raise Forbidden(f"community {slug!r} is outside your scope")
    return community


async def _check_audience(mh: Meihao, principal: Principal, audience: dict[str, Any], community: CommunityInfo) -> None:
    spec = parse_audience(mh, audience)
    await check_reach(principal, spec, community["id"], WHOLE_COMMUNITY)
    await check_fan_out(mh, principal, spec, community, WHOLE_COMMUNITY)


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters, got {len(reason)}", field="reason")
    if "\x00" in reason:
        raise InvalidInput("reason: must not contain the NUL character", field="reason")
    return reason


async def plan_activity(mh: Meihao, principal: Principal, slug: str, data: ActivityIn) -> dict[str, Any]:
    """Plan an activity in community ``slug`` for ``principal``: reach, audience, validation and flood caps, the row
    and its audit entry, then its reminders planned. Returns the activity."""
    community = await community_in_reach(slug, principal)
    await _check_audience(mh, principal, data.audience, community)
    async with mh.db.transaction():
        row = await activity_service.create_activity(mh, slug, data)
        await audit(principal, "meihao.activity.create", "activity", row["id"], community_id=community["id"])
    return row


async def reschedule_activity(mh: Meihao, principal: Principal, activity_id: int, patch: ActivityPatch) -> dict[str, Any]:
    """Reschedule or correct an activity for ``principal`` (a new audience is checked as on creation); audited."""
    row = await activity_in_scope(activity_id, principal)
    if patch.audience is not None:
        await _check_audience(mh, principal, patch.audience, await get_community(row["community_slug"]))
    async with mh.db.transaction():
        updated = await activity_service.update_activity(mh, activity_id, patch)
        await audit(principal, "meihao.activity.update", "activity", activity_id, community_id=row["community"])
    return updated


async def call_off_activity(mh: Meihao, principal: Principal, activity_id: int, reason: str = "") -> dict[str, Any]:
    """Cancel every coming occurrence and tell those already reminded (:func:`meihao.reminders.notices.cancel_activity`);
    audited, with the reason when one is given."""
    row = await activity_in_scope(activity_id, principal)
    reason = _reason(reason)
    async with mh.db.transaction():
        cancelled = await notices.cancel_activity(mh, activity_id, reason=reason)
        await audit(principal, "meihao.activity.cancel", "activity", activity_id, community_id=row["community"], reason=reason)
    return cancelled


async def call_off_occurrence(mh: Meihao, principal: Principal, activity_id: int, key: str, reason: str = "") -> dict[str, Any]:
    """Cancel one occurrence (by its key) and tell those reminded of it or signed up for it
    (:func:`meihao.reminders.notices.cancel_occurrence`); audited with the occurrence and the reason."""
    row = await activity_in_scope(activity_id, principal)
    reason = _reason(reason)
    async with mh.db.transaction():
        updated = await notices.cancel_occurrence(mh, activity_id, key, reason=reason)
        await audit(principal, "meihao.activity.cancel_occurrence", "activity", activity_id, community_id=row["community"],
                    reason=reason, detail={"occurrence": key})
    return updated
