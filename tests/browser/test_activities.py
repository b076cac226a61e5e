"""The activities pages in Chromium: a community admin plans an activity with a reminder and finds it on the month
calendar; the week on a phone; screenshots and axe on each page."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import log_in, serious_violations, shoot


def test_a_community_admin_creates_an_activity_and_sees_it_on_the_month(page, served):
    log_in(page, served, "hepan-admin")
    page.click("nav >> text=活动")
    page.wait_for_url("**/activities")  # a boosted link: the content is swapped in, no page load to wait for
    assert page.locator("h1").inner_text() == "活动"
    assert serious_violations(page) == []
    shoot(page, "activities-month-desktop")

    page.click("text=新建活动")
    assert page.locator("h1").inner_text() == "新建活动"
    day = date.today() + timedelta(days=9)
    page.fill("#f-title", "银龄健康讲座")
    page.fill("#f-venue", "荷畔社区活动中心二楼")
    page.select_option("#f-scene", "health")
    page.fill("#f-start_date", day.isoformat())
    page.fill("#f-start_time", "09:30")
    page.fill("#f-duration", "90")
    # the audience preview follows the audience: everyone, then residents aged 60 and over
    page.wait_for_selector("#preview .act-reach-n")
    everyone = int(page.locator("#preview .act-reach-n").inner_text())
    page.check("input[name=who][value=some]")
    page.fill("#f-min_age", "60")
    page.locator("#f-min_age").dispatch_event("change")
    expect(page.locator("#preview .act-reach-n")).not_to_have_text(str(everyone))
    elders = int(page.locator("#preview .act-reach-n").inner_text())
    assert 0 < elders < everyone
    assert "*" in page.locator("#preview table tbody tr").first.inner_text()  # a masked sample
    page.check("input[name=offsets][value='120']")
    assert serious_violations(page) == []
    shoot(page, "activities-new-desktop")

    page.click("button:has-text('创建活动')")
    assert page.locator("h1").inner_text() == "银龄健康讲座"
    assert page.locator("[role=status]").inner_text() == "已保存，提醒已安排。"
    details = page.locator(".act-dl").inner_text()
    assert "提前 1 天, 提前 2 小时" in details and "60 岁及以上" in details
    assert page.locator(".act-coming li").all_inner_texts() == [f"{day.isoformat()} 09:30"]
    assert serious_violations(page) == []
    shoot(page, "activities-detail-desktop")

    page.goto(f"/activities?view=month&d={day.isoformat()}")
    cell = page.locator(f"td[data-day='{day.isoformat()}']")
    assert "09:30 银龄健康讲座" in cell.inner_text()
    cell.locator("text=银龄健康讲座").click()
    assert page.locator("h1").inner_text() == "银龄健康讲座"


def test_a_weekly_activity_planned_on_a_phone_shows_in_the_week(phone, served):
    log_in(phone, served, "hepan-admin")
    phone.goto("/activities/new")
    assert phone.locator("h1").inner_text() == "新建活动"
    assert not phone.locator("#f-rrule").is_visible()  # the advanced rule shows only when chosen
    tomorrow = date.today() + timedelta(days=1)
    phone.fill("#f-title", "社区义诊")
    phone.fill("#f-venue", "荷畔社区卫生服务站")
    phone.fill("#f-start_date", tomorrow.isoformat())
    phone.fill("#f-start_time", "09:00")
    phone.check("input[name=repeat][value=weekly]")
    phone.fill("#f-count", "4")
    phone.wait_for_selector("#preview .act-reach-n")
    assert serious_violations(phone) == []
    shoot(phone, "activities-new-phone")
    phone.click("button:has-text('创建活动')")
    assert phone.locator("h1").inner_text() == "社区义诊"
    assert phone.locator(".act-coming li").count() == 4

    phone.goto(f"/activities?view=week&d={tomorrow.isoformat()}")
    assert phone.locator("li.act-wday").count() == 7
    day = phone.locator(f"li.act-wday[data-day='{tomorrow.isoformat()}']")
    assert "09:00–10:00" in day.inner_text() and "社区义诊" in day.inner_text()
    assert serious_violations(phone) == []
    shoot(phone, "activities-week-phone")
    phone.click("a[rel=next]")
    assert "社区义诊" in phone.locator(f"li.act-wday[data-day='{(tomorrow + timedelta(days=7)).isoformat()}']").inner_text()
    phone.goto(f"/activities?d={tomorrow.isoformat()}")
    assert phone.locator(f"td[data-day='{tomorrow.isoformat()}'] .act-count").inner_text() == "1"
    assert serious_violations(phone) == []
    shoot(phone, "activities-month-phone")


def test_an_activity_with_its_reminder_log_at_both_sizes(page, phone, served):
    """An activity tomorrow, reminded a day before: the server's worker sends the reminders at once; the log lists them."""
    log_in(page, served, "hepan-admin")
    tomorrow = date.today() + timedelta(days=1)
    page.goto(f"/activities/new?d={tomorrow.isoformat()}")
    page.fill("#f-title", "垃圾分类宣传")
    page.fill("#f-start_time", "10:00")
    page.check("input[name=who][value=some]")
    page.fill("#f-min_age", "80")
    page.click("button:has-text('创建活动')")
    target = page.url.split("?")[0]
    for _ in range(30):  # the worker's next round
        page.goto(target)
        statuses = page.locator("table.act-reminders tbody tr").evaluate_all("rows => rows.map(r => r.dataset.status)")
        if statuses and "sending" not in statuses and "pending" not in statuses:
            break
        page.wait_for_timeout(1000)
    assert page.locator("#h-log").inner_text() == "提醒记录"
    assert page.locator("table.act-reminders tbody tr").count() > 0
    assert "*" in page.locator("table.act-reminders tbody tr").first.inner_text()
    assert serious_violations(page) == []
    shoot(page, "activities-log-desktop")
    log_in(phone, served, "hepan-admin")
    phone.goto(target)
    assert serious_violations(phone) == []
    shoot(phone, "activities-detail-phone")
