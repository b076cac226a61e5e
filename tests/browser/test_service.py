"""service's pages in Chromium: a request received at 荷畔's desk on a phone, handed to a grid worker who signs, handles and
answers it on her phone, called back and closed by the admin; the queue, a request, the roster and the 三率 at desktop and
phone size, axe on each."""

from __future__ import annotations

import re

from tests.browser.conftest import PHONE, _context, log_in, serious_violations, shoot

ADMIN = "hepan-admin"
WORKER = "hepan-g01-grid-worker-1"
BASE = "/c/hepan/service"
TEXT = "5号楼3单元电梯一周停了三次，老人上下楼困难"
#: A moment as a worker reads it: 12月1日（周二）上午9点 (never 2026-12-01).
CHINESE_MOMENT = re.compile(r"\d{1,2}月\d{1,2}日（周[一二三四五六日]）")
ISO_DAY = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def _worker(served) -> tuple[int, int]:
    """The grid worker's staff id and grid."""
    return served.sql(
        "SELECT s.id, a.grid FROM meihao_staff s JOIN piccolo_user u ON u.id = s.user JOIN meihao_staff_assignment a ON a.staff = s.id "
        "WHERE u.username = ? AND a.grid IS NOT NULL", WORKER)[0]


def _step(page, action: str) -> None:
    page.click(f"#step-{action} button[type=submit]")
    page.wait_for_load_state()


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def test_a_request_from_the_desk_to_closing_on_a_phone(phone, browser, served):
    worker_id, grid = _worker(served)
    log_in(phone, served, ADMIN)
    phone.locator(f"section.community a[href='{BASE}/requests']").first.click()
    assert phone.url.endswith(f"{BASE}/requests")
    assert phone.locator("h1").inner_text() == "居民诉求"
    assert serious_violations(phone) == []
    shoot(phone, "service-queue-phone")

    # 受理 at the desk: the admin, 首席接访员 today, takes it down
    phone.click("a.button:has-text('受理诉求')")
    phone.select_option("#f-channel", "visit")
    phone.select_option("#f-type", "help")
    phone.select_option("#f-grid", str(grid))
    phone.fill("#f-text", TEXT)
    assert serious_violations(phone) == []
    shoot(phone, "service-new-phone")
    phone.click("button:has-text('受理')")
    phone.wait_for_load_state()
    request_id = int(re.search(r"/requests/(\d+)", phone.url).group(1))
    assert phone.locator("p.sv-asked").inner_text() == TEXT
    assert phone.locator("h1").inner_text().startswith(f"诉求 {request_id} 受理")
    main = _main_text(phone)
    assert "答复期限：" in main and CHINESE_MOMENT.search(main) and not ISO_DAY.search(main)

    # 分办 to the grid's worker
    phone.select_option("#f-assignee-dispatch", str(worker_id))
    _step(phone, "dispatch")
    assert phone.locator("p.notice").inner_text() == "操作成功：诉求现处于“分办”环节。"

    # the worker, on her own phone: 签收, 办理, 答复
    context = _context(browser, served, PHONE, True)
    worker = context.new_page()
    try:
        log_in(worker, served, WORKER)
        worker.goto(f"{BASE}/requests/{request_id}")
        assert worker.locator("#step-return summary").inner_text() == "退回（不属本人承办）"
        assert serious_violations(worker) == []
        shoot(worker, "service-request-dispatched-phone")
        _step(worker, "sign")
        _step(worker, "start")
        worker.fill("#f-reply", "已联系物业和电梯维保单位，更换门机板，12月3日前修复")
        _step(worker, "reply")
        assert worker.locator("p.notice").inner_text() == "操作成功：诉求现处于“答复”环节。"
        assert "step-callback" not in worker.content()  # call-backs are the leaders'
        shoot(worker, "service-request-replied-phone")
    finally:
        context.close()

    # 回访 and 办结 by the admin
    phone.goto(f"{BASE}/requests/{request_id}")
    phone.click("#step-callback label.sv-tap:has-text('基本满意')")
    phone.click("#step-callback label.sv-tap:has-text('问题已解决')")
    assert serious_violations(phone) == []
    shoot(phone, "service-request-callback-phone")
    _step(phone, "callback")
    _step(phone, "close")
    assert phone.locator("p.notice").inner_text() == "操作成功：诉求现处于“办结”环节。"
    history = phone.locator("ol.sv-history li").all_inner_texts()
    assert [re.sub(r"^.*?[点分半] ", "", line) for line in history][-1].endswith("办结了诉求")
    assert all(CHINESE_MOMENT.match(line) for line in history), history
    assert not ISO_DAY.search(_main_text(phone))
    assert serious_violations(phone) == []
    shoot(phone, "service-request-closed-phone")
    assert served.sql(
        "SELECT w.state, w.assignee FROM meihao_work_item w JOIN service_request r ON r.item = w.id WHERE r.id = ?", request_id
    ) == [("closed", worker_id)]


def test_the_service_pages_on_a_desktop(page, served):
    log_in(page, served, ADMIN)
    page.goto(f"{BASE}/requests")
    assert page.locator("h1").inner_text() == "居民诉求"
    assert not ISO_DAY.search(_main_text(page))
    assert serious_violations(page) == []
    shoot(page, "service-queue-desktop")

    page.locator("a.sv-text").first.click()
    assert page.locator("h2#history-h").inner_text() == "办理经过"
    assert serious_violations(page) == []
    shoot(page, "service-request-desktop")

    page.goto(f"{BASE}/duty")
    assert page.locator("h1").inner_text() == "首席接访员值班表"
    assert len(page.locator("li.sv-day").all()) == 7
    assert CHINESE_MOMENT.match(page.locator("span.sv-date").first.inner_text())
    assert serious_violations(page) == []
    shoot(page, "service-duty-desktop")

    page.goto(f"{BASE}/rates")
    assert page.locator("h1").inner_text() == "月度三率"
    assert serious_violations(page) == []
    shoot(page, "service-rates-desktop")


def test_the_roster_and_rates_on_a_phone(phone, served):
    log_in(phone, served, WORKER)
    phone.goto(f"{BASE}/duty")
    assert "sv-duty-form" not in phone.content()
    assert serious_violations(phone) == []
    shoot(phone, "service-duty-phone")
    phone.goto(f"{BASE}/rates")
    assert serious_violations(phone) == []
    shoot(phone, "service-rates-phone")
