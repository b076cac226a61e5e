"""A resident of 城关 (the demo community running markets) applies for a stall herself, from her inbox link, on a phone; axe and a screenshot."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import serious_violations, shoot


def _inbox_link(served, resident_id: int) -> str:
    login = httpx.post(f"{served.url}/api/auth/login", json={"username": "admin", "password": served.admin_password})
    assert login.status_code == 200, login.text
    answer = httpx.post(f"{served.url}/api/residents/{resident_id}/inbox-link", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["page"].removeprefix(served.url)


@pytest.fixture(scope="module")
def resident(served) -> dict:
    """The first resident of 城关社区 without any stall application in the demo, and her inbox link."""
    (resident_id,), = served.sql(
        "SELECT r.id FROM meihao_resident r JOIN meihao_community c ON c.id = r.community WHERE c.slug = 'chengguan' "
        "AND r.id NOT IN (SELECT resident FROM markets_application WHERE resident IS NOT NULL) ORDER BY r.id LIMIT 1")
    return {"id": resident_id, "inbox": _inbox_link(served, resident_id)}


def test_a_resident_applies_for_a_stall_from_her_inbox_on_a_phone(phone, served, resident):
    phone.goto(resident["inbox"])
    phone.click("text=申请市集摊位")
    assert phone.locator("h1").inner_text() == "申请市集摊位"
    assert phone.locator(".r-place").inner_text() == "城关社区"
    days = phone.locator("section.r-card form.r-form")
    assert days.count() >= 1  # the coming market days of 老街坊睦邻善市 still taking applications
    assert phone.locator("#mine + section").inner_text() == "您还没有申请近期市集的摊位。"
    first = phone.locator("section.r-card:has(form.r-form)").first
    first.locator("input[name=goods]").fill("老粗布鞋垫")
    first.locator("button[type=submit]").click()
    phone.wait_for_load_state()
    assert phone.locator(".r-notice").inner_text() == "申请已提交。社区审批后会通知您。"
    assert phone.locator(".r-status").all_inner_texts() == ["待审批"]
    assert "货品：老粗布鞋垫" in phone.locator("#mine ~ section").first.inner_text()
    rows = served.sql("SELECT resident, goods, status FROM markets_application WHERE resident = ?", resident["id"])
    assert rows == [(resident["id"], "老粗布鞋垫", "pending")]
    (actor,), = served.sql("SELECT actor FROM meihao_audit_log WHERE action = 'markets.application.create' ORDER BY id DESC LIMIT 1")
    assert actor == f"resident {resident['id']} (inbox link)"
    # large enough for elders, nothing wider than the phone
    box = phone.locator("#mine ~ section button").first.bounding_box()
    assert box["height"] >= 56 and box["width"] >= 300
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(phone) == []
    shoot(phone, "residents-stall-phone")
