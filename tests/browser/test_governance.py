"""governance's pages in Chromium: a grid worker of 银山 reports an event on a phone, the community dispatches it to a
department, one of the department's staff signs the order on a phone; the pages at desktop and phone size, axe on each."""

from __future__ import annotations

import re

from tests.browser.conftest import log_in, serious_violations, shoot

BASE = "/c/yinshan/governance"
TEXT = "银山花园3号楼东侧路灯不亮，晚上行人看不清台阶"


def test_a_grid_worker_reports_and_a_department_signs(phone, page, served):
    worker = served.sql("SELECT username FROM piccolo_user WHERE username LIKE 'yinshan-%-grid-worker-1' ORDER BY username LIMIT 1")[0][0]
    log_in(phone, served, worker)
    phone.goto(f"{BASE}/events")
    phone.click("a.button:has-text('上报事件')")
    assert phone.locator("h1").inner_text() == "上报事件"
    phone.select_option("#f-category", "public_facilities")
    phone.fill("#f-place", "3号楼东侧")
    phone.fill("#f-text", TEXT)
    assert serious_violations(phone) == []
    shoot(phone, "governance-report-phone")
    phone.click("button:has-text('上报')")
    event_id = int(re.search(r"/events/(\d+)$", phone.url).group(1))
    assert phone.locator("h1").inner_text() == TEXT
    assert served.sql("SELECT state, source FROM governance_event WHERE id = ?", event_id) == [("reported", "patrol")]
    facts = phone.locator("dl.gv-facts-list").inner_text()
    assert "已上报" in facts and not re.search(r"\d{4}-\d{2}-\d{2}", facts)  # dates in words
    assert serious_violations(phone) == []
    shoot(phone, "governance-event-reported-phone")

    # the community registers it and dispatches it to a department, on a desktop
    code, name = served.sql("SELECT code, name FROM meihao_department ORDER BY code LIMIT 1")[0]
    log_in(page, served, "yinshan-admin")
    page.goto(f"{BASE}/events/{event_id}")
    page.click("button:has-text('立案')")
    page.select_option("#f-to", f"department:{code}")
    assert serious_violations(page) == []
    shoot(page, "governance-event-dispatch-desktop")
    page.click("button:has-text('派遣')")
    assert page.locator("dd.gv-state").inner_text() == "已派遣"
    order_id = served.sql("SELECT id FROM governance_order WHERE event = ?", event_id)[0][0]

    # one of the department's staff signs it from the inbox, on a phone
    phone.context.clear_cookies()
    log_in(phone, served, f"dept-{code}-1")
    phone.goto(f"{BASE}/orders")
    row = phone.locator(f"#order-{order_id}")
    assert TEXT in row.inner_text() and "待签收" in row.inner_text()
    assert serious_violations(phone) == []
    shoot(phone, "governance-orders-phone")
    row.locator("button:has-text('签收')").click()
    assert served.sql("SELECT state FROM governance_order WHERE id = ?", order_id) == [("signed",)]
    assert "已签收，处置中" in phone.locator(f"#order-{order_id}").inner_text()
    shoot(phone, "governance-orders-signed-phone")
    phone.goto(f"{BASE}/events/{event_id}")
    assert phone.locator("dd.gv-state").inner_text() == "处置中"
    assert name in phone.locator("ul.gv-list").first.inner_text()
    shoot(phone, "governance-event-signed-phone")


def test_the_governance_pages_on_a_desktop_and_a_phone(page, phone, served):
    log_in(page, served, "yinshan-admin")
    for path, title, shot in (("/events", "网格事件", "events"), ("/whistles", "吹哨", "whistles"), ("/patrols", "巡查", "patrols")):
        page.goto(f"{BASE}{path}")
        assert page.locator("h1").inner_text() == title
        assert serious_violations(page) == []
        shoot(page, f"governance-{shot}-desktop")
    page.goto(f"{BASE}/figures")
    assert page.locator("h1").inner_text().endswith("月统计")
    assert serious_violations(page) == []
    shoot(page, "governance-figures-desktop")
    closed = served.sql("SELECT id FROM governance_event WHERE state = 'closed' ORDER BY id LIMIT 1")[0][0]
    page.goto(f"{BASE}/events/{closed}")
    assert page.locator("dd.gv-state").inner_text() == "已结案"
    shoot(page, "governance-event-closed-desktop")
    worker = served.sql("SELECT username FROM piccolo_user WHERE username LIKE 'yinshan-%-grid-worker-1' ORDER BY username LIMIT 1")[0][0]
    log_in(phone, served, worker)
    phone.goto(f"{BASE}/patrols")
    assert phone.locator("h1").inner_text() == "巡查"
    assert serious_violations(phone) == []
    shoot(phone, "governance-patrols-phone")
    phone.context.clear_cookies()
    log_in(phone, served, "yinshan-admin")
    phone.goto(f"{BASE}/whistles")
    shoot(phone, "governance-whistles-phone")
    phone.goto(f"{BASE}/figures")
    shoot(phone, "governance-figures-phone")
