"""Residents' pages in Chromium: an elder's inbox on a phone, unsubscribe and undo, sign-ups, the calendar; axe and screenshots."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.browser.conftest import serious_violations, shoot

MESSAGES = [
    "尊敬的王奶奶：\n重阳节敬老午餐将于12月5日（周六）上午11点在荷畔社区食堂举行，欢迎参加。\n——荷畔社区居民委员会",
    "尊敬的王奶奶：\n免费测血压将于12月3日（周四）上午9点在社区卫生服务站举行，欢迎参加。\n——荷畔社区居民委员会",
]


def _api(served, method: str, path: str, json: object | None = None) -> dict:
    login = httpx.post(f"{served.url}/api/auth/login", json={"username": "admin", "password": served.admin_password})
    assert login.status_code == 200, login.text
    answer = httpx.request(method, f"{served.url}{path}", json=json, headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


@pytest.fixture(scope="module")
def elder(served) -> dict:
    """The oldest resident of 荷畔社区, with two reminders in the inbox (the newer one read) and her secret links."""
    (resident_id, community_id), = served.sql(
        "SELECT r.id, r.community FROM meihao_resident r JOIN meihao_community c ON c.id = r.community "
        "WHERE c.slug = 'hepan' ORDER BY r.birth_date, r.id LIMIT 1")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    import sqlite3

    with sqlite3.connect(served.database) as db:
        for hours, body in zip((26, 2), reversed(MESSAGES), strict=True):  # the older first: the inbox lists the newest first
            db.execute(
                "INSERT INTO meihao_inbox (recipient_kind, recipient_id, language, body, created_at) VALUES ('resident', ?, 'zh', ?, ?)",
                (resident_id, body, (now - timedelta(hours=hours)).isoformat()))
    links = {purpose: _api(served, "POST", f"/api/residents/{resident_id}/{purpose}-link")["page"] for purpose in ("inbox", "unsubscribe", "calendar")}
    start = (now + timedelta(days=3)).replace(hour=1, minute=0, second=0)
    _api(served, "POST", "/api/communities/hepan/activities", {
        "scene": "health", "title": "义诊：量血压、测血糖", "venue": "荷畔社区卫生服务站", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(), "rrule": "FREQ=WEEKLY;COUNT=3", "audience": {"everyone": True},
        "reminder_offsets": [1440], "signups_open": True, "signup_capacity": 20,
    })
    return {"id": resident_id, "community": community_id, **{p: u.removeprefix(served.url) for p, u in links.items()}}


def test_an_elders_inbox_on_a_phone(phone, served, elder):
    phone.goto(elder["inbox"])
    assert phone.locator("h1").inner_text() == "我的消息"
    assert phone.locator(".r-body").all_inner_texts() == MESSAGES
    assert phone.locator(".r-lead").inner_text() == "您有 2 条新消息。"
    # large text for elders: the message at least 26 px, the buttons at least 56 px high and as wide as the screen
    assert float(phone.locator(".r-body").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 26
    box = phone.locator(".r-message button").first.bounding_box()
    assert box["height"] >= 56 and box["width"] >= 300
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    assert serious_violations(phone) == []
    shoot(phone, "residents-inbox-phone")
    phone.locator(".r-message button").first.click()
    assert phone.locator(".r-lead").inner_text() == "您有 1 条新消息。"
    assert phone.locator(".r-done").all_inner_texts() == ["已读"]


def test_the_inbox_and_sign_ups_on_a_desktop(page, served, elder):
    page.goto(elder["inbox"])
    assert serious_violations(page) == []
    shoot(page, "residents-inbox-desktop")
    page.click("text=活动报名")
    assert page.locator("h1").inner_text() == "活动报名"
    assert page.locator("h2").all_inner_texts() == ["义诊：量血压、测血糖"]
    assert serious_violations(page) == []
    shoot(page, "residents-signups-desktop")


def test_signing_up_on_a_phone(phone, served, elder):
    phone.goto(elder["inbox"] + "/activities")
    assert phone.locator(".r-places").first.inner_text() == "已报名 0 人，共 20 个名额"
    phone.locator("button:has-text('报名')").first.click()
    assert phone.locator(".r-notice").inner_text() == "报名成功！请按时参加。"
    assert phone.locator(".r-places").first.inner_text() == "已报名 1 人，共 20 个名额"
    assert phone.locator(".r-done").first.inner_text() == "您已报名"
    assert serious_violations(phone) == []
    shoot(phone, "residents-signups-phone")
    phone.locator("button:has-text('取消报名')").first.click()
    assert phone.locator(".r-notice").inner_text() == "已取消报名。"
    assert served.sql("SELECT count(*) FROM meihao_activity_signup WHERE resident = ?", elder["id"]) == [(0,)]


def test_unsubscribe_and_undo_on_a_phone(phone, page, served, elder):
    opt_outs = "SELECT scene, channel FROM meihao_reminder_optout WHERE recipient_kind = 'resident' AND recipient_id = ? ORDER BY scene, channel"
    before = served.sql(opt_outs, elder["id"])
    phone.goto(elder["unsubscribe"] + "?scene=markets")
    assert phone.locator("h1").inner_text() == "要关闭这些提醒吗？"
    assert served.sql(opt_outs, elder["id"]) == before  # opening the link changes nothing
    assert serious_violations(phone) == []
    shoot(phone, "residents-unsubscribe-phone")
    phone.click("button:has-text('关闭这些提醒')")
    assert phone.locator("h1").inner_text() == "提醒已关闭"
    assert phone.locator(".r-lead").inner_text() == "从现在起，您不会再收到“市集”活动的提醒（消息、邮件都不再发）。"
    assert served.sql(opt_outs, elder["id"]) == sorted([*before, ("markets", "*")])
    assert serious_violations(phone) == []
    shoot(phone, "residents-unsubscribed-phone")
    phone.click("button:has-text('撤销')")
    assert phone.locator("h1").inner_text() == "提醒已恢复"
    assert served.sql(opt_outs, elder["id"]) == before
    page.goto(elder["unsubscribe"] + "?scene=markets")
    assert serious_violations(page) == []
    shoot(page, "residents-unsubscribe-desktop")


def test_the_calendar_page(phone, page, served, elder):
    for viewport, shot in ((phone, "residents-calendar-phone"), (page, "residents-calendar-desktop")):
        viewport.goto(elder["calendar"])
        assert viewport.locator("h1").inner_text() == "把活动放进手机日历"
        assert viewport.input_value("#feed").endswith(".ics")
        assert viewport.locator(".r-events .r-body").first.inner_text() == "义诊：量血压、测血糖"
        assert serious_violations(viewport) == []
        shoot(viewport, shot)


def test_a_wrong_link_on_a_phone(phone, served):
    response = phone.goto("/r/inbox/r1.1.forged")
    assert response.status == 404
    assert phone.locator("h1").inner_text() == "这个链接打不开"
    assert serious_violations(phone) == []
    shoot(phone, "residents-invalid-link-phone")
