"""Residents' pages behind their secret links (no account): the inbox, sign-ups (报名), unsubscribe with undo, the calendar.

Large text and plain words for elders (适老化). Each page takes the token of its purpose
(:mod:`meihao.reminders.tokens`) and shows nothing but what that link is for; a wrong or revoked
link is the same "link not valid" page, with no hint why. Mail scanners follow links, so GET
never changes anything: every change is a POST with the form's CSRF token, audited as the
resident's own action.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from meihao.access.principals import Principal
from meihao.errors import Conflict, InvalidInput, NotFound
from meihao.hooks.declarations import SCENES
from meihao.register.tables import CommunityScenario, Resident
from meihao.reminders import recipients, signups
from meihao.reminders.feeds import resident_events
from meihao.reminders.tokens import make_token, resolve_token
from meihao.runtime import Meihao
from meihao.web.console.rendering import render_page

Page = Response[Any]


def _link_invalid(request: Request[Any, Any, Any], _: Exception) -> Page:
    return render_page(request, "residents/invalid.html", status_code=404)


#: Every page here answers a wrong, revoked or foreign link with the same page (404).
INVALID = {NotFound: _link_invalid, NotFoundException: _link_invalid}


def _mh(request: Request[Any, Any, Any]) -> Meihao:
    return request.app.state.meihao


async def _resident(request: Request[Any, Any, Any], token: str, purpose: str) -> dict[str, Any]:
    """The resident a current ``purpose`` link names, with their community's name and time zone (404 for anything else)."""
    kind, resident_id = await resolve_token(_mh(request), token, purpose)
    if kind != "resident":
        raise NotFound("link not found")
    row = await Resident.select(
        Resident.id, Resident.community, Resident.community.name.as_alias("community_name"),
        Resident.community.timezone.as_alias("timezone"),
    ).where(Resident.id == resident_id).first()
    if row is None:
        raise NotFound("link not found")
    return row


def _who(request: Request[Any, Any, Any], recipient_id: int, link: str, kind: str = "resident") -> Principal:
    """The recipient acting through their secret link, as the audit log names them (the same words as the API's links)."""
    return Principal(staff_id=None, name=f"{kind} {recipient_id} ({link} link)", address=request.client.host if request.client else "")


# -- the inbox -------------------------------------------------------------------------------


@get("/r/inbox/{token:str}", exception_handlers=INVALID)
async def inbox_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Page:
    """The resident's messages, newest first; unread ones first catch the eye and can be marked read."""
    resident = await _resident(request, token, "inbox")
    zone = ZoneInfo(resident["timezone"])
    messages = await recipients.inbox("resident", resident["id"])
    for message in messages:
        message["created_local"] = message["created_at"].astimezone(zone)
    unread = sum(1 for m in messages if m["read_at"] is None)
    has_signups = bool(await signups.open_activities(_mh(request), resident["id"]))
    # the same resident's calendar page (their current calendar link: making it changes nothing)
    calendar = await make_token(_mh(request), "resident", resident["id"], "calendar")
    return render_page(request, "residents/inbox.html", resident=resident, messages=messages, unread=unread, token=token,
                       has_signups=has_signups, has_shifts=await _has_shifts(request, resident), calendar_token=calendar, scene_links=await _scene_links(request, resident, token))


async def _has_shifts(request: Request[Any, Any, Any], resident: dict[str, Any]) -> bool:
    """Her community has volunteer shifts not yet ended (the inbox then offers the volunteering page)."""
    from meihao.volunteering.tables import VolunteerShift

    return await VolunteerShift.exists().where(VolunteerShift.community == resident["community"], VolunteerShift.ends_at > _mh(request).clock.now())


