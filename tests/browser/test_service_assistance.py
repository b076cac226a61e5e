"""service's 三强化 pages and the hand-over to governance in Chromium, on the demo: the monitored households, a visit recorded
on a phone (a C-grade house opens a problem), the problem list, and a 银山 request turned into a grid event whose link
opens the event; screenshots at desktop and phone size, axe on each."""

from __future__ import annotations

import re

from tests.browser.conftest import log_in, serious_violations, shoot

HEPAN = "/c/hepan/service"
YINSHAN = "/c/yinshan/service"


def test_the_assistance_pages_on_a_desktop(page, served):
    log_in(page, served, "hepan-admin")
    page.goto(f"{HEPAN}/assistance")
    assert page.locator("h1").inner_text() == "三强化走访"
    assert re.match(r"已走访\d+户，共6户（\d+\.\d%）", page.locator("p.sv-cover-figure").inner_text())
    assert len(page.locator("li.sv-household").all()) == 6
    assert {c for c in page.locator("li.sv-household dl dd").all_inner_texts()} >= {"脱贫不稳定户", "边缘易致贫户", "突发严重困难户"}
    assert serious_violations(page) == []
    shoot(page, "service-assistance-desktop")
    page.click("a:has-text('待整改问题')")
    page.wait_for_url(f"**{HEPAN}/assistance/problems")
    assert page.locator("h1").inner_text() == "走访问题清单"
    assert serious_violations(page) == []
    shoot(page, "service-assistance-problems-desktop")


def test_a_visit_recorded_on_a_phone_opens_a_problem_that_is_rectified(phone, served):
    log_in(phone, served, "hepan-admin")
    phone.goto(f"{HEPAN}/assistance")
    due = phone.locator("li.sv-household.sv-due a:has-text('记录走访')").first
    due.click()
    phone.wait_for_url(re.compile(r".*/assistance/\d+/visit$"))
    assert phone.locator("h1").inner_text() == "记录走访"
    for key in ("food_clothing", "schooling", "medical", "water"):
        phone.click(f"#check-{key} label.sv-tap:has-text('正常')")
    phone.click("#check-housing label.sv-tap:has-text('有问题')")
    phone.fill("#f-note-housing", "东屋屋顶漏雨，檩条糟朽")
    phone.click("label.sv-tap:has-text('C')")
    phone.fill("#f-litres", "60")
    assert serious_violations(phone) == []
    shoot(phone, "service-assistance-visit-phone")
    phone.click("button:has-text('保存走访记录')")
    phone.wait_for_url(f"**{HEPAN}/assistance?done=visited")
    assert phone.locator("p.notice").inner_text() == "走访记录已保存。"
    assert serious_violations(phone) == []
    shoot(phone, "service-assistance-phone")
    phone.goto(f"{HEPAN}/assistance/problems")
    problem = phone.locator("li.sv-problem", has_text="东屋屋顶漏雨，檩条糟朽")
    assert problem.locator("p.sv-asked").inner_text() == "东屋屋顶漏雨，檩条糟朽；住房安全等级C级，须改造"
    shoot(phone, "service-assistance-problems-phone")
    problem.locator("input[name=note]").fill("已申请危房改造资金，屋顶更换完毕")
    problem.locator("button:has-text('整改销号')").click()
    phone.wait_for_url(f"**{HEPAN}/assistance/problems?done=rectified")
    assert phone.locator("p.notice").inner_text() == "问题已整改销号。"
    assert "东屋屋顶漏雨" not in phone.locator("main").inner_text()


def _open_request(served) -> int:
    """A 银山 request still in hand (受理, 签收 or 办理) with a grid: one the desk could hand to governance."""
    return served.sql(
        "SELECT r.id FROM service_request r JOIN meihao_work_item w ON w.id = r.item JOIN meihao_community c ON c.id = r.community "
        "WHERE c.slug = 'yinshan' AND w.state IN ('received', 'signed', 'in_progress') AND r.grid IS NOT NULL ORDER BY r.id LIMIT 1")[0][0]


def test_a_request_becomes_a_grid_event_and_links_to_it(page, served):
    request_id = _open_request(served)
    log_in(page, served, "yinshan-admin")
    page.goto(f"{YINSHAN}/requests/{request_id}")
    page.click("#step-handover summary")
    assert page.locator("#step-handover summary").inner_text() == "转为网格事件/吹哨"
    page.fill("#f-reason-handover", "涉及职能部门执法，社区无法单独解决")
    page.fill("#f-place-handover", "小区南门外人行道")
    assert serious_violations(page) == []
    shoot(page, "service-handover-form-desktop")
    page.click("#step-handover button[type=submit]")
    page.wait_for_url(f"**{YINSHAN}/requests/{request_id}?done=handed_over")
    assert page.locator("p.notice").inner_text() == "操作成功：诉求现处于“已转网格事件”环节。"
    link = page.locator("a.sv-link")
    assert re.fullmatch(r"网格事件\d+号", link.inner_text())
    assert "#step-handover" not in page.content()
    assert serious_violations(page) == []
    shoot(page, "service-handover-done-desktop")
    link.click()
    page.wait_for_url(re.compile(r".*/c/yinshan/governance/events/\d+$"))
    assert "小区南门外人行道" in page.locator("main").inner_text()
    shoot(page, "service-handover-event-desktop")


def test_the_hand_over_on_a_phone(phone, served):
    request_id = _open_request(served)
    log_in(phone, served, "yinshan-admin")
    phone.goto(f"{YINSHAN}/requests/{request_id}")
    phone.click("#step-handover summary")
    phone.fill("#f-reason-handover", "需职能部门联合执法")
    assert serious_violations(phone) == []
    shoot(phone, "service-handover-form-phone")
    phone.click("#step-handover button[type=submit]")
    phone.wait_for_url(f"**{YINSHAN}/requests/{request_id}?done=handed_over")
    assert re.fullmatch(r"网格事件\d+号", phone.locator("a.sv-link").inner_text())
    shoot(phone, "service-handover-done-phone")
