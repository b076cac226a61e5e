"""The kernel's tables a plugin may point at with foreign keys or select from (public API, like ``meihao``).

The tables themselves live with their capability (``meihao.register.tables``,
``meihao.access.tables``); plugins import them from here, so that the kernel's layout can
change without changing theirs. The kernel itself never imports this module.
"""

from meihao.access.tables import Staff, StaffAssignment
from meihao.register.tables import Building, Community, Department, Grid, Household, Resident, ResidentTag

__all__ = ["Building", "Community", "Department", "Grid", "Household", "Resident", "ResidentTag", "Staff", "StaffAssignment"]
