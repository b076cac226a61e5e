"""报名 residents signing up for the occurrences of an activity that takes sign-ups, within its capacity.

An activity takes sign-ups when staff set ``signups_open``; ``signup_capacity`` caps the sign-ups of
each occurrence (``None``: no cap). The count and the insert run in one transaction under a lock per
occurrence, so that concurrent sign-ups never pass the capacity (see docs/plugins.md, *Transactions
and concurrency*).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from meihao.access.audit import audit
from meihao.db.transactions import transaction
from meihao.errors import Conflict, InvalidInput, NotFound
from meihao.register.tables import Resident
from meihao.reminders.activities import activity_calendar, activity_occurrences, get_activity, occurrence_start
from meihao.reminders.tables import Activity, ActivitySignup

if TYPE_CHECKING:
    from meihao.access.principals import Principal
    from meihao.runtime import Meihao

#: How far ahead a resident sees (and may sign up for) occurrences.
AHEAD = timedelta(days=60)
#: At most this many coming occurrences per activity on a resident's page.
OCCURRENCES_SHOWN = 4
#: The lock name of an occurrence's sign-ups (its key: ``"<activity id>:<occurrence>"``).
LOCK = "meihao.activity_signup"


async def _resident(resident_id: int) -> dict[str, Any]:
    row = await Resident.select(Resident.id, Resident.community).where(Resident.id == resident_id).first()
    if row is None:
        raise NotFound(f"resident {resident_id} not found")
    return row


async def _coming(mh: Meihao, activity: dict[str, Any]) -> list[dict[str, Any]]:
    now = mh.clock.now()
    working = await activity_calendar(mh, activity)
    return activity_occurrences(activity, now, now + AHEAD, limit=OCCURRENCES_SHOWN, calendar=working)


async def _open_activity(mh: Meihao, resident: dict[str, Any], activity_id: int) -> dict[str, Any]:
    """The activity, if the resident may sign up for it: scheduled, taking sign-ups, in their community (404 otherwise)."""
    try:
        activity = await get_activity(activity_id)
    except NotFound:
        raise NotFound(f"activity {activity_id} not found") from None
    if activity["community"] != resident["community"] or activity["status"] != "scheduled" or not activity["signups_open"]:
        raise NotFound(f"activity {activity_id} not found")
    return activity


async def _taken(activity_id: int, occurrence: str) -> int:
    return await ActivitySignup.count().where(ActivitySignup.activity == activity_id, ActivitySignup.occurrence == occurrence)


async def sign_up(mh: Meihao, who: Principal, resident_id: int, activity_id: int, occurrence: str) -> dict[str, Any]:
    """Sign the resident up for one coming occurrence; ``created`` False when they already were.

    Refused with :class:`Conflict` (field ``occurrence``) when the occurrence is full. ``who`` did it
    (the resident through their link, or staff for them): written to the audit log.
    """
    resident = await _resident(resident_id)
    activity = await _open_activity(mh, resident, activity_id)
    occurrences = {o["key"]: o for o in await _coming(mh, activity)}
    if occurrence not in occurrences:
        raise InvalidInput("occurrence: not a coming date of this activity", field="occurrence")
    capacity = activity["signup_capacity"]
    async with transaction(mh, lock=(LOCK, f"{activity_id}:{occurrence}")):
        mine = (ActivitySignup.activity == activity_id, ActivitySignup.occurrence == occurrence, ActivitySignup.resident == resident_id)
        if await ActivitySignup.exists().where(*mine):
            return {"created": False, "taken": await _taken(activity_id, occurrence), "capacity": capacity}
        taken = await _taken(activity_id, occurrence)
        if capacity is not None and taken >= capacity:
            raise Conflict(f"occurrence: full, all {capacity} places are taken", field="occurrence")
        await ActivitySignup.insert(
            ActivitySignup(activity=activity_id, occurrence=occurrence, resident=resident_id, created_at=mh.clock.now())
        )
        await audit(who, "meihao.activity.signup", "resident", resident_id, community_id=resident["community"],
                    detail={"activity": activity_id, "occurrence": occurrence})
    return {"created": True, "taken": taken + 1, "capacity": capacity}


async def cancel_signup(mh: Meihao, who: Principal, resident_id: int, activity_id: int, occurrence: str, *, reason: str = "") -> None:
    """Cancel the resident's sign-up for an occurrence (404 when there is none); audited (with staff's ``reason``)."""
    resident = await _resident(resident_id)
    async with transaction(mh, lock=(LOCK, f"{activity_id}:{occurrence}")):
        removed = await ActivitySignup.delete().where(
            ActivitySignup.activity == activity_id, ActivitySignup.occurrence == occurrence, ActivitySignup.resident == resident_id
        ).returning(ActivitySignup.id)
        if not removed:
            raise NotFound("sign-up not found")
        await audit(who, "meihao.activity.signup_cancel", "resident", resident_id, community_id=resident["community"],
                    reason=reason, detail={"activity": activity_id, "occurrence": occurrence})


async def open_activities(mh: Meihao, resident_id: int) -> list[dict[str, Any]]:
    """The activities of the resident's community that take sign-ups, each with its coming occurrences:
    places taken, the capacity, and whether this resident signed up."""
    resident = await _resident(resident_id)
    rows = await Activity.select(Activity.id).where(
        Activity.community == resident["community"], Activity.status == "scheduled", Activity.signups_open.eq(True)
    ).order_by(Activity.starts_at)
    found = []
    for row in rows:
        activity = await get_activity(row["id"])
        coming = await _coming(mh, activity)
        if not coming:
            continue
        keys = [o["key"] for o in coming]
        counts: dict[str, int] = {}
        mine: set[str] = set()
        for signup in await ActivitySignup.select(ActivitySignup.occurrence, ActivitySignup.resident).where(
            ActivitySignup.activity == activity["id"], ActivitySignup.occurrence.is_in(keys)
        ):
            counts[signup["occurrence"]] = counts.get(signup["occurrence"], 0) + 1
            if signup["resident"] == resident_id:
                mine.add(signup["occurrence"])
        occurrences = []
        for o in coming:
            taken = counts.get(o["key"], 0)
            full = activity["signup_capacity"] is not None and taken >= activity["signup_capacity"]
            occurrences.append({**o, "taken": taken, "full": full, "mine": o["key"] in mine})
        found.append({"activity": activity, "occurrences": occurrences})
    return found


async def signups_of(activity_id: int, residents_in_scope: Any | None) -> list[dict[str, Any]]:
    """The sign-ups of an activity, oldest first; ``residents_in_scope`` (a sub-select of resident ids, or
    ``None`` for the whole street) keeps out the residents the caller cannot read."""
    query = ActivitySignup.select(
        ActivitySignup.id,
        ActivitySignup.occurrence,
        ActivitySignup.resident.as_alias("resident_id"),
        ActivitySignup.resident.name.as_alias("resident_name"),
        ActivitySignup.created_at,
    ).where(ActivitySignup.activity == activity_id)
    if residents_in_scope is not None:
        query = query.where(ActivitySignup.resident.is_in(residents_in_scope))
    return await query.order_by(ActivitySignup.occurrence).order_by(ActivitySignup.id)


def _scope(principal: Principal, activity: dict[str, Any]) -> Any | None:
    """The residents ``principal`` reads in the activity's community (a sub-select), or None for the whole street."""
    return None if principal.street else principal.residents_in(activity["community"])


