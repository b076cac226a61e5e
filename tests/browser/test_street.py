"""The street overview and a community's page in Chromium: a street admin switches a scene on with settings; screenshots and axe."""

from __future__ import annotations

import json

from tests.browser.conftest import log_in, scene_panels_loaded, serious_violations, shoot

DEMO = ["荷畔社区", "华阳社区", "银山社区", "城关社区", "雅居园社区"]


def test_the_street_admin_overview_on_desktop_and_phone(page, phone, served):
    # the demo's reminders due now go out on the server's worker's first rounds: wait for them (bounded)
    for _ in range(90):
        if served.sql("SELECT count(*) FROM meihao_reminder WHERE status = 'sent'") != [(0,)]:
            break
        page.wait_for_timeout(1000)
    log_in(page, served, "admin")
    assert page.locator("h1").inner_text() == "总览"
    assert page.locator("#street-title").inner_text() == "全街道"
    assert page.locator(".street-summary .figure .label").all_inner_texts()[:2] == ["社区", "已开启场景"]
    assert page.locator(".street-summary .figure .value").first.inner_text() == "5"
    assert page.locator("section.community h2").all_inner_texts() == DEMO
    assert page.locator("#c-yajuyuan a").get_attribute("href") == "/communities/yajuyuan"
    # the charts are drawn on the server: 14 bars of reminders per day for the street and each community
    assert page.locator(".street-summary svg rect").count() == 14
    # …where something was sent, and a sentence where nothing was. Every demo community now runs a scene (荷畔 and
    # 银山 the service desk, 银山 governance) and their charts fill as the server's worker delivers the demo's
    # reminders and notices: at least one has bars (we waited for a send), each other one says why it has none
    empty = page.locator(".chart-empty").count()
    assert empty <= 4
    assert page.locator("section.community svg[aria-label='近 14 天每日已发提醒'] rect").count() == 14 * (5 - empty)
    assert page.locator(".chart-empty").all_inner_texts() == ["近 14 天没有发出提醒。"] * empty
    # each community's scene panels come after the page (htmx): 雅居园's elder care counts its elders
    scene_panels_loaded(page)
    assert page.locator(".scene-panels .loading").count() == 0
    assert "在册老人" in page.locator("#scenes-yajuyuan").inner_text()
    assert serious_violations(page) == []
    shoot(page, "street-overview-desktop")

    log_in(phone, served, "admin")
    assert phone.locator("section.community h2").count() == len(DEMO)
    scene_panels_loaded(phone)
    assert serious_violations(phone) == []
    shoot(phone, "street-overview-phone")


def test_a_grid_worker_on_a_phone_sees_their_community(phone, served):
    log_in(phone, served, "yajuyuan-g01-grid-worker-1")
    assert phone.locator("section.community h2").all_inner_texts() == ["雅居园社区"]
    assert phone.locator("#street-title").count() == 0
    scene_panels_loaded(phone)
    assert "在册老人" in phone.locator("#scenes-yajuyuan").inner_text()
    assert serious_violations(phone) == []
    shoot(phone, "street-overview-grid-worker-phone")
    phone.click("#c-yajuyuan a")
    assert phone.locator("h1").inner_text() == "雅居园社区"
    assert phone.locator("form[action^='/communities/yajuyuan']").count() == 0
    assert phone.locator(".grid-card h3").count() == 1
    assert serious_violations(phone) == []
    shoot(phone, "community-grid-worker-phone")


def test_a_street_admin_switches_a_scene_on_with_settings_through_the_form(page, phone, served):
    log_in(page, served, "admin")
    page.click("#c-huayang a")
    assert page.url.endswith("/communities/huayang")
    assert page.locator("h1").inner_text() == "华阳社区"
    assert page.locator("#scene-markets .badge").inner_text() == "已开启"
    assert page.locator("#scene-culture .badge").inner_text() == "未开启"
    # the grid teams: 2+1+N per grid in the demo
    first = page.locator(".grid-card").first
    assert first.locator("dt").all_inner_texts()[:3] == ["网格长 2/2", "专职网格员 1/1", "兼职网格员 2"]
    assert serious_violations(page) == []
    shoot(page, "community-desktop")

    culture = page.locator("#scene-culture")
    culture.locator("summary").click()
    assert culture.locator("label[for='f-culture-subsidy_per_show_yuan']").inner_text() == "每场补助（元）"
    # a wrong value first: the error is shown at its field, nothing is switched on
    culture.locator("#f-culture-attendance_ask_hour").fill("25")
    culture.locator("button.primary").click()
    culture = page.locator("#scene-culture")
    assert culture.locator("#f-culture-attendance_ask_hour-note").inner_text() == "请填写 0 到 23 之间的整点。"
    assert culture.locator("#f-culture-attendance_ask_hour").get_attribute("aria-invalid") == "true"
    assert culture.locator(".badge").inner_text() == "未开启"
    assert serious_violations(page) == []
    shoot(page, "community-settings-error-desktop")
    culture.locator("#f-culture-attendance_ask_hour").fill("10")
    culture.locator("#f-culture-subsidy_per_show_yuan").fill("6000")
    culture.locator("button.primary").click()
    assert page.locator("[role=status]").inner_text() == "场景已开启，设置已保存。"
    assert page.locator("#scene-culture .badge").inner_text() == "已开启"
    stored = served.sql(
        "SELECT s.enabled, s.settings FROM meihao_community_scenario s JOIN meihao_community c ON c.id = s.community "
        "WHERE c.slug = 'huayang' AND s.scenario = 'culture'"
    )
    settings = json.loads(stored[0][1])
    assert (stored[0][0], settings["attendance_ask_hour"], settings["subsidy_per_show_yuan"], settings["elder_age"]) == (1, 10, 6000, 60)

    log_in(phone, served, "admin")
    phone.goto("/communities/huayang")
    phone.locator("#scene-culture summary").click()
    assert serious_violations(phone) == []
    shoot(phone, "community-phone")

    # switched off again, so that the demo is as it was for the other tests
    page.locator("#scene-culture .scene-off button").click()
    assert page.locator("[role=status]").inner_text() == "场景已关闭，原有记录和设置都会保留。"
    assert page.locator("#scene-culture .badge").inner_text() == "未开启"
