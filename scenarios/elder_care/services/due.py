"""Who is due for a visit, in the caller's scope: the console's lists, cards and queue, and concerns to follow up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from meihao import CommunityInfo, Principal, community_today, scope_where
from meihao.tables import StaffAssignment

from ..schemas import ElderOut
from ..tables import Elder, Visit
from .common import _elder_select, count_if, elders_in_scope, settings_of
from .register import present

#: "Due soon": the next visit falls within this many days after today (the queue's yellow, the list's third part).
SOON_DAYS = 3


@dataclass(frozen=True)
class DueElders:
    """An elder list in three parts, most urgent first (each ordered by due date, then register number)."""

    overdue: list[ElderOut]
    today: list[ElderOut]
    soon: list[ElderOut]


def _scoped(principal: Principal, community: CommunityInfo) -> list[Any]:
    return [*scope_where(principal, community, Elder.resident), Elder.active.eq(True)]


async def due_elders(mh: Any, principal: Principal, community: CommunityInfo, *, soon_days: int = SOON_DAYS,
                     only: Any = None) -> DueElders:
    """Active elders the caller reaches whose visit is overdue, due today, or due within ``soon_days``
    (and, when given, who match the WHERE clause ``only``)."""
    today = community_today(mh, community)
    rows = await _elder_select().where(
        *_scoped(principal, community), Elder.next_due_on <= today + timedelta(days=soon_days), *([only] if only is not None else [])
    ).order_by(Elder.next_due_on).order_by(Elder.id)
    if not rows:  # no elder due (a queue, usually): no settings to read
        return DueElders(overdue=[], today=[], soon=[])
    settings = await settings_of(mh, community)
    elders = [present(r, settings, today, sensitive=False) for r in rows]  # the lists show none of the sensitive fields
    return DueElders(
        overdue=[e for e in elders if e.plan.next_due_on < today],
        today=[e for e in elders if e.plan.next_due_on == today],
        soon=[e for e in elders if e.plan.next_due_on > today],
    )


async def due_counts(mh: Any, principal: Principal, community: CommunityInfo, *, soon_days: int = SOON_DAYS) -> dict[str, int]:
    """How many of the elders the caller reaches are overdue, due today and due soon (counted in SQL, one query)."""
    today = community_today(mh, community)
    row = await Elder.select(
        count_if(Elder.next_due_on < today, "overdue"), count_if(Elder.next_due_on == today, "today"),
        count_if(Elder.next_due_on > today, "soon"),
    ).where(*_scoped(principal, community), Elder.next_due_on <= today + timedelta(days=soon_days)).first()
    return {key: int((row or {}).get(key) or 0) for key in ("overdue", "today", "soon")}


async def concerns(mh: Any, principal: Principal, community: CommunityInfo, *, days: int = 30, limit: int = 100) -> list[dict[str, Any]]:
    """Visits of the last ``days`` days that found a concern or asked for a follow-up, latest first.

    Only what every reader of a visit sees (the count of concerns, whether to follow up): the
    findings and notes stay on the elder's page, behind ``elder_care.visit.notes.read``.
    """
    rows = await Visit.select(
        Visit.id, Visit.elder, Visit.visited_at, Visit.method, Visit.concerns, Visit.follow_up_needed,
        Visit.elder.resident.name.as_alias("name"),
    ).where(*_concerns_where(mh, principal, community, days)).order_by(Visit.visited_at, ascending=False).limit(limit)
    return rows


async def concern_count(mh: Any, principal: Principal, community: CommunityInfo, *, days: int = 30) -> int:
    """How many visits of the last ``days`` days found a concern or asked for a follow-up (all of them: :func:`concerns` lists the latest)."""
    return await Visit.count().where(*_concerns_where(mh, principal, community, days))


def _concerns_where(mh: Any, principal: Principal, community: CommunityInfo, days: int) -> list[Any]:
    since = community_today(mh, community) - timedelta(days=days)
    return [
        Visit.elder.is_in(elders_in_scope(principal, community)),
        (Visit.concerns > 0) | Visit.follow_up_needed.eq(True),
        Visit.visited_at >= _start_of(since, community),
    ]


def _start_of(day: date, community: CommunityInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=community.tz)


async def responsible_due(mh: Any, principal: Principal, community: CommunityInfo, *, soon_days: int = SOON_DAYS) -> list[ElderOut]:
    """The due elders (overdue, today, soon) whose visits fall to the caller: they are the responsible visitor,
    or nobody is and they are a grid worker of the elder's grid (whom the overdue check reminds then)."""
    if principal.staff_id is None:
        return []
    own_grids = [
        r["grid"] for r in await StaffAssignment.select(StaffAssignment.grid).where(
            StaffAssignment.staff == principal.staff_id, StaffAssignment.role == "grid_worker"
        )
    ]
    # Chosen in SQL: the street's admin, responsible for nobody, reads no elder at all.
    theirs = Elder.visitor_staff == principal.staff_id
    if own_grids:
        theirs = theirs | (Elder.visitor_staff.is_null() & Elder.visitor_resident.is_null() & Elder.resident.grid.is_in(own_grids))
    due = await due_elders(mh, principal, community, soon_days=soon_days, only=theirs)
    return [*due.overdue, *due.today, *due.soon]
