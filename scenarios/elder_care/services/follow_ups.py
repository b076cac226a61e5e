"""Follow-ups asked for by a visit (探访跟进): a kernel work item with a due date, listed and closed here."""

from __future__ import annotations

from typing import Any

from meihao import (
    CommunityInfo,
    DeadlineClock,
    Duration,
    InvalidInput,
    NotFound,
    Principal,
    Transition,
    Workflow,
    item_deadlines,
    list_work_items,
    open_item,
    scoped_staff,
    transition_item,
)

from ..schemas import ElderCareSettings, FollowUpOut
from ..tables import Visit
from .common import SCENARIO, TEAM_ROLES

#: The work item of a follow-up: open until someone reports it done (with what was done, the reason); its one clock
#: runs ``follow_up_working_days`` working days to the close of the day (the community's working calendar).
FOLLOW_UP = Workflow(
    scenario=SCENARIO,
    name="follow_up",
    initial="open",
    transitions=(
        Transition("open", "done", reason=True),
        Transition("open", "cancelled", reason=True),
    ),
    final=("done", "cancelled"),
    clocks=(DeadlineClock("resolution", Duration(working_days=5, by_close=True)),),
)
SUBJECT = "elder_care_visit"


async def open_follow_up(
    mh: Any, principal: Principal, community: CommunityInfo, settings: ElderCareSettings, elder: dict[str, Any], visit_id: int,
) -> int:
    """Open the follow-up's work item for ``visit_id`` (in the caller's transaction), assigned to the elder's responsible
    visitor when that is staff of the team, else to the staff member recording; returns its id."""
    assignee = None
    for candidate in (elder["visitor_staff"], principal.staff_id):
        if candidate is None:
            continue
        try:
            await scoped_staff(principal, community, candidate, "assignee", roles=TEAM_ROLES)
        except NotFound:
            continue
        assignee = candidate
        break
    item = await open_item(
        mh, principal, FOLLOW_UP, community, kind="follow_up",
        # no name in the title: the kernel's escalation notices carry it to the grid leaders and admins
        title=f"探访跟进（老人档案 {elder['id']}）",
        subject=(SUBJECT, visit_id), assignee=assignee, grid=elder["grid_id"],
        durations={"resolution": Duration(working_days=settings.follow_up_working_days, by_close=True)},
        # not the note: it is sensitive (elder_care.visit.notes.read), the item's history is read by its whole scope
    )
    return int(item["id"])


def _out(item: dict[str, Any], elder_of: dict[int, dict[str, Any]]) -> FollowUpOut:
    clock = next((c for c in item["clocks"] if c["name"] == "resolution"), None)
    visit = elder_of.get(item["subject_id"] or 0, {})
    return FollowUpOut(
        id=item["id"], visit_id=item["subject_id"] or 0, elder_id=visit.get("elder", 0), name=visit.get("name", ""),
        state=item["state"], flag=clock["flag"] if clock else "", assignee_id=item["assignee"], opened_at=item["opened_at"],
        due_at=clock["due_at"] if clock else None, closed_at=item["closed_at"],
    )


async def _visits(ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await Visit.select(Visit.id, Visit.elder, Visit.elder.resident.name.as_alias("name")).where(Visit.id.is_in(ids or [0]))
    return {r["id"]: r for r in rows}


async def list_follow_ups(mh: Any, principal: Principal, community: CommunityInfo, *, open_only: bool = True) -> list[FollowUpOut]:
    """The follow-ups the caller may see (the kernel's item scope: grid staff their grids', admins all), newest first."""
    page = await list_work_items(mh, principal, community, scenario=SCENARIO, workflow=FOLLOW_UP.name, open_only=open_only, page_size=200)
    # one clock per item: its deadline and flag (a page of at most 200; the history is not needed here)
    items = [{**row, "clocks": await item_deadlines(mh, principal, community, row["id"], workflow=FOLLOW_UP)} for row in page.rows]
    elders = await _visits([i["subject_id"] for i in items if i["subject_id"]])
    return [_out(i, elders) for i in items]


async def close_follow_up(mh: Any, principal: Principal, community: CommunityInfo, item_id: int, outcome: str, note: str) -> FollowUpOut:
    """Report a follow-up ``done`` or ``cancelled``, saying what was done (the transition's reason, kept in its history)."""
    if outcome not in ("done", "cancelled"):
        raise InvalidInput("outcome: done or cancelled", field="outcome")
    if not note.strip():
        raise InvalidInput("note: say what was done", field="note")
    if len(note) > 2000:
        raise InvalidInput("note: at most 2000 characters", field="note")
    item = await transition_item(mh, principal, FOLLOW_UP, community, item_id, outcome, reason=note.strip(), expected="open")
    return _out(item, await _visits([item["subject_id"] or 0]))
