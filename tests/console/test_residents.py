"""Residents' pages behind their secret links, in process: the inbox, unsubscribe and undo, the calendar, sign-ups (报名).

tests/browser/test_residents.py opens the same pages in Chromium at phone size.
"""

from __future__ import annotations

import asyncio
import json
import re
from html import unescape

from meihao.access.principals import SYSTEM
from meihao.access.tables import AuditLog
from meihao.errors import Conflict
from meihao.reminders import recipients, signups
from meihao.reminders.rendering import details, render
from meihao.reminders.tables import ActivitySignup, InboxMessage, Reminder, ReminderOptOut
from meihao.reminders.tokens import make_token, revoke
from meihao.testing import ANONYMOUS, drain, make_client, make_page_client
from meihao.web.safety import redact_secret_links
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at
from tests.reminders.test_routes import MARKET

WEEK_7 = "尊敬的王奶奶： 睦邻善市公益市集将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。 ——荷畔社区居民委员会"
WEEK_14 = "尊敬的王奶奶： 睦邻善市公益市集将于3月14日（周六）上午9点在荷畔广场举行，欢迎参加。 ——荷畔社区居民委员会"
FIRST, SECOND = "2026-03-07T01:00:00Z", "2026-03-14T01:00:00Z"


def h1(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r"<h1[^>]*>(.*?)</h1>", html)]


def texts(html: str, css_class: str) -> list[str]:
    return [unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", t)).strip())
            for t in re.findall(rf'<p class="{css_class}"[^>]*>(.*?)</p>', html, re.S)]


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


def main_of(html: str) -> str:
    return re.search(r"<main[^>]*>(.*?)</main>", html, re.S).group(1)


async def opt_outs(resident_id: int) -> list[tuple[str, str]]:
    rows = await ReminderOptOut.select(ReminderOptOut.scene, ReminderOptOut.channel).where(
        ReminderOptOut.recipient_kind == "resident", ReminderOptOut.recipient_id == resident_id)
    return sorted((r["scene"], r["channel"]) for r in rows)


