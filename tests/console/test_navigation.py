"""Boosted navigation (hx-boost on the staff layout), in process: a boosted request gets the title, <main> and the
header and footer out of band; every other request gets the whole page; errors, scope and CSRF stay as they were."""

from __future__ import annotations

import re

import pytest_asyncio

from meihao.testing import ANONYMOUS, SceneWorld, make_page_client

BOOSTED = {"HX-Request": "true", "HX-Boosted": "true", "HX-Current-URL": "http://testserver/"}


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    return await SceneWorld.build(meihao)


@pytest_asyncio.fixture
async def client(world):
    """The grid worker of grid A (王秀英's), reading the pages in English."""
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
        client.cookies.set("meihao_lang", "en")
        yield client


def current(html: str) -> list[str]:
    """The menu entries marked as the current page."""
    return re.findall(r'<a href="[^"]+" aria-current="page">(.*?)</a>', html)


async def test_a_plain_request_gets_the_whole_page_with_boosting_switched_on(client):
    page = await client.get("/register")
    assert page.status_code == 200
    assert page.text.startswith("<!doctype html>")
    assert re.findall(r"<title>(.*?)</title>", page.text) == ["Register of residents · meihao"]
    assert '<body hx-headers=\'{"X-CSRFToken": "' in page.text and '<header class="top" id="top" hx-boost="true">' in page.text
    assert '<script src="/static/console.js" defer></script>' in page.text
    assert '<main id="main" tabindex="-1">' in page.text and "autofocus" not in page.text
    assert "hx-swap-oob" not in page.text
    assert current(page.text) == ["Register"]
    assert "HX-Retarget" not in page.headers and page.headers["Vary"] == "HX-Request, HX-Boosted"


async def test_a_boosted_request_gets_the_title_main_and_the_frame_out_of_band(client):
    page = await client.get("/register", headers=BOOSTED)
    assert page.status_code == 200
    assert (page.headers["HX-Retarget"], page.headers["HX-Reswap"]) == ("#main", "outerHTML show:window:top")
    text = page.text.strip()
    assert text.startswith("<title>Register of residents · meihao</title>")
    assert "<!doctype" not in text and "<body" not in text and "<head>" not in text and "/static/htmx.min.js" not in text
    assert re.findall(r"<main[^>]*>", text) == ['<main id="main" tabindex="-1" autofocus>']
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", text) == ["Register of residents"]
    # the header (menu with the current page, log-out form) and the footer (language switch back to here) replace theirs
    assert re.findall(r'<(header|footer) class="[^"]+" id="(\w+)"(?: hx-boost="true")? hx-swap-oob="true">', text) == [("header", "top"), ("footer", "foot")]
    assert current(text) == ["Register"]
    assert 'href="/lang/zh_CN?next=/register"' in text


async def test_the_menu_marks_the_page_a_boosted_link_opened(client):
    assert current((await client.get("/queue", headers=BOOSTED)).text) == ["My queue"]
    assert current((await client.get("/", headers=BOOSTED)).text) == ["Overview"]
    assert current((await client.get("/register?q=%E7%8E%8B", headers=BOOSTED)).text) == ["Register"]


async def test_a_widgets_htmx_request_and_a_history_restore_are_not_boosted(client):
    widget = await client.get("/register", headers={"HX-Request": "true"})
    assert "HX-Retarget" not in widget.headers and "hx-swap-oob" not in widget.text
    restore = await client.get("/register", headers={**BOOSTED, "HX-History-Restore-Request": "true"})
    assert restore.text.startswith("<!doctype html>") and "HX-Retarget" not in restore.headers


async def test_a_boosted_request_outside_the_scope_is_the_same_not_found_as_a_missing_row(world, client):
    other_grid = await client.get(f"/register/residents/{world.residents['张伟']['id']}", headers=BOOSTED)
    missing = await client.get("/register/residents/999999", headers=BOOSTED)
    for page in (other_grid, missing):
        assert page.status_code == 404
        assert page.headers["HX-Retarget"] == "#main"
        assert page.text.strip().startswith("<title>Error · meihao</title>")
        assert re.findall(r"<h1[^>]*>(.*?)</h1>", page.text) == ["Not found"]
    assert "张伟" not in other_grid.text
    mine = await client.get(f"/register/residents/{world.residents['王秀英']['id']}", headers=BOOSTED)
    assert mine.status_code == 200 and "王秀英" in mine.text


async def test_a_boosted_form_without_its_csrf_token_is_refused_with_the_expired_form_page(world, client):
    page = await client.post(f"/register/residents/{world.residents['王秀英']['id']}/reveal", headers=BOOSTED,
                             data={"field": "phone", "reason": "回访核实"})
    assert page.status_code == 403
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", page.text) == ["The form has expired"]
    assert page.headers["HX-Retarget"] == "#main"


async def test_a_boosted_request_without_a_session_is_sent_to_the_login_page(world):
    async with make_page_client(world.mh, ANONYMOUS) as client:
        page = await client.get("/register?page=2", headers=BOOSTED)
    assert (page.status_code, page.headers["HX-Redirect"]) == (401, "/login?next=/register%3Fpage%3D2")
