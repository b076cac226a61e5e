"""commerce's pages in Chromium on the demo's 华阳: the community admin books a resident into a slot and records an
entry in the ledger on a desktop, the partners page marks the postal contract ending soon; a resident books a service
from her inbox link on a phone. Screenshots at desktop and phone size, axe on each page."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import httpx

from tests.browser.conftest import log_in, serious_violations, shoot

BASE = "/c/huayang/commerce"


def test_the_admin_books_records_and_sees_the_expiring_contract(page, phone, served):
    log_in(page, served, "huayang-admin")
    page.goto(f"{BASE}/services")
    assert page.locator("h1").inner_text() == "便民服务预约"
    assert page.locator(".cm-offer h2").all_inner_texts() == ["健康小屋 血压血糖测量", "家政保洁（2小时）", "长者助餐 午餐", "快递代收代寄"]
    name = _free_residents(served)[0][1]
    slot = page.locator("li.cm-slot:has(form.cm-book)").first
    slot.locator("input[name=resident]").fill(name)
    slot.locator("button[type=submit]").click()
    page.wait_for_url("**/services?done=booked#bookings")
    assert page.locator("p.notice").inner_text() == "预约成功，前一天会提醒居民。"
    assert name not in {n for _, n in _free_residents(served)}
    assert serious_violations(page) == []
    shoot(page, "commerce-services-desktop")

    page.goto(f"{BASE}/ledger")
    assert page.locator("h1").inner_text().startswith("强社公司账目 ")
    page.fill("#f-amount", "268.50")
    page.select_option("#f-kind", "public_good")
    page.fill("#f-note", "社区图书角添置图书")
    page.click("form.cm-entry button[type=submit]")
    page.locator("p.notice").wait_for()
    assert page.locator("p.notice").inner_text() == "已记账。"
    assert served.sql("SELECT amount_fen, kind FROM commerce_ledger_entry WHERE note = '社区图书角添置图书'") == [(26850, "public_good")]
    assert serious_violations(page) == []
    shoot(page, "commerce-ledger-desktop")
    # last month: closed in the demo, no form, its income in the thousands
    page.click("nav.years a >> nth=0")
    page.locator("p.badge").wait_for()
    assert page.locator("p.badge").inner_text().startswith("已于 ")
    assert page.locator("form.cm-entry").count() == 0
    shoot(page, "commerce-ledger-closed-desktop")

    page.goto(f"{BASE}/partners")
    warn = page.locator("li.cm-row.tone-warn .cm-facts").first.inner_text()
    assert "邮政快递" in warn and "25 天后到期" in warn
    assert serious_violations(page) == []
    shoot(page, "commerce-partners-desktop")

    log_in(phone, served, "huayang-admin")
    phone.goto(f"{BASE}/ledger")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(phone) == []
    shoot(phone, "commerce-ledger-phone")
    phone.goto(f"{BASE}/services")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "commerce-services-phone")


def _free_residents(served) -> list[tuple[int, str]]:
    """华阳's residents with no coming booking and a name nobody else there has, by id."""
    rows = served.sql("SELECT r.id, r.name FROM meihao_resident r JOIN meihao_community c ON c.id = r.community WHERE c.slug = 'huayang' "
                      "ORDER BY r.id")
    names = Counter(n for _, n in rows)
    now = datetime.now(timezone.utc)
    busy = {r for r, starts in served.sql("SELECT b.resident, s.starts_at FROM commerce_booking b JOIN commerce_slot s ON s.id = b.slot "
                                          "WHERE b.status = 'booked'") if _aware(starts) > now}
    return [(i, n) for i, n in rows if i not in busy and names[n] == 1]


def _aware(value) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _inbox_link(served, resident_id: int) -> str:
    login = httpx.post(f"{served.url}/api/auth/login", json={"username": "admin", "password": served.admin_password})
    answer = httpx.post(f"{served.url}/api/residents/{resident_id}/inbox-link", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["page"].removeprefix(served.url)


def test_a_resident_books_a_service_from_her_inbox_on_a_phone(phone, served):
    resident_id = _free_residents(served)[-1][0]
    phone.goto(_inbox_link(served, resident_id))
    phone.click("text=预约便民服务")
    assert phone.locator("h1").inner_text() == "预约便民服务"
    assert phone.locator("#mine + section").inner_text() == "您目前没有预约。"
    shoot(phone, "commerce-resident-services-phone")
    phone.locator("section.r-card:has(form.r-form) button[type=submit]").last.click()  # the furthest: cancellable
    phone.locator(".r-notice").wait_for()
    assert phone.locator(".r-notice").inner_text() == "预约成功。我们会在前一天提醒您。"
    assert served.sql("SELECT by, status FROM commerce_booking WHERE resident = ? ORDER BY id DESC LIMIT 1", resident_id) == [("resident", "booked")]
    box = phone.locator("#mine ~ section button").first.bounding_box()
    assert box["height"] >= 56 and box["width"] >= 300
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(phone) == []
    shoot(phone, "commerce-resident-booked-phone")


def test_the_admin_marks_who_came_on_a_phone_and_a_desktop(page, phone, served):
    log_in(phone, served, "huayang-admin")
    phone.goto(f"{BASE}/services")
    waiting = phone.locator("section[aria-labelledby=to-mark] li.cm-row")
    assert waiting.count() >= 1
    assert phone.locator("#to-mark").inner_text().startswith("到场确认（待确认")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(phone) == []
    shoot(phone, "commerce-to-mark-phone")
    before = waiting.count()
    name = waiting.first.locator(".cm-name").inner_text()
    waiting.first.get_by_role("button", name=f"已到场 {name}").click()
    phone.wait_for_url("**/services?done=came#to-mark")
    assert phone.locator("p.notice").inner_text() == "已确认：居民已到场，服务已提供。"
    assert phone.locator("section[aria-labelledby=to-mark] li.cm-row").count() == before - 1
    log_in(page, served, "huayang-admin")
    page.goto(f"{BASE}/services")
    row = page.locator("section[aria-labelledby=to-mark] li.cm-row").first
    other = row.locator(".cm-name").inner_text()
    row.get_by_role("button", name=f"未到场 {other}").click()
    page.wait_for_url("**/services?done=no_show#to-mark")
    assert page.locator("p.notice").inner_text() == "已确认：居民未到场。"
    assert served.sql("SELECT count(*) FROM commerce_booking WHERE status = 'no_show' AND attended_at > ?",
                      datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0).strftime("%Y-%m-%d %H:%M:%S+00:00"))[0][0] >= 1
    assert serious_violations(page) == []
    shoot(page, "commerce-to-mark-desktop")
