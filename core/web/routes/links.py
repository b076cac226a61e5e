"""Residents' secret-link pages, which need no login: unsubscribe, inbox, calendar feeds.

They take an unguessable, revocable token (:mod:`meihao.reminders.tokens`) and show nothing else.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from meihao.access.principals import Principal
from meihao.errors import NotFound
from meihao.reminders import recipients
from meihao.reminders.feeds import community_feed, resident_feed
from meihao.reminders.tokens import resolve_token
from meihao.runtime import Meihao
from meihao.web.auth import PUBLIC

ICS = "text/calendar; charset=utf-8"


@get("/api/reminders/unsubscribe/{token:str}", tags=["public"], opt={PUBLIC: True})
async def unsubscribe_page(token: FromPath[str], meihao: NamedDependency[Meihao], scene: FromQuery[str] = "*") -> dict[str, Any]:
    """What the link would do; mail scanners follow links, so only POST changes anything."""
    kind, _ = await resolve_token(meihao, token, "unsubscribe")
    return {"recipient": kind, "scene": scene, "action": "POST to this address to stop these reminders"}


@post("/api/reminders/unsubscribe/{token:str}", tags=["public"], status_code=200, opt={PUBLIC: True})
async def unsubscribe(
    token: FromPath[str], request: Request[Any, Any, Any], meihao: NamedDependency[Meihao], scene: FromQuery[str] = "*"
) -> dict[str, Any]:
    """One-click unsubscribe (RFC 8058): no more reminders of this scene, on any channel. Written to the audit log."""
    kind, recipient_id = await resolve_token(meihao, token, "unsubscribe")
    who = Principal(staff_id=None, name=f"{kind} {recipient_id} (unsubscribe link)", address=request.client.host if request.client else "")
    await recipients.unsubscribe(meihao, who, kind, recipient_id, scene)
    return {"unsubscribed": True, "scene": scene}


@get("/api/inbox/{token:str}", tags=["public"], opt={PUBLIC: True})
async def resident_inbox(token: FromPath[str], meihao: NamedDependency[Meihao], unread: FromQuery[bool] = False) -> list[dict[str, Any]]:
    """A resident's own inbox, through their secret link: messages, newest first, read or unread."""
    kind, recipient_id = await resolve_token(meihao, token, "inbox")
    return await recipients.inbox(kind, recipient_id, unread_only=unread)


@post("/api/inbox/{token:str}/{message_id:int}/read", tags=["public"], status_code=204, opt={PUBLIC: True})
async def resident_read(token: FromPath[str], message_id: FromPath[int], meihao: NamedDependency[Meihao]) -> None:
    kind, recipient_id = await resolve_token(meihao, token, "inbox")
    await recipients.mark_read(meihao, kind, recipient_id, message_id)


@get("/api/calendar/{token:str}", tags=["public"], opt={PUBLIC: True}, media_type=ICS)
async def resident_calendar(token: FromPath[str], meihao: NamedDependency[Meihao]) -> Response[bytes]:
    """A resident's own activities as iCalendar; the link is secret and can be revoked."""
    kind, recipient_id = await resolve_token(meihao, token.removesuffix(".ics"), "calendar")
    if kind != "resident":
        raise NotFound("link not found")
    return Response(await resident_feed(meihao, recipient_id), media_type=ICS)


@get("/api/communities/{slug:str}/calendar.ics", tags=["public"], opt={PUBLIC: True}, media_type=ICS)
async def community_calendar(slug: FromPath[str], meihao: NamedDependency[Meihao]) -> Response[bytes]:
    """The community's activities that are open to everyone (public notices, 社区公告)."""
    return Response(await community_feed(meihao, slug), media_type=ICS)


HANDLERS = [
    unsubscribe_page,
    unsubscribe,
    resident_inbox,
    resident_read,
    resident_calendar,
    community_calendar,
]
