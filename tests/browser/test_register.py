"""The register (居民台账) in Chromium: a grid worker on a phone filters and opens a resident; a community admin on a
desktop reveals a number with a reason; household and building views; screenshots and axe on each page."""

from __future__ import annotations

import re

from tests.browser.conftest import SCREENSHOTS, log_in, serious_violations, shoot

WORKER = "hepan-g01-grid-worker-1"


def _worker_grid(served) -> int:
    return served.sql(
        "SELECT a.grid FROM meihao_staff_assignment a JOIN meihao_staff s ON s.id = a.staff JOIN piccolo_user u ON u.id = s.user"
        " WHERE u.username = ?", WORKER,
    )[0][0]


def test_a_grid_worker_on_a_phone_filters_and_opens_a_resident(phone, served):
    grid = _worker_grid(served)
    in_grid = served.sql("SELECT count(*) FROM meihao_resident WHERE grid = ?", grid)[0][0]
    log_in(phone, served, WORKER)
    phone.goto("/register")
    assert phone.locator("h1").inner_text() == "居民台账"
    # only their own grid, counted as such
    assert phone.locator("#results-h").inner_text().startswith(f"{in_grid} 位居民")
    assert phone.locator("nav[aria-labelledby=facet-grid] li").count() == 1
    assert serious_violations(phone) == []
    shoot(phone, "register-list-phone")
    phone.screenshot(path=str(SCREENSHOTS / "register-list-phone-first-screen.png"))  # what the worker sees first
    phone.evaluate("window.scrollTo(0, document.querySelector('#results-h').offsetTop)")
    phone.screenshot(path=str(SCREENSHOTS / "register-list-phone-results.png"))

    alone = served.sql(
        "SELECT count(*) FROM meihao_resident r JOIN meihao_resident_tag t ON t.resident = r.id WHERE r.grid = ? AND t.tag = 'living_alone'", grid,
    )[0][0]
    phone.click("nav[aria-labelledby=facet-tag] a:has-text('独居')")
    phone.wait_for_url("**tag=living_alone*")  # a boosted facet link
    assert "tag=living_alone" in phone.url
    assert phone.locator("#results-h").inner_text().startswith(f"{alone} 位居民")
    assert phone.locator(".chosen-filters").inner_text().startswith("标签: 独居")
    shoot(phone, "register-filtered-phone")

    first = phone.locator("table.residents tbody th[scope=row] a").first
    name = first.inner_text()
    first.click()
    assert phone.locator("h1").inner_text() == name
    assert re.fullmatch(r"\*{14}\d{3}[\dX]", phone.locator(".facts .masked").first.inner_text())
    assert phone.locator("a:has-text('完整显示')").count() == 0  # grid workers do not reveal
    assert serious_violations(phone) == []
    shoot(phone, "register-resident-phone")

    # another grid's resident is the 404 page
    other = served.sql("SELECT id FROM meihao_resident WHERE grid != ? ORDER BY id LIMIT 1", grid)[0][0]
    response = phone.goto(f"/register/residents/{other}")
    assert response.status == 404
    assert phone.locator("h1").inner_text() == "找不到页面"


def test_a_community_admin_reveals_an_id_number_with_a_reason(page, served):
    log_in(page, served, "hepan-admin")
    page.goto("/register")
    assert page.locator("h1").inner_text() == "居民台账"
    assert serious_violations(page) == []
    shoot(page, "register-list-desktop")

    page.locator("table.residents tbody th[scope=row] a").first.click()
    page.wait_for_url(re.compile(r".*/\d+$"))  # the resident's page (a boosted link: the address changes after the swap)
    resident_url = page.url
    assert serious_violations(page) == []
    shoot(page, "register-resident-desktop")

    page.click("dd:has(.masked) a:has-text('完整显示') >> nth=0")
    assert page.locator("h1").inner_text() == "显示完整的身份证号"
    page.click("button:has-text('完整显示')")  # no reason: the browser asks for one first
    assert page.url.endswith("field=id_card")
    page.fill("#f-reason", "短")
    page.click("button:has-text('完整显示')")
    assert page.locator("#f-reason-note").inner_text().startswith("请说明原因")
    assert serious_violations(page) == []
    page.fill("#f-reason", "核对低保申请材料上的身份证号")
    page.click("button:has-text('完整显示')")
    value = page.locator(".revealed strong").inner_text()
    assert re.fullmatch(r"\d{17}[\dX]", value)
    assert serious_violations(page) == []
    shoot(page, "register-reveal-desktop")
    resident_id = int(resident_url.rsplit("/", 1)[1])
    assert served.sql("SELECT reason FROM meihao_audit_log WHERE action = 'resident.reveal' AND target_id = ?", str(resident_id)) == [
        ("核对低保申请材料上的身份证号",)]
    page.goto(resident_url)
    assert value not in page.content()


def test_household_building_and_bulk_confirmation_pages(page, served):
    log_in(page, served, "hepan-admin")
    page.goto("/register")
    page.locator("table.residents tbody th[scope=row] a").first.click()
    page.click(".crumbs a >> nth=1")  # the building
    assert page.locator("h1").inner_text().endswith("楼") or page.locator("table").count() == 1
    assert serious_violations(page) == []
    shoot(page, "register-building-desktop")
    page.locator("table tbody th[scope=row] a").first.click()
    assert page.locator("h1").inner_text().endswith(page.locator(".crumbs a >> nth=1").inner_text())
    assert serious_violations(page) == []
    shoot(page, "register-household-desktop")

    page.goto("/register?min_age=80")
    page.select_option("#f-op", "add")
    page.fill("#f-bulk_tag", "elder")
    page.click(".bulk button[type=submit]")
    assert page.locator("h1").inner_text() == "给筛选出的全部居民加标签"
    assert re.fullmatch(r"将为 \d+ 位居民加上标签“老年人 \(elder\)”。", page.locator(".confirm-count").inner_text())
    assert serious_violations(page) == []
    shoot(page, "register-bulk-desktop")
