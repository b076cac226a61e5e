"""The work-item API for scenes: open an item, move it through its workflow, assign it, extend a clock, read and list it.

Every function takes the caller (a :class:`~meihao.Principal`) and the community, and finds the
item through :func:`item_scope`: an item outside the caller's scope is a 404 exactly like a
missing one. Every change is one transaction holding the item's lock
(``transaction(lock=("workitems.item", id))``), records an event in the item's history (who,
when, why) and rebuilds the clocks from that history, so two people moving one item at once
take turns and the second sees the first one's state.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from piccolo.query.functions.aggregate import Count

from meihao.access.principals import Principal
from meihao.db.database import count_if
from meihao.db.paging import PageResult, paginate
from meihao.db.transactions import transaction
from meihao.errors import Conflict, InvalidInput, NotFound
from meihao.register.communities import get_community
from meihao.register.schemas import CommunityInfo
from meihao.register.scopes import scoped_staff
from meihao.register.tables import Department, Grid
from meihao.workitems.clocks import FLAG_ORDER, flag
from meihao.workitems.deadlines import history, recompute
from meihao.workitems.tables import WorkItem, WorkItemClock, WorkItemEvent
from meihao.workitems.workflows import Duration, Workflow

if TYPE_CHECKING:
    from meihao.runtime import Meihao

ITEM_COLUMNS = (
    WorkItem.id, WorkItem.scenario, WorkItem.workflow, WorkItem.community, WorkItem.kind, WorkItem.subject_table,
    WorkItem.subject_id, WorkItem.assignee, WorkItem.grid, WorkItem.department, WorkItem.title, WorkItem.state,
    WorkItem.paused, WorkItem.final, WorkItem.opened_at, WorkItem.closed_at,
)


# -- scope -------------------------------------------------------------------------------


def item_scope(principal: Principal, community_id: int) -> list[Any]:
    """WHERE clauses: the items of ``community_id`` that ``principal`` may see.

    The street and the community's admins see all of them; grid staff see the items of their
    grids; anyone sees the items assigned to them; department staff (and dispatched staff) see
    the items sent to their department (``WorkItem.department``). This is the one place to
    widen or narrow who sees work items (governance's 派单 to departments adds its rules here).
    """
    clauses: list[Any] = [WorkItem.community == community_id]
    if principal.street or community_id in principal.community_ids:
        return clauses
    reach = None
    for clause in (
        WorkItem.grid.is_in(sorted(principal.grid_ids)) if principal.grid_ids else None,
        WorkItem.department.is_in(sorted(principal.department_ids)) if principal.department_ids else None,
        WorkItem.assignee == principal.staff_id if principal.staff_id is not None else None,
    ):
        if clause is not None:
            reach = clause if reach is None else reach | clause
    return [*clauses, reach if reach is not None else WorkItem.id.is_null()]


async def _community(community: CommunityInfo | str) -> CommunityInfo:
    return await get_community(community) if isinstance(community, str) else community


async def _item(principal: Principal, community: CommunityInfo, item_id: int, workflow: Workflow | None = None) -> dict[str, Any]:
    """The item, if the caller's scope reaches it and (``workflow`` given) it is that workflow's: a scene
    never reaches another scene's items through an id in its own routes; else the 404 of a missing item."""
    clauses = item_scope(principal, community.id)
    if workflow is not None:
        clauses += [WorkItem.scenario == workflow.scenario, WorkItem.workflow == workflow.name]
    row = await WorkItem.select(*ITEM_COLUMNS).where(WorkItem.id == item_id, *clauses).first()
    if row is None:
        raise NotFound(f"work item {item_id} not found")
    return row


def _event(item_id: int, principal: Principal, action: str, at: datetime, **fields: Any) -> WorkItemEvent:
    return WorkItemEvent(item=item_id, at=at, staff=principal.staff_id, actor=principal.name, action=action, **fields)


# -- changes -----------------------------------------------------------------------------


async def open_item(
    mh: Meihao,
    principal: Principal,
    workflow: Workflow,
    community: CommunityInfo | str,
    *,
    kind: str = "",
    title: str = "",
    subject: tuple[str, int] | None = None,
    assignee: int | None = None,
    grid: int | None = None,
    department: str | None = None,
    durations: dict[str, Duration] | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """Open a work item in ``workflow.initial``, its clocks set from ``workflow`` (``durations`` overrides
    a clock's length for this item: a deadline the 12345 platform gave). ``subject`` is the scene's
    record (``("service_request", 17)``); ``assignee`` a staff member working in the community
    (``field`` ``assignee``); ``grid`` one of the community's grids in the caller's scope; ``department``
    a department's code. Returns the item as :func:`get_work_item` does."""
    info = await _community(community)
    if not principal.reaches_community(info.id):
        raise NotFound(f"community {info.slug!r} not found")
    if workflow.scenario not in mh.plugins.scenarios:  # its notices go out under the scenario's scene
        raise InvalidInput(f"workflow: {workflow.scenario!r} is not an installed scenario", field="workflow")
    unknown = sorted(set(durations or {}) - {c.name for c in workflow.clocks})
    if unknown:
        raise InvalidInput(f"durations: {unknown[0]!r} is not a clock of {workflow.scenario}.{workflow.name}", field="durations")
    if grid is not None and not await Grid.exists().where(
        Grid.id == grid, Grid.community == info.id, *principal.where(Grid.community, Grid.id)
    ):
        raise NotFound(f"grid: grid {grid} not found", field="grid")
    if assignee is not None:
        await scoped_staff(principal, info, assignee, field="assignee")
    department_id = None
    if department is not None:
        row = await Department.select(Department.id).where(Department.code == department).first()
        if row is None:
            raise NotFound(f"department: department {department!r} not found", field="department")
        department_id = row["id"]
    now = mh.clock.now()
    async with transaction(mh):
        item = WorkItem(
            scenario=workflow.scenario, workflow=workflow.name, community=info.id, kind=kind, title=title[:200],
            subject_table=subject[0] if subject else "", subject_id=subject[1] if subject else None,
            assignee=assignee, grid=grid, department=department_id, state=workflow.initial,
            paused=workflow.initial in workflow.pause, final=False, opened_at=now,
        )
        await item.save()
        await WorkItemEvent.insert(_event(item.id, principal, "open", now, to_state=workflow.initial, reason=reason,
                                          detail={"assignee": assignee} if assignee else {}))
        clocks = []
        for clock in workflow.clocks:
            length = (durations or {}).get(clock.name) or clock.duration_for(kind)
            clocks.append(WorkItemClock(item=item.id, name=clock.name, working_days=length.working_days,
                                        working_hours=length.working_hours, by_close=length.by_close))
        if clocks:
            await WorkItemClock.insert(*clocks)
        await recompute(mh, workflow, {"id": item.id, "community": info.id, "final": False}, now)
    return await get_work_item(mh, principal, info, item.id, workflow=workflow)


async def transition_item(
    mh: Meihao,
    principal: Principal,
    workflow: Workflow,
    community: CommunityInfo | str,
    item_id: int,
    target: str,
    *,
    reason: str = "",
    expected: str | None = None,
) -> dict[str, Any]:
    """Move the item to ``target`` if its workflow allows it from the item's current state.

    ``expected`` is the state the caller saw (a form's hidden field): when the item moved on
    meanwhile (someone else signed it first) the answer is :class:`~meihao.Conflict` naming who
    moved it, and nothing changes. A move the workflow does not have is :class:`~meihao.InvalidInput`
    (``field`` ``state``) naming the moves there are; a closed item is a Conflict; a transition with a
    ``permission`` is checked on the caller; one that needs a reason refuses an empty one."""
    info = await _community(community)
    now = mh.clock.now()
    async with transaction(mh, lock=("workitems.item", item_id)):
        item = await _item(principal, info, item_id, workflow)
        if expected is not None and item["state"] != expected:
            last = (await history(item_id))[-1]
            raise Conflict(
                f"state: work item {item_id} is {item['state']!r} now, not {expected!r} "
                f"({last['actor'] or 'someone'} changed it at {last['at'].astimezone(info.tz):%Y-%m-%d %H:%M})",
                field="state",
            )
        if item["final"]:
            raise Conflict(f"state: work item {item_id} is closed ({item['state']!r}); it cannot change any more", field="state")
        move = workflow.transition(item["state"], target)
        if move is None:
            allowed = sorted(t.target for t in workflow.transitions if t.source == item["state"])
            raise InvalidInput(
                f"state: work item {item_id} cannot go from {item['state']!r} to {target!r}; "
                f"from {item['state']!r} it may go to {', '.join(repr(a) for a in allowed) or 'nowhere'}",
                field="state",
            )
        if move.permission:
            principal.require(move.permission)
        if move.reason and not reason.strip():
            raise InvalidInput(f"reason: going from {item['state']!r} to {target!r} needs a reason", field="reason")
        final = target in workflow.final
        await WorkItem.update({
            WorkItem.state: target, WorkItem.paused: target in workflow.pause, WorkItem.final: final,
            WorkItem.closed_at: now if final else None,
        }).where(WorkItem.id == item_id)
        await WorkItemEvent.insert(_event(item_id, principal, "transition", now, from_state=item["state"], to_state=target,
                                          reason=reason.strip()))
        await recompute(mh, workflow, {**item, "final": final}, now)
    return await get_work_item(mh, principal, info, item_id, workflow=workflow)


async def assign_item(
    mh: Meihao, principal: Principal, workflow: Workflow, community: CommunityInfo | str, item_id: int, staff_id: int | None, *,
    reason: str = "",
) -> dict[str, Any]:
    """Hand the item to ``staff_id`` (someone working in the community; None: to nobody), recorded in its history.

    Escalations reach whoever is the assignee when they fire. The answer is the item as changed, even
    when the hand-over took it out of the caller's scope."""
    info = await _community(community)
    if staff_id is not None:
        await scoped_staff(principal, info, staff_id, field="assignee")
    now = mh.clock.now()
    async with transaction(mh, lock=("workitems.item", item_id)):
        item = await _item(principal, info, item_id, workflow)
        if item["final"]:
            raise Conflict(f"assignee: work item {item_id} is closed ({item['state']!r}); it cannot be handed over", field="assignee")
        await WorkItem.update({WorkItem.assignee: staff_id}).where(WorkItem.id == item_id)
        await WorkItemEvent.insert(_event(item_id, principal, "assign", now, from_state=item["state"], to_state=item["state"],
                                          reason=reason.strip(), detail={"from": item["assignee"], "to": staff_id}))
    # Handing an item over can take it out of the caller's sight (a grid worker passing on an item of
    # no grid): the answer is still the item they just changed.
    return await get_work_item(mh, Principal.system(principal.name), info, item_id, workflow=workflow)


async def extend_item(
    mh: Meihao,
    principal: Principal,
    workflow: Workflow,
    community: CommunityInfo | str,
    item_id: int,
    clock: str,
    length: Duration,
    *,
    reason: str,
) -> dict[str, Any]:
    """Extend a running clock by ``length`` (in the clock's own unit), with a reason (延期).

    At most ``max_extensions`` per clock and item (the workflow's, else the setting
    ``workitem_max_extensions``), each at most ``max_extension`` long (else the settings
    ``workitem_max_extension_working_days`` / ``_hours``). A clock that stopped, has not started
    or is paused cannot be extended."""
    info = await _community(community)
    if not reason.strip():
        raise InvalidInput("reason: an extension needs a reason (延期理由)", field="reason")
    declared = workflow.clock(clock)
    if declared is None:
        raise InvalidInput(f"clock: {clock!r} is not a clock of {workflow.scenario}.{workflow.name}", field="clock")
    settings = mh.settings
    most = workflow.max_extensions if workflow.max_extensions is not None else settings.workitem_max_extensions
    now = mh.clock.now()
    async with transaction(mh, lock=("workitems.item", item_id)):
        item = await _item(principal, info, item_id, workflow)
        row = await WorkItemClock.select().where(WorkItemClock.item == item_id, WorkItemClock.name == clock).first()
        if item["final"] or row["stopped_at"] is not None:
            raise Conflict(f"clock: the {clock} clock of work item {item_id} has stopped; there is nothing to extend", field="clock")
        if row["started_at"] is None or row["due_at"] is None:
            raise Conflict(f"clock: the {clock} clock of work item {item_id} is not running (not started, or paused)", field="clock")
        if row["extensions"] >= most:
            raise Conflict(
                f"clock: the {clock} clock of work item {item_id} was extended {row['extensions']} time(s), the most allowed ({most})",
                field="clock",
            )
        if row["working_days"] is not None:
            cap = workflow.max_extension.working_days if workflow.max_extension else settings.workitem_max_extension_working_days
            amount, unit = length.working_days, "working_days"
        else:
            cap = workflow.max_extension.working_hours if workflow.max_extension else settings.workitem_max_extension_working_hours
            amount, unit = length.working_hours, "working_hours"
        if amount is None:
            raise InvalidInput(f"length: the {clock} clock counts {unit.replace('_', ' ')}; give the extension in {unit}", field="length")
        if not 0 < amount <= (cap or 0):
            raise InvalidInput(f"length: an extension is more than 0 and at most {cap:g} {unit.replace('_', ' ')}, got {amount:g}",
                               field="length")
        await WorkItemEvent.insert(_event(item_id, principal, "extend", now, from_state=item["state"], to_state=item["state"],
                                          reason=reason.strip(), detail={"clock": clock, unit: amount}))
        await recompute(mh, workflow, item, now)
    return await get_work_item(mh, principal, info, item_id, workflow=workflow)


# -- reading -----------------------------------------------------------------------------


async def get_work_item(
    mh: Meihao, principal: Principal, community: CommunityInfo | str, item_id: int, *, workflow: Workflow | None = None,
) -> dict[str, Any]:
    """The item with its ``clocks`` (each with its ``flag``), its ``flag`` (its worst clock's) and its ``history``.

    A scene passes its ``workflow`` so that an id of another scene's item is a 404 in its routes."""
    info = await _community(community)
    item = await _item(principal, info, item_id, workflow)
    clocks = await item_deadlines(mh, principal, info, item_id)
    return {**item, "clocks": clocks, "flag": _worst(c["flag"] for c in clocks), "history": await history(item_id)}


async def item_deadlines(
    mh: Meihao, principal: Principal, community: CommunityInfo | str, item_id: int, *, workflow: Workflow | None = None,
) -> list[dict[str, Any]]:
    """Each clock of the item: ``name``, ``working_days``/``working_hours``/``by_close``, ``started_at``,
    ``stopped_at``, ``due_at``, ``yellow_at``, ``paused_seconds``, ``extensions`` and its ``flag`` now
    (``met``, ``met_late``, ``waiting``, ``paused``, ``green``, ``yellow`` or ``red``)."""
    info = await _community(community)
    await _item(principal, info, item_id, workflow)
    now = mh.clock.now()
    rows = await WorkItemClock.select(
        WorkItemClock.name, WorkItemClock.working_days, WorkItemClock.working_hours, WorkItemClock.by_close,
        WorkItemClock.started_at, WorkItemClock.stopped_at, WorkItemClock.due_at, WorkItemClock.yellow_at,
        WorkItemClock.paused_seconds, WorkItemClock.extensions,
    ).where(WorkItemClock.item == item_id).order_by(WorkItemClock.id)
    return [{**row, "flag": flag(row, now)} for row in rows]


def _worst(flags: Any) -> str:
    return max(flags, key=FLAG_ORDER.index, default="met")


def _running(*clauses: Any) -> Any:
    """The items with a running clock (started, not stopped, with a due time) matching ``clauses``."""
    return WorkItemClock.select(WorkItemClock.item).where(WorkItemClock.stopped_at.is_null(), WorkItemClock.due_at.is_not_null(), *clauses)


def _flag_condition(flag: str, now: datetime) -> Any:
    """The WHERE condition of the items flagged ``flag`` at ``now``: red, a running clock past its due time; yellow, a
    running clock past its yellow time and none past its due time. The one definition the lists and the counts share."""
    if flag == "red":
        return WorkItem.id.is_in(_running(WorkItemClock.due_at <= now))
    if flag == "yellow":
        return WorkItem.id.is_in(_running(WorkItemClock.yellow_at <= now)) & WorkItem.id.not_in(_running(WorkItemClock.due_at <= now))
    raise InvalidInput(f"flag: choose yellow or red, not {flag!r}", field="flag")


def _filters(principal: Principal, community_id: int, now: datetime, *, scenario: str | None, workflow: str | None, state: str | None,
             flag_is: str | None, assignee: int | None, open_only: bool) -> list[Any]:
    clauses = item_scope(principal, community_id)
    if scenario is not None:
        clauses.append(WorkItem.scenario == scenario)
    if workflow is not None:
        clauses.append(WorkItem.workflow == workflow)
    if state is not None:
        clauses.append(WorkItem.state == state)
    if assignee is not None:
        clauses.append(WorkItem.assignee == assignee)
    if open_only:
        clauses.append(WorkItem.final.eq(False))
    if flag_is is not None:
        clauses.append(_flag_condition(flag_is, now))
    return clauses


async def list_work_items(
    mh: Meihao,
    principal: Principal,
    community: CommunityInfo | str,
    *,
    scenario: str | None = None,
    workflow: str | None = None,
    state: str | None = None,
    flag: str | None = None,
    assignee: int | None = None,
    open_only: bool = False,
    page: int = 1,
    page_size: int | None = None,
) -> PageResult:
    """The items the caller may see, newest first, a page at a time; ``flag`` ``red`` (a running clock past
    due) or ``yellow`` (past its yellow moment, none past due)."""
    info = await _community(community)
    clauses = _filters(principal, info.id, mh.clock.now(), scenario=scenario, workflow=workflow, state=state, flag_is=flag,
                       assignee=assignee, open_only=open_only)
    query = WorkItem.select(*ITEM_COLUMNS).where(*clauses).order_by(WorkItem.opened_at, ascending=False).order_by(
        WorkItem.id, ascending=False)
    return await paginate(mh, query, page=page, page_size=page_size)


async def count_work_items(
    mh: Meihao, principal: Principal, community: CommunityInfo | str, *, scenario: str | None = None, workflow: str | None = None,
    due_by: datetime | None = None,
) -> dict[str, Any]:
    """Counts over the items the caller may see: ``total``, ``open``, ``by_state`` ({state: n}), ``yellow``, ``red``, ``paused``;
    with ``due_by`` also ``due``: open items with a running clock due after now and by ``due_by`` (due today: the day's end).

    One aggregate query whatever the number of items: per state, a ``SUM(CASE …)`` per figure."""
    info = await _community(community)
    now = mh.clock.now()

    is_open = WorkItem.final.eq(False)
    figures = {
        "open": is_open,
        "yellow": _flag_condition("yellow", now),
        "red": _flag_condition("red", now),
        "paused": is_open & WorkItem.paused.eq(True),
    }
    if due_by is not None:
        figures["due"] = is_open & WorkItem.id.is_in(_running(WorkItemClock.due_at > now, WorkItemClock.due_at <= due_by))
    rows = await WorkItem.select(
        WorkItem.state, Count(WorkItem.id, alias="n"), *(count_if(condition, name) for name, condition in figures.items()),
    ).where(*_filters(principal, info.id, now, scenario=scenario, workflow=workflow, state=None, assignee=None, open_only=False,
                      flag_is=None)).group_by(WorkItem.state)
    by_state = {r["state"]: r["n"] for r in rows}
    summed = {name: sum(int(r[name] or 0) for r in rows) for name in figures}
    counts: dict[str, Any] = {"total": sum(by_state.values()), "open": summed.pop("open"), "by_state": dict(sorted(by_state.items())), **summed}
    return counts