async def _scene_links(request: Request[Any, Any, Any], resident: dict[str, Any], token: str) -> list[dict[str, str]]:
    """The scenes' resident pages (``ConsolePages.resident_nav``) of the scenes the resident's community runs."""
    declared = [(plugin, pages.resident_nav) for plugin, pages in _mh(request).plugins.console_pages() if pages.resident_nav]
    if not declared:
        return []
    running = {row["scenario"] for row in await CommunityScenario.select(CommunityScenario.scenario).where(
        CommunityScenario.community == resident["community"], CommunityScenario.enabled.eq(True))}
    scenarios = _mh(request).plugins.scenarios  # a channel's pages (not a scenario) serve every community
    return [{"title_zh": link.title_zh, "title_en": link.title_en, "href": f"/r/{quote(token)}/{plugin}/{link.path}".rstrip("/")}
            for plugin, links in declared if plugin in running or plugin not in scenarios for link in links]


@post("/r/inbox/{token:str}/{message_id:int}/read", exception_handlers=INVALID)
async def mark_read(request: Request[Any, Any, Any], token: FromPath[str], message_id: FromPath[int]) -> Page:
    resident = await _resident(request, token, "inbox")
    await recipients.mark_read(_mh(request), "resident", resident["id"], message_id)
    return Redirect(f"/r/inbox/{quote(token)}#m{message_id}", status_code=303)


# -- sign-ups (报名) through the inbox link --------------------------------------------------------


async def _signups_page(request: Request[Any, Any, Any], token: str, resident: dict[str, Any], *, status_code: int = 200,
                        done: str = "", problem: dict[str, Any] | None = None) -> Page:
    zone = ZoneInfo(resident["timezone"])
    found = await signups.open_activities(_mh(request), resident["id"])
    for entry in found:
        for occurrence in entry["occurrences"]:
            occurrence["local"] = occurrence["starts_at"].astimezone(zone)
            occurrence["ends_local"] = occurrence["ends_at"].astimezone(zone)
    return render_page(request, "residents/signups.html", status_code=status_code, resident=resident, entries=found, token=token,
                       done=done, problem=problem or {})


@get("/r/inbox/{token:str}/activities", exception_handlers=INVALID)
async def signups_page(request: Request[Any, Any, Any], token: FromPath[str], done: FromQuery[str] = "") -> Page:
    """The community's activities that take sign-ups, with a button per date: sign up, or cancel one's sign-up."""
    resident = await _resident(request, token, "inbox")
    return await _signups_page(request, token, resident, done=done if done in ("signed", "cancelled") else "")


async def _form(request: Request[Any, Any, Any]) -> tuple[int, str]:
    form = await request.form()
    try:
        activity_id = int(form.get("activity", ""))
    except ValueError:
        raise InvalidInput("activity: must be a number", field="activity") from None
    return activity_id, str(form.get("occurrence", ""))[:40]


@post("/r/inbox/{token:str}/activities/signup", exception_handlers=INVALID)
async def sign_up(request: Request[Any, Any, Any], token: FromPath[str]) -> Page:
    resident = await _resident(request, token, "inbox")
    activity_id, occurrence = await _form(request)
    try:
        await signups.sign_up(_mh(request), _who(request, resident["id"], "inbox"), resident["id"], activity_id, occurrence)
    except Conflict:
        problem = {"activity": activity_id, "occurrence": occurrence, "kind": "full"}
        return await _signups_page(request, token, resident, status_code=409, problem=problem)
    except (InvalidInput, NotFound) as err:
        # the date has passed, or sign-ups closed meanwhile: say so on the page
        problem = {"activity": activity_id, "occurrence": occurrence, "kind": "gone"}
        return await _signups_page(request, token, resident, status_code=err.status_code, problem=problem)
    return Redirect(f"/r/inbox/{quote(token)}/activities?done=signed#a{activity_id}", status_code=303)


@post("/r/inbox/{token:str}/activities/cancel", exception_handlers=INVALID)
async def cancel_signup(request: Request[Any, Any, Any], token: FromPath[str]) -> Page:
    resident = await _resident(request, token, "inbox")
    activity_id, occurrence = await _form(request)
    try:
        await signups.cancel_signup(_mh(request), _who(request, resident["id"], "inbox"), resident["id"], activity_id, occurrence)
    except NotFound:
        pass  # not signed up (a second tap, another tab): nothing to cancel, the page shows the state
    return Redirect(f"/r/inbox/{quote(token)}/activities?done=cancelled#a{activity_id}", status_code=303)


