"""The kernel's own permissions, answered through its own hook like any plugin's."""

from __future__ import annotations

from meihao.hooks.declarations import Permission
from meihao.hooks.specs import hookimpl

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
        Permission("meihao.resident.export", "Export residents (masked) as CSV or .xlsx", ("community_admin",)),
        Permission("meihao.resident.import", "Import a community's register (人口台账) from a spreadsheet, all rows or none", ("community_admin",)),
        Permission(
            "meihao.resident.sensitive.read",
            "Read and filter on residents' sensitive tags (health, disability, low income, political status; PIPL art. 28), audited",
            ("community_admin",),
        ),
        Permission(
            "meihao.resident.special.read",
            "Read, filter on and set residents' special groups (特殊人群: community correction, released prisoners, severe mental "
            "disorders, drug rehabilitation); every read audited",
            ("community_admin",),
        ),
        Permission("meihao.resident.reveal", "Reveal one masked field of one resident, with a reason", ("community_admin",)),
        Permission("meihao.resident.data_export", "Export everything held about one resident, unmasked, at their request (PIPL)"),
        Permission("meihao.resident.erase", "Erase (anonymise) one resident at their request, keeping counts (PIPL)"),
        Permission("meihao.department.manage", "Create and change departments"),
        Permission("meihao.staff.manage", "Create staff accounts and give them roles within one's scope", ("community_admin",)),
        Permission("meihao.audit.read", "Read the audit log"),
        Permission("meihao.calendar.manage", "Close or open days of the working calendar (a typhoon day, an extra working day)"),
    ]
