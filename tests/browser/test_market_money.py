"""The markets' money in Chromium: 城关's admin makes a market taking a contribution, reads and publishes a past day's
public statement (公示) and waives a stall's fee, on a desktop and a phone."""

from __future__ import annotations

import re

from tests.browser.conftest import log_in, serious_violations, shoot

MARKETS = "/c/chengguan/markets"


def look(page, name: str) -> None:
    assert serious_violations(page) == [], name
    shoot(page, name)


def test_chengguan_admin_makes_a_market_taking_a_contribution(page, served):
    log_in(page, served, "chengguan-admin")
    page.goto(f"{MARKETS}/markets/new")
    assert page.locator("h2:has-text('费用和善款去向')").count() == 1
    page.fill("#f-name", "老街坊爱心义卖")
    page.fill("#f-venue", "城关老街文化广场")
    page.fill("#f-first_day", "2027-03-13")
    page.select_option("#f-market_kind", "charity_sale")
    page.select_option("#f-money", "contribution")
    page.fill("#f-fee", "10")
    page.fill("#f-beneficiary", "老街坊助老食堂")
    page.fill("#f-receiving_charity", "城关社区居委会")
    page.click("button:has-text('创建市集')")
    page.locator("#f-receiving_charity-note").wait_for()
    assert page.locator("#f-receiving_charity-note").inner_text() == "居委会、村委会不能自己接收公开募捐的善款，请填写慈善组织，例如济阳区慈善总会。"
    look(page, "markets-money-form-error-desktop")
    page.fill("#f-receiving_charity", "济阳区慈善总会")
    page.click("button:has-text('创建市集')")
    page.wait_for_url(re.compile(r".*/markets/markets\?done=created.*"))
    assert page.locator("[role=status]").inner_text() == "市集已创建，接下来几周的市集日现在可以报名了。"


def test_chengguan_admin_reads_publishes_and_prints_a_statement(page, served):
    log_in(page, served, "chengguan-admin")
    page.goto(f"{MARKETS}/proceeds")
    page.locator("table a").first.click()
    page.locator("a.button:has-text('公示')").wait_for()
    page.click("a.button:has-text('公示')")
    page.wait_for_url(re.compile(r".*/days/\d+/statement$"))
    assert page.locator("h1").inner_text() == "公示"
    text = page.locator(".statement-text").inner_text()
    assert text.startswith("老街坊睦邻善市（义卖）") and "由济阳区慈善总会接收，用于老街坊助老食堂。欢迎居民监督。" in text
    assert "已于" in page.locator("main").inner_text()  # the demo published it
    look(page, "markets-statement-desktop")
    page.click("button:has-text('更正后重新发布')")
    page.wait_for_url(re.compile(r".*/statement\?done=published$"))
    assert page.locator("[role=status]").inner_text() == "公示已发布，已通过站内消息告知当天的摊主。"
    page.emulate_media(media="print")
    assert page.locator(".scene-nav").is_hidden() and page.locator("button:has-text('打印')").is_hidden()
    shoot(page, "markets-statement-print")
    page.emulate_media(media="screen")


def test_chengguan_admin_waives_a_stall_fee(page, served):
    log_in(page, served, "chengguan-admin")
    page.goto(f"{MARKETS}/days")
    page.locator(".scene-items > li:has-text('老街坊睦邻善市') a").first.click()
    waive = page.locator(".scene-items > li form:has(input[name=reason])").first
    waive.wait_for()
    waive.locator("button").click()
    page.locator(".scene-items p.error").first.wait_for()
    assert page.locator(".scene-items p.error").first.inner_text() == "请写明减免原因（例如低保家庭减免），最多200字。"
    look(page, "markets-waiver-error-desktop")
    waive = page.locator(".scene-items > li form:has(input[name=reason])").first
    waive.locator("input[name=reason]").fill("低保家庭减免")
    waive.locator("button").click()
    page.wait_for_url(re.compile(r".*\?done=waived#a\d+$"))
    assert page.locator("[role=status]").inner_text() == "这个摊位的费用已减免。"
    look(page, "markets-waiver-desktop")


def test_the_money_pages_on_a_phone(phone, served):
    log_in(phone, served, "chengguan-admin")
    phone.goto(f"{MARKETS}/markets/new")
    look(phone, "markets-money-form-phone")
    phone.goto(f"{MARKETS}/proceeds")
    phone.locator("table a").first.click()
    phone.click("a.button:has-text('公示')")
    phone.wait_for_url(re.compile(r".*/statement$"))
    look(phone, "markets-statement-phone")
