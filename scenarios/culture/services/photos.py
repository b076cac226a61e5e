"""Photos of shows (演出照片): the kernel's attachments on ``culture_show`` rows.

Whoever records a show (``culture.show.record``) attaches its photos — the stage, the audience, the signed confirmation —
and whoever reads shows sees them, through the show's scope: a show at a venue of another grid is the same 404 as a missing one.
"""

from __future__ import annotations

from typing import Any

from meihao import AttachmentOwner, CommunityInfo, Principal

from .shows import _show_row


async def _show_in_scope(principal: Principal, community: CommunityInfo, row_id: int) -> Any:
    return await _show_row(community, row_id, principal)


#: ``/api/communities/{slug}/culture/shows/{id}/attachments``: read with the shows, written by who records them.
SHOW_PHOTOS = AttachmentOwner("culture", "shows", _show_in_scope, read="culture.read", write="culture.show.record", noun="show")
