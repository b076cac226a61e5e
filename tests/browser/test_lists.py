"""The list kit on the scenes' lists and the audit log in Chromium: facets with counts, a bulk action's confirmation and result,
export links; each page at desktop and phone size, axe on each (0 serious)."""

from __future__ import annotations

import re

from tests.browser.conftest import log_in, serious_violations, shoot

MARKETS = "/c/chengguan/markets"
CULTURE = "/c/chengguan/culture"
ELDERS = "/c/yajuyuan/elder_care"


def look(page, name: str) -> None:
    assert serious_violations(page) == [], name
    shoot(page, name)


def counts(page, name: str) -> dict[str, int]:
    """A facet's values with their counts, as shown."""
    found = {}
    for text in page.locator(f"nav[aria-labelledby='facet-{name}'] li a").all_inner_texts():
        label, n = re.fullmatch(r"(.*?)\s*(\d+)", text.strip(), re.S).groups()
        found[label.strip()] = int(n)
    return found


def test_markets_applications_filtered_by_day_and_approved_in_bulk(page, served):
    log_in(page, served, "chengguan-admin")
    page.goto(f"{MARKETS}/applications")
    pending = counts(page, "status")["待审批"]
    assert page.locator(".scene-items > li").count() == pending
    assert page.locator("#results-h").inner_text() == f"{pending} 份申请"
    look(page, "lists-markets-applications-desktop")
    days = counts(page, "day")
    first_day, in_day = next(iter(days.items()))
    page.locator("nav[aria-labelledby='facet-day'] li a").first.click()
    page.wait_for_url("**day=*")  # a boosted facet link: the address changes once the list is swapped in
    assert "day=" in page.url
    assert page.locator(".scene-items > li").count() == in_day
    assert page.locator(".chosen-filters").inner_text().startswith(f"市集日: {first_day}")
    assert page.locator("a:has-text('CSV')").get_attribute("href").startswith(f"{MARKETS}/applications/export.csv?day=")
    page.select_option("#f-action", "approve")
    page.click(".bulk button:has-text('下一步')")
    assert page.locator(".confirm-count").inner_text().startswith(f"有 {in_day} 份待审批申请符合筛选条件。全部通过吗？")
    look(page, "lists-markets-bulk-confirm-desktop")
    page.click(f"button:has-text('确定，通过 {in_day} 份申请')")
    assert page.locator("[role=status]").inner_text() == f"已处理 {in_day} 份申请。"
    assert page.locator(".bulk-results li").count() == in_day
    look(page, "lists-markets-bulk-done-desktop")
    page.click("a:has-text('返回名单')")
    assert counts(page, "day")[first_day] == 0  # nothing pending left on the day chosen (still shown: it is chosen)
    assert page.locator(".scene-items > li").count() == 0


def test_culture_shows_filtered_by_month(page, served):
    log_in(page, served, "chengguan-admin")
    page.goto(f"{CULTURE}/shows")
    months = counts(page, "month")
    total = int(re.match(r"(\d+) 场演出", page.locator("#results-h").inner_text()).group(1))
    assert sum(months.values()) == total == page.locator(".day-group .scene-items > li").count()
    look(page, "lists-culture-shows-desktop")
    month, n = next(iter(months.items()))
    page.locator("nav[aria-labelledby='facet-month'] li a").first.click()
    page.wait_for_url("**month=*")
    assert page.locator(".day-group .scene-items > li").count() == n
    assert f"{month}" in page.locator(".chosen-filters").inner_text()
    look(page, "lists-culture-shows-month-desktop")


def test_elder_care_elders_filtered_and_a_visitor_named_for_all(page, served):
    log_in(page, served, "yajuyuan-admin")
    page.goto(f"{ELDERS}/due")
    states = counts(page, "status")
    total = int(re.match(r"(\d+) 位老人", page.locator("#results-h").inner_text()).group(1))
    assert total == sum(n for label, n in states.items() if label != "未到探访时间")
    assert page.locator(".ec-row").count() == total
    look(page, "lists-elder_care-due-desktop")
    alone = counts(page, "living_alone")["独居"]
    page.locator("nav[aria-labelledby='facet-living_alone'] li a:has-text('独居')").first.click()
    page.wait_for_url("**living_alone=*")
    assert page.locator(".ec-row").count() == alone
    visitor = page.locator("#f-visitor option").nth(1).inner_text()
    page.select_option("#f-visitor", index=1)
    page.click(".bulk button:has-text('下一步')")
    assert page.locator(".confirm-count").inner_text() == f"有 {alone} 位老人符合筛选条件。指定 {visitor} 为他们的探访责任人吗？"
    look(page, "lists-elder_care-bulk-confirm-desktop")
    page.click(f"button:has-text('确定，指定给 {alone} 位老人')")
    assert page.locator("[role=status]").inner_text().startswith(f"已将 {visitor} 指定为")
    look(page, "lists-elder_care-bulk-done-desktop")


def test_the_audit_log_with_counts(page, served):
    log_in(page, served, "admin")
    page.goto("/ops/audit")
    actions = counts(page, "action")
    entries = int(re.search(r"共 (\d+) 条", page.locator("[role=status]").first.inner_text()).group(1))
    assert sum(actions.values()) == entries
    look(page, "lists-audit-desktop")
    action, n = next(iter(actions.items()))
    page.locator("nav[aria-labelledby='facet-action'] li a").first.click()
    page.wait_for_url("**action=*")
    assert re.search(r"共 (\d+) 条", page.locator("[role=status]").first.inner_text()).group(1) == str(n)
    assert page.locator("a:has-text('CSV')").get_attribute("href") == f"/ops/audit/export.csv?action={action}"


def test_the_scene_lists_on_a_phone(phone, served):
    log_in(phone, served, "chengguan-admin")
    for path, name in ((f"{MARKETS}/applications", "lists-markets-applications"), (f"{CULTURE}/shows", "lists-culture-shows")):
        assert phone.goto(path).status == 200
        look(phone, f"{name}-phone")
    phone.goto(f"{MARKETS}/applications/bulk?action=refuse&reason=本期摊位已满")
    look(phone, "lists-markets-bulk-confirm-phone")


def test_the_elders_list_on_a_phone(phone, served):
    log_in(phone, served, "yajuyuan-admin")
    phone.goto(f"{ELDERS}/due")
    look(phone, "lists-elder_care-due-phone")


def test_the_audit_log_on_a_phone(phone, served):
    log_in(phone, served, "admin")
    phone.goto("/ops/audit")
    look(phone, "lists-audit-phone")
