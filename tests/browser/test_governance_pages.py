"""governance's pages added on branch gov3, in Chromium: a grid worker reports an event with a photo from a phone and
sees its thumbnail; the community blows a whistle from the event (no department chosen for it: a field error until one
is), and reads each department's clocks on the whistle's page; patrol plans with today's patrols not yet logged.
Screenshots at desktop and phone size (build/screenshots/governance-*), axe on each page."""

from __future__ import annotations

import re
import struct
import zlib

from tests.browser.conftest import log_in, serious_violations, shoot

BASE = "/c/yinshan/governance"
TEXT = "银山花园5号楼北侧下水道井盖破损，有行人绊倒的危险"


def _png(width: int = 96, height: int = 64) -> bytes:
    """A real PNG (orange, with a darker stripe), so that the thumbnail is drawn."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"".join(bytes((200, 90, 30)) if (x // 12) % 2 else bytes((240, 160, 60)) for x in range(width))
                    for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_a_photo_on_an_event_then_a_whistle_from_it(phone, page, served):
    worker = served.sql("SELECT username FROM piccolo_user WHERE username LIKE 'yinshan-%-grid-worker-1' ORDER BY username LIMIT 1")[0][0]
    log_in(phone, served, worker)
    phone.goto(f"{BASE}/events/new")
    assert phone.locator("#f-photo").get_attribute("accept") == "image/*"
    phone.select_option("#f-category", "public_facilities")
    phone.fill("#f-place", "5号楼北侧")
    phone.fill("#f-text", TEXT)
    phone.set_input_files("#f-photo", files=[{"name": "井盖.png", "mimeType": "image/png", "buffer": _png()}])
    assert serious_violations(phone) == []
    shoot(phone, "governance-report-photo-phone")
    phone.click("button:has-text('上报')")
    phone.wait_for_url(re.compile(r".*/events/\d+$"))
    event_id = int(re.search(r"/events/(\d+)$", phone.url).group(1))
    thumb = phone.locator("#photos img").first
    thumb.wait_for()
    assert phone.evaluate("(img) => img.complete && img.naturalWidth", thumb.element_handle()) == 96
    assert served.sql("SELECT filename, media_type FROM meihao_attachment WHERE scenario = 'governance' AND row_id = ?", event_id) == [
        ("井盖.png", "image/png")]
    # a file that is not a photo: refused, with the reason on the page
    phone.set_input_files("section#photos #f-photo", files=[{"name": "notes.txt", "mimeType": "image/png", "buffer": b"not a photo"}])
    phone.click("button:has-text('上传照片')")
    assert "这不是照片（JPEG、PNG 或 WebP），没有保存。" in phone.locator("p.alert").inner_text()
    assert serious_violations(phone) == []
    shoot(phone, "governance-event-photos-phone")

    # the community blows a whistle from the event, on a desktop
    log_in(page, served, "yinshan-admin")
    page.goto(f"{BASE}/events/{event_id}")
    page.locator("#photos img").first.wait_for()
    shoot(page, "governance-event-photos-desktop")
    page.click("a:has-text('吹哨：召集部门报到')")
    page.wait_for_url(re.compile(r".*/whistles/new\?event=\d+$"))
    assert page.locator("#f-title").input_value() == TEXT
    assert page.locator("input[name=departments]:checked").count() == 0  # no department chosen for the worker
    page.check("input[name=level][value=tackle]")
    page.check("input[name=reason][value=joint_enforcement]")
    page.click("button:has-text('吹哨召集')")
    assert page.locator("#f-departments-note").inner_text() == "请至少选择一个要召集的部门。"
    assert page.locator("input[name=level][value=tackle]").is_checked()  # what was chosen is kept
    assert serious_violations(page) == []
    shoot(page, "governance-whistle-new-error-desktop")
    codes = [c for (c,) in served.sql("SELECT code FROM meihao_department ORDER BY code LIMIT 2")]
    for code in codes:
        page.check(f"input[name=departments][value={code}]")
    page.click("button:has-text('吹哨召集')")
    page.wait_for_url(re.compile(r".*/whistles/\d+$"))
    whistle_id = int(re.search(r"/whistles/(\d+)$", page.url).group(1))
    assert served.sql("SELECT level, reason, event FROM governance_whistle WHERE id = ?", whistle_id) == [
        ("tackle", "joint_enforcement", event_id)]
    assert page.locator("h1").inner_text() == "攻坚克难哨"
    assert page.locator(".gv-call").count() == 2
    clocks = page.locator(".gv-call").first.inner_text()
    assert "签收：应于" in clocks and "联系：应于" in clocks and "报到或答复：应于" in clocks
    assert serious_violations(page) == []
    shoot(page, "governance-whistle-desktop")
    phone.context.clear_cookies()
    log_in(phone, served, "yinshan-admin")
    phone.goto(f"{BASE}/whistles/new")
    shoot(phone, "governance-whistle-new-phone")
    phone.goto(f"{BASE}/whistles/{whistle_id}")
    assert serious_violations(phone) == []
    shoot(phone, "governance-whistle-phone")


def test_patrol_plans_on_a_desktop_and_a_phone(page, phone, served):
    log_in(page, served, "yinshan-admin")
    page.goto(f"{BASE}/patrols")
    page.click("a:has-text('巡查计划')")
    page.wait_for_url(re.compile(r".*/patrols/plans$"))
    assert page.locator("h1").inner_text() == "巡查计划"
    assert "今天尚未记录巡查的人员" in page.locator("#today-h").inner_text()
    first = page.locator("section.gv-plan").first
    assert "每天" in first.inner_text()  # the full-time grid worker, daily by default
    assert serious_violations(page) == []
    shoot(page, "governance-patrol-plans-desktop")
    grid_id = int(first.get_attribute("id").split("-")[1])
    staff = first.locator("select[name=staff] option").nth(1).get_attribute("value")
    first.locator("select[name=staff]").select_option(staff)
    first.locator("select[name=frequency]").select_option("workdays")
    first.locator("button:has-text('保存计划')").click()
    page.wait_for_url(re.compile(rf".*/patrols/plans\?planned={grid_id}#grid-{grid_id}$"))
    assert served.sql("SELECT frequency, active FROM governance_patrol_plan WHERE grid = ? AND staff = ?", grid_id, int(staff)) == [
        ("workdays", 1)]
    log_in(phone, served, "yinshan-admin")
    phone.goto(f"{BASE}/patrols/plans")
    assert serious_violations(phone) == []
    shoot(phone, "governance-patrol-plans-phone")


def test_field_errors_and_withdrawing_an_event_on_a_phone_and_a_desktop(phone, page, served):
    """gov4: a form left empty says so at its field (the report, the dispatch's empty choice, the withdraw reason, the
    patrol log); a worker withdraws an event filed by mistake and its photo goes with it."""
    worker = served.sql("SELECT username FROM piccolo_user WHERE username LIKE 'yinshan-%-grid-worker-1' ORDER BY username LIMIT 1")[0][0]
    log_in(phone, served, worker)
    phone.goto(f"{BASE}/events/new")
    phone.click("button:has-text('上报')")
    assert phone.locator("#f-category-note").inner_text() == "请选择事件类别。"
    assert phone.locator("#f-text-note").inner_text() == "请写明发现了什么（2000字以内）。"
    assert phone.locator(".gv-error-summary a").count() == 2
    assert serious_violations(phone) == []
    shoot(phone, "governance-report-errors-phone")
    phone.select_option("#f-category", "street_order")
    phone.fill("#f-text", "北门早市摊贩占道（重复上报）")
    phone.set_input_files("#f-photo", files=[{"name": "北门.png", "mimeType": "image/png", "buffer": _png()}])
    phone.click("button:has-text('上报')")
    phone.wait_for_url(re.compile(r".*/events/\d+$"))
    event_id = int(re.search(r"/events/(\d+)$", phone.url).group(1))
    phone.locator("#photos img").first.wait_for()
    phone.click("button:has-text('撤回事件')")
    assert phone.locator("#f-withdraw-note").inner_text() == "请写明撤回的理由（500字以内）。"
    assert serious_violations(phone) == []
    shoot(phone, "governance-withdraw-error-phone")
    phone.fill("#f-withdraw", "与北门早市占道重复上报")
    phone.click("button:has-text('撤回事件')")
    phone.wait_for_url(re.compile(rf".*/events\?withdrawn={event_id}$"))
    assert phone.locator("p[role=status]").inner_text() == "事件已撤回，照片已一并删除。"
    shoot(phone, "governance-withdrawn-phone")
    assert served.sql("SELECT count(*) FROM governance_event WHERE id = ?", event_id) == [(0,)]
    assert served.sql("SELECT count(*) FROM meihao_attachment WHERE scenario = 'governance' AND row_id = ?", event_id) == [(0,)]
    assert served.sql("SELECT reason FROM meihao_audit_log WHERE action = 'governance.event.withdraw' AND target_id = ?", str(event_id)) == [
        ("与北门早市占道重复上报",)]
    # the patrol log: a number of events found that is not one, at its field
    phone.goto(f"{BASE}/patrols")
    phone.fill("#f-events_found", "1001")
    phone.click("button:has-text('保存巡查记录')")
    assert phone.locator("#f-events_found-note").inner_text() == "发现事件数请填0到1000之间的整数。"
    shoot(phone, "governance-patrol-error-phone")

    # the community's admin registers an event and dispatches it with no choice: the error at the field
    log_in(page, served, "yinshan-admin")
    page.goto(f"{BASE}/events/new")
    page.select_option("#f-grid", index=1)
    page.select_option("#f-category", "environment")
    page.fill("#f-text", "银山新村3号楼楼道堆放杂物")
    page.click("button:has-text('上报')")
    page.wait_for_url(re.compile(r".*/events/\d+$"))
    event_path = page.url
    page.click("form:has(input[name=action][value=register]) button")
    page.wait_for_url(re.compile(r".*\?done=register$"))
    assert page.locator("#f-withdraw").count() == 1  # the command may still withdraw it before any order
    page.click("form:has(input[name=action][value=dispatch]) button")
    assert page.locator("#f-to-note").inner_text() == "请选择派给哪个部门，或网格内的哪位人员。"
    assert page.locator("#f-to").get_attribute("aria-invalid") == "true"
    assert "请按要求填写" not in page.locator("main").inner_text()
    assert serious_violations(page) == []
    shoot(page, "governance-dispatch-error-desktop")
    phone.context.clear_cookies()
    log_in(phone, served, "yinshan-admin")
    phone.goto(event_path)
    phone.click("form:has(input[name=action][value=dispatch]) button")
    assert phone.locator("#f-to-note").inner_text() == "请选择派给哪个部门，或网格内的哪位人员。"
    shoot(phone, "governance-dispatch-error-phone")


def test_a_request_of_another_grid_says_why_it_cannot_be_handed_over_by_its_holder(page, phone, served):
    """gov4: the desk hands a request of grid 2 to grid 1's worker; their request page offers no 转为网格事件 but says why."""
    worker = served.sql("SELECT username FROM piccolo_user WHERE username LIKE 'yinshan-%-grid-worker-1' ORDER BY username LIMIT 1")[0][0]
    worker_id, grid = served.sql(
        "SELECT s.id, a.grid FROM meihao_staff s JOIN piccolo_user u ON u.id = s.user JOIN meihao_staff_assignment a ON a.staff = s.id "
        "WHERE u.username = ? AND a.grid IS NOT NULL", worker)[0]
    other = served.sql("SELECT g.id FROM meihao_grid g WHERE g.community = (SELECT community FROM meihao_grid WHERE id = ?) AND g.id != ? "
                       "ORDER BY g.id LIMIT 1", grid, grid)[0][0]
    log_in(page, served, "yinshan-admin")
    page.goto("/c/yinshan/service/requests")
    page.click("a.button:has-text('受理诉求')")
    page.select_option("#f-channel", "visit")
    page.select_option("#f-type", "complaint")
    page.select_option("#f-grid", str(other))
    page.fill("#f-text", "银山新村7号楼东侧路面塌陷，晚上看不清")
    page.click("button:has-text('受理')")
    page.wait_for_load_state()
    request_id = int(re.search(r"/requests/(\d+)", page.url).group(1))
    page.select_option("#f-assignee-dispatch", str(worker_id))
    page.click("#step-dispatch button[type=submit]")
    page.wait_for_load_state()
    log_in(phone, served, worker)
    phone.goto(f"/c/yinshan/service/requests/{request_id}")
    phone.click("#step-sign button[type=submit]")
    phone.wait_for_load_state()
    note = "这件诉求所在的网格不归您负责：该网格的网格事件由本网格的网格员或社区服务站上报。请联系服务站将其转为网格事件，或把诉求退回。"
    assert phone.locator("#handover-elsewhere").inner_text() == note
    assert phone.locator("#step-handover").count() == 0
    assert serious_violations(phone) == []
    shoot(phone, "governance-handover-elsewhere-phone")
    page.context.clear_cookies()
    log_in(page, served, worker)
    page.goto(f"/c/yinshan/service/requests/{request_id}")
    assert page.locator("#handover-elsewhere").inner_text() == note
    shoot(page, "governance-handover-elsewhere-desktop")
