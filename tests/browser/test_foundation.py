"""The console's frame in Chromium: logging in and out, the language, error pages; screenshots and axe on each."""

from __future__ import annotations

from tests.browser.conftest import log_in, scene_panels_loaded, serious_violations, shoot


def test_a_street_admin_logs_in_sees_the_overview_and_logs_out(page, served):
    page.goto("/")
    assert page.url.endswith("/login?next=/")
    assert page.locator("h1").inner_text() == "登录"
    assert serious_violations(page) == []
    shoot(page, "login-desktop")
    log_in(page, served, "admin")
    assert page.locator("h1").inner_text() == "总览"
    # the five demo communities with their brands (一社区一品牌)
    assert page.locator("section.community h2").all_inner_texts() == ["荷畔社区", "华阳社区", "银山社区", "城关社区", "雅居园社区"]
    assert "「松龄雅居」" not in page.content() and "松龄雅居" in page.locator("#c-yajuyuan + p").inner_text()
    scene_panels_loaded(page)
    assert serious_violations(page) == []
    shoot(page, "overview-desktop")
    page.click("button:has-text('退出登录')")
    assert page.url.endswith("/login")
    page.goto("/")
    assert "/login" in page.url


def test_a_wrong_password_says_so(page, served):
    page.goto("/login")
    page.fill("#f-username", "admin")
    page.fill("#f-password", "not the password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "用户名或密码不正确。"
    assert page.input_value("#f-username") == "admin"


def test_the_overview_on_a_phone_in_english(phone, served):
    log_in(phone, served, "yajuyuan-g01-grid-worker-1")
    phone.click("text=English")
    assert phone.locator("h1").inner_text() == "Overview"
    # a grid worker reaches only their community
    assert phone.locator("section.community h2").all_inner_texts() == ["雅居园社区"]
    assert serious_violations(phone) == []
    shoot(phone, "overview-phone-en")
    phone.click("text=中文")
    assert phone.locator("h1").inner_text() == "总览"
    shoot(phone, "overview-phone")


def test_an_unknown_page_is_a_page(page, served):
    log_in(page, served, "admin")
    response = page.goto("/no-such-page")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "找不到页面"
    assert serious_violations(page) == []
