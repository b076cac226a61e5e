"""Call-backs (回访) on answered or closed work items, and the 三率 report computed from them in SQL aggregates.

A call-back asks the person who raised the item three things: did the handler get in touch
(是否联系), is the matter solved (是否解决), and are they satisfied (满意 / 基本满意 / 不满意);
or nobody answered (联系不上, not a valid call-back). The 三率 follow district 12345 practice
(sources in docs/workitems.md): over the valid call-backs,

- 响应率 (response rate) = contacted / valid,
- 解决率 (resolution rate) = resolved / valid,
- 满意率 (satisfaction rate) = (满意 + 0.9 × 基本满意) / valid,
- 综合成绩 (composite score) = 0.1 × 响应率 + 0.5 × 解决率 + 0.4 × 满意率, in points out of 100,

and the 按期办结率 (on-time closure rate) = items closed with no clock met late / items that
should be closed (closed, plus open ones with a clock past due). Only an item's latest call-back
counts (a reopened item, 重办, is called back again).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from piccolo.columns.combination import Or
from piccolo.querystring import QueryString

from meihao.access.principals import Principal
from meihao.access.tables import Staff
from meihao.db.transactions import transaction
from meihao.errors import Conflict, InvalidInput
from meihao.register.schemas import CommunityInfo
from meihao.register.tables import Community, Department, Grid
from meihao.workitems.items import _community, _event, _item, item_scope
from meihao.workitems.tables import WorkItem, WorkItemCallback, WorkItemEvent
from meihao.workitems.workflows import Workflow

if TYPE_CHECKING:
    from meihao.runtime import Meihao

#: The answers of a call-back, in the order of the 12345 forms.
CALLBACK_RESULTS: tuple[str, ...] = ("satisfied", "basically_satisfied", "unsatisfied", "unreachable")
#: What a report may be grouped by.
REPORT_DIMENSIONS: tuple[str, ...] = ("community", "grid", "department", "assignee", "month", "kind")

CALLBACK_COLUMNS = (
    WorkItemCallback.id, WorkItemCallback.item, WorkItemCallback.at, WorkItemCallback.staff, WorkItemCallback.actor,
    WorkItemCallback.result, WorkItemCallback.contacted, WorkItemCallback.resolved, WorkItemCallback.note, WorkItemCallback.latest,
)


async def record_callback(
    mh: Meihao,
    principal: Principal,
    workflow: Workflow,
    community: CommunityInfo | str,
    item_id: int,
    *,
    result: str,
    contacted: bool | None = None,
    resolved: bool | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Record a call-back (回访) on the item: closed, or open in one of ``workflow.callback_in``.

    ``result`` is one of :data:`CALLBACK_RESULTS`; unless it is ``unreachable``, ``contacted`` and
    ``resolved`` are required (the person's answers). The new call-back becomes the item's latest
    (the one the 三率 count), and the item's history gets a ``callback`` event. Returns the call-back.
    The scene moves the item on itself (办结, or 重办 after 不满意)."""
    info = await _community(community)
    if result not in CALLBACK_RESULTS:
        raise InvalidInput(f"result: choose one of {', '.join(CALLBACK_RESULTS)}, not {result!r}", field="result")
    if result == "unreachable":
        contacted = resolved = False
    else:
        for name, value in (("contacted", contacted), ("resolved", resolved)):
            if not isinstance(value, bool):
                raise InvalidInput(f"{name}: say true or false (the person's answer) for a call-back that reached them", field=name)
    now = mh.clock.now()
    async with transaction(mh, lock=("workitems.item", item_id)):
        item = await _item(principal, info, item_id, workflow)
        if not item["final"] and item["state"] not in workflow.callback_in:
            where = ", ".join(repr(s) for s in workflow.callback_in)
            raise Conflict(
                f"state: work item {item_id} is {item['state']!r}; a call-back is recorded once it is closed"
                + (f" or in {where}" if where else ""),
                field="state",
            )
        await WorkItemCallback.update({WorkItemCallback.latest: False}).where(WorkItemCallback.item == item_id)
        row = WorkItemCallback(item=item_id, at=now, staff=principal.staff_id, actor=principal.name, result=result,
                               contacted=bool(contacted), resolved=bool(resolved), note=note.strip(), latest=True)
        await row.save()
        await WorkItemEvent.insert(_event(item_id, principal, "callback", now, from_state=item["state"], to_state=item["state"],
                                          reason=note.strip(), detail={"result": result, "contacted": bool(contacted),
                                                                       "resolved": bool(resolved)}))
    return await WorkItemCallback.select(*CALLBACK_COLUMNS).where(WorkItemCallback.id == row.id).first()


