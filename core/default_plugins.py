"""The kernel's own answers to its hooks: its permissions and the default reminder text."""

from __future__ import annotations

from typing import Any

from .hookspecs import hookimpl
from .types import Permission

_WRITERS = ("community_admin", "grid_leader", "grid_worker")
_READERS = (*_WRITERS, "grid_part_time", "dispatched")


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("meihao.community.manage", "Create communities and change their brand"),
        Permission("meihao.scenario.manage", "Switch scenarios on and off and change their settings", ("community_admin",)),
        Permission("meihao.register.read", "Read the grid register: buildings and households", _READERS),
        Permission("meihao.register.write", "Change the grid register", _WRITERS),
        Permission("meihao.resident.read", "Read residents (masked)", _READERS),
        Permission("meihao.resident.write", "Register, change, move and delete residents", _WRITERS),
        Permission("meihao.resident.export", "Export residents (masked) as CSV", ("community_admin",)),
        Permission("meihao.resident.reveal", "Reveal one masked field of one resident, with a reason", ("community_admin",)),
        Permission("meihao.department.manage", "Create and change departments"),
        Permission("meihao.staff.manage", "Create staff accounts and give them roles within one's scope", ("community_admin",)),
        Permission("meihao.audit.read", "Read the audit log"),
    ]


@hookimpl(trylast=True)
def meihao_render_reminder(reminder: dict[str, Any], language: str) -> str:
    from .notices import render_notice

    notice = render_notice(reminder)
    if notice is not None:  # a notice (meihao.notify) is read as written
        return notice
    activity = reminder.get("activity", {})
    title = activity.get("title", "")
    starts = activity.get("starts_at", "")
    venue = activity.get("venue", "")
    if language == "en":
        return f"Reminder: {title} at {starts}" + (f", {venue}" if venue else "")
    return f"提醒：{title}，时间 {starts}" + (f"，地点 {venue}" if venue else "")
