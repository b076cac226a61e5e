"""The activities pages in Chromium: a community admin plans an activity with a reminder and finds it on the month
calendar; the week on a phone; screenshots and axe on each page."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

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
    """An activity in two hours (荷畔's time), reminded a day before: the server's worker sends the reminders at once,
    whatever the hour the test runs at; the log lists them."""
    log_in(page, served, "hepan-admin")
    starts = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0) + timedelta(hours=2)
    page.goto(f"/activities/new?d={starts.date().isoformat()}")
    page.fill("#f-title", "垃圾分类宣传")
    page.fill("#f-start_time", starts.strftime("%H:%M"))
    page.check("input[name=who][value=some]")
    page.fill("#f-min_age", "80")
    page.click("button:has-text('创建活动')")
    page.wait_for_url(re.compile(r".*/activities/\d+\?saved=1$"))  # the new activity's page, not the form still showing
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


def test_one_date_of_a_weekly_activity_is_cancelled_with_a_reason_from_the_activity_and_the_calendar(page, phone, served):
    log_in(page, served, "hepan-admin")
    first = date.today() + timedelta(days=2)
    page.goto(f"/activities/new?d={first.isoformat()}")
    page.fill("#f-title", "周末书法课")
    page.fill("#f-start_time", "14:00")
    page.check("input[name=repeat][value=weekly]")
    page.fill("#f-count", "4")
    page.click("button:has-text('创建活动')")
    page.wait_for_url(re.compile(r".*/activities/\d+\?saved=1$"))
    assert page.locator("h1").inner_text() == "周末书法课"
    activity = page.url.split("?")[0]
    dates = [(first + timedelta(days=7 * n)).isoformat() for n in range(4)]
    assert page.locator(".act-coming .act-cancel-date").count() == 4

    page.locator(".act-coming li").nth(1).locator("text=取消这一次").click()
    assert page.locator("h1").inner_text() == "取消一次活动"
    assert page.locator(".act-when").inner_text().startswith(f"{dates[1]} 14:00")
    page.click("button:has-text('确认取消这一次')")  # no reason yet: refused at the field
    assert page.locator("#f-reason-note").inner_text() == "请写明为什么取消这一次。"
    assert page.locator("#f-reason").get_attribute("aria-invalid") == "true"
    assert serious_violations(page) == []
    shoot(page, "activities-cancel-date-desktop")
    page.fill("#f-reason", "老师临时有事")
    page.click("button:has-text('确认取消这一次')")
    assert page.url.startswith(activity)
    assert page.locator("[role=status]").inner_text() == f"已取消 {dates[1]} 14:00 这一次。"
    assert [t[:10] for t in page.locator(".act-coming .act-time").all_inner_texts()] == [dates[0], dates[2], dates[3]]

    # from the week calendar, on a phone
    log_in(phone, served, "hepan-admin")
    phone.goto(f"/activities?view=week&d={dates[2]}")
    day = phone.locator(f"li.act-wday[data-day='{dates[2]}']")
    day.locator("text=取消这一次").click()
    assert phone.locator("h1").inner_text() == "取消一次活动"
    phone.fill("#f-reason", "活动室维修")
    assert serious_violations(phone) == []
    shoot(phone, "activities-cancel-date-phone")
    phone.click("button:has-text('确认取消这一次')")
    assert phone.locator("[role=status]").inner_text() == f"已取消 {dates[2]} 14:00 这一次。"
    phone.goto(f"/activities?view=week&d={dates[2]}")
    assert "周末书法课" not in phone.locator(f"li.act-wday[data-day='{dates[2]}']").inner_text()


def test_a_lunar_date_in_the_form_shows_its_next_dates_at_both_sizes(page, phone, served):
    log_in(page, served, "hepan-admin")
    page.goto("/activities/new")
    page.fill("#f-title", "中秋邻里茶话会")
    page.fill("#f-start_time", "19:00")
    assert not page.locator("#f-lunar_month").is_visible()  # shows when a lunar date is chosen
    page.check("input[name=repeat][value=lunar_yearly]")
    page.select_option("#f-lunar_month", "8")
    page.select_option("#f-lunar_day", "15")
    page.locator("#f-lunar_day").dispatch_event("change")
    expect(page.locator("#dates .act-date-list li")).to_have_count(5)
    mid_autumn = {"2026-09-25", "2027-09-15", "2028-10-03", "2029-09-22", "2030-09-12", "2031-10-01"}
    shown = [t[:10] for t in page.locator("#dates .act-time").all_inner_texts()]
    assert set(shown) <= mid_autumn and shown == sorted(shown)
    page.select_option("#f-lunar_day", "30")
    page.locator("#f-lunar_day").dispatch_event("change")
    expect(page.locator("#dates")).to_contain_text("这个农历月没有三十：改在廿九")
    page.select_option("#f-lunar_day", "15")
    page.locator("#f-lunar_day").dispatch_event("change")
    expect(page.locator("#dates")).not_to_contain_text("没有三十")
    assert serious_violations(page) == []
    shoot(page, "activities-lunar-desktop")
    page.click("button:has-text('创建活动')")
    assert page.locator("h1").inner_text() == "中秋邻里茶话会"
    assert "每年农历八月十五" in page.locator(".act-dl").inner_text()

    log_in(phone, served, "hepan-admin")
    phone.goto("/activities/new")
    phone.check("input[name=repeat][value=lunar_yearly]")
    phone.select_option("#f-lunar_month", "9")
    phone.select_option("#f-lunar_day", "9")
    phone.locator("#f-lunar_day").dispatch_event("change")
    expect(phone.locator("#dates .act-date-list li")).to_have_count(5)
    assert serious_violations(phone) == []
    phone.locator("#when-fields").scroll_into_view_if_needed()
    shoot(phone, "activities-lunar-phone")


def test_the_list_of_activities_at_both_sizes(page, phone, served):
    log_in(page, served, "admin")
    page.goto("/activities")
    page.click("text=活动列表")
    page.locator("h1", has_text="活动列表").wait_for()  # a boosted link: the list is swapped in
    assert page.locator("h1").inner_text() == "活动列表"
    total = int(page.locator("[data-total]").get_attribute("data-total"))
    assert total == page.locator("table.act-table tbody tr").count() or total > 50
    page.locator("#facet-status + ul a").first.click()
    page.wait_for_url("**status=*")  # a boosted facet link
    page.locator(".chosen-filters li").first.wait_for()
    assert page.locator(".chosen-filters li").count() == 1
    assert serious_violations(page) == []
    shoot(page, "activities-list-desktop")
    log_in(phone, served, "hepan-admin")
    phone.goto("/activities/list?period=next30")
    assert phone.locator("table.act-table tbody tr").count() == int(phone.locator("[data-total]").get_attribute("data-total"))
    assert serious_violations(phone) == []
    shoot(phone, "activities-list-phone")
