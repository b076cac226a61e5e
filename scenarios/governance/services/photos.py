"""Photos of grid events (现场照片): the kernel's attachments on ``governance_event`` rows.

A grid worker attaches them when reporting an event, a handler (the department's staff or the grid
team member) when feeding back, the reporter when checking. They are read and written only through
the event's scope (``event_scope``): another grid's worker gets the same 404 for an event's photo as
for a missing one. Type and size are the kernel's settings (``attachment_types``,
``attachment_max_bytes``).
"""

from __future__ import annotations

from .events import EVENT_PHOTO, EVENT_PHOTOS

__all__ = ["EVENT_PHOTO", "EVENT_PHOTOS"]