# -- unsubscribe, and undo ------------------------------------------------------------------------


def _scene_title(mh: Meihao, scene: str) -> tuple[str, str]:
    """The scene's name (zh, en) as residents know it; ``*`` is every reminder."""
    if scene == "*":
        return "", ""
    if scene in SCENES:
        return SCENES[scene]
    scenario = mh.plugins.scenarios.get(scene)
    return (scenario.title_zh, scenario.title_en) if scenario else (scene, scene)


def _known_scene(mh: Meihao, scene: str) -> str:
    """The scene asked for, or an error naming the field (the unsubscribe takes only known scenes)."""
    if scene != "*" and scene not in recipients.scene_names(mh):
        raise InvalidInput("scene: must be * (every scene) or a scene installed here", field="scene")
    return scene


@get("/r/unsubscribe/{token:str}", exception_handlers=INVALID)
async def unsubscribe_page(request: Request[Any, Any, Any], token: FromPath[str], scene: FromQuery[str] = "*",
                           done: FromQuery[str] = "") -> Page:
    """What the link would switch off, and a button; only the POST changes anything (mail scanners follow links).

    After the POST (``done=off`` or ``done=undone``) it says plainly what happened, and offers the undo.
    """
    mh = _mh(request)
    kind, resident_id = await resolve_token(mh, token, "unsubscribe")
    scene = _known_scene(mh, scene)
    switched_off = await recipients.is_opted_out(kind, resident_id, scene)
    return render_page(request, "residents/unsubscribe.html", token=token, scene=scene, scene_title=_scene_title(mh, scene),
                       done=done if done in ("off", "undone", "nothing") else "", switched_off=switched_off)


@post("/r/unsubscribe/{token:str}", exception_handlers=INVALID)
async def unsubscribe(request: Request[Any, Any, Any], token: FromPath[str], scene: FromQuery[str] = "*") -> Page:
    """No more reminders of this scene, on any channel; audited like the API's one-click unsubscribe."""
    mh = _mh(request)
    kind, recipient_id = await resolve_token(mh, token, "unsubscribe")
    scene = _known_scene(mh, scene)
    who = _who(request, recipient_id, "unsubscribe", kind)
    await recipients.unsubscribe(mh, who, kind, recipient_id, scene)
    return Redirect(f"/r/unsubscribe/{quote(token)}?scene={quote(scene)}&done=off", status_code=303)


@post("/r/unsubscribe/{token:str}/undo", exception_handlers=INVALID)
async def undo_unsubscribe(request: Request[Any, Any, Any], token: FromPath[str], scene: FromQuery[str] = "*") -> Page:
    """Take the unsubscribe back: exactly the opt-outs there were before it (audited)."""
    mh = _mh(request)
    kind, recipient_id = await resolve_token(mh, token, "unsubscribe")
    scene = _known_scene(mh, scene)
    who = _who(request, recipient_id, "unsubscribe", kind)
    changed = await recipients.undo_unsubscribe(mh, who, kind, recipient_id, scene)
    return Redirect(f"/r/unsubscribe/{quote(token)}?scene={quote(scene)}&done={'undone' if changed else 'nothing'}", status_code=303)


# -- the calendar ----------------------------------------------------------------------------------


@get("/r/calendar/{token:str}", exception_handlers=INVALID)
async def calendar_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Page:
    """How to put one's activities into the phone's calendar (the secret feed's address, steps per phone), and the next ones."""
    mh = _mh(request)
    resident = await _resident(request, token, "calendar")
    feed = f"{mh.settings.base_url}/api/calendar/{quote(token)}.ics"
    parts = urlsplit(feed)
    webcal = "webcal://" + parts.netloc + parts.path
    events = await resident_events(mh, resident["id"])
    return render_page(request, "residents/calendar.html", resident=resident, feed=feed, webcal=webcal, events=events)


HANDLERS: list = [inbox_page, mark_read, signups_page, sign_up, cancel_signup, unsubscribe_page, unsubscribe, undo_unsubscribe, calendar_page]
