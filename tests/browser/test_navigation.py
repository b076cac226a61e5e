"""Boosted navigation in Chromium: menu links, a list's pages and a calendar's months swap the main region without a
full load (a window variable survives), the address, the title and the current menu entry follow, focus moves to
the content, Back works, an error page shows; and every link works the same with JavaScript switched off."""

from __future__ import annotations

from tests.browser.conftest import DESKTOP, log_in, serious_violations, shoot

MARK = "window.meihaoNavigationMark"


def current_menu(page) -> list[str]:
    return page.locator("header nav a[aria-current=page]").all_inner_texts()


def test_menu_links_pages_and_months_swap_the_content_and_back_works(page, served):
    log_in(page, served, "admin")
    assert page.locator("h1").inner_text() == "总览"
    page.evaluate(f"{MARK} = 42")

    page.click("header nav a[href='/register']")
    page.wait_for_url("**/register")
    page.locator("h1", has_text="居民台账").wait_for()
    assert page.evaluate(MARK) == 42  # the same document: no full load
    assert page.title() == "居民台账 · 美好"
    assert current_menu(page) == ["居民台账"]
    page.wait_for_function("document.activeElement.id === 'main'")  # focus on the new content, for screen readers
    assert page.locator("main").count() == 1 and page.locator("header.top").count() == 1
    assert serious_violations(page) == []
    shoot(page, "navigation-register-boosted-desktop")

    page.click("nav.pager a[rel=next]")
    page.wait_for_url("**/register?*page=2*")
    page.locator("nav.pager span", has_text="第 2 页").wait_for()
    assert page.evaluate(MARK) == 42

    page.click("header nav a[href='/activities']")
    page.wait_for_url("**/activities")
    month = page.locator(".act-nav").inner_text()
    first_heading = page.locator("main h2").first.inner_text()
    page.click(".act-nav a[rel=next]")
    page.wait_for_url("**/activities?*")
    page.wait_for_function("h => document.querySelector('main h2').innerText !== h", arg=first_heading)
    assert page.evaluate(MARK) == 42 and month
    assert current_menu(page) == ["活动"]

    # Back: the previous addresses, each page whole (reloaded: no page is kept in the browser's storage)
    page.go_back()
    page.wait_for_url("**/activities")
    page.wait_for_function("h => document.querySelector('main h2')?.innerText === h", arg=first_heading)  # the page restored
    page.go_back()
    page.wait_for_url("**/register?*page=2*")
    page.locator("h1", has_text="居民台账").wait_for()  # the address changes before the restored page arrives
    assert page.locator("nav.pager span").inner_text().startswith("第 2 页")
    page.go_forward()
    page.wait_for_url("**/activities")


def test_a_boosted_link_to_a_missing_page_shows_the_error_page(page, served):
    log_in(page, served, "yajuyuan-g01-grid-worker-1")
    page.evaluate(f"{MARK} = 7")
    # a link as a stale page would hold it: a resident who is not (or no longer) within reach
    page.evaluate("""() => {
        const menu = document.querySelector('header nav ul');
        menu.insertAdjacentHTML('beforeend', '<li><a id="gone" href="/register/residents/999999">旧链接</a></li>');
        htmx.process(menu);
    }""")
    page.click("#gone")
    page.wait_for_url("**/register/residents/999999")
    page.locator("h1", has_text="找不到页面").wait_for()
    assert page.evaluate(MARK) == 7
    assert page.title().endswith("· 美好")
    assert serious_violations(page) == []


def test_the_same_links_work_without_javascript(browser, served):
    context = browser.new_context(base_url=served.url, viewport=DESKTOP, locale="zh-CN", java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        log_in(page, served, "admin")
        assert page.locator("h1").inner_text() == "总览"
        with page.expect_navigation():
            page.click("header nav a[href='/register']")
        assert page.url.endswith("/register") and page.title() == "居民台账 · 美好"
        with page.expect_navigation():
            page.click("nav.pager a[rel=next]")
        assert "page=2" in page.url and page.locator("nav.pager span").inner_text().startswith("第 2 页")
        page.go_back()
        assert page.url.endswith("/register")
    finally:
        context.close()


def test_menu_navigation_on_a_phone(phone, served):
    log_in(phone, served, "yajuyuan-g01-grid-worker-1")
    phone.evaluate(f"{MARK} = 1")
    phone.click("header nav a[href='/queue']")
    phone.wait_for_url("**/queue")
    phone.locator("h1", has_text="我的待办").wait_for()
    assert phone.evaluate(MARK) == 1
    assert serious_violations(phone) == []
    shoot(phone, "navigation-queue-boosted-phone")
