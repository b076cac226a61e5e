"""Scenes' pages for residents behind their inbox link (``/r/{token}/{scenario}/…``): the resident the link names, and the guard.

Residents have no account: a scene's resident pages are public, and the secret link is what
says who is there. The guard resolves the token (purpose ``inbox``) before the handler runs; a
wrong or revoked link, a staff member's link, or a community that does not run the scene is the
same "link not valid" page as on the kernel's residents' pages, with no hint why.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler

from meihao.access.principals import Principal
from meihao.errors import NotFound
from meihao.register.community_scenarios import is_enabled
from meihao.register.schemas import CommunityInfo
from meihao.register.tables import Community, Resident
from meihao.reminders.audiences import mask_name
from meihao.reminders.tokens import resolve_token

#: The link's purpose that opens a scene's resident pages: the resident's inbox link.
PURPOSE = "inbox"
#: Where the guard leaves the resident for the ``resident`` and ``community`` dependencies.
STATE_KEY = "meihao_resident_link"


class ResidentLink(msgspec.Struct, frozen=True, kw_only=True):
    """居民 the resident whose inbox link opened a scene's resident page (what the handler's ``resident`` is).

    ``name_masked`` is the name as a page may show it (王*英); ``token`` is the link's token,
    for links to the resident's other pages (``/r/{token}/{scenario}/…``, ``/r/inbox/{token}``).
    """

    resident_id: int
    name_masked: str
    grid_id: int
    community: CommunityInfo
    token: str
    #: The visitor's network address, for the audit log.
    address: str = ""

    def principal(self, *permissions: str) -> Principal:
        """The resident acting through her link, for a scene's service functions.

        Named ``resident <id> (inbox link)`` in the audit log, with only ``permissions`` and a
        scope of her own grid: the page still passes only her own id (never one from a form).
        """
        return Principal(
            staff_id=None, name=f"resident {self.resident_id} ({PURPOSE} link)", permissions=set(permissions),
            grid_ids={self.grid_id}, grid_community_ids={self.community.id}, address=self.address,
        )


#: The resident of a scene's resident page (``ConsolePages.resident_handlers``); name the parameter ``resident``.
CurrentResident = NamedDependency[ResidentLink]


async def resident_link(token: str, address: str = "", *, mh: Any) -> ResidentLink:
    """The resident a current inbox ``token`` names; :class:`NotFound` for anything else (another purpose, a staff link)."""
    kind, resident_id = await resolve_token(mh, token, PURPOSE)
    if kind != "resident":
        raise NotFound("link not found")
    row = await Resident.select(Resident.id, Resident.name, Resident.grid, Resident.community).where(Resident.id == resident_id).first()
    if row is None:
        raise NotFound("link not found")
    community = await Community.select().where(Community.id == row["community"]).first()
    return ResidentLink(resident_id=row["id"], name_masked=mask_name(row["name"]), grid_id=row["grid"],
                        community=CommunityInfo.from_row(community), token=token, address=address)


def resident_page_guard(scenario: str, *, every_community: bool = False):
    """A scene's resident pages open only through a current inbox link of a resident whose community runs the scene
    (a channel's pages, ``every_community``: of any resident)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        address = connection.client.host if connection.client else ""
        link = await resident_link(connection.path_params.get("token", ""), address, mh=connection.app.state.meihao)
        if not every_community and not await is_enabled(link.community.id, scenario):
            raise NotFound("link not found")
        connection.scope.setdefault("state", {})[STATE_KEY] = link

    return guard


async def provide_resident(request: Request[Any, Any, Any]) -> ResidentLink:
    return request.scope["state"][STATE_KEY]


async def provide_resident_community(request: Request[Any, Any, Any]) -> CommunityInfo:
    return request.scope["state"][STATE_KEY].community
