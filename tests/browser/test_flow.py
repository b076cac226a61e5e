"""Issue 12's whole story in Chromium, one server: a street admin switches a scene on for a community with its
settings and plans an activity with a reminder; the server's worker delivers it; the resident's inbox page shows
it; the resident unsubscribes from the scene and undoes it. Then the security messages a worker meets: a grid
worker cannot open another grid's resident, an ended session and a form without its token say so plainly."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.browser.conftest import log_in, serious_violations, shoot

TITLE = "银山戏曲进社区：豫剧专场"


def api(served, method: str, path: str) -> dict:
    login = httpx.post(f"{served.url}/api/auth/login", json={"username": "admin", "password": served.admin_password})
    answer = httpx.request(method, f"{served.url}{path}", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_scene_on_activity_reminded_resident_reads_unsubscribes_and_undoes(page, phone, served):
    # 1. the street admin switches culture on for 银山社区 (no scene in the demo) with a setting
    log_in(page, served, "admin")
    page.goto("/communities/yinshan")
    culture = page.locator("#scene-culture")
    assert culture.locator(".badge").inner_text() == "未开启"
    culture.locator("summary").click()
    culture.locator("#f-culture-subsidy_per_show_yuan").fill("4500")
    culture.locator("button.primary").click()
    assert page.locator("[role=status]").inner_text() == "场景已开启，设置已保存。"
    (enabled, settings), = served.sql(
        "SELECT s.enabled, s.settings FROM meihao_community_scenario s JOIN meihao_community c ON c.id = s.community "
        "WHERE c.slug = 'yinshan' AND s.scenario = 'culture'")
    assert (enabled, json.loads(settings)["subsidy_per_show_yuan"]) == (1, 4500)

    # 2. an activity in two hours (银山's time) for the residents aged 80 and over, reminded a day before: due at once,
    # whatever the hour the test runs at (a start "tomorrow at 19:00" was due only after 19:00 Shanghai time)
    starts = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0) + timedelta(hours=2)
    page.goto(f"/activities/new?community=yinshan&d={starts.date().isoformat()}")
    assert page.locator(".act-community strong").inner_text() == "银山社区"
    page.fill("#f-title", TITLE)
    page.select_option("#f-scene", "culture")
    page.fill("#f-start_time", starts.strftime("%H:%M"))
    page.check("input[name=who][value=some]")
    page.fill("#f-min_age", "80")
    page.click("button:has-text('创建活动')")
    page.wait_for_url(re.compile(r".*/activities/\d+\?saved=1$"))  # the new activity's page, not the form still showing
    assert page.locator("h1").inner_text() == TITLE
    activity = int(page.url.split("?")[0].rsplit("/", 1)[1])

    # 3. the server's worker delivers; the activity's reminder log shows it (bounded wait)
    sent: list[tuple] = []
    for _ in range(60):
        sent = served.sql(
            "SELECT recipient_id FROM meihao_reminder WHERE activity = ? AND recipient_kind = 'resident' AND status = 'sent' "
            "ORDER BY recipient_id", activity)
        pending = served.sql("SELECT count(*) FROM meihao_reminder WHERE activity = ? AND status IN ('pending', 'sending')", activity)
        if sent and pending == [(0,)]:
            break
        page.wait_for_timeout(1000)
    assert sent, "the worker sent no reminder within a minute"
    page.reload()
    assert page.locator("table.act-reminders tbody tr[data-status=sent]").count() == len(sent)
    shoot(page, "flow-activity-log-desktop")

    # 4. one of them opens her inbox page (the link staff give her) on a phone: the reminder is there
    resident = sent[0][0]
    inbox = api(served, "POST", f"/api/residents/{resident}/inbox-link")["page"].removeprefix(served.url)
    phone.goto(inbox)
    assert TITLE in phone.locator("main").inner_text()
    assert serious_violations(phone) == []
    shoot(phone, "flow-resident-inbox-phone")

    # 5. she switches the theatre reminders off, and changes her mind
    opt_outs = "SELECT scene, channel FROM meihao_reminder_optout WHERE recipient_kind = 'resident' AND recipient_id = ? ORDER BY scene"
    assert served.sql(opt_outs, resident) == []
    unsubscribe = api(served, "POST", f"/api/residents/{resident}/unsubscribe-link")["page"].removeprefix(served.url)
    phone.goto(unsubscribe + "?scene=culture")
    phone.click("button:has-text('关闭这些提醒')")
    assert phone.locator("h1").inner_text() == "提醒已关闭"
    assert served.sql(opt_outs, resident) == [("culture", "*")]
    phone.click("button:has-text('撤销')")
    assert phone.locator("h1").inner_text() == "提醒已恢复"
    assert served.sql(opt_outs, resident) == []


def test_a_grid_worker_cannot_open_another_grids_resident(phone, served):
    (other,), = served.sql(
        "SELECT r.id FROM meihao_resident r JOIN meihao_grid g ON g.id = r.grid JOIN meihao_community c ON c.id = g.community "
        "WHERE c.slug = 'hepan' AND g.code != 'G01' ORDER BY r.id LIMIT 1")
    log_in(phone, served, "hepan-g01-grid-worker-1")
    response = phone.goto(f"/register/residents/{other}")
    assert response.status == 404
    assert phone.locator("h1").inner_text() == "找不到页面"
    assert phone.locator("main p").first.inner_text() == "页面不存在，或不在您负责的范围内。"
    shoot(phone, "flow-other-grid-resident-404-phone")


def test_an_ended_session_and_a_form_without_its_token_say_so(page, served):
    log_in(page, served, "hepan-admin")
    page.context.add_cookies([{"name": "meihao_session", "value": "ended", "url": served.url}])
    page.goto("/register")
    assert "/login?next=/register&expired=1" in page.url
    assert page.locator("[role=status]").inner_text() == "登录已过期，请重新登录。"
    log_in(page, served, "hepan-admin")
    page.goto("/me/password")
    page.evaluate("document.querySelectorAll('input[name=_csrf_token]').forEach(e => e.remove())")
    page.fill("#f-current_password", served.staff_password)
    page.fill("#f-new_password", "a much longer password")
    page.fill("#f-new_password_again", "a much longer password")
    page.click("main button[type=submit]")
    assert page.locator("h1").inner_text() == "表单已过期"
    assert "请返回、刷新页面后重新提交" in page.locator("main").inner_text()
    assert serious_violations(page) == []
    shoot(page, "flow-csrf-desktop")
