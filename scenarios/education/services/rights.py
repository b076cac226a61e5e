"""The resident's data rights (PIPL): a copy of their enrolments and attendance; nothing to blank (the rows are what is counted)."""

from __future__ import annotations

from typing import Any

from ..tables import Enrolment


async def resident_data(resident_id: int) -> dict[str, Any] | None:
    rows = await Enrolment.select(
        Enrolment.session.course.title.as_alias("course"), Enrolment.session.venue.name.as_alias("venue"),
        Enrolment.session.starts_at.as_alias("starts_at"), Enrolment.status, Enrolment.checked_in_at, Enrolment.checked_out_at,
    ).where(Enrolment.resident == resident_id).order_by(Enrolment.id)
    return {"enrolments": rows} if rows else None


async def erase_resident(resident_id: int) -> dict[str, int] | None:
    """An enrolment holds no more than who came to which session: it stays until the resident is deleted (ON DELETE CASCADE)."""
    return None
