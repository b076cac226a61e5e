"""A scene's pages for residents (``ConsolePages.resident_handlers``): mounted at /r/{token}/{scenario} with no login, behind the inbox link.

A throwaway scene (``noticeboard``) asks for ``resident`` and ``community``; a wrong, revoked or
foreign link, a staff member's link and a community that does not run the scene are the
residents' "link not valid" page; every POST needs the form's CSRF token.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from litestar import Request, get, post
from litestar.response import Redirect

from meihao import (
    ConsolePages,
    CurrentCommunity,
    CurrentResident,
    NavLink,
    PluginError,
    ResidentLink,
    Scenario,
    audit,
    hookimpl,
)
from meihao.access.tables import AuditLog
from meihao.hooks.manager import Plugins
from meihao.register.community_scenarios import disable, enable
from meihao.reminders.tokens import make_token, revoke
from meihao.testing import ANONYMOUS, Factories, builtin_only, form_token, make_page_client
from meihao.web.safety import redact_secret_links

SEEN: list[ResidentLink] = []


@get("/board")
async def board(request: Request[Any, Any, Any], resident: CurrentResident, community: CurrentCommunity) -> str:
    SEEN.append(resident)
    return f"{resident.resident_id} {resident.name_masked} {community.slug} {resident.community == community}"


@post("/board/pin")
async def pin(request: Request[Any, Any, Any], resident: CurrentResident) -> Redirect:
    await audit(resident.principal("noticeboard.note.write"), "noticeboard.pin", "noticeboard.note", 1, community_id=resident.community.id)
    return Redirect(f"/r/{resident.token}/noticeboard/board", status_code=303)


class Noticeboard:
    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario(name="noticeboard", title_zh="公告栏", title_en="Notice board", scene="neighbourhood", version="1")

    @hookimpl
    def meihao_console_pages(self) -> ConsolePages:
        return ConsolePages(resident_handlers=[board, pin], resident_nav=[NavLink("社区公告栏", "Notice board", "board")])


class NotAScene:
    @hookimpl
    def meihao_console_pages(self) -> ConsolePages:
        return ConsolePages(resident_handlers=[board])


class NotAHandler:
    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario(name="broken", title_zh="坏", title_en="Broken", scene="neighbourhood", version="1")

    @hookimpl
    def meihao_console_pages(self) -> ConsolePages:
        return ConsolePages(resident_handlers=["/board"])


def h1(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r"<h1[^>]*>(.*?)</h1>", html)]


@pytest.fixture
async def street(make_meihao):
    mh = await make_meihao(plugins=[("noticeboard", Noticeboard())])
    f = Factories(mh)
    people = {}
    for slug, name in (("hepan", "王秀英"), ("xinhe", "李建国")):
        place = await f.place(slug)
        people[slug] = await f.resident(place["household_id"], name=name)
    await enable(mh, "hepan", "noticeboard")
    SEEN.clear()
    return mh, people, await f.street_admin()


async def test_the_resident_and_her_community_reach_the_handler(street):
    mh, people, _ = street
    wang = people["hepan"]
    token = await make_token(mh, "resident", wang["id"], "inbox")
    async with make_page_client(mh, ANONYMOUS) as client:
        page = await client.get(f"/r/{token}/noticeboard/board")
        assert (page.status_code, page.text) == (200, f"{wang['id']} 王*英 hepan True")
    (link,) = SEEN
    assert (link.resident_id, link.name_masked, link.grid_id, link.community.slug, link.token) == (wang["id"], "王*英", wang["grid_id"], "hepan", token)
    principal = link.principal("noticeboard.note.write")
    assert (principal.staff_id, principal.name, principal.permissions, principal.grid_ids, principal.street, principal.community_ids) == (
        None, f"resident {wang['id']} (inbox link)", {"noticeboard.note.write"}, {wang["grid_id"]}, False, set())
    with pytest.raises(AttributeError):
        link.resident_id = 1  # type: ignore[misc]  # frozen


async def test_wrong_revoked_foreign_or_staff_links_and_a_scene_switched_off_are_the_link_not_valid_page(street):
    mh, people, admin = street
    wang, li = people["hepan"], people["xinhe"]
    good = await make_token(mh, "resident", wang["id"], "inbox")
    calendar = await make_token(mh, "resident", wang["id"], "calendar")  # a link of another purpose
    staff = await make_token(mh, "staff", admin["id"], "inbox")  # a staff member's inbox link
    elsewhere = await make_token(mh, "resident", li["id"], "inbox")  # xinhe does not run the scene
    async with make_page_client(mh, ANONYMOUS) as client:
        for token in ("nonsense", good[:-2] + "xx", calendar, staff, elsewhere):
            page = await client.get(f"/r/{token}/noticeboard/board")
            assert (page.status_code, h1(page.text)) == (404, ["这个链接打不开"]), token
            assert '<body class="resident">' in page.text
        # an unknown page behind a good link: 404 too
        assert (await client.get(f"/r/{good}/noticeboard/nothing")).status_code == 404
        revoked = good
        await revoke(mh, "resident", wang["id"], "inbox")
        page = await client.get(f"/r/{revoked}/noticeboard/board")
        assert (page.status_code, h1(page.text)) == (404, ["这个链接打不开"])
        fresh = await make_token(mh, "resident", wang["id"], "inbox")
        assert (await client.get(f"/r/{fresh}/noticeboard/board")).status_code == 200
        await disable(mh, "hepan", "noticeboard")
        page = await client.get(f"/r/{fresh}/noticeboard/board")
        assert (page.status_code, h1(page.text)) == (404, ["这个链接打不开"])
    assert len(SEEN) == 1  # the handler ran for the good link only


async def test_a_post_needs_the_forms_token_and_is_audited_as_the_resident(street):
    mh, people, _ = street
    wang = people["hepan"]
    token = await make_token(mh, "resident", wang["id"], "inbox")
    async with make_page_client(mh, ANONYMOUS) as client:
        refused = await client.post(f"/r/{token}/noticeboard/board/pin")
        assert (refused.status_code, h1(refused.text)) == (403, ["表单已过期"])
        assert await AuditLog.count().where(AuditLog.action == "noticeboard.pin") == 0
        done = await client.post(f"/r/{token}/noticeboard/board/pin", data={"_csrf_token": await form_token(client)})
        assert (done.status_code, done.headers["location"]) == (303, f"/r/{token}/noticeboard/board")
    rows = await AuditLog.select(AuditLog.staff, AuditLog.actor, AuditLog.action).where(AuditLog.action == "noticeboard.pin")
    assert rows == [{"staff": None, "actor": f"resident {wang['id']} (inbox link)", "action": "noticeboard.pin"}]


async def test_the_inbox_links_to_the_scenes_resident_pages_where_the_community_runs_them(street):
    mh, people, _ = street
    wang, li = people["hepan"], people["xinhe"]
    token = await make_token(mh, "resident", wang["id"], "inbox")
    other = await make_token(mh, "resident", li["id"], "inbox")
    async with make_page_client(mh, ANONYMOUS) as client:
        inbox = await client.get(f"/r/inbox/{token}")
        assert f'<a class="r-button primary" href="/r/{token}/noticeboard/board">社区公告栏</a>' in inbox.text
        assert "noticeboard" not in (await client.get(f"/r/inbox/{other}")).text
        client.cookies.set("meihao_lang", "en")
        assert f'href="/r/{token}/noticeboard/board">Notice board</a>' in (await client.get(f"/r/inbox/{token}")).text


def test_the_token_of_a_scenes_resident_page_never_reaches_a_log():
    assert redact_secret_links('"GET /r/r12.1.Abc-_9/markets/stalls?done=applied HTTP/1.1" 200') == (
        '"GET /r/…/markets/stalls?done=applied HTTP/1.1" 200')
    assert redact_secret_links("POST /r/inbox/r12.1.Abc/3/read") == "POST /r/inbox/…/3/read"
    assert redact_secret_links("GET /r/rabbit/page") == "GET /r/rabbit/page"


def test_resident_pages_need_a_scenario_and_litestar_handlers():
    with pytest.raises(PluginError) as caught:
        Plugins.load(extra=[("loose", NotAScene())], entry_point_filter=builtin_only)
    assert str(caught.value) == "plugin 'loose': residents' pages are mounted under a scenario or a channel: this plugin provides neither"
    with pytest.raises(PluginError) as caught:
        Plugins.load(extra=[("broken", NotAHandler())], entry_point_filter=builtin_only)
    assert str(caught.value) == "plugin 'broken': meihao_console_pages gave '/board', not a Litestar handler, Controller or Router"