async def item_callbacks(
    mh: Meihao, principal: Principal, community: CommunityInfo | str, item_id: int, *, workflow: Workflow | None = None,
) -> list[dict[str, Any]]:
    """The item's call-backs, oldest first (404 outside the caller's scope, like the item)."""
    info = await _community(community)
    await _item(principal, info, item_id, workflow)
    return await WorkItemCallback.select(*CALLBACK_COLUMNS).where(WorkItemCallback.item == item_id).order_by(
        WorkItemCallback.at).order_by(WorkItemCallback.id)


# -- the 三率 report ----------------------------------------------------------------------


def month_starts(since: datetime, until: datetime) -> list[datetime]:
    """The first moments of the months from ``since``'s month up to ``until``, on ``since``'s wall clock."""
    tz = since.tzinfo
    first = since.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    while starts[-1] < until:
        nxt = (starts[-1].replace(tzinfo=None) + timedelta(days=32)).replace(day=1)
        starts.append(nxt.replace(tzinfo=tz))
    return starts


def _key_sql(by: str | None, since: datetime, until: datetime) -> QueryString:
    if by is None:
        return QueryString("''")
    if by == "month":
        starts = month_starts(since, until)
        parts, args = [], []
        for start, end in zip(starts, starts[1:], strict=False):
            parts.append("WHEN w.opened_at >= {} AND w.opened_at < {} THEN {}")
            args += [start, end, f"{start:%Y-%m}"]
        return QueryString("CASE " + " ".join(parts) + " END", *args)
    return QueryString({"community": "w.community", "grid": "w.grid", "department": "w.department",
                        "assignee": "w.assignee", "kind": "w.kind"}[by])


async def _labels(by: str | None, keys: list[Any]) -> dict[Any, str]:
    table = {"community": Community, "grid": Grid, "department": Department, "assignee": Staff}.get(by or "")
    ids = [k for k in keys if k is not None]
    if table is None or not ids:
        return {}
    return {r["id"]: r["name"] for r in await table.select(table.id, table.name).where(table.id.is_in(ids))}


