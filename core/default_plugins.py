"""The kernel's own answers to its hooks: its permissions and the default reminder text."""

from __future__ import annotations

from typing import Any

from .hookspecs import hookimpl
from .types import Permission


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("meihao.community.manage", "Create communities and change their brand and scenarios"),
        Permission("meihao.register.read", "Read the grid register: grids, buildings, households"),
        Permission("meihao.register.write", "Change the grid register"),
        Permission("meihao.resident.read", "Read residents (masked)"),
        Permission("meihao.resident.write", "Register, change, move and delete residents"),
        Permission("meihao.resident.reveal", "Reveal one masked field of one resident, with a reason"),
        Permission("meihao.department.manage", "Create and change departments"),
    ]


@hookimpl(trylast=True)
def meihao_render_reminder(reminder: dict[str, Any], language: str) -> str:
    activity = reminder.get("activity", {})
    title = activity.get("title", "")
    starts = activity.get("starts_at", "")
    venue = activity.get("venue", "")
    if language == "en":
        return f"Reminder: {title} at {starts}" + (f", {venue}" if venue else "")
    return f"提醒：{title}，时间 {starts}" + (f"，地点 {venue}" if venue else "")
