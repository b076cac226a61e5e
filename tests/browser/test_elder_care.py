"""elder_care's pages in Chromium: a grid worker of 雅居园社区 records a visit on a phone; the pages at desktop and phone size, axe on each."""

from __future__ import annotations

import re

from tests.browser.conftest import log_in, serious_violations, shoot

WORKER = "yajuyuan-g01-grid-worker-1"
BASE = "/c/yajuyuan/elder_care"


def test_a_grid_worker_records_a_visit_on_a_phone(phone, served):
    log_in(phone, served, WORKER)
    # from the overview: the scene's link under 雅居园社区
    phone.locator(f"section.community a[href='{BASE}/due']").first.click()
    assert phone.url.endswith(f"{BASE}/due")
    assert phone.locator("h1").inner_text() == "待探访"
    assert serious_violations(phone) == []
    shoot(phone, "elder_care-due-phone")

    first = phone.locator(".ec-row a.ec-record").first
    name = phone.locator(".ec-row .ec-name").first.inner_text()
    elder_id = int(re.search(r"/elders/(\d+)/visit", first.get_attribute("href")).group(1))
    visits_before = served.sql("SELECT count(*) FROM elder_care_visit WHERE elder = ?", elder_id)[0][0]
    first.click()
    assert phone.locator("h1").inner_text() == f"记录探访：{name}"
    assert phone.locator("input[value=ok]:checked").count() == 0  # nothing is marked fine until tapped

    # saving without the checklist: every area says what is missing, nothing is written
    phone.click("button:has-text('保存探访记录')")
    assert phone.locator("[role=alert]").inner_text() == "请检查标红的项目，本次尚未保存。"
    assert phone.locator("fieldset.ec-area .error").all_inner_texts() == ["请点选“正常”“有问题”或“未查”。"] * 5
    assert serious_violations(phone) == []
    shoot(phone, "elder_care-visit-errors-phone")

    # one tap per area, a note where something is wrong, a follow-up
    phone.click("label.ec-tap:has-text('上门入户')")
    for area in ("health", "finances", "carers", "needs"):
        phone.click(f"#area-{area} label.ec-ok")
    phone.click("#area-housing_safety label.ec-bad")
    phone.fill("#f-note_housing_safety", "卫生间地面湿滑，建议加装扶手")
    phone.click("label:has-text('需要后续跟进')")
    phone.fill("#f-follow_up_note", "联系街道适老化改造项目")
    assert serious_violations(phone) == []
    shoot(phone, "elder_care-visit-phone")
    phone.click("button:has-text('保存探访记录')")

    assert phone.url.endswith(f"{BASE}/due?recorded={elder_id}")
    assert phone.locator("p.notice").inner_text().startswith(f"已记录对{name}的探访")
    assert served.sql("SELECT count(*) FROM elder_care_visit WHERE elder = ?", elder_id)[0][0] == visits_before + 1
    assert served.sql(
        "SELECT method, concerns, follow_up_needed, follow_up_note FROM elder_care_visit WHERE elder = ? ORDER BY id DESC LIMIT 1", elder_id
    ) == [("home", 1, 1, "联系街道适老化改造项目")]
    shoot(phone, "elder_care-recorded-phone")

    phone.goto(f"{BASE}/elders/{elder_id}")
    assert phone.locator("h1").inner_text() == name
    assert "卫生间地面湿滑" not in phone.content()  # a grid worker does not read visit notes
    assert serious_violations(phone) == []
    shoot(phone, "elder_care-elder-phone")

    phone.goto(f"{BASE}/alerts")
    assert phone.locator("h1").inner_text() == "预警"
    assert serious_violations(phone) == []
    shoot(phone, "elder_care-alerts-phone")


def test_the_elder_care_pages_on_a_desktop(page, served):
    log_in(page, served, "yajuyuan-admin")
    page.goto(f"{BASE}/due")
    assert page.locator("h1").inner_text() == "待探访"
    assert serious_violations(page) == []
    shoot(page, "elder_care-due-desktop")

    page.locator(".ec-row .ec-name").first.click()
    assert page.locator("h2#plan").inner_text() == "探访计划"
    assert serious_violations(page) == []
    shoot(page, "elder_care-elder-desktop")

    page.locator("a.ec-record").first.click()
    assert page.locator("h1").inner_text().startswith("记录探访：")
    assert serious_violations(page) == []
    shoot(page, "elder_care-visit-desktop")

    page.goto(f"{BASE}/alerts")
    assert serious_violations(page) == []
    shoot(page, "elder_care-alerts-desktop")
