"""The street's part of 戏曲进乡村 in Chromium: the street admin opens the monthly report from the overview's street section,
changes the street's yearly target (a wrong value is shown at the field), on a desktop and a phone; a community admin is refused."""

from __future__ import annotations

from tests.browser.conftest import log_in, serious_violations, shoot


def look(page, name: str) -> None:
    assert serious_violations(page) == [], name
    shoot(page, name)


def test_the_street_admin_reads_the_monthly_report_and_sets_the_target(page, served):
    log_in(page, served, "admin")
    link = page.locator(".street-links a:has-text('戏曲进乡村月报')")
    assert link.inner_text() == "戏曲进乡村 · 戏曲进乡村月报"
    link.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("戏曲进乡村：")
    assert page.locator("h1").inner_text().endswith("月 全街道")
    assert page.locator("#progress-title").inner_text() == "全年目标"
    assert page.locator("table tbody th").all_inner_texts() == ["城关社区"]  # the demo's only community running culture
    assert page.locator("table tfoot th").inner_text() == "全街道"
    look(page, "street-culture-report-desktop")

    # the spring months, when the demo's spring plan was held
    page.select_option("#month", "4")
    page.click(".period-form button:has-text('查看')")
    page.wait_for_load_state()
    assert "年4月 全街道" in page.locator("h1").inner_text()
    look(page, "street-culture-report-april-desktop")

    page.click("a:has-text('修改街道全年目标')")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "戏曲进乡村：街道设置"
    assert page.locator("label[for='f-shows_per_year']").inner_text() == "全年演出场数"
    page.fill("#f-shows_per_year", "0")
    page.click("button:has-text('保存设置')")
    page.wait_for_load_state()
    assert page.locator("#f-shows_per_year-note").inner_text() == "全年演出场数须在1到10000之间"
    assert serious_violations(page) == []
    shoot(page, "street-culture-settings-error-desktop")
    page.fill("#f-shows_per_year", "24")
    page.click("button:has-text('保存设置')")
    page.wait_for_load_state()
    assert page.locator("[role=status]").inner_text() == "街道设置已保存。"
    assert page.locator("#f-shows_per_year").input_value() == "24"
    look(page, "street-culture-settings-desktop")
    page.goto("/street/culture/report")
    assert "24 场演出" in page.locator(".figures").first.inner_text()


def test_the_street_pages_on_a_phone_and_a_community_admin_refused(phone, served):
    log_in(phone, served, "admin")
    for path, name in (("/street/culture/report?month=4", "street-culture-report"), ("/street/settings/culture", "street-culture-settings")):
        response = phone.goto(path)
        assert response.status == 200, path
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= phone.viewport_size["width"], (path, width)
        look(phone, f"{name}-phone")
    phone.click("button:has-text('退出')") if phone.locator("button:has-text('退出')").count() else None
    phone.context.clear_cookies()
    log_in(phone, served, "chengguan-admin")
    assert phone.goto("/street/culture/report").status == 403
    assert phone.goto("/street/settings/culture").status == 403
