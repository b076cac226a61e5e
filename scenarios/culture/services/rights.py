"""A resident's data rights in culture: the scene keeps no record about a person.

Its audiences are grids of residents resolved when reminders go out (the reminders themselves are
the kernel's, in its part of the export), attendance is a number per show, and a troupe's contact
is not a resident. So culture answers both hooks with ``None``: nothing to hand over, nothing to
blank; a show's attendance count is untouched by an erasure.
"""

from __future__ import annotations

from typing import Any


async def resident_data(resident_id: int) -> dict[str, Any] | None:
    return None


async def erase_resident(resident_id: int) -> dict[str, int] | None:
    return None
