"""The console's login, sessions, CSRF, language and error pages, in process (tests/browser has the same in Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from meihao.testing import ANONYMOUS, Factories, form_token, make_page_client
from meihao.web.console import catalogues

CONSOLE = Path(catalogues.__file__).parent


def h1(html: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", html)


def alerts(html: str) -> list[str]:
    return re.findall(r'role="alert">(.*?)</p>', html)


async def test_anonymous_visitor_is_sent_to_the_login_page_and_back(meihao):
    admin = await Factories(meihao).staff("street_admin", username="wang", password="correct horse battery")
    async with make_page_client(meihao, ANONYMOUS) as client:
        first = await client.get("/?grid=3")
        assert (first.status_code, first.headers["location"]) == (303, "/login?next=/%3Fgrid%3D3")
        login = await client.get(first.headers["location"])
        assert (login.status_code, h1(login.text)) == (200, ["登录"])
        assert 'name="next" value="/?grid=3"' in login.text
        token = await form_token(client)
        done = await client.post("/login", data={"username": "wang", "password": "correct horse battery", "next": "/?grid=3",
                                                 "_csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, "/?grid=3")
        cookie = done.headers["set-cookie"]
        assert cookie.startswith("meihao_session=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        overview = await client.get("/")
        assert (overview.status_code, h1(overview.text)) == (200, ["总览"])
        assert '<span class="who">' + admin["name"] + "</span>" in overview.text


@pytest.mark.parametrize(("username", "password", "status", "message"), [
    ("wang", "wrong password", 401, "用户名或密码不正确。"),
    ("nobody", "correct horse battery", 401, "用户名或密码不正确。"),
    ("wang", "", 400, "请输入用户名和密码。"),
])
async def test_a_failed_login_says_why_and_sets_no_session(meihao, username, password, status, message):
    await Factories(meihao).staff("street_admin", username="wang", password="correct horse battery")
    async with make_page_client(meihao, ANONYMOUS) as client:
        token = await form_token(client)
        page = await client.post("/login", data={"username": username, "password": password, "_csrf_token": token})
        assert (page.status_code, alerts(page.text)) == (status, [message])
        assert "meihao_session" not in page.headers.get("set-cookie", "")
        assert f'value="{username}"' in page.text  # the username is kept, the password is not


async def test_login_throttling_is_shown_with_the_wait(meihao):
    await Factories(meihao).staff("street_admin", username="wang", password="correct horse battery")
    async with make_page_client(meihao, ANONYMOUS) as client:
        token = await form_token(client)
        statuses = []
        for _ in range(meihao.settings.login_max_failures_per_address + 1):
            page = await client.post("/login", data={"username": "wang", "password": "no", "_csrf_token": token})
            statuses.append(page.status_code)
        assert statuses[-1] == 429
        assert re.fullmatch(r"失败次数过多，请 \d+ 秒后再试。", alerts(page.text)[0])


async def test_a_form_without_its_csrf_token_is_refused_with_a_page(meihao):
    await Factories(meihao).staff("street_admin", username="wang", password="correct horse battery")
    async with make_page_client(meihao, ANONYMOUS) as client:
        await client.get("/login")
        page = await client.post("/login", data={"username": "wang", "password": "correct horse battery"})
        assert (page.status_code, h1(page.text)) == (403, ["表单已过期"])
        assert "meihao_session" not in page.headers.get("set-cookie", "")
        forged = await client.post("/login", data={"username": "wang", "password": "correct horse battery", "_csrf_token": "x" * 64})
        assert forged.status_code == 403


async def test_an_expired_or_revoked_session_asks_to_log_in_again(meihao):
    async with make_page_client(meihao) as client:
        assert (await client.get("/")).status_code == 200
        token = await form_token(client)
        out = await client.post("/logout", data={"_csrf_token": token})
        assert (out.status_code, out.headers["location"]) == (303, "/login")
        assert 'meihao_session=""' in out.headers["set-cookie"] or "meihao_session=;" in out.headers["set-cookie"]
    async with make_page_client(meihao) as client:
        client.cookies.set("meihao_session", "revoked-or-made-up")
        again = await client.get("/")
        assert (again.status_code, again.headers["location"]) == (303, "/login?next=/&expired=1")
        login = await client.get(again.headers["location"])
        assert re.findall(r'role="status">(.*?)</p>', login.text) == ["登录已过期，请重新登录。"]


async def test_logging_out_ends_the_session_on_the_server(meihao):
    async with make_page_client(meihao) as client:
        session = client.cookies.get("meihao_session")
        await client.post("/logout", data={"_csrf_token": await form_token(client)})
        client.cookies.set("meihao_session", session)  # a copy of the cookie kept elsewhere
        assert (await client.get("/")).status_code == 303


async def test_changing_ones_password_checks_the_fields_and_ends_other_sessions(meihao):
    f = Factories(meihao)
    staff = await f.staff("street_admin", username="wang", password="correct horse battery")
    other = await f.token(staff["id"])
    async with make_page_client(meihao, staff["id"]) as client:
        token = await form_token(client)
        cases = [
            ({"current_password": "wrong", "new_password": "a new long password", "new_password_again": "a new long password"},
             "当前密码不正确。"),
            ({"current_password": "correct horse battery", "new_password": "short", "new_password_again": "short"},
             f"新密码至少需要 {meihao.settings.password_min_length} 个字符。"),
            ({"current_password": "correct horse battery", "new_password": "a new long password", "new_password_again": "another"},
             "两次输入的新密码不一致。"),
        ]
        for form, message in cases:
            page = await client.post("/me/password", data={**form, "_csrf_token": token})
            assert (page.status_code, re.findall(r'class="error"[^>]*>(.*?)</p>', page.text)) == (400, [message])
        done = await client.post("/me/password", data={"current_password": "correct horse battery", "new_password": "a new long password",
                                                       "new_password_again": "a new long password", "_csrf_token": token})
        assert re.findall(r'role="status">(.*?)</p>', done.text) == ["密码已修改，您在其他设备上的登录已退出。"]
        assert (await client.get("/")).status_code == 200  # this session goes on
    async with make_page_client(meihao, ANONYMOUS) as api_like:
        api_like.cookies.set("meihao_session", other)
        assert (await api_like.get("/")).status_code == 303  # the other one ended


@pytest.mark.parametrize(("target", "landing"), [
    ("/register", "/register"),
    ("//evil.example/x", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
])
async def test_the_language_switch_and_login_never_redirect_off_site(meihao, target, landing):
    async with make_page_client(meihao, ANONYMOUS) as client:
        switched = await client.get("/lang/en", params={"next": target})
        assert (switched.status_code, switched.headers["location"]) == (303, landing)
        assert "meihao_lang=en" in switched.headers["set-cookie"]
        login = await client.get("/login", params={"next": target})
        assert f'name="next" value="{landing}"' in login.text


async def test_english_pages_are_english(meihao):
    async with make_page_client(meihao) as client:
        await client.get("/lang/en")
        overview = await client.get("/")
        assert h1(overview.text) == ["Overview"]
        assert '<html lang="en">' in overview.text
        await client.get("/lang/zh_CN")
        assert h1((await client.get("/")).text) == ["总览"]
        assert (await client.get("/lang/fr")).status_code == 303  # an unknown language changes nothing
        assert h1((await client.get("/")).text) == ["总览"]


async def test_unknown_pages_and_errors_are_pages_and_the_api_keeps_json(meihao):
    async with make_page_client(meihao) as client:
        page = await client.get("/no/such/page")
        assert (page.status_code, page.headers["content-type"], h1(page.text)) == (404, "text/html; charset=utf-8", ["找不到页面"])
        api = await client.get("/api/no/such/route")
        assert (api.status_code, api.json()) == (404, {"status_code": 404, "detail": "Not Found"})
        # the session cookie is not a key to the API: it takes bearer tokens only
        assert (await client.get("/api/communities")).status_code == 401


def test_every_console_message_has_a_chinese_translation():
    assert catalogues.untranslated(CONSOLE) == {}


def test_no_chinese_is_written_outside_the_catalogues():
    assert catalogues.untranslatable(CONSOLE) == {}


def test_the_check_finds_an_untranslated_message_and_stray_chinese(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "x.html").write_text('<p>{{ _("Not in any catalogue") }}</p>\n<p>居民</p>\n', encoding="utf-8")
    assert list(catalogues.untranslated(tmp_path)) == ["Not in any catalogue"]
    assert list(catalogues.untranslatable(tmp_path)) == ["居"]
    assert catalogues.main(["check", str(tmp_path)]) == 1
