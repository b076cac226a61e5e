"""The grid academy in Chromium: 银山's admin reads the courses and sessions, a session's list and the credit report;
a grid leader checks a learner in and out on a phone; a grid worker reads their own year."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.browser.conftest import log_in, serious_violations, shoot

ACADEMY = "/c/yinshan/education"


def look(page, name: str) -> None:
    assert serious_violations(page) == [], name
    shoot(page, name)


def test_yinshan_admin_reads_the_academy_and_the_credit_report(page, served):
    log_in(page, served, "yinshan-admin")
    page.goto(f"{ACADEMY}/sessions")
    assert page.locator("h1").inner_text() == "网格学院"
    venues = page.locator("section[aria-labelledby=venues-h] tbody tr")
    assert venues.count() == 13  # the main classroom, 9 indoor rooms and 3 outdoor bases
    assert venues.first.locator("td").nth(1).inner_text() == "主课堂"
    look(page, "education-sessions-desktop")
    page.locator("section[aria-labelledby=coming-h] a.ed-name").first.click()
    page.locator("#list-h").wait_for()
    assert page.locator("#list-h").inner_text() == "报名名单"
    look(page, "education-session-desktop")
    page.click(".scene-nav a:has-text('学时学分')")
    page.wait_for_url(f"**{ACADEMY}/report")
    assert page.locator("h1").inner_text().endswith("年学时学分统计")
    assert page.locator("section[aria-labelledby=roles-h] tbody tr").count() == 6  # five roles and the community
    look(page, "education-report-desktop")


def test_a_grid_leader_checks_a_learner_in_and_out_on_a_phone(phone, served):
    # the next session in the main classroom starts in ten minutes (moved in the database: the demo runs on the real clock)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    starts, ends = now + timedelta(minutes=10), now + timedelta(hours=3)
    (session_id,) = served.sql(
        "SELECT s.id FROM education_session s JOIN meihao_community c ON c.id = s.community JOIN education_venue v ON v.id = s.venue "
        "WHERE c.slug = 'yinshan' AND v.kind = 'main' AND s.starts_at > ? AND s.status = 'scheduled' ORDER BY s.starts_at LIMIT 1",
        now.strftime("%Y-%m-%d %H:%M:%S+00:00"))[0]
    served.sql("UPDATE education_session SET starts_at = ?, ends_at = ?, day = ? WHERE id = ?", starts.strftime("%Y-%m-%d %H:%M:%S+00:00"),
               ends.strftime("%Y-%m-%d %H:%M:%S+00:00"), starts.astimezone(timezone(timedelta(hours=8))).date().isoformat(), session_id)
    log_in(phone, served, "yinshan-g01-grid-leader-1")
    phone.goto(f"{ACADEMY}/sessions/{session_id}")
    rows = phone.locator(".ed-attendance .ed-row")
    assert rows.count() >= 3
    look(phone, "education-session-phone")
    first = rows.first.locator(".ed-name").inner_text()
    rows.first.get_by_role("button", name=f"签到 {first}").click()
    phone.locator("[role=status]").wait_for()
    assert phone.locator("[role=status]").inner_text() == "已签到。"
    assert "签到" in phone.locator(".ed-attendance .ed-row").first.locator(".ed-facts").inner_text()
    look(phone, "education-checked-in-phone")
    phone.locator(".ed-attendance .ed-row").first.get_by_role("button", name=f"签退 {first}").click()
    phone.locator("[role=status]").wait_for()
    assert phone.locator("[role=status]").inner_text() == "已签退，学时已计入。"
    assert phone.locator(".ed-attendance .ed-row").first.locator(".badge").inner_text() == "已参训"
    phone.goto(f"{ACADEMY}/sessions")
    look(phone, "education-sessions-phone")


def test_a_grid_worker_reads_their_own_year_on_a_phone(phone, served):
    log_in(phone, served, "yinshan-g01-grid-worker-1")
    phone.goto(f"{ACADEMY}/report")
    assert phone.locator("#people-h").inner_text() == "我的学时"
    assert phone.locator(".ed-list .ed-row").count() == 1
    look(phone, "education-report-phone")


def test_the_street_reads_every_communitys_academy_and_a_community_admin_only_its_own(page, phone, served):
    log_in(page, served, "admin")
    page.goto(f"{ACADEMY}/street")
    assert page.locator("h1").inner_text().endswith("年网格学院各社区统计")
    rows = page.locator("table.ed-street tbody tr")
    names = [rows.nth(i).locator("th").inner_text() for i in range(rows.count())]
    assert names[-1] == "合计" and "银山社区" in names and len(names) >= 3
    assert page.locator("table.ed-street thead th").all_inner_texts()[:4] == ["社区", "培训场地", "课程", "已开课次"]
    look(page, "education-street-desktop")
    log_in(phone, served, "yinshan-admin")
    phone.goto(f"{ACADEMY}/street")
    rows = phone.locator("table.ed-street tbody tr")
    assert [rows.nth(i).locator("th").inner_text() for i in range(rows.count())] == ["银山社区", "合计"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls inside its region
    look(phone, "education-street-phone")
