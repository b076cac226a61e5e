"""Volunteering in the browser: 荷畔's community admin sets up a team and a shift (desktop), a resident signs up on her phone
and gets her check-in code, staff open the code's scan page on a phone and find the record to verify; screenshots and axe."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import httpx
import pytest

from meihao.volunteering import shifts
from tests.browser.conftest import log_in, serious_violations, shoot

SH = ZoneInfo("Asia/Shanghai")


def _inbox_link(served, resident_id: int) -> str:
    login = httpx.post(f"{served.url}/api/auth/login", json={"username": "admin", "password": served.admin_password})
    answer = httpx.post(f"{served.url}/api/residents/{resident_id}/inbox-link", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["page"].removeprefix(served.url)


@pytest.fixture(scope="module")
def resident(served) -> dict:
    (resident_id, name), = served.sql(
        "SELECT r.id, r.name FROM meihao_resident r JOIN meihao_community c ON c.id = r.community WHERE c.slug = 'hepan' ORDER BY r.id LIMIT 1")
    return {"id": resident_id, "name": name, "inbox": _inbox_link(served, resident_id)}


def test_a_team_a_shift_a_sign_up_and_the_scan_page(page, phone, served, resident):
    tomorrow = (datetime.now(SH) + timedelta(days=1)).date().isoformat()
    log_in(page, served, "hepan-admin")
    page.goto("/volunteering/hepan")
    assert page.locator("h1").inner_text() == "志愿服务 · 荷畔社区"
    page.click("text=新建队伍")
    page.fill("#f-name", "荷畔美好志愿服务队")
    page.select_option("#f-kind", "civilization_practice")
    page.click("text=新建队伍 >> nth=-1")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "荷畔美好志愿服务队"
    assert page.locator(".vol-kind").inner_text().startswith("新时代文明实践所志愿服务队")
    page.fill("#f-resident", str(resident["id"]))
    page.fill("#f-skills", "理发、量血压")
    page.fill("#f-availability", "周末上午")
    page.click("text=加入队伍")
    page.wait_for_load_state()
    assert page.locator("tr[data-member] td").first.inner_text() == resident["name"]
    shoot(page, "volunteering-team-desktop")
    page.goto("/volunteering/hepan")
    page.click("text=新建班次")
    page.fill("#f-title", "邻里节·百家宴帮厨")
    page.fill("#f-place", "荷畔社区广场")
    page.fill("#f-day", tomorrow)
    page.fill("#f-start", "09:00")
    page.fill("#f-end", "08:00")  # before the start: the form comes back with the error at the field
    page.fill("#f-needed", "3")
    page.click("button:has-text('新建班次')")
    page.wait_for_load_state()
    assert page.locator("#f-end-note").inner_text() == "结束时间须晚于开始时间（同一天），时长最多12小时。"
    page.fill("#f-end", "11:00")
    page.click("button:has-text('新建班次')")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "邻里节·百家宴帮厨"
    assert page.locator("[data-taken]").inner_text() == "需要3人，已报名0人"
    assert serious_violations(page) == []
    shift_path = page.url.removeprefix(served.url)
    # the resident signs up on her phone and gets her code
    phone.goto(resident["inbox"])
    phone.click("text=志愿服务报名")
    assert phone.locator("h1").inner_text() == "志愿服务报名"
    card = phone.locator("section.r-card:has-text('邻里节·百家宴帮厨')")
    card.locator("button:has-text('报名')").click()
    phone.wait_for_load_state()
    assert phone.locator(".r-notice").inner_text() == "报名成功。到场时请把下面的二维码出示给社区工作人员。"
    assert card.locator(".r-places").inner_text() == "需要3人，已报名1人"
    assert card.locator(".vol-qr svg").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(phone) == []
    shoot(phone, "volunteering-resident-phone")
    (actor,), = served.sql("SELECT actor FROM meihao_audit_log WHERE action = 'meihao.volunteer.sign_up' ORDER BY id DESC LIMIT 1")
    assert actor == f"resident {resident['id']} (inbox link)"
    # staff see her sign-up, and the printable code leads to the scan page
    page.goto(shift_path)
    assert page.locator("tr[data-signup] td").first.inner_text() == f"{resident['name']} （本人报名）"
    shoot(page, "volunteering-shift-desktop")
    page.click("text=打印二维码")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "签到二维码"
    (signup_id,), = served.sql("SELECT id FROM meihao_volunteer_signup WHERE resident = ?", resident["id"])
    (ends_at,), = served.sql("SELECT ends_at FROM meihao_volunteer_shift WHERE id = ?", int(shift_path.rsplit("/", 1)[1]))
    # the code her page draws (the server's data key, the shift's end): what a phone's camera reads from the QR
    settings = SimpleNamespace(data_key=served.env["MEIHAO_DATA_KEY"], volunteer_checkin_minutes=60)
    code = shifts.make_code(SimpleNamespace(settings=settings), signup_id, datetime.fromisoformat(str(ends_at)))
    log_in(phone, served, "hepan-admin")
    phone.goto(f"/volunteering/scan/{code}")
    assert phone.locator(".vol-name").inner_text() == resident["name"]
    # the shift is tomorrow: the page says when check-in opens instead of offering a button that would fail
    assert phone.locator(".vol-early").inner_text() == f"{tomorrow} 08:00开始签到。"
    assert phone.locator("button.vol-big").count() == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "volunteering-scan-phone")
    phone.goto("/volunteering/hepan")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "volunteering-community-phone")
    page.goto("/volunteering/hepan")
    shoot(page, "volunteering-community-desktop")


