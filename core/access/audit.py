"""The audit log: who did what to which record, from where, and why."""

from __future__ import annotations

from typing import Any

from meihao.access.principals import Principal
from meihao.access.tables import AuditLog


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
