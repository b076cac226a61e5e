"""Photos of grid events (现场照片): the kernel's attachments on ``governance_event`` rows.

A grid worker attaches them when reporting an event, a handler (the department's staff or the grid
team member) when feeding back, the reporter when checking. They are read and written only through
the event's scope (``event_scope``): another grid's worker gets the same 404 for an event's photo as
for a missing one. Type and size are the kernel's settings (``attachment_types``,
``attachment_max_bytes``).
"""

from __future__ import annotations

from typing import Any

from meihao import AttachmentOwner, CommunityInfo, Principal

from .events import _event_row

EVENT_PHOTO = "governance.event.photo"


async def _event_in_scope(principal: Principal, community: CommunityInfo, row_id: int) -> Any:
    return await _event_row(principal, community, row_id)


#: ``/api/communities/{slug}/governance/events/{id}/attachments``: read with the events, written with ``governance.event.photo``.
EVENT_PHOTOS = AttachmentOwner("governance", "events", _event_in_scope, read="governance.event.read", write=EVENT_PHOTO, noun="event")
