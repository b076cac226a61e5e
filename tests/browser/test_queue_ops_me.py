"""My queue, Operations and Me in Chromium: a grid worker's queue on a phone with a one-tap action, Operations for the
street admin on a desktop, the inbox and digest; screenshots and axe on each.

The demo's scenes bring no queue of their own in this test, so the server here also loads the lantern sample scene
(``MEIHAO_PLUGINS``, as a site's own plugin is loaded), switched on in hepan with three riddles on its board: each is an
item of the queue with a one-tap "solved" button.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from tests.browser.conftest import (
    MEIHAO,
    ROOT,
    DemoTemplate,
    Served,
    demo_copy,
    log_in,
    running,
    serious_violations,
    shoot,
)

RIDDLES = ["千条线万条线", "麻屋子红帐子", "小小诸葛亮"]
INBOX = [("明天上午九点在议事厅开邻里议事会，请提前十分钟到场。", 20), ("3号楼王秀英已十天未探访，请今天上门看看。", 1)]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoTemplate) -> Iterator[Served]:
    """The demo as tests/browser/conftest.py serves it, plus the lantern scene in hepan with riddles to solve."""
    folder = tmp_path_factory.mktemp("served-queue")
    env, port = demo_copy(demo_template, folder, MEIHAO_PLUGINS="lantern=tests.sample_plugins.lantern", PYTHONPATH=str(ROOT))
    migrated = subprocess.run([MEIHAO, "migrate"], capture_output=True, text=True, env=env, cwd=folder)
    assert migrated.returncode == 0, migrated.stderr
    enabled = subprocess.run([MEIHAO, "community", "enable", "hepan", "lantern"], capture_output=True, text=True, env=env, cwd=folder)
    assert enabled.returncode == 0, enabled.stderr
    staff_password, admin_password = demo_template.staff_password, demo_template.admin_password
    import sqlite3

    with sqlite3.connect(folder / "meihao.db") as db:
        hepan = db.execute("SELECT id FROM meihao_community WHERE slug = 'hepan'").fetchone()[0]
        db.execute("DELETE FROM lantern_riddle")
        db.executemany("INSERT INTO lantern_riddle (community, question, answer) VALUES (?, ?, ?)", [(hepan, q, "谜底") for q in RIDDLES])
        # two messages in the grid worker's own inbox (as the inbox channel writes them)
        worker = db.execute(
            "SELECT s.id FROM meihao_staff s JOIN piccolo_user u ON u.id = s.user WHERE u.username = 'hepan-g01-grid-worker-1'"
        ).fetchone()[0]
        now = datetime.now(timezone.utc)
        db.executemany(
            "INSERT INTO meihao_inbox (recipient_kind, recipient_id, language, body, created_at) VALUES ('staff', ?, 'zh', ?, ?)",
            [(worker, body, str(now - timedelta(hours=hours))) for body, hours in INBOX],
        )
    with running(folder, env, port) as url:
        yield Served(url, env, staff_password, admin_password, folder / "meihao.db")


def riddle_titles(page) -> list[str]:
    return [t for t in page.locator(".queue-title").all_inner_texts() if t.startswith("灯谜：")]


def test_a_grid_worker_solves_an_item_with_one_tap_on_a_phone(phone, served):
    log_in(phone, served, "hepan-g01-grid-worker-1")
    phone.click("nav >> text=我的待办")
    phone.wait_for_url("**/queue")  # a boosted link: the content is swapped in, no page load to wait for
    assert phone.url.endswith("/queue")
    assert phone.locator("h1").inner_text() == "我的待办"
    assert riddle_titles(phone) == [f"灯谜：{q}" for q in RIDDLES]
    # the button fills the phone's width and is big enough for a thumb
    button = phone.locator(".queue-item", has_text=RIDDLES[0]).locator("button")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300
    assert serious_violations(phone) == []
    shoot(phone, "queue-phone")
    with phone.expect_navigation():
        button.tap()
    assert phone.url.endswith("/queue")
    assert riddle_titles(phone) == [f"灯谜：{q}" for q in RIDDLES[1:]]
    assert served.sql("SELECT question FROM lantern_riddle ORDER BY id") == [(q,) for q in RIDDLES[1:]]


def test_the_queue_on_a_desktop_in_english(page, served):
    log_in(page, served, "hepan-admin")
    page.goto("/lang/en?next=/queue")
    assert page.locator("h1").inner_text() == "My queue"
    assert [t for t in page.locator(".queue-title").all_inner_texts() if t.startswith("Riddle: ")]
    assert serious_violations(page) == []
    shoot(page, "queue-desktop-en")
    page.goto("/lang/zh_CN?next=/queue")
    shoot(page, "queue-desktop")


def test_operations_for_the_street_admin_on_a_desktop(page, served):
    log_in(page, served, "admin")
    page.click("nav >> text=运维")
    page.wait_for_url("**/ops")  # a boosted link
    assert page.locator("h1").inner_text() == "运维"
    jobs = page.locator("#jobs-h + .table-wrap tbody tr td:first-child strong").all_inner_texts()
    assert "meihao.reminders.digest" in jobs and "elder_care.visit_check" in jobs
    nodes = page.locator("#nodes-h + .table-wrap tbody tr")
    assert nodes.count() >= 1 and "在线" in nodes.first.inner_text()
    assert serious_violations(page) == []
    shoot(page, "ops-desktop")
    page.click("nav.tabs >> text=操作日志")
    assert page.locator("h1").inner_text() == "操作日志"
    page.fill("#f-action", "auth.login")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "action=auth.login" in page.url
    actions = set(page.locator("table.audit tbody td:nth-child(3)").all_inner_texts())
    assert actions == {"auth.login"}
    assert serious_violations(page) == []
    shoot(page, "ops-audit-desktop")


def test_operations_on_a_phone_and_refused_to_a_grid_worker(phone, served):
    log_in(phone, served, "admin")
    phone.goto("/ops")
    assert serious_violations(phone) == []
    shoot(phone, "ops-phone")
    phone.goto("/ops/audit")
    shoot(phone, "ops-audit-phone")
    phone.click("button:has-text('退出登录')")
    log_in(phone, served, "hepan-g01-grid-worker-1")
    assert phone.locator("nav >> text=运维").count() == 0
    response = phone.goto("/ops")
    assert response.status == 403
    assert phone.locator("h1").inner_text() == "无权访问"


def test_my_inbox_and_digest_on_a_phone_and_a_desktop(phone, page, served):
    log_in(phone, served, "hepan-g01-grid-worker-1")
    phone.click("nav a[href='/me']")
    phone.wait_for_url("**/me")  # a boosted link
    assert serious_violations(phone) == []
    shoot(phone, "me-phone")
    assert phone.locator("li.message .message-body").all_inner_texts() == [body for body, _ in reversed(INBOX)]
    assert phone.locator("li.message.unread").count() == 2
    # marked read in place (htmx): the page stays, the message says it was read
    first = phone.locator("li.message").first
    message_id = first.get_attribute("id")
    first.locator("button:has-text('标为已读')").tap()
    phone.wait_for_selector(f"#{message_id}:not(.unread)")
    assert phone.locator(f"#{message_id} .badge").inner_text() == "已读"
    assert phone.url.endswith("/me") and phone.locator("li.message.unread").count() == 1
    # a daily digest at 18:00
    phone.check("#f-digest")
    phone.select_option("#f-hour", "18")
    with phone.expect_navigation():
        phone.click("button:has-text('保存')")
    assert phone.locator("#digest .notice").inner_text() == "已保存。"
    assert phone.locator("#f-hour").input_value() == "18"
    log_in(page, served, "hepan-g01-grid-worker-1")
    page.goto("/me")
    assert serious_violations(page) == []
    shoot(page, "me-desktop")