def _rate(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def work_item_rates(
    mh: Meihao,
    principal: Principal,
    *,
    since: datetime,
    until: datetime,
    scenario: str | None = None,
    workflow: str | None = None,
    communities: list[CommunityInfo | str] | None = None,
    by: str | None = None,
    clock: str | None = None,
    weights: tuple[float, float, float] | None = None,
    basically_satisfied_weight: float | None = None,
) -> list[dict[str, Any]]:
    """The 三率 and the on-time closure rate of the items opened in ``[since, until)`` that the caller may see.

    ``scenario``/``workflow`` narrow the items; ``communities`` (default: every community, each
    through :func:`item_scope`) too. ``by`` groups the rows: ``community``, ``grid``,
    ``department``, ``assignee``, ``kind`` or ``month`` (months on ``since``'s wall clock), or
    None for one row. ``clock`` names the clock whose lateness makes a closure late (default: any
    clock). ``weights`` (响应率, 解决率, 满意率) and ``basically_satisfied_weight`` override the
    settings for this report.

    Each row: ``key`` (the id, month or kind; '' without ``by``), ``label`` (the name of a
    community, grid, department or staff member), the counts ``items``, ``closed``,
    ``closed_on_time``, ``overdue_open``, ``callbacks``, ``valid``, ``contacted``, ``resolved``,
    ``satisfied``, ``basically_satisfied``, ``unsatisfied``, ``unreachable``, and the rates
    ``response_rate``, ``resolution_rate``, ``satisfaction_rate``, ``on_time_rate`` (fractions
    rounded to 4 places, None when there is nothing to divide by) and ``score`` (points out of 100,
    2 places; None without valid call-backs). One aggregate query, whatever the number of items.
    """
    if by is not None and by not in REPORT_DIMENSIONS:
        raise InvalidInput(f"by: choose one of {', '.join(REPORT_DIMENSIONS)}, not {by!r}", field="by")
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since: give moments with a time zone", field="since")
    if until <= since:
        raise InvalidInput("until: must be after since", field="until")
    settings = mh.settings
    w_response, w_resolution, w_satisfaction = weights or (
        settings.workitem_response_weight, settings.workitem_resolution_weight, settings.workitem_satisfaction_weight)
    basic = settings.workitem_basically_satisfied_weight if basically_satisfied_weight is None else basically_satisfied_weight
    if communities is None:
        ids = [r["id"] for r in await Community.select(Community.id)]
    else:
        ids = [(await _community(c)).id for c in communities]
    now = mh.clock.now()
    if principal.street:
        scope = WorkItem.community.is_in(ids) if ids else WorkItem.id.is_null()
    else:
        scope = None
        for cid in ids:
            clause = None
            for part in item_scope(principal, cid):
                clause = part if clause is None else clause & part
            scope = clause if scope is None else Or(scope, clause)
        if scope is None:
            scope = WorkItem.id.is_null()
    scoped = WorkItem.select(WorkItem.id).where(scope).querystrings[0]
    filters, args = ["w.id IN ({})", "w.opened_at >= {}", "w.opened_at < {}"], [scoped, since, until]
    if scenario is not None:
        filters.append("w.scenario = {}")
        args.append(scenario)
    if workflow is not None:
        filters.append("w.workflow = {}")
        args.append(workflow)
    late_clock, late_args = ("AND k.name = {}", [clock]) if clock is not None else ("", [])
    late = QueryString(
        "EXISTS (SELECT 1 FROM meihao_work_item_clock k WHERE k.item = w.id " + late_clock
        + " AND k.due_at IS NOT NULL AND k.stopped_at IS NOT NULL AND k.stopped_at > k.due_at)", *late_args)
    overdue = QueryString(
        "EXISTS (SELECT 1 FROM meihao_work_item_clock k WHERE k.item = w.id " + late_clock
        + " AND k.stopped_at IS NULL AND k.due_at IS NOT NULL AND k.due_at <= {})", *late_args, now)
    valid = "c.id IS NOT NULL AND c.result <> 'unreachable'"
    sql = QueryString(
        "SELECT {} AS key, COUNT(*) AS items,"
        " SUM(CASE WHEN w.final THEN 1 ELSE 0 END) AS closed,"
        " SUM(CASE WHEN w.final AND NOT {} THEN 1 ELSE 0 END) AS closed_on_time,"
        " SUM(CASE WHEN NOT w.final AND {} THEN 1 ELSE 0 END) AS overdue_open,"
        " SUM(CASE WHEN c.id IS NOT NULL THEN 1 ELSE 0 END) AS callbacks,"
        f" SUM(CASE WHEN {valid} THEN 1 ELSE 0 END) AS valid,"
        f" SUM(CASE WHEN {valid} AND c.contacted THEN 1 ELSE 0 END) AS contacted,"
        f" SUM(CASE WHEN {valid} AND c.resolved THEN 1 ELSE 0 END) AS resolved,"
        " SUM(CASE WHEN c.result = 'satisfied' THEN 1 ELSE 0 END) AS satisfied,"
        " SUM(CASE WHEN c.result = 'basically_satisfied' THEN 1 ELSE 0 END) AS basically_satisfied,"
        " SUM(CASE WHEN c.result = 'unsatisfied' THEN 1 ELSE 0 END) AS unsatisfied,"
        " SUM(CASE WHEN c.result = 'unreachable' THEN 1 ELSE 0 END) AS unreachable"
        " FROM meihao_work_item w LEFT JOIN meihao_work_item_callback c ON c.item = w.id AND c.latest"
        " WHERE " + " AND ".join(filters) + " GROUP BY 1 ORDER BY 1",
        _key_sql(by, since, until), late, overdue, *args,
    )
    rows = await WorkItem.raw("{}", sql)
    labels = await _labels(by, [r["key"] for r in rows])
    out = []
    for row in rows:
        counts = {k: int(v or 0) for k, v in row.items() if k != "key"}
        valid_n = counts["valid"]
        response = _rate(counts["contacted"], valid_n)
        resolution = _rate(counts["resolved"], valid_n)
        satisfaction = _rate(counts["satisfied"] + basic * counts["basically_satisfied"], valid_n)
        should_close = counts["closed"] + counts["overdue_open"]
        score = None
        if valid_n:
            score = round(100 * (w_response * counts["contacted"] + w_resolution * counts["resolved"]
                                 + w_satisfaction * (counts["satisfied"] + basic * counts["basically_satisfied"])) / valid_n, 2)
        out.append({
            "key": row["key"] if row["key"] is not None or by not in (None, "month") else "", "label": labels.get(row["key"], ""),
            **counts,
            "response_rate": response, "resolution_rate": resolution, "satisfaction_rate": satisfaction,
            "on_time_rate": _rate(counts["closed_on_time"], should_close), "score": score,
        })
    return out


__all__ = ["CALLBACK_RESULTS", "REPORT_DIMENSIONS", "item_callbacks", "record_callback", "work_item_rates"]