async def audit_rows(prefix: str) -> list[tuple[str | None, str, str, str, dict]]:
    rows = await AuditLog.select(AuditLog.staff, AuditLog.actor, AuditLog.action, AuditLog.target_id, AuditLog.detail).where(
        AuditLog.action.like(prefix + "%")).order_by(AuditLog.id)
    return [(r["staff"], r["actor"], r["action"], r["target_id"], json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"])
            for r in rows]


async def two_weeks_of_market_reminders(meihao):
    street = await build_street(meihao)
    async with make_client(meihao) as client:
        assert (await client.post("/api/communities/hepan/activities", json=MARKET)).status_code == 201
    street.clock.set(at(2026, 3, 6, 9, 0))
    await drain(street.engine)
    street.clock.set(at(2026, 3, 13, 9, 0))
    await drain(street.engine)
    return street


# -- the inbox --------------------------------------------------------------------------------


async def test_the_inbox_page_shows_the_residents_own_messages_newest_first_and_marks_them_read(meihao):
    street = await two_weeks_of_market_reminders(meihao)
    wang, anna = street.residents["王秀英"]["id"], street.residents["Anna"]["id"]
    token = await make_token(meihao, "resident", wang, "inbox")
    async with make_page_client(meihao, ANONYMOUS) as client:
        page = await client.get(f"/r/inbox/{token}")
        assert page.status_code == 200
        assert '<body class="resident">' in page.text
        assert h1(page.text) == ["我的消息"]
        assert texts(page.text, "r-body") == [WEEK_14, WEEK_7]
        assert texts(page.text, "r-when") == ["新 3月13日（周五）上午9点", "新 3月6日（周五）上午9点"]
        assert texts(page.text, "r-lead") == ["您有 2 条新消息。"]
        assert "Anna" not in page.text and "13912345678" not in page.text
        newest = (await InboxMessage.select(InboxMessage.id).where(InboxMessage.recipient_id == wang, InboxMessage.recipient_kind == "resident")
                  .order_by(InboxMessage.id, ascending=False).first())["id"]
        # a POST without the form's token changes nothing
        refused = await client.post(f"/r/inbox/{token}/{newest}/read")
        assert (refused.status_code, h1(refused.text)) == (403, ["表单已过期"])
        assert await InboxMessage.count().where(InboxMessage.recipient_id == wang, InboxMessage.read_at.is_null()) == 2
        done = await client.post(f"/r/inbox/{token}/{newest}/read", data={"_csrf_token": csrf(page.text)})
        assert (done.status_code, done.headers["location"]) == (303, f"/r/inbox/{token}#m{newest}")
        page = await client.get(f"/r/inbox/{token}")
        assert texts(page.text, "r-lead") == ["您有 1 条新消息。"]
        assert texts(page.text, "r-done") == ["已读"]
        assert texts(page.text, "r-when") == ["3月13日（周五）上午9点", "新 3月6日（周五）上午9点"]
        # another resident's message through this link: the same 404 page as a wrong link
        annas = (await InboxMessage.select(InboxMessage.id).where(InboxMessage.recipient_id == anna).first())["id"]
        other = await client.post(f"/r/inbox/{token}/{annas}/read", data={"_csrf_token": csrf(page.text)})
        assert (other.status_code, h1(other.text)) == (404, ["这个链接打不开"])
        assert await InboxMessage.count().where(InboxMessage.recipient_id == anna, InboxMessage.read_at.is_not_null()) == 0


async def test_the_pages_in_english(meihao):
    street = await build_street(meihao)
    async with make_client(meihao) as client:
        await client.post("/api/communities/hepan/activities", json={**MARKET, "signups_open": True})
    street.clock.set(at(2026, 3, 6, 9, 0))
    await drain(street.engine)
    wang = street.residents["王秀英"]["id"]
    inbox = await make_token(meihao, "resident", wang, "inbox")
    unsubscribe = await make_token(meihao, "resident", wang, "unsubscribe")
    async with make_page_client(meihao, ANONYMOUS) as client:
        client.cookies.set("meihao_lang", "en")
        page = await client.get(f"/r/inbox/{inbox}")
        assert (h1(page.text), texts(page.text, "r-lead")) == (["My messages"], ["New messages: 1"])
        assert texts(page.text, "r-when") == ["New 3/6 Friday 09:00"]
        assert texts(page.text, "r-body") == [WEEK_7]  # the message as it was written, in Wang's language
        signups_page = await client.get(f"/r/inbox/{inbox}/activities")
        assert texts(signups_page.text, "r-places") == ["0 signed up, no limit"] * 3
        shown = await client.get(f"/r/unsubscribe/{unsubscribe}?scene=markets")
        assert texts(shown.text, "r-lead") == ["After you tap the button, you will no longer get reminders of “neighbourhood markets” activities."]
        assert h1((await client.get("/r/calendar/nothing")).text) == ["This link does not work"]


async def test_a_wrong_revoked_or_foreign_link_is_the_same_404_page_with_no_detail(meihao):
    street = await build_street(meihao)
    wang = street.residents["王秀英"]["id"]
    inbox = await make_token(meihao, "resident", wang, "inbox")
    calendar = await make_token(meihao, "resident", wang, "calendar")
    unsubscribe = await make_token(meihao, "resident", wang, "unsubscribe")
    staff = await make_token(meihao, "staff", (await street.factories.staff("grid_worker", grid_id=street.grid_a))["id"], "inbox")
    await revoke(meihao, "resident", wang, "calendar")
    paths = [
        "/r/inbox/r1.1.forged", f"/r/inbox/{inbox[:-2]}xx", f"/r/inbox/{calendar}", f"/r/inbox/{staff}",
        f"/r/calendar/{calendar}", f"/r/calendar/{inbox}", f"/r/unsubscribe/{inbox}", "/r/unsubscribe/nothing",
        f"/r/inbox/{unsubscribe}/activities",
    ]
    async with make_page_client(meihao, ANONYMOUS) as client:
        pages = [await client.get(path) for path in paths]
    assert [p.status_code for p in pages] == [404] * len(paths)
    assert {main_of(p.text) for p in pages} == {main_of(pages[0].text)}
    assert h1(pages[0].text) == ["这个链接打不开"]
    assert "请找社区工作人员或网格员，给您发一个新链接。" in pages[0].text
    assert all("link not found" not in p.text and "Traceback" not in p.text for p in pages)


# -- unsubscribe and undo ---------------------------------------------------------------------------


async def test_get_changes_nothing_post_switches_off_and_undo_restores_exactly_the_previous_opt_outs(meihao):
    street = await build_street(meihao)
    wang = street.residents["王秀英"]["id"]
    await recipients.opt_out(meihao, "resident", wang, scene="culture")
    await recipients.opt_out(meihao, "resident", wang, scene="markets", channel="inbox")
    before = [("culture", "*"), ("markets", "inbox")]
    assert await opt_outs(wang) == before
    token = await make_token(meihao, "resident", wang, "unsubscribe")
    async with make_page_client(meihao, ANONYMOUS) as client:
        shown = await client.get(f"/r/unsubscribe/{token}?scene=markets")
        assert (shown.status_code, h1(shown.text)) == (200, ["要关闭这些提醒吗？"])
        assert texts(shown.text, "r-lead") == ["点下面的按钮以后，您就不会再收到“市集”活动的提醒了。"]
        assert await opt_outs(wang) == before and await audit_rows("meihao.reminder.") == []
        # no form token: refused, nothing changes
        refused = await client.post(f"/r/unsubscribe/{token}?scene=markets")
        assert refused.status_code == 403 and await opt_outs(wang) == before

        off = await client.post(f"/r/unsubscribe/{token}?scene=markets", data={"_csrf_token": csrf(shown.text)})
        assert (off.status_code, off.headers["location"]) == (303, f"/r/unsubscribe/{token}?scene=markets&done=off")
        assert await opt_outs(wang) == [("culture", "*"), ("markets", "*"), ("markets", "inbox")]
        said = await client.get(off.headers["location"])
        assert h1(said.text) == ["提醒已关闭"]
        assert texts(said.text, "r-lead") == ["从现在起，您不会再收到“市集”活动的提醒（消息、邮件都不再发）。"]
        assert "撤销，继续接收提醒" in said.text

        assert (await client.post(f"/r/unsubscribe/{token}/undo?scene=markets")).status_code == 403
        undone = await client.post(f"/r/unsubscribe/{token}/undo?scene=markets", data={"_csrf_token": csrf(said.text)})
        assert (undone.status_code, undone.headers["location"]) == (303, f"/r/unsubscribe/{token}?scene=markets&done=undone")
        assert await opt_outs(wang) == before
        assert h1((await client.get(undone.headers["location"])).text) == ["提醒已恢复"]
        # a second undo has nothing left to take back
        again = await client.post(f"/r/unsubscribe/{token}/undo?scene=markets", data={"_csrf_token": csrf(said.text)})
        assert again.headers["location"] == f"/r/unsubscribe/{token}?scene=markets&done=nothing"
        assert await opt_outs(wang) == before

        # unsubscribing from what was already off, then undoing, keeps that earlier opt-out
        assert h1((await client.get(f"/r/unsubscribe/{token}?scene=culture")).text) == ["这些提醒已经关闭了"]
        await client.post(f"/r/unsubscribe/{token}?scene=culture", data={"_csrf_token": csrf(said.text)})
        kept = await client.post(f"/r/unsubscribe/{token}/undo?scene=culture", data={"_csrf_token": csrf(said.text)})
        assert kept.headers["location"] == f"/r/unsubscribe/{token}?scene=culture&done=nothing"
        assert await opt_outs(wang) == before

        unknown = await client.get(f"/r/unsubscribe/{token}?scene=fax")
        assert unknown.status_code == 400 and "scene: must be *" in unknown.text
    actor = f"resident {wang} (unsubscribe link)"
    assert await audit_rows("meihao.reminder.") == [
        (None, actor, "meihao.reminder.unsubscribe", str(wang), {"scene": "markets", "added": True}),
        (None, actor, "meihao.reminder.unsubscribe_undo", str(wang), {"scene": "markets", "removed": True}),
        (None, actor, "meihao.reminder.unsubscribe", str(wang), {"scene": "culture", "added": False}),
    ]


async def test_a_staff_opt_out_after_the_unsubscribe_is_not_taken_back_by_the_undo(meihao):
    street = await build_street(meihao)
    wang = street.residents["王秀英"]["id"]
    who = SYSTEM
    assert await recipients.unsubscribe(meihao, who, "resident", wang, "markets") is True
    async with make_client(meihao) as client:
        assert (await client.post(f"/api/residents/{wang}/opt-outs", json={"scene": "markets"})).status_code == 200
    assert await recipients.undo_unsubscribe(meihao, who, "resident", wang, "markets") is False
    assert await opt_outs(wang) == [("markets", "*")]


async def test_reminders_link_to_the_page_and_one_click_unsubscribe_still_posts_to_the_api(meihao):
    street = await build_street(meihao)
    wang = street.residents["王秀英"]["id"]
    async with make_client(meihao) as client:
        links = {purpose: (await client.post(f"/api/residents/{wang}/{purpose}-link")).json() for purpose in ("inbox", "unsubscribe", "calendar")}
    base = meihao.settings.base_url
    for purpose, link in links.items():
        token = link["page"].rsplit("/", 1)[1]
        assert link["page"] == f"{base}/r/{purpose}/{token}"
    assert links["inbox"]["url"] == f"{base}/api/inbox/{links['inbox']['page'].rsplit('/', 1)[1]}"
    token = links["unsubscribe"]["page"].rsplit("/", 1)[1]
    # RFC 8058: a mail client POSTs "List-Unsubscribe=One-Click" with no form token to the header's (API) address
    async with make_client(meihao, ANONYMOUS) as client:
        one_click = await client.post(f"/api/reminders/unsubscribe/{token}?scene=markets", content=b"List-Unsubscribe=One-Click",
                                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert one_click.status_code == 200 and await opt_outs(wang) == [("markets", "*")]
    # the reminder's own link (in the mail's footer, the webhook's field) is the page; the mail header's is the API's
    li = street.residents["李建国"]["id"]
    li_token = await make_token(meihao, "resident", li, "unsubscribe")
    async with make_client(meihao) as client:
        await client.post("/api/communities/hepan/activities", json={**MARKET, "rrule": ""})
    street.clock.set(at(2026, 3, 6, 9, 0))
    await drain(street.engine)
    ids = [r["id"] for r in await Reminder.select(Reminder.id).where(Reminder.recipient_kind == "resident", Reminder.recipient_id == li)]
    message = render(meihao, (await details(ids))[0])
    assert message.unsubscribe_url == f"{base}/r/unsubscribe/{li_token}?scene=markets"
    assert message.list_unsubscribe_url == f"{base}/api/reminders/unsubscribe/{li_token}?scene=markets"


def test_page_tokens_never_reach_the_access_log():
    assert redact_secret_links("GET /r/inbox/r7.1.Zq3 HTTP/1.1") == "GET /r/inbox/… HTTP/1.1"
    assert redact_secret_links("POST /r/inbox/r7.1.Zq3/12/read") == "POST /r/inbox/…/12/read"
    assert redact_secret_links("GET /r/unsubscribe/r7.1.Zq3?scene=markets") == "GET /r/unsubscribe/…?scene=markets"
    assert redact_secret_links("GET /r/calendar/r7.1.Zq3") == "GET /r/calendar/…"


# -- the calendar -----------------------------------------------------------------------------------


async def test_the_calendar_page_gives_the_feed_address_the_steps_and_the_next_events(meihao):
    street = await build_street(meihao)
    wang = street.residents["王秀英"]["id"]
    async with make_client(meihao) as client:
        await client.post("/api/communities/hepan/activities", json=MARKET)
        await client.post("/api/communities/hepan/activities", json={**MARKET, "title": "青年读书会", "rrule": "", "audience": {"max_age": 40}})
    token = await make_token(meihao, "resident", wang, "calendar")
    async with make_page_client(meihao, ANONYMOUS) as client:
        page = await client.get(f"/r/calendar/{token}")
        feed = await client.get(f"/api/calendar/{token}.ics")
    assert page.status_code == 200 and feed.status_code == 200
    base = meihao.settings.base_url
    host = base.split("://", 1)[1]
    assert f'readonly>{base}/api/calendar/{token}.ics</textarea>' in page.text
    assert f'href="webcal://{host}/api/calendar/{token}.ics"' in page.text
    assert h1(page.text) == ["把活动放进手机日历"]
    assert re.findall(r'<h2 id="[a-z]+-title">(.*?)</h2>', page.text) == [
        "您的日历订阅地址", "苹果手机", "安卓手机（华为、小米、OPPO、vivo）", "在微信里打开的？", "近期活动"]
    # the three market Saturdays (the reading club is for people under 40: not Wang's)
    assert texts(page.text, "r-when") == ["3月7日（周六）上午9点–上午11点", "3月14日（周六）上午9点–上午11点", "3月21日（周六）上午9点–上午11点"]
    assert texts(page.text, "r-body") == ["睦邻善市公益市集"] * 3


# -- sign-ups (报名) -------------------------------------------------------------------------------


async def test_residents_sign_up_within_the_capacity_and_the_next_one_is_told_it_is_full(meihao):
    street = await build_street(meihao)
    ids = {name: r["id"] for name, r in street.residents.items()}
    async with make_client(meihao) as client:
        created = await client.post("/api/communities/hepan/activities", json={**MARKET, "signups_open": True, "signup_capacity": 2})
        assert created.status_code == 201, created.text
        activity = created.json()
        assert (activity["signups_open"], activity["signup_capacity"]) == (True, 2)
        closed = await client.post("/api/communities/hepan/activities", json={**MARKET, "title": "不报名的活动"})
        assert closed.json()["signups_open"] is False
        bad = await client.post("/api/communities/hepan/activities", json={**MARKET, "signups_open": True, "signup_capacity": 0})
        assert (bad.status_code, bad.json()["field"]) == (400, "signup_capacity")
    tokens = {name: await make_token(meihao, "resident", rid, "inbox") for name, rid in ids.items()}

    async def sign(client, name: str, occurrence: str = FIRST, action: str = "signup"):
        page = await client.get(f"/r/inbox/{tokens[name]}/activities")
        return await client.post(f"/r/inbox/{tokens[name]}/activities/{action}",
                                 data={"activity": str(activity["id"]), "occurrence": occurrence, "_csrf_token": csrf(page.text)})

    async with make_page_client(meihao, ANONYMOUS) as client:
        page = await client.get(f"/r/inbox/{tokens['王秀英']}/activities")
        assert h1(page.text) == ["活动报名"]
        assert re.findall(r'<h2 id="a\d+-title">(.*?)</h2>', page.text) == ["睦邻善市公益市集"]  # only the one taking sign-ups
        assert texts(page.text, "r-places") == ["已报名 0 人，共 2 个名额"] * 3
        assert texts(page.text, "r-when") == ["3月7日（周六）上午9点–上午11点", "3月14日（周六）上午9点–上午11点", "3月21日（周六）上午9点–上午11点"]
        inbox = await client.get(f"/r/inbox/{tokens['王秀英']}")
        assert f'href="/r/inbox/{tokens["王秀英"]}/activities"' in inbox.text

        first = await sign(client, "王秀英")
        assert (first.status_code, first.headers["location"]) == (303, f"/r/inbox/{tokens['王秀英']}/activities?done=signed#a{activity['id']}")
        assert texts((await client.get(first.headers["location"])).text, "r-notice") == ["报名成功！请按时参加。"]
        assert (await sign(client, "王秀英")).status_code == 303  # a second tap: still one sign-up
        assert (await sign(client, "李建国")).status_code == 303
        full = await sign(client, "Anna")
        assert full.status_code == 409
        assert texts(full.text, "r-alert") == ["对不起，这一场已经报满了（2 个名额都有人了）。请选别的日期，或者找社区工作人员。"]
        assert texts(full.text, "r-full") == ["已报满"]
        assert (await sign(client, "Anna", SECOND)).status_code == 303  # another date has places
        # no form token: refused
        refused = await client.post(f"/r/inbox/{tokens['Anna']}/activities/signup", data={"activity": str(activity["id"]), "occurrence": FIRST})
        assert refused.status_code == 403
        # a date that is not the activity's
        gone = await sign(client, "张伟", "2026-03-08T01:00:00Z")
        assert (gone.status_code, texts(gone.text, "r-alert")) == (400, [])
        # cancelling frees the place
        cancelled = await sign(client, "王秀英", action="cancel")
        assert cancelled.headers["location"] == f"/r/inbox/{tokens['王秀英']}/activities?done=cancelled#a{activity['id']}"
        assert (await sign(client, "Anna")).status_code == 303
        mine = await client.get(f"/r/inbox/{tokens['Anna']}/activities")
        assert texts(mine.text, "r-done") == ["您已报名", "您已报名"]
        assert texts(mine.text, "r-places") == ["已报名 2 人，共 2 个名额", "已报名 1 人，共 2 个名额", "已报名 0 人，共 2 个名额"]

    rows = await ActivitySignup.select(ActivitySignup.occurrence, ActivitySignup.resident).order_by(ActivitySignup.id)
    assert [(r["occurrence"], r["resident"]) for r in rows] == [(FIRST, ids["李建国"]), (SECOND, ids["Anna"]), (FIRST, ids["Anna"])]
    assert [(a[1], a[2], a[4]) for a in await audit_rows("meihao.activity.signup")] == [
        (f"resident {ids['王秀英']} (inbox link)", "meihao.activity.signup", {"activity": activity["id"], "occurrence": FIRST}),
        (f"resident {ids['李建国']} (inbox link)", "meihao.activity.signup", {"activity": activity["id"], "occurrence": FIRST}),
        (f"resident {ids['Anna']} (inbox link)", "meihao.activity.signup", {"activity": activity["id"], "occurrence": SECOND}),
        (f"resident {ids['王秀英']} (inbox link)", "meihao.activity.signup_cancel", {"activity": activity["id"], "occurrence": FIRST}),
        (f"resident {ids['Anna']} (inbox link)", "meihao.activity.signup", {"activity": activity["id"], "occurrence": FIRST}),
    ]

    # staff see the sign-ups of the residents in their scope only
    worker_a = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    worker_b = await street.factories.staff("grid_worker", grid_id=street.grid_b)
    await street.factories.community("huayang")
    stranger = await street.factories.staff("community_admin", community="huayang")
    async with make_client(meihao) as client:
        everyone = (await client.get(f"/api/activities/{activity['id']}/signups")).json()
    assert everyone["counts"] == {FIRST: 2, SECOND: 1} and everyone["capacity"] == 2
    assert [(s["occurrence"], s["resident_name"]) for s in everyone["signups"]] == [(FIRST, "李建国"), (FIRST, "Anna"), (SECOND, "Anna")]
    async with make_client(meihao, worker_a["id"]) as client:
        assert (await client.get(f"/api/activities/{activity['id']}/signups")).json()["counts"] == {FIRST: 2, SECOND: 1}
    async with make_client(meihao, worker_b["id"]) as client:
        theirs = (await client.get(f"/api/activities/{activity['id']}/signups")).json()
        assert (theirs["counts"], theirs["signups"]) == ({}, [])
    async with make_client(meihao, stranger["id"]) as client:
        assert (await client.get(f"/api/activities/{activity['id']}/signups")).status_code == 404


async def test_concurrent_sign_ups_never_pass_the_capacity(meihao):
    street = await build_street(meihao)
    async with make_client(meihao) as client:
        activity = (await client.post("/api/communities/hepan/activities",
                                      json={**MARKET, "signups_open": True, "signup_capacity": 3})).json()
    ids = [r["id"] for r in street.residents.values()]
    assert len(ids) == 5

    async def one(resident_id: int) -> str:
        try:
            await signups.sign_up(meihao, SYSTEM, resident_id, activity["id"], FIRST)
        except Conflict as err:
            return err.message
        return "signed"

    answers = await asyncio.gather(*(one(rid) for rid in ids))
    assert sorted(answers) == ["occurrence: full, all 3 places are taken"] * 2 + ["signed"] * 3
    assert await ActivitySignup.count().where(ActivitySignup.occurrence == FIRST) == 3


async def test_a_resident_cannot_sign_up_for_another_communitys_or_a_closed_activity(meihao):
    street = await build_street(meihao)
    wang = street.residents["王秀英"]["id"]
    await street.factories.community("huayang")
    async with make_client(meihao) as client:
        elsewhere = (await client.post("/api/communities/huayang/activities", json={**MARKET, "signups_open": True})).json()
        closed = (await client.post("/api/communities/hepan/activities", json=MARKET)).json()
    for activity in (elsewhere, closed):
        try:
            await signups.sign_up(meihao, SYSTEM, wang, activity["id"], FIRST)
        except Exception as err:  # noqa: BLE001 - the kind is what is checked
            assert (type(err).__name__, err.status_code) == ("NotFound", 404)
        else:
            raise AssertionError("signed up for an activity that takes no sign-ups here")
    assert await signups.open_activities(meihao, wang) == []
    assert await ActivitySignup.count() == 0
