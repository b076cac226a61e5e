"""三强化's other legs in Chromium, on the demo: a household put under monitoring and another taken off it, a quarterly joint
meeting recorded with a decision, and the discipline office's problem list (the street records a problem on a phone, the
community rectifies it on a desktop); screenshots ``service-monitor-*``, ``service-meeting-*``, ``service-inspection-*`` at
desktop and phone size, axe on each."""

from __future__ import annotations

import re

from tests.browser.conftest import log_in, serious_violations, shoot

HEPAN = "/c/hepan/service"


def _unmonitored(served) -> str:
    """The name of a 荷畔 resident whose household is not monitored."""
    return served.sql(
        "SELECT r.name FROM meihao_resident r JOIN meihao_community c ON c.id = r.community WHERE c.slug = 'hepan' AND r.household NOT IN "
        "(SELECT household FROM service_assisted_household WHERE active) ORDER BY r.id LIMIT 1")[0][0]


def test_a_household_put_under_monitoring_and_one_taken_off(page, phone, served):
    name = _unmonitored(served)
    log_in(page, served, "hepan-admin")
    page.goto(f"{HEPAN}/assistance")
    page.click("a:has-text('纳入监测')")
    page.wait_for_url(f"**{HEPAN}/assistance/monitor")
    page.fill("#f-q", name)
    page.click("button:has-text('查找')")
    found = page.locator("li.sv-household", has_text=name).first
    found.locator("select[name=category]").select_option("突发严重困难户")
    found.locator("select[name=helper]").select_option(index=1)
    assert serious_violations(page) == []
    shoot(page, "service-monitor-desktop")
    found.locator("button:has-text('纳入监测')").click()
    page.wait_for_url(f"**{HEPAN}/assistance?done=monitored")
    assert page.locator("p.notice").inner_text() == "已纳入监测。"
    log_in(phone, served, "hepan-admin")
    phone.goto(f"{HEPAN}/assistance")
    phone.locator("a.sv-end-link").first.click()
    phone.wait_for_url(re.compile(r".*/assistance/\d+/end$"))
    assert phone.locator("h1").inner_text() == "解除监测"
    phone.click("button:has-text('解除监测')")
    assert phone.locator("p.alert").inner_text() == "请写明解除监测的原因（不超过500字）。"
    phone.fill("#f-reason", "经民主评议、公示5天，风险已消除")
    assert serious_violations(phone) == []
    shoot(phone, "service-monitor-end-phone")
    phone.click("button:has-text('解除监测')")
    phone.wait_for_url(f"**{HEPAN}/assistance?done=ended")
    assert phone.locator("p.notice").inner_text() == "已解除监测。"
    phone.goto(f"{HEPAN}/assistance/monitor")
    assert "经民主评议、公示5天，风险已消除" in phone.locator("ul.sv-ended").inner_text()
    shoot(phone, "service-monitor-phone")


def test_a_joint_meeting_recorded_with_a_decision(page, phone, served):
    log_in(page, served, "hepan-admin")
    page.goto(f"{HEPAN}/assistance/meetings")
    assert page.locator("h1").inner_text() == "季度专题会议"
    page.click("a:has-text('记录专题会议')")
    page.wait_for_url(f"**{HEPAN}/assistance/meetings/new")
    page.fill("#f-other", "医保")
    page.locator("input[name=households]").first.check()
    page.fill("#f-minutes", "研究监测户危房改造、医疗救助和公益岗安置。住建：C级房屋年底前完成加固；民政：两户纳入临时救助；残联：一户办理残疾证。")
    page.fill("#f-decision-0", "年底前完成C级房屋加固")
    page.select_option("#f-assignee-0", index=1)
    page.fill("#f-decision-1", "两户纳入临时救助，民政审核")
    assert serious_violations(page) == []
    shoot(page, "service-meeting-new-desktop")
    page.click("button:has-text('保存会议')")
    page.wait_for_url(re.compile(r".*/assistance/meetings/\d+\?done=recorded$"))
    assert page.locator("p.notice").inner_text() == "会议已记录。"
    assert page.locator("ol.sv-decisions li").count() == 2
    assert serious_violations(page) == []
    shoot(page, "service-meeting-desktop")
    log_in(phone, served, "hepan-admin")
    phone.goto(f"{HEPAN}/assistance/meetings")
    assert "已开" in phone.locator("p.sv-cover-figure").inner_text()
    assert serious_violations(phone) == []
    shoot(phone, "service-meetings-phone")


def test_the_discipline_offices_problem_list(page, phone, served):
    log_in(phone, served, "admin")  # the street: the discipline office's supervisors
    phone.goto(f"{HEPAN}/assistance/inspection")
    assert phone.locator("h1").inner_text() == "督导检查问题清单"
    phone.select_option("#f-category", "户档案整理")
    phone.select_option("#f-household", index=1)
    phone.fill("#f-text", "户档案未及时更新11月走访记录，收入台账缺少公益岗工资")
    assert serious_violations(phone) == []
    shoot(phone, "service-inspection-record-phone")
    phone.click("button:has-text('列入清单')")
    phone.wait_for_url(f"**{HEPAN}/assistance/inspection?done=recorded")
    assert phone.locator("p.notice").inner_text() == "问题已列入清单。"
    shoot(phone, "service-inspection-phone")
    log_in(page, served, "hepan-admin")
    page.goto(f"{HEPAN}/assistance/inspection")
    problem = page.locator("li.sv-problem", has_text="收入台账缺少公益岗工资")
    assert "整改期限：" in problem.inner_text()
    problem.locator("input[name=note]").fill("已补录11月走访记录和公益岗工资台账")
    assert serious_violations(page) == []
    shoot(page, "service-inspection-desktop")
    problem.locator("button:has-text('整改完成')").click()
    page.wait_for_url(f"**{HEPAN}/assistance/inspection?done=rectified")
    assert "整改情况：已补录11月走访记录和公益岗工资台账" in page.locator("li.sv-problem", has_text="收入台账").inner_text()


def test_a_joint_meeting_planned_ahead_on_a_phone(phone, served):
    """荷畔's admin plans next week's meeting with a department's staff invited: the plan is listed with its time and the
    number of people reminded, and offers 记录这次会议."""
    from datetime import date, timedelta

    log_in(phone, served, "hepan-admin")
    phone.goto(f"{HEPAN}/assistance/meetings")
    day = date.today() + timedelta(days=7)
    phone.fill("#p-day", day.isoformat())
    phone.fill("#p-start", "09:00")
    phone.fill("#p-end", "11:00")
    phone.fill("#p-venue", "荷畔社区党群服务中心三楼会议室")
    phone.locator("input[name=staff]").first.check()
    shoot(phone, "service-meeting-plan-phone")
    phone.click("button:has-text('安排会议')")
    phone.wait_for_url(re.compile(r".*/assistance/meetings\?done=planned#planned-h$"))
    assert phone.locator("p.notice").inner_text() == "会议已安排：参会人员将在会前一天和会前两小时收到提醒。"
    assert phone.locator("a:has-text('记录这次会议')").count() == 1
    assert serious_violations(phone) == []
    shoot(phone, "service-meeting-planned-phone")
