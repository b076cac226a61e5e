"""The markets and culture pages in Chromium: 城关's admin approves a stall application and records last night's show, on a desktop and a phone."""

from __future__ import annotations

from tests.browser.conftest import log_in, serious_violations, shoot

MARKETS = "/c/chengguan/markets"
CULTURE = "/c/chengguan/culture"


def look(page, name: str) -> None:
    assert serious_violations(page) == [], name
    shoot(page, name)


def test_chengguan_admin_decides_a_stall_application_and_reads_the_proceeds(page, served):
    log_in(page, served, "chengguan-admin")
    page.click("a:has-text('市集日')")
    assert page.locator("h1").inner_text() == "市集日"
    assert page.locator(".scene-items > li").count() >= 2
    look(page, "markets-days-desktop")

    page.click(".scene-nav a:has-text('摊位审批')")
    assert page.locator("h1").inner_text() == "摊位审批"
    waiting = page.locator(".scene-items > li").count()
    assert waiting == 4  # the demo leaves two applications of each market's next day to decide (two markets)
    look(page, "markets-applications-desktop")
    first = page.locator(".scene-items > li h3").first.inner_text()
    page.locator(".scene-items > li").first.get_by_role("button", name="通过", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("[role=status]").inner_text().startswith("已通过")
    assert page.locator(".scene-items > li").count() == waiting - 1
    assert first not in page.locator("main").inner_text()

    # refusing without a reason says so at the field
    page.locator(".scene-items > li").first.get_by_role("button", name="不通过", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".scene-items p.error").inner_text() == "请说明不通过的原因：申请人会收到这条说明。"
    assert serious_violations(page) == []
    shoot(page, "markets-refuse-error-desktop")

    page.click(".scene-nav a:has-text('候补名单')")
    look(page, "markets-waiting-desktop")
    page.click(".scene-nav a:has-text('善款')")
    assert "善款" in page.locator("h1").inner_text()
    look(page, "markets-proceeds-desktop")


def test_chengguan_admin_records_last_nights_show(page, served):
    log_in(page, served, "chengguan-admin")
    page.click("a:has-text('演出计划')")
    assert page.locator("h1").inner_text() == "戏曲进乡村：演出计划"
    look(page, "culture-plan-desktop")
    page.click(".scene-nav a:has-text('演出场次')")
    assert page.locator(".day-group h2").first.inner_text() == "已演出，待录入记录 (1)"
    look(page, "culture-shows-desktop")
    page.click("a:has-text('录入这场演出')")
    page.fill("#f-attendance", "")
    page.click("button:has-text('保存演出记录')")
    assert page.locator("#f-attendance-note").inner_text() == "请填写观众人数：0 到 100000 之间的整数。"
    assert serious_violations(page) == []
    shoot(page, "culture-record-error-desktop")
    page.fill("#f-attendance", "186")
    page.select_option("#f-satisfaction", "satisfied")
    page.fill("#f-confirmed_by", "城关社区居委会 刘书记")
    page.click("button:has-text('保存演出记录')")
    assert page.locator("[role=status]").inner_text() == "演出记录已保存，谢谢！"
    assert "186" in page.locator(".facts").inner_text()
    look(page, "culture-show-desktop")


def test_the_pages_on_a_phone(phone, served):
    log_in(phone, served, "chengguan-admin")
    for path, name in ((f"{MARKETS}/days", "markets-days"), (f"{MARKETS}/applications", "markets-applications"),
                       (f"{MARKETS}/waiting", "markets-waiting"), (f"{MARKETS}/proceeds", "markets-proceeds"),
                       (f"{CULTURE}/plan", "culture-plan"), (f"{CULTURE}/shows", "culture-shows")):
        response = phone.goto(path)
        assert response.status == 200, path
        look(phone, f"{name}-phone")
    phone.goto(f"{CULTURE}/shows")
    phone.locator(".scene-items > li h3 a").first.click()
    look(phone, "culture-show-phone")