async def signup_sheet(mh: Meihao, principal: Principal, activity: dict[str, Any]) -> list[dict[str, Any]]:
    """Staff's view of an activity's sign-ups, per occurrence: the coming occurrences (as residents see them) and
    every other occurrence someone signed up for, oldest first. Each has its ``key``, ``starts_at`` (moved by
    the holiday policy where it is coming), ``current`` (still a date of the activity), ``taken`` (every
    sign-up: what residents see against the capacity), and ``signups``: those of the residents in
    ``principal``'s scope only (``id``, ``resident_id``, ``resident_name``, ``grid_name``, ``created_at``)."""
    coming = {o["key"]: o for o in await _coming(mh, activity)}
    totals = {r["occurrence"]: r["n"] for r in await ActivitySignup.raw(
        "SELECT occurrence, COUNT(*) AS n FROM meihao_activity_signup WHERE activity = {} GROUP BY occurrence", activity["id"])}
    query = ActivitySignup.select(
        ActivitySignup.id,
        ActivitySignup.occurrence,
        ActivitySignup.resident.as_alias("resident_id"),
        ActivitySignup.resident.name.as_alias("resident_name"),
        ActivitySignup.resident.grid.name.as_alias("grid_name"),
        ActivitySignup.created_at,
    ).where(ActivitySignup.activity == activity["id"])
    scope = _scope(principal, activity)
    if scope is not None:
        query = query.where(ActivitySignup.resident.is_in(scope))
    mine: dict[str, list[dict[str, Any]]] = {}
    for row in await query.order_by(ActivitySignup.occurrence).order_by(ActivitySignup.id):
        mine.setdefault(row["occurrence"], []).append(row)
    sheet = []
    for key in sorted(set(coming) | set(totals)):
        found = coming.get(key)
        sheet.append({
            "key": key, "starts_at": found["starts_at"] if found else occurrence_start(key), "current": found is not None,
            "moved_from": found["moved_from"] if found else None, "taken": totals.get(key, 0), "signups": mine.get(key, []),
        })
    return sheet


async def cancel_signup_for(mh: Meihao, principal: Principal, activity: dict[str, Any], signup_id: int, reason: str) -> dict[str, Any]:
    """Staff cancel a resident's sign-up on their behalf, with a reason (audited). A sign-up of a resident outside
    ``principal``'s scope is NotFound, as if it did not exist. Returns the sign-up as it was (``id``, ``occurrence``,
    ``resident``, ``resident_name``, ``created_at``)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason: say why the sign-up is cancelled", field="reason")
    if len(reason) > 200:
        raise InvalidInput(f"reason: at most 200 characters, got {len(reason)}", field="reason")
    query = ActivitySignup.select(
        ActivitySignup.id, ActivitySignup.occurrence, ActivitySignup.resident, ActivitySignup.resident.name.as_alias("resident_name"),
        ActivitySignup.created_at,
    ).where(ActivitySignup.id == signup_id, ActivitySignup.activity == activity["id"])
    scope = _scope(principal, activity)
    if scope is not None:
        query = query.where(ActivitySignup.resident.is_in(scope))
    row = await query.first()
    if row is None:
        raise NotFound("sign-up not found")
    await cancel_signup(mh, principal, row["resident"], activity["id"], row["occurrence"], reason=reason)
    return row


async def has_signups(activity_id: int) -> bool:
    """Whether anyone ever signed up (an activity that stopped taking sign-ups still has its list)."""
    return await ActivitySignup.exists().where(ActivitySignup.activity == activity_id)
