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
    query = AuditLog.select(
        AuditLog.id, AuditLog.at, AuditLog.staff, AuditLog.actor, AuditLog.action, AuditLog.target_type,
        AuditLog.target_id, AuditLog.community.slug.as_alias("community"), AuditLog.address, AuditLog.reason, AuditLog.detail,
    ).order_by(AuditLog.id, ascending=False)
    result = await paginate(mh, query.where(*clauses) if clauses else query, page=page, page_size=page_size)
    rows = [{**{k: v for k, v in r.items() if k != "staff"}, "staff_id": r["staff"], "detail": json_value(r["detail"])} for r in result.rows]
    return PageResult(rows=rows, total=result.total, page=result.page, page_size=result.page_size)
