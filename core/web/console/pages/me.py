"""Me (``/me``): the staff member's own inbox (mark read in place) and their reminder digest setting."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect

from meihao.errors import InvalidInput
from meihao.reminders import recipients
from meihao.runtime import Meihao
from meihao.web.console.rendering import page_user, render_page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _local(mh: Meihao, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with their time on the street's clock (MEIHAO_DEFAULT_TIMEZONE)."""
    tz = ZoneInfo(mh.settings.default_timezone)
    return [{**m, "created_at": m["created_at"].astimezone(tz) if m["created_at"] else None} for m in messages]


def _channels(mh: Meihao) -> list[Any]:
    """The channels a digest can go out on: every installed one (the inbox first)."""
    return sorted(mh.plugins.channels_by_name.values(), key=lambda c: (c.name != "inbox", c.name))


async def _render(request: Request[Any, Any, Any], *, unread: bool = False, form: dict[str, Any] | None = None,
                  errors: dict[str, str] | None = None, saved: bool = False) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    staff_id = page_user(request).staff_id
    messages = _local(mh, await recipients.inbox("staff", staff_id, unread_only=unread)) if staff_id is not None else []
    unread_count = len([m for m in messages if m["read_at"] is None]) if not unread else len(messages)
    digest = form if form is not None else (await recipients.digest_of(staff_id) if staff_id is not None else {"digest": False})
    return render_page(
        request, "me/me.html", status_code=400 if errors else 200, messages=messages, unread=unread, unread_count=unread_count,
        digest=digest, errors=errors or {}, saved=saved, channels=_channels(mh), timezone=mh.settings.default_timezone,
    )


@get("/me", include_in_schema=False)
async def me_page(request: Request[Any, Any, Any], unread: FromQuery[bool] = False, saved: FromQuery[bool] = False) -> Response[Any]:
    return await _render(request, unread=unread, saved=saved)


@post("/me/inbox/{message_id:int}/read", include_in_schema=False)
async def read_message(request: Request[Any, Any, Any], message_id: FromPath[int]) -> Response[Any]:
    """Mark one of my messages read (another's is the 404 page); htmx gets the message back, a form goes back to /me."""
    mh: Meihao = request.app.state.meihao
    staff_id = page_user(request).staff_id
    if staff_id is None:
        raise InvalidInput("only staff accounts have an inbox")
    await recipients.mark_read(mh, "staff", staff_id, message_id)
    if request.headers.get("hx-request") == "true":
        message = next((m for m in _local(mh, await recipients.inbox("staff", staff_id, limit=1000)) if m["id"] == message_id), None)
        if message is not None:  # beyond the newest thousand: the page again
            return render_page(request, "me/_message.html", m=message)
    return Redirect("/me", status_code=303)


@post("/me/digest", include_in_schema=False)
async def save_digest(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    """One daily digest at a chosen hour on a chosen channel, or every reminder as it comes; errors shown at the field."""
    mh: Meihao = request.app.state.meihao
    staff_id = page_user(request).staff_id
    wanted = data.get("digest") == "on"
    hour_text, channel = data.get("hour", "").strip(), data.get("channel", "inbox").strip()
    form = {"digest": wanted, "hour": hour_text, "channel": channel}
    if staff_id is None:
        raise InvalidInput("only staff accounts have reminders")
    if not wanted:
        await recipients.clear_digest(staff_id)
        return Redirect("/me?saved=true#digest", status_code=303)
    if not (hour_text.isdigit() and len(hour_text) <= 2 and 0 <= int(hour_text) <= 23):
        return await _render(request, form=form, errors={"hour": "hour"})
    try:
        await recipients.set_digest(mh, staff_id, int(hour_text), channel)
    except InvalidInput as err:
        return await _render(request, form=form, errors={err.field or "channel": err.field or "channel"})
    return Redirect("/me?saved=true#digest", status_code=303)


HANDLERS = [me_page, read_message, save_digest]
