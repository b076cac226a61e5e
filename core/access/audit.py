"""The audit log: who did what to which record, from where, and why."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from meihao.access.principals import Principal
from meihao.access.tables import AuditLog
from meihao.db.database import json_value
from meihao.db.paging import PageResult, paginate

if TYPE_CHECKING:
    from meihao.runtime import Meihao


async def audit(
    principal: Principal,
    action: str,
    target_type: str = "",
    target_id: Any = "",
    *,
    community_id: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one row to the audit log. Call it inside the transaction of the write it records."""
    import json

    await AuditLog.insert(
        AuditLog(
            staff=principal.staff_id,
            actor=principal.name,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            community=community_id,
            address=principal.address,
            reason=reason,
            detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
        )
    )


def audit_where(
    *, staff_id: int | None = None, action: str | None = None, target_type: str | None = None, target_id: str | None = None,
    since: datetime | None = None, until: datetime | None = None,
) -> list[Any]:
    """The conditions of an audit-log filter (``until`` excluded); no condition for a value not given."""
    clauses: list[Any] = []
    if staff_id is not None:
        clauses.append(AuditLog.staff == staff_id)
    if action:
        clauses.append(AuditLog.action == action)
    if target_type:
        clauses.append(AuditLog.target_type == target_type)
    if target_id:
        clauses.append(AuditLog.target_id == target_id)
    if since:
        clauses.append(AuditLog.at >= since)
    if until:
        clauses.append(AuditLog.at < until)
    return clauses


async def audit_counts(by: str, clauses: list[Any]) -> dict[Any, int]:
    """How many rows matching ``clauses`` each value of ``by`` (``action`` or ``staff``) has, counted in SQL."""
    from piccolo.query.functions.aggregate import Count

    column = {"action": AuditLog.action, "staff": AuditLog.staff}[by]
    query = AuditLog.select(column.as_alias("value"), Count(AuditLog.id).as_alias("n"))
    rows = await (query.where(*clauses) if clauses else query).group_by(column)
    return {r["value"]: r["n"] for r in rows}


async def count_audit(clauses: list[Any]) -> int:
    return await (AuditLog.count().where(*clauses) if clauses else AuditLog.count())


async def audit_rows(clauses: list[Any], batch: int = 1000) -> Any:
    """Every row matching ``clauses``, newest first, read in batches (an export of the whole filter)."""
    before: int | None = None
    while True:
        query = AuditLog.select(
            AuditLog.id, AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.target_type, AuditLog.target_id,
            AuditLog.community.slug.as_alias("community"), AuditLog.address, AuditLog.reason, AuditLog.detail,
        )
        where = [*clauses, *([AuditLog.id < before] if before is not None else [])]
        rows = await (query.where(*where) if where else query).order_by(AuditLog.id, ascending=False).limit(batch)
        for r in rows:
            yield {**r, "detail": json_value(r["detail"])}
        if len(rows) < batch:
            return
        before = rows[-1]["id"]


async def read_audit_log(
    mh: Meihao,
    *,
    staff_id: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> PageResult:
    """One page of the audit log, newest first, filtered (``GET /api/audit`` and the console's Operations page).

    Each row has ``id``, ``at``, ``staff_id``, ``actor``, ``action``, ``target_type``, ``target_id``,
    ``community`` (a slug or None), ``address``, ``reason`` and ``detail`` (decoded). The log is
    append-only: nothing changes it.
    """
    clauses = audit_where(staff_id=staff_id, action=action, target_type=target_type, target_id=target_id, since=since, until=until)
    query = AuditLog.select(
        AuditLog.id, AuditLog.at, AuditLog.staff, AuditLog.actor, AuditLog.action, AuditLog.target_type,
        AuditLog.target_id, AuditLog.community.slug.as_alias("community"), AuditLog.address, AuditLog.reason, AuditLog.detail,
    ).order_by(AuditLog.id, ascending=False)
    result = await paginate(mh, query.where(*clauses) if clauses else query, page=page, page_size=page_size)
    rows = [{**{k: v for k, v in r.items() if k != "staff"}, "staff_id": r["staff"], "detail": json_value(r["detail"])} for r in result.rows]
    return PageResult(rows=rows, total=result.total, page=result.page, page_size=result.page_size)
