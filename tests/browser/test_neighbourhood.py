"""neighbourhood's console pages in Chromium: 荷畔's admin reads the motions by stage, sets a follow-up task on the
resolution and reads a held meeting (desktop); a grid worker reads the motions and the meeting on a phone."""

from __future__ import annotations

from datetime import date, timedelta

from tests.browser.conftest import log_in, serious_violations, shoot

NB = "/c/hepan/neighbourhood"


def look(page, name: str) -> None:
    assert serious_violations(page) == [], name
    shoot(page, name)


def _working_day() -> str:
    """A Wednesday two to three weeks ahead (a weekday, clear of the next few days)."""
    day = date.today() + timedelta(days=14)
    return (day + timedelta(days=(2 - day.weekday()) % 7)).isoformat()


def test_hepan_admin_sets_a_follow_up_task_on_the_resolution(page, served):
    log_in(page, served, "hepan-admin")
    page.goto(f"{NB}/motions")
    assert page.locator("h1").inner_text() == "议事"
    stages = page.locator("h3.nb-stage").all_inner_texts()
    assert any(s.startswith("已形成决议") for s in stages) and any(s.startswith("征集附议中") for s in stages)
    look(page, "neighbourhood-motions-desktop")
    page.locator("h3.nb-stage:has-text('已形成决议') + ul a").first.click()
    page.locator("#tasks-h").wait_for()
    page.fill("#f-title", "联系施工单位排期")
    page.select_option("#f-owner_id", index=1)
    page.fill("#f-due_on", _working_day())
    page.get_by_role("button", name="设置任务").click()
    page.locator("[role=status]").wait_for()
    assert page.locator("[role=status]").inner_text() == "落实任务已设置。"
    assert page.locator("#tasks-h + ul h3").first.inner_text() == "联系施工单位排期"
    look(page, "neighbourhood-resolution-desktop")
    page.locator("a:has-text('查看会议')").click()
    page.locator("#agenda-h").wait_for()
    assert "已召开" in page.locator("dl.facts").inner_text()
    look(page, "neighbourhood-meeting-desktop")


def test_a_grid_worker_reads_motions_and_a_meeting_on_a_phone(phone, served):
    log_in(phone, served, "hepan-g01-grid-worker-1")
    phone.goto(f"{NB}/motions")
    assert phone.locator("h1").inner_text() == "议事"
    look(phone, "neighbourhood-motions-phone")
    phone.locator("section[aria-labelledby=meetings-h] h3 a").last.click()
    phone.locator("#agenda-h").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 400
    look(phone, "neighbourhood-meeting-phone")
