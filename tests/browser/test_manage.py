"""The scenes' setting-up pages in Chromium: 城关's admin creates a market and changes its first day on a desktop, and plans a show on a phone."""

from __future__ import annotations

from datetime import date, timedelta

from tests.browser.conftest import log_in, serious_violations, shoot

MARKETS = "/c/chengguan/markets"
CULTURE = "/c/chengguan/culture"


def look(page, name: str) -> None:
    assert serious_violations(page) == [], name
    shoot(page, name)


def test_chengguan_admin_creates_a_market_and_changes_its_first_day(page, served):
    log_in(page, served, "chengguan-admin")
    page.goto(f"{MARKETS}/days")
    page.click(".scene-nav a:has-text('市集与商户')")
    assert page.locator("h1").inner_text() == "市集"
    before = page.locator(".scene-items > li").count()
    look(page, "markets-manage-list-desktop")

    page.click("a:has-text('新建市集')")
    assert page.locator("h1").inner_text() == "新建市集"
    first = date.today() + timedelta(days=14)  # the served demo runs on the real clock
    page.fill("#f-name", "城关周末公益市集")
    page.fill("#f-venue", "城关老街文化广场")
    page.fill("#f-first_day", first.isoformat())
    page.select_option("#f-repeat", "weekly")
    page.fill("#f-capacity", "0")
    page.click("button:has-text('创建市集')")
    assert page.locator("#f-capacity-note").inner_text() == "摊位数请填1到10000之间的整数。"
    assert page.locator("#f-venue").input_value() == "城关老街文化广场"  # the form comes back filled
    look(page, "markets-manage-new-error-desktop")

    page.fill("#f-capacity", "20")
    page.click("button:has-text('创建市集')")
    page.wait_for_load_state()
    assert page.locator("[role=status]").inner_text() == "市集已创建，接下来几周的市集日现在可以报名了。"
    assert page.locator(".scene-items > li").count() == before + 1
    created = page.locator(".scene-items > li", has_text="城关周末公益市集")
    assert created.locator(".manage-days li").first.inner_text().startswith(first.isoformat())
    look(page, "markets-manage-created-desktop")

    created.locator(".manage-days li").first.get_by_role("link", name=f"修改或取消 {first.isoformat()} 的市集").click()
    assert page.locator("#f-capacity").input_value() == "20"
    look(page, "markets-manage-day-desktop")
    page.fill("#f-capacity", "24")
    page.click("button:has-text('保存')")
    page.wait_for_load_state()
    assert page.locator("[role=status]").inner_text() == "这一场市集已保存。"
    assert "已定 0 / 24 个摊位" in page.locator(".scene-items > li", has_text="城关周末公益市集").locator(".manage-days li").first.inner_text()

    page.goto(f"{MARKETS}/merchants")
    page.fill("#f-name", "城关老字号糕点铺")
    page.fill("#f-contact_phone", "12345")
    page.click("button:has-text('登记商户')")
    assert page.locator("#f-contact_phone-note").inner_text() == "请填写手机号，如 13912345678；座机请带区号，如 0531 8888 8888。"
    look(page, "markets-manage-merchants-error-desktop")
    page.goto(f"{CULTURE}/manage")
    look(page, "culture-manage-desktop")
    page.locator("a:has-text('安排一场演出')").first.click()
    assert page.locator("h1").inner_text() == "安排一场演出"
    look(page, "culture-show-new-desktop")


def test_chengguan_admin_plans_a_show_on_a_phone(phone, served):
    log_in(phone, served, "chengguan-admin")
    phone.goto(f"{CULTURE}/plan")
    phone.click(".scene-nav a:has-text('安排演出')")
    assert phone.locator("h1").inner_text() == "安排演出"
    look(phone, "culture-manage-phone")

    phone.click("a:has-text('新建巡演计划')")
    today = date.today()
    phone.fill("#f-name", "冬季戏曲进乡村")
    phone.fill("#f-season_start", today.isoformat())
    phone.fill("#f-season_end", (today + timedelta(days=60)).isoformat())
    look(phone, "culture-plan-new-phone")
    phone.click("button:has-text('创建计划')")
    phone.wait_for_load_state()
    assert phone.locator("[role=status]").inner_text() == "巡演计划已创建，现在可以安排演出场次了。"

    phone.get_by_role("link", name="在“冬季戏曲进乡村”中安排一场演出").click()
    assert phone.locator("h1").inner_text() == "安排一场演出"
    phone.select_option("#f-venue_id", index=1)
    troupe = phone.locator("#f-troupe_id option").nth(1)
    phone.select_option("#f-troupe_id", troupe.get_attribute("value"))
    play = phone.locator(f"#f-play_id optgroup[label='{troupe.inner_text()}'] option").first.get_attribute("value")
    phone.select_option("#f-play_id", play)
    phone.fill("#f-day", (today + timedelta(days=61)).isoformat())  # one day after the season
    phone.fill("#f-starts_at", "19:00")
    phone.click("button:has-text('安排演出')")
    assert phone.locator("#f-starts_at-note").inner_text() == "演出日期要在这个计划的演出季之内。"
    look(phone, "culture-show-new-error-phone")

    phone.fill("#f-day", (today + timedelta(days=7)).isoformat())
    phone.fill("#f-starts_at", "14:30")  # an afternoon show: outdoor evenings avoid winter and the farming season
    phone.check("#f-elders_first")
    phone.click("button:has-text('安排演出')")
    phone.wait_for_load_state()
    assert phone.locator("[role=status]").inner_text() == "演出已安排：场地所在网格的居民会在演出前一天和当天收到提醒。"
    look(phone, "culture-show-created-phone")

    phone.get_by_role("link", name="修改“冬季戏曲进乡村”").click()
    assert phone.locator("#f-season_end").input_value() == (today + timedelta(days=60)).isoformat()
    look(phone, "culture-plan-edit-phone")
    phone.goto(f"{CULTURE}/manage")

    moving = f"改期或取消 {(today + timedelta(days=7)).isoformat()} 14:30 的演出"
    phone.get_by_role("link", name=moving).first.click()
    assert phone.locator("#f-starts_at").input_value() == "14:30"
    look(phone, "culture-show-edit-phone")
    for path, name in ((f"{MARKETS}/markets", "markets-manage-list-phone"), (f"{MARKETS}/markets/new", "markets-manage-new-phone"),
                       (f"{MARKETS}/merchants", "markets-manage-merchants-phone")):
        assert phone.goto(path).status == 200, path
        look(phone, name)
    phone.locator("table a:has-text('修改')").first.click()
    assert phone.locator("h1").inner_text() == "修改商户"
    look(phone, "markets-merchant-edit-phone")
