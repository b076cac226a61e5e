"""A resident's reminder choices managed by staff (contacts, opt-outs, secret links), and staff's own inbox and digest."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.errors import NotFound
from meihao.register.communities import get_community
from meihao.register.residents import get_resident
from meihao.reminders import recipients
from meihao.reminders.tokens import revoke
from meihao.runtime import Meihao
from meihao.web.auth import requires
from meihao.web.params import Caller


class ContactIn(msgspec.Struct, forbid_unknown_fields=True):
    address: str


class OptOutIn(msgspec.Struct, forbid_unknown_fields=True):
    scene: str = "*"
    channel: str = "*"


class LinkOut(msgspec.Struct):
    #: The link itself (the API's: JSON, or the calendar feed).
    url: str
    #: The resident's page behind the same secret (large text, plain Chinese): the link to give them.
    page: str = ""


@get("/api/residents/{resident_id:int}/reminder-preferences", tags=["residents"], guards=[requires("meihao.resident.read")])
async def get_preferences(resident_id: FromPath[int], principal: Caller) -> dict[str, Any]:
    await get_resident(resident_id, principal)
    return await recipients.preferences("resident", resident_id)


@put("/api/residents/{resident_id:int}/contacts/{channel:str}", tags=["residents"], guards=[requires("meihao.reminder.manage")])
async def put_contact(resident_id: FromPath[int], channel: FromPath[str], data: JSONBody[ContactIn], meihao: NamedDependency[Meihao], principal: Caller) -> dict[str, Any]:
    """Reach the resident on ``channel`` at ``address`` (the resident's own choice, recorded by staff)."""
    resident = await get_resident(resident_id, principal)
    async with meihao.db.transaction():
        await recipients.set_contact(meihao, "resident", resident_id, channel, data.address)
        await audit(principal, "meihao.reminder.contact", "resident", resident_id, community_id=await _community_id(resident))
    return await recipients.preferences("resident", resident_id)


@post("/api/residents/{resident_id:int}/opt-outs", tags=["residents"], status_code=200, guards=[requires("meihao.reminder.manage")])
async def post_opt_out(resident_id: FromPath[int], data: JSONBody[OptOutIn], meihao: NamedDependency[Meihao], principal: Caller) -> dict[str, Any]:
    resident = await get_resident(resident_id, principal)
    async with meihao.db.transaction():
        await recipients.opt_out(meihao, "resident", resident_id, data.scene, data.channel)
        await audit(principal, "meihao.reminder.opt_out", "resident", resident_id, community_id=await _community_id(resident))
    return await recipients.preferences("resident", resident_id)


#: A resident's secret links: purpose -> (the audit action of a new one, the link's path after the base URL, the page's path).
LINKS = {
    "calendar": ("meihao.reminder.calendar_link", "/api/calendar/{token}.ics", "/r/calendar/{token}"),
    "unsubscribe": ("meihao.reminder.unsubscribe_link", "/api/reminders/unsubscribe/{token}", "/r/unsubscribe/{token}"),
    "inbox": ("meihao.reminder.inbox_link", "/api/inbox/{token}", "/r/inbox/{token}"),
}


async def _new_link(meihao: Meihao, principal: Principal, resident_id: int, purpose: str) -> LinkOut:
    """A new ``purpose`` link for a resident in the caller's scope (earlier ones stop working), audited."""
    resident = await get_resident(resident_id, principal)
    action, path, page = LINKS[purpose]
    async with meihao.db.transaction():
        token = await revoke(meihao, "resident", resident_id, purpose)
        await audit(principal, action, "resident", resident_id, community_id=await _community_id(resident))
    return LinkOut(url=meihao.settings.base_url + path.format(token=token), page=meihao.settings.base_url + page.format(token=token))


@post("/api/residents/{resident_id:int}/calendar-link", tags=["residents"], status_code=200, guards=[requires("meihao.reminder.manage")])
async def rotate_calendar_link(resident_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller) -> LinkOut:
    """A new secret calendar link for the resident; every earlier link stops working."""
    return await _new_link(meihao, principal, resident_id, "calendar")


@post("/api/residents/{resident_id:int}/unsubscribe-link", tags=["residents"], status_code=200, guards=[requires("meihao.reminder.manage")])
async def rotate_unsubscribe_link(resident_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller) -> LinkOut:
    """A new unsubscribe link for the resident (a new generation); every earlier one stops working."""
    return await _new_link(meihao, principal, resident_id, "unsubscribe")


@post("/api/residents/{resident_id:int}/inbox-link", tags=["residents"], status_code=200, guards=[requires("meihao.reminder.manage")])
async def rotate_inbox_link(resident_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller) -> LinkOut:
    """A new secret link to the resident's own inbox (for a QR code or a text message); earlier links stop working."""
    return await _new_link(meihao, principal, resident_id, "inbox")


async def _community_id(resident: dict[str, Any]) -> int:
    return (await get_community(resident["community"]))["id"]


@get("/api/me/inbox", tags=["inbox"])
async def my_inbox(principal: Caller, unread: FromQuery[bool] = False) -> list[dict[str, Any]]:
    if principal.staff_id is None:
        return []
    return await recipients.inbox("staff", principal.staff_id, unread_only=unread)


@post("/api/me/inbox/{message_id:int}/read", tags=["inbox"], status_code=204)
async def read_my_message(message_id: FromPath[int], meihao: NamedDependency[Meihao], principal: Caller) -> None:
    if principal.staff_id is None:
        raise NotFound(f"message {message_id} not found")
    await recipients.mark_read(meihao, "staff", principal.staff_id, message_id)


class DigestIn(msgspec.Struct, forbid_unknown_fields=True):
    hour: int = 7
    channel: str = "inbox"


@put("/api/me/reminder-digest", tags=["inbox"])
async def put_my_digest(data: JSONBody[DigestIn], meihao: NamedDependency[Meihao], principal: Caller) -> dict[str, Any]:
    """One daily digest of my reminders at ``hour`` (local) instead of single messages."""
    if principal.staff_id is None:
        raise NotFound("no staff account")
    return await recipients.set_digest(meihao, principal.staff_id, data.hour, data.channel)


@delete("/api/me/reminder-digest", tags=["inbox"], status_code=200)
async def delete_my_digest(principal: Caller) -> dict[str, Any]:
    if principal.staff_id is None:
        raise NotFound("no staff account")
    return await recipients.clear_digest(principal.staff_id)


HANDLERS = [
    get_preferences,
    put_contact,
    post_opt_out,
    rotate_calendar_link,
    rotate_unsubscribe_link,
    rotate_inbox_link,
    my_inbox,
    read_my_message,
    put_my_digest,
    delete_my_digest,
]
