"""The activities pages in process (tests/browser/test_activities.py has them in Chromium): calendars, the form and
its errors at the field, the audience preview, cancelling, the reminder log, and the scope (another community's
activity is the 404 page)."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import timedelta

import msgspec
from openpyxl import load_workbook

from meihao import Channel, PermanentFailure, hookimpl
from meihao.access.principals import SYSTEM
from meihao.access.tables import AuditLog
from meihao.register.calendar import load_official_year, parse_schedule
from meihao.reminders.activities import ActivityIn, cancel_activity, create_activity
from meihao.reminders.signups import sign_up
from meihao.reminders.tables import Activity, ActivitySignup, Reminder
from meihao.testing import drain, form_token, make_page_client
from tests.reminders.conftest import START, build_street

#: A weekly market on Saturdays at 09:00 in Shanghai, three times from 7 March 2026.
MARKET = ActivityIn(
    scene="markets", title="睦邻善市公益市集", venue="荷畔广场", starts_at=START.replace(day=7, hour=1),
    ends_at=START.replace(day=7, hour=3), rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=3", audience={"everyone": True},
)

#: The form of a new activity as a browser sends it (a weekly Saturday market with two reminders).
FORM = {
    "community": "hepan", "title": "睦邻善市公益市集", "venue": "荷畔广场", "description": "", "scene": "markets",
    "start_date": "2026-03-07", "start_time": "09:00", "duration": "120", "repeat": "weekly", "weekdays": ["SA"], "count": "3",
    "until": "", "rrule": "", "holiday_policy": "keep", "who": "everyone", "tags": "", "min_age": "", "max_age": "",
    "offsets": ["1440", "120"], "more_offsets": "", "channels": ["inbox"],
}


def h1(page: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", page)


def month_cells(page: str) -> dict[str, list[str]]:
    """The calendar's days that have activities: day -> ["HH:MM title", ...]."""
    cells = {}
    for day, body in re.findall(r'<td class="act-day[^"]*" data-day="([0-9-]+)">(.*?)</td>', page, re.S):
        entries = re.findall(r'<span class="act-time">([^<]+)</span> <span class="act-title">([^<]+)</span>', body)
        if entries:
            cells[day] = [f"{time} {html.unescape(title)}" for time, title in entries]
    return cells


def field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="error" id="f-{name}-note"[^>]*>(.*?)</p>', page)
    return html.unescape(found.group(1)) if found else ""


async def test_the_month_week_and_list_show_a_weekly_activity_on_its_days(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    market = await create_activity(meihao, "hepan", MARKET)
    async with make_page_client(meihao, admin["id"]) as client:
        month = await client.get("/activities?view=month&d=2026-03-01")
        assert (month.status_code, h1(month.text)) == (200, ["活动"])
        days = re.findall(r'<td class="act-day[^"]*" data-day="([0-9-]+)"', month.text)
        assert (len(days), days[0], days[-1]) == (42, "2026-02-23", "2026-04-05")  # Monday-first weeks around March 2026
        assert month_cells(month.text) == {
            "2026-03-07": ["09:00 睦邻善市公益市集"],
            "2026-03-14": ["09:00 睦邻善市公益市集"],
            "2026-03-21": ["09:00 睦邻善市公益市集"],
        }
        assert 'class="act-day today" data-day="2026-03-02"' in month.text  # the fake clock's day, in Shanghai
        assert 'href="/activities?view=month&amp;d=2026-02-28"' in month.text and 'href="/activities?view=month&amp;d=2026-04-01"' in month.text
        april = await client.get("/activities?view=month&d=2026-04-01")
        assert month_cells(april.text) == {}

        week = await client.get("/activities?view=week&d=2026-03-11")
        week_days = re.findall(r'<li class="act-wday[^"]*" data-day="([0-9-]+)">', week.text)
        assert week_days == ["2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13", "2026-03-14", "2026-03-15"]
        with_entries = [day for day, body in re.findall(r'<li class="act-wday[^"]*" data-day="([0-9-]+)">(.*?)</li>\s*(?=<li class="act-wday|</ol>)',
                                                        week.text, re.S) if "act-entries" in body]
        assert with_entries == ["2026-03-14"]
        assert "09:00–11:00" in week.text and "荷畔广场" in week.text

        listed = await client.get("/activities?view=list&d=2026-03-20")
        rows = re.findall(r"<tr><td>([0-9-]+)</td><td>([0-9:–]+)</td>\s*<td><a href=\"/activities/(\d+)\">", listed.text)
        assert rows == [("2026-03-07", "09:00–11:00", str(market["id"])), ("2026-03-14", "09:00–11:00", str(market["id"])),
                        ("2026-03-21", "09:00–11:00", str(market["id"]))]
        assert (await client.get("/activities?d=March")).status_code == 400


def day_labels(page: str) -> dict[str, tuple[str, str]]:
    """The calendar's days that carry a mark of the working calendar: day -> (kind, label)."""
    return {day: (kind, html.unescape(label)) for kind, day, label in re.findall(
        r'<td class="act-day[^"]*kind-(\w+)" data-day="([0-9-]+)">\s*<div class="act-daynum">.*?<span class="act-daylabel">([^<]*)</span>', page)}


async def test_holidays_and_make_up_workdays_are_marked_and_the_community_filter_narrows(meihao):
    street = await build_street(meihao)
    await load_official_year(meihao, parse_schedule({"year": 2026, "holidays": [{"name": "清明节", "start": "2026-04-04", "end": "2026-04-06"}],
                                                     "workdays": [{"name": "清明节", "date": "2026-04-12"}]}))
    await create_activity(meihao, "hepan", MARKET)
    await street.factories.community("huayang", name="华阳社区")
    await create_activity(meihao, "huayang", ActivityIn(
        scene="culture", title="华阳戏曲进社区", starts_at=START.replace(day=10, hour=11), ends_at=START.replace(day=10, hour=13),
        audience={"everyone": True}))
    async with make_page_client(meihao) as client:  # a street admin reaches both communities
        april = await client.get("/activities?d=2026-04-01")
        assert day_labels(april.text) == {
            "2026-04-04": ("holiday", "清明节"), "2026-04-05": ("holiday", "清明节"), "2026-04-06": ("holiday", "清明节"),
            "2026-04-12": ("makeup_workday", "调休上班"),
        }
        both = await client.get("/activities?d=2026-03-01")
        assert month_cells(both.text) == {
            "2026-03-07": ["09:00 睦邻善市公益市集"], "2026-03-10": ["19:00 华阳戏曲进社区"],
            "2026-03-14": ["09:00 睦邻善市公益市集"], "2026-03-21": ["09:00 睦邻善市公益市集"],
        }
        assert re.findall(r'<option value="(\w*)"', both.text) == ["", "hepan", "huayang"]
        huayang = await client.get("/activities?d=2026-03-01&community=huayang")
        assert month_cells(huayang.text) == {"2026-03-10": ["19:00 华阳戏曲进社区"]}
        listed = await client.get("/activities?view=list&d=2026-03-01")
        assert re.findall(r"<td>(荷畔社区|华阳社区)</td></tr>", listed.text) == ["荷畔社区", "华阳社区", "荷畔社区", "荷畔社区"]


async def test_creating_an_activity_writes_its_rrule_and_offsets(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    async with make_page_client(meihao, admin["id"]) as client:
        form = await client.get("/activities/new?community=hepan")
        assert (form.status_code, h1(form.text)) == (200, ["新建活动"])
        token = await form_token(client, "/activities/new?community=hepan")
        done = await client.post("/activities/new", data={**FORM, "_csrf_token": token})
        assert done.status_code == 303, done.text
        row = await Activity.select().where(Activity.title == "睦邻善市公益市集").first()
        assert done.headers["location"] == f"/activities/{row['id']}?saved=1"
        assert (row["rrule"], row["starts_at"].isoformat(), row["ends_at"].isoformat()) == (
            "FREQ=WEEKLY;BYDAY=SA;COUNT=3", "2026-03-07T01:00:00+00:00", "2026-03-07T03:00:00+00:00")
        assert (row["reminder_offsets"], row["channels"], row["audience"], row["scene"]) in [
            ([1440, 120], ["inbox"], {"everyone": True}, "markets"),
            ("[1440, 120]", '["inbox"]', '{"everyone":true}', "markets"),
        ]
        page = await client.get(done.headers["location"])
        assert (page.status_code, h1(page.text)) == (200, ["睦邻善市公益市集"])
        assert "每周：周六，共 3 次" in page.text and "提前 1 天, 提前 2 小时" in page.text
        assert re.findall(r'<span class="act-time">([0-9-]+ [0-9:]+)</span>', page.text) == [
            "2026-03-07 09:00", "2026-03-14 09:00", "2026-03-21 09:00"]

        # reschedule: an hour later, monthly on the same date, once a day before
        token = await form_token(client, f"/activities/{row['id']}/edit")
        edit = await client.get(f"/activities/{row['id']}/edit")
        assert 'value="SA" checked' in edit.text and 'name="offsets" value="120" checked' in edit.text
        moved = await client.post(f"/activities/{row['id']}/edit", data={
            **FORM, "start_time": "10:00", "repeat": "monthly_day", "count": "2", "offsets": ["1440"], "_csrf_token": token})
        assert (moved.status_code, moved.headers["location"]) == (303, f"/activities/{row['id']}?saved=1")
        changed = await Activity.select().where(Activity.id == row["id"]).first()
        assert (changed["rrule"], changed["starts_at"].isoformat(), changed["version"]) == (
            "FREQ=MONTHLY;BYMONTHDAY=7;COUNT=2", "2026-03-07T02:00:00+00:00", 2)


async def test_flood_limits_are_shown_at_their_field_and_nothing_is_written(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    async with make_page_client(meihao, admin["id"]) as client:
        token = await form_token(client, "/activities/new?community=hepan")
        hourly = await client.post("/activities/new", data={
            **FORM, "repeat": "advanced", "rrule": "FREQ=HOURLY;COUNT=5", "_csrf_token": token})
        assert hourly.status_code == 400
        assert field_error(hourly.text, "repeat") == "重复过于频繁：这里最多只能每天一次（填写的是每小时一次）。"
        assert 'value="FREQ=HOURLY;COUNT=5"' in hourly.text and 'value="睦邻善市公益市集"' in hourly.text  # the form is kept
        many = await client.post("/activities/new", data={
            **FORM, "more_offsets": "10, 20, 40, 50, 70, 80, 90, 100, 110", "_csrf_token": token})
        assert many.status_code == 400
        assert field_error(many.text, "offsets") == "提醒太多：最多 10 个提醒时间点。"
        assert field_error(many.text, "repeat") == ""
        nobody = await client.post("/activities/new", data={**FORM, "who": "some", "_csrf_token": token})
        assert field_error(nobody.text, "audience") == "请选择提醒谁：全体居民，或者某些网格、标签、年龄段、人群。"
        client.cookies.set("meihao_lang", "en")
        english = await client.post("/activities/new", data={
            **FORM, "repeat": "advanced", "rrule": "FREQ=MINUTELY;COUNT=5", "_csrf_token": token})
        assert field_error(english.text, "repeat") == "This repeats too often: at most once a day here (asked: every minute)."
    assert await Activity.count() == 0


async def test_the_audience_preview_counts_and_masks(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    async with make_page_client(meihao, admin["id"]) as client:
        elders = await client.get("/activities/preview?community=hepan&who=some&tags=elder", headers={"HX-Request": "true"})
        assert elders.status_code == 200 and "<html" not in elders.text
        assert re.findall(r'<strong class="act-reach-n">(\d+)</strong>', elders.text) == ["2"]
        assert re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>", elders.text) == [("王*英", "139****5678"), ("张*", "139****5678")]
        assert "13912345678" not in elders.text
        everyone = await client.get("/activities/preview?community=hepan&who=everyone")
        assert re.findall(r'<strong class="act-reach-n">(\d+)</strong>', everyone.text) == ["5"]
        grid_b = await client.get(f"/activities/preview?community=hepan&who=some&grids={street.grid_b}")
        assert re.findall(r'<strong class="act-reach-n">(\d+)</strong>', grid_b.text) == ["2"]
        nobody = await client.get("/activities/preview?community=hepan&who=some")
        assert "请选择提醒谁" in nobody.text


class Pigeons:
    """A channel whose sends fail for some: permanently for Anna, for now for 张伟 (retried)."""

    @hookimpl
    def meihao_channels(self):
        async def send(message) -> None:
            if message.recipient_name == "Anna":
                raise PermanentFailure("no loft at this address")
            if message.recipient_name == "张伟":
                raise RuntimeError("pigeon lost in the rain")

        return [Channel("pigeon", "信鸽", "Carrier pigeon", send, needs_address=False)]


async def test_the_reminder_log_shows_each_delivery_and_its_failures_in_scope(make_meihao):
    mh = await make_meihao(plugins=[("pigeons", Pigeons())])
    street = await build_street(mh)
    admin = await street.factories.staff("community_admin", community="hepan")
    worker_b = await street.factories.staff("grid_worker", grid_id=street.grid_b)
    # tomorrow (Tuesday 3 March) at 09:00, reminded a day before: due at once
    talk = await create_activity(mh, "hepan", ActivityIn(
        scene="health", title="健康讲座", starts_at=START + timedelta(days=1, hours=1), ends_at=START + timedelta(days=1, hours=2),
        audience={"everyone": True}, channels=["pigeon"], reminder_offsets=[1440]))
    street.clock.set(START + timedelta(hours=1))
    await drain(street.engine)
    async with make_page_client(mh, admin["id"]) as client:
        page = await client.get(f"/activities/{talk['id']}")
        counts = dict(re.findall(r'data-status="(\w+)">[^<]*<strong>(\d+)</strong>', page.text))
        assert counts == {"pending": "1", "sent": "3", "failed": "1"}
        rows = re.findall(r'<tr data-status="(\w+)">\s*<td[^>]*>([^<]+)</td>.*?<td[^>]*>(\d+)</td>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>',
                          page.text, re.S)
        assert sorted(rows) == [
            ("failed", "A**a", "1", "", "PermanentFailure: no loft at this address"),
            ("pending", "张*", "1", "重试时间 2026-03-02 09:00", "RuntimeError: pigeon lost in the rain"),
            ("sent", "刘*", "1", "2026-03-02 09:00", ""),
            ("sent", "李*国", "1", "2026-03-02 09:00", ""),
            ("sent", "王*英", "1", "2026-03-02 09:00", ""),
        ]
        assert "信鸽" in page.text and "王秀英" not in page.text
        failed = await client.get(f"/activities/{talk['id']}?status=failed")
        assert re.findall(r'<tr data-status="(\w+)">', failed.text) == ["failed"]
    async with make_page_client(mh, worker_b["id"]) as client:
        mine = await client.get(f"/activities/{talk['id']}")
        assert dict(re.findall(r'data-status="(\w+)">[^<]*<strong>(\d+)</strong>', mine.text)) == {"pending": "1", "sent": "1"}
        assert sorted(re.findall(r'<tr data-status="\w+">\s*<td[^>]*>([^<]+)</td>', mine.text)) == ["刘*", "张*"]
        # grid workers plan activities for their own grids only: the whole community is refused at the audience
        form = await client.get("/activities/new?community=hepan")
        assert re.findall(r'name="grids" value="(\d+)"', form.text) == [str(street.grid_b)]
        token = await form_token(client, "/activities/new?community=hepan")
        whole = await client.post("/activities/new", data={**FORM, "_csrf_token": token})
        assert (whole.status_code, field_error(whole.text, "audience")) == (400, "您只能提醒自己网格的居民：请选择您的网格。")
        own = await client.post("/activities/new", data={**FORM, "who": "some", "grids": [str(street.grid_b)], "_csrf_token": token})
        assert own.status_code == 303
    assert [r["audience"] for r in await Activity.select(Activity.audience).where(Activity.title == "睦邻善市公益市集")] in (
        [{"grids": [street.grid_b]}], [f'{{"grids":[{street.grid_b}]}}'])


async def test_cancelling_tells_those_already_reminded(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    talk = await create_activity(meihao, "hepan", ActivityIn(
        scene="health", title="健康讲座", starts_at=START + timedelta(days=1, hours=1), ends_at=START + timedelta(days=1, hours=2),
        audience={"everyone": True}, reminder_offsets=[1440]))
    street.clock.set(START + timedelta(hours=1))
    await drain(street.engine)
    async with make_page_client(meihao, admin["id"]) as client:
        page = await client.get(f"/activities/{talk['id']}")
        assert "5 位已收到提醒的人会收到取消通知：“已取消：健康讲座”。" in html.unescape(page.text)
        token = await form_token(client, f"/activities/{talk['id']}")
        done = await client.post(f"/activities/{talk['id']}/cancel", data={"_csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, f"/activities/{talk['id']}")
        after = await client.get(f"/activities/{talk['id']}")
        assert '<span class="badge tone-alert act-status">已取消</span>' in after.text
        assert "取消活动" not in after.text  # no second cancel, no edit
    assert (await Activity.select(Activity.status).where(Activity.id == talk["id"]).first())["status"] == "cancelled"
    notice = await Activity.select(Activity.id, Activity.title).where(Activity.source == f"notice:cancelled:{talk['id']}:inbox").first()
    assert notice["title"] == "已取消：健康讲座"
    await drain(street.engine)
    assert await Reminder.count().where(Reminder.activity == notice["id"]) == 5


async def test_another_communitys_activity_is_the_404_page(meihao):
    street = await build_street(meihao)
    market = await create_activity(meihao, "hepan", MARKET)
    await street.factories.community("huayang")
    stranger = await street.factories.staff("community_admin", community="huayang")
    async with make_page_client(meihao, stranger["id"]) as client:
        missing = await client.get("/activities/999999")
        hidden = await client.get(f"/activities/{market['id']}")
        assert (hidden.status_code, h1(hidden.text)) == (missing.status_code, h1(missing.text)) == (404, ["找不到页面"])
        assert (await client.get(f"/activities/{market['id']}/edit")).status_code == 404
        token = await form_token(client, "/activities")
        assert (await client.post(f"/activities/{market['id']}/cancel", data={"_csrf_token": token})).status_code == 404
        assert (await client.post(f"/activities/{market['id']}/edit", data={**FORM, "_csrf_token": token})).status_code == 404
        month = await client.get("/activities?view=month&d=2026-03-01")
        assert month_cells(month.text) == {}  # nor on its calendar
        assert (await client.get("/activities?community=hepan")).status_code == 404
        assert (await client.get("/activities/preview?community=hepan&who=everyone")).status_code == 403
        assert (await client.post("/activities/new", data={**FORM, "_csrf_token": token})).status_code == 403
    row = await Activity.select(Activity.status, Activity.version).where(Activity.id == market["id"]).first()
    assert row == {"status": "scheduled", "version": 1}
    assert await Activity.count() == 1


async def test_the_forms_need_their_csrf_token(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    market = await create_activity(meihao, "hepan", MARKET)
    async with make_page_client(meihao, admin["id"]) as client:
        await client.get("/activities/new?community=hepan")
        refused = await client.post("/activities/new", data=FORM)
        assert (refused.status_code, h1(refused.text)) == (403, ["表单已过期"])
        assert (await client.post(f"/activities/{market['id']}/cancel")).status_code == 403
        assert (await client.post(f"/activities/{market['id']}/edit", data=FORM)).status_code == 403
    assert await Activity.count() == 1
    assert (await Activity.select(Activity.status).first())["status"] == "scheduled"


# -- one date of a recurring activity -------------------------------------------------

#: The occurrence keys of MARKET (its original starts, UTC).
SAT_7, SAT_14, SAT_21 = "2026-03-07T01:00:00Z", "2026-03-14T01:00:00Z", "2026-03-21T01:00:00Z"


def told(page: str) -> str:
    found = re.search(r'<p class="act-told">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


async def test_cancelling_one_date_asks_why_and_tells_those_reminded_or_signed_up(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    market = await create_activity(meihao, "hepan", msgspec.structs.replace(MARKET, signups_open=True, signup_capacity=2))
    await sign_up(meihao, SYSTEM, street.residents["张伟"]["id"], market["id"], SAT_14)
    street.clock.set(START + timedelta(days=4, hours=2))  # Friday 6 March 10:00: the reminders of the 7th are due
    await drain(street.engine)
    async with make_page_client(meihao, admin["id"]) as client:
        page = await client.get(f"/activities/{market['id']}")
        assert re.findall(r'href="/activities/\d+/occurrences/([0-9TZ:-]+)/cancel"', page.text) == [SAT_7, SAT_14, SAT_21]
        week = await client.get("/activities?view=week&d=2026-03-14")
        assert re.findall(r'/occurrences/([0-9TZ:-]+)/cancel\?back=', week.text) == [SAT_14]
        first = await client.get(f"/activities/{market['id']}/occurrences/{SAT_7}/cancel")
        assert (first.status_code, h1(first.text)) == (200, ["取消一次活动"])
        assert told(first.text) == "5 位已收到这次活动提醒或已报名的人会收到取消通知，通知里写明原因。"
        second = await client.get(f"/activities/{market['id']}/occurrences/{SAT_14}/cancel")
        assert told(second.text) == "1 位已收到这次活动提醒或已报名的人会收到取消通知，通知里写明原因。"
        third = await client.get(f"/activities/{market['id']}/occurrences/{SAT_21}/cancel")
        assert told(third.text) == "这次活动还没有人收到提醒或报名，不需要通知任何人。"
        assert (await client.get(f"/activities/{market['id']}/occurrences/2026-03-08T01:00:00Z/cancel")).status_code == 404

        token = await form_token(client, f"/activities/{market['id']}/occurrences/{SAT_7}/cancel")
        empty = await client.post(f"/activities/{market['id']}/occurrences/{SAT_7}/cancel", data={"reason": " ", "_csrf_token": token})
        assert (empty.status_code, field_error(empty.text, "reason")) == (400, "请写明为什么取消这一次。")
        long = await client.post(f"/activities/{market['id']}/occurrences/{SAT_7}/cancel", data={"reason": "雨" * 201, "_csrf_token": token})
        assert (long.status_code, field_error(long.text, "reason")) == (400, "最多 200 个字。")
        assert (await Activity.select(Activity.exdates).where(Activity.id == market["id"]).first())["exdates"] in ([], "[]")
        exactly = await client.post(f"/activities/{market['id']}/occurrences/{SAT_14}/cancel", data={"reason": "雨" * 200, "_csrf_token": token})
        assert exactly.status_code == 303  # 200 characters are allowed
        done = await client.post(f"/activities/{market['id']}/occurrences/{SAT_7}/cancel", data={"reason": "广场维修", "_csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, f"/activities/{market['id']}?cancelled=2026-03-07T01%3A00%3A00Z")
        after = await client.get(done.headers["location"])
        assert "已取消 2026-03-07 09:00 这一次。" in after.text
        assert re.findall(r'<li data-occurrence="([0-9TZ:-]+)">', after.text) == [SAT_21]
        assert (await client.post(f"/activities/{market['id']}/occurrences/{SAT_7}/cancel",
                                  data={"reason": "again", "_csrf_token": token})).status_code == 404  # already cancelled
    row = await Activity.select(Activity.exdates, Activity.status).where(Activity.id == market["id"]).first()
    assert (json.loads(row["exdates"]) if isinstance(row["exdates"], str) else row["exdates"], row["status"]) == ([SAT_7, SAT_14], "scheduled")
    notice = await Activity.select(Activity.id, Activity.title, Activity.description).where(
        Activity.source == f"notice:cancelled:{market['id']}:{SAT_7}:inbox").first()
    assert notice["title"] == "已取消：睦邻善市公益市集"
    assert notice["description"] == ("原定3月7日（周六）上午9点的睦邻善市公益市集已取消。Cancelled: 睦邻善市公益市集 (2026-03-07 09:00). "
                                     "原因：广场维修。Reason: 广场维修.")
    signed = await Activity.select(Activity.id).where(Activity.source == f"notice:cancelled:{market['id']}:{SAT_14}:inbox").first()
    await drain(street.engine)
    assert await Reminder.count().where(Reminder.activity == notice["id"]) == 5
    assert [r["recipient_id"] for r in await Reminder.select(Reminder.recipient_id).where(Reminder.activity == signed["id"])] == [
        street.residents["张伟"]["id"]]
    audited = await AuditLog.select(AuditLog.reason, AuditLog.detail).where(AuditLog.action == "meihao.activity.cancel_occurrence").order_by(AuditLog.id)
    assert [a["reason"] for a in audited] == ["雨" * 200, "广场维修"]


async def test_one_date_is_cancelled_only_within_the_scope_and_with_the_write_permission(meihao):
    street = await build_street(meihao)
    market = await create_activity(meihao, "hepan", MARKET)
    once = await create_activity(meihao, "hepan", msgspec.structs.replace(MARKET, title="一次性讲座", rrule=""))
    await street.factories.community("huayang")
    stranger = await street.factories.staff("community_admin", community="huayang")
    reader = await street.factories.staff("grid_part_time", grid_id=street.grid_b)  # reads activities, does not plan them
    async with make_page_client(meihao, stranger["id"]) as client:
        token = await form_token(client, "/activities")
        assert (await client.get(f"/activities/{market['id']}/occurrences/{SAT_7}/cancel")).status_code == 404
        refused = await client.post(f"/activities/{market['id']}/occurrences/{SAT_7}/cancel", data={"reason": "x", "_csrf_token": token})
        assert (refused.status_code, h1(refused.text)) == (404, ["找不到页面"])
    async with make_page_client(meihao, reader["id"]) as client:
        page = await client.get(f"/activities/{market['id']}")
        assert page.status_code == 200 and "/occurrences/" not in page.text
        assert (await client.get(f"/activities/{market['id']}/occurrences/{SAT_7}/cancel")).status_code == 403
    admin = await street.factories.staff("community_admin", community="hepan")
    async with make_page_client(meihao, admin["id"]) as client:
        single = await client.get(f"/activities/{once['id']}")
        assert "/occurrences/" not in single.text  # one date only: cancel the activity instead
    assert [json.loads(r["exdates"]) if isinstance(r["exdates"], str) else r["exdates"] for r in await Activity.select(Activity.exdates)] == [[], []]


# -- sign-ups ---------------------------------------------------------------------------

def signup_rows(page: str) -> dict[str, list[str]]:
    """occurrence key -> the masked names listed under it."""
    return {key: re.findall(r'<td data-label="[^"]*">([^<]+)</td>\s*<td data-label="[^"]*">[^<]*</td>\s*<td data-label="[^"]*">[0-9 :-]+</td>', body)
            for key, body in re.findall(r'data-occurrence="([0-9TZ:-]+)">(.*?)</section>', page, re.S)}


def taken(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-occurrence="([0-9TZ:-]+)">.*?data-taken="(\d+)"', page, re.S))


async def test_the_signups_page_counts_per_date_against_the_capacity_in_each_scope(meihao):
    street = await build_street(meihao)
    market = await create_activity(meihao, "hepan", msgspec.structs.replace(MARKET, signups_open=True, signup_capacity=2))
    for name, key in (("王秀英", SAT_7), ("张伟", SAT_7), ("刘芳", SAT_14)):
        await sign_up(meihao, SYSTEM, street.residents[name]["id"], market["id"], key)
    admin = await street.factories.staff("community_admin", community="hepan")
    worker_b = await street.factories.staff("grid_worker", grid_id=street.grid_b)
    worker_a = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    async with make_page_client(meihao, admin["id"]) as client:
        page = await client.get(f"/activities/{market['id']}/signups")
        assert (page.status_code, h1(page.text)) == (200, ["报名情况"])
        assert taken(page.text) == {SAT_7: "2", SAT_14: "1", SAT_21: "0"}
        assert "已报名 2 人，共 2 个名额" in page.text and "已报名 1 人，共 2 个名额" in page.text and "已报满" in page.text
        assert signup_rows(page.text) == {SAT_7: ["王*英", "张*"], SAT_14: ["刘*"], SAT_21: []}
        assert "王秀英" not in page.text
        sheet = await client.get(f"/activities/{market['id']}/signups.csv")
        lines = sheet.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "日期,仍是活动日期,居民,网格,报名时间"
        assert [line.split(",")[2] for line in lines[1:]] == ["王*英", "张*", "刘*"]
    async with make_page_client(meihao, worker_b["id"]) as client:
        mine = await client.get(f"/activities/{market['id']}/signups")
        assert taken(mine.text) == {SAT_7: "2", SAT_14: "1", SAT_21: "0"}  # places taken count everyone
        assert signup_rows(mine.text) == {SAT_7: ["张*"], SAT_14: ["刘*"], SAT_21: []}
        assert re.findall(r'data-mine="(\d+)"', mine.text) == ["1", "1", "0"]
        book = await client.get(f"/activities/{market['id']}/signups.xlsx")
        rows = list(load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))
        assert [r[2] for r in rows] == ["居民", "张*", "刘*"]
    async with make_page_client(meihao, worker_a["id"]) as client:
        theirs = await client.get(f"/activities/{market['id']}/signups")
        assert signup_rows(theirs.text) == {SAT_7: ["王*英"], SAT_14: [], SAT_21: []}
        sheet = await client.get(f"/activities/{market['id']}/signups.csv")
        assert len(sheet.content.decode("utf-8-sig").splitlines()) == 2  # the header and 王*英
    await street.factories.community("huayang")
    stranger = await street.factories.staff("community_admin", community="huayang")
    async with make_page_client(meihao, stranger["id"]) as client:
        assert (await client.get(f"/activities/{market['id']}/signups")).status_code == 404
        assert (await client.get(f"/activities/{market['id']}/signups.csv")).status_code == 404
    exports = await AuditLog.select(AuditLog.detail).where(AuditLog.action == "meihao.activity.signups_export").order_by(AuditLog.id)
    assert [json.loads(e["detail"]) if isinstance(e["detail"], str) else e["detail"] for e in exports] == [
        {"format": "csv", "rows": 3}, {"format": "xlsx", "rows": 2}, {"format": "csv", "rows": 1}]


async def test_staff_cancel_a_signup_on_a_residents_behalf_with_a_reason_in_their_scope_only(meihao):
    street = await build_street(meihao)
    market = await create_activity(meihao, "hepan", msgspec.structs.replace(MARKET, signups_open=True, signup_capacity=2))
    for name in ("王秀英", "张伟"):
        await sign_up(meihao, SYSTEM, street.residents[name]["id"], market["id"], SAT_7)
    ids = {r["resident"]: r["id"] for r in await ActivitySignup.select(ActivitySignup.id, ActivitySignup.resident)}
    wang, zhang = ids[street.residents["王秀英"]["id"]], ids[street.residents["张伟"]["id"]]
    worker_b = await street.factories.staff("grid_worker", grid_id=street.grid_b)
    async with make_page_client(meihao, worker_b["id"]) as client:
        token = await form_token(client, f"/activities/{market['id']}/signups")
        other = await client.post(f"/activities/{market['id']}/signups/{wang}/cancel", data={"reason": "电话告知", "_csrf_token": token})
        assert (other.status_code, h1(other.text)) == (404, ["找不到页面"])  # 王秀英 lives in grid A
        bare = await client.post(f"/activities/{market['id']}/signups/{zhang}/cancel", data={"reason": "", "_csrf_token": token})
        assert (bare.status_code, field_error(bare.text, f"reason-{zhang}")) == (400, "请写明为什么取消报名。")
        done = await client.post(f"/activities/{market['id']}/signups/{zhang}/cancel", data={"reason": "本人电话告知", "_csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, f"/activities/{market['id']}/signups?done=2026-03-07+09%3A00")
        after = await client.get(done.headers["location"])
        assert "已为居民取消 2026-03-07 09:00 的报名。" in after.text
    assert sorted(r["resident"] for r in await ActivitySignup.select(ActivitySignup.resident)) == [street.residents["王秀英"]["id"]]
    entry = await AuditLog.select(AuditLog.reason, AuditLog.target_id).where(AuditLog.action == "meihao.activity.signup_cancel").first()
    assert entry == {"reason": "本人电话告知", "target_id": str(street.residents["张伟"]["id"])}


# -- lunar dates --------------------------------------------------------------------------

LUNAR = {**FORM, "title": "中秋茶话会", "scene": "neighbourhood", "start_date": "2026-03-09", "start_time": "19:00", "repeat": "lunar_yearly",
         "weekdays": [], "count": "", "lunar_month": "8", "lunar_day": "15", "offsets": ["1440"]}


def preview_dates(page: str) -> list[str]:
    return re.findall(r'<li><span class="act-time">([0-9-]+ [0-9:]+)</span>', page)


async def test_a_lunar_date_is_offered_in_words_previewed_and_checked_at_its_field(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    async with make_page_client(meihao, admin["id"]) as client:
        form = await client.get("/activities/new?community=hepan")
        assert re.findall(r'<option value="(\d+)" selected>([^<]+)</option>', form.text)[:2] == [("8", "八月"), ("15", "十五")]
        assert "每年农历的某一天" in form.text and "腊月" in form.text and "三十" in form.text
        query = {k: v for k, v in LUNAR.items() if isinstance(v, str)}
        mid_autumn = await client.get("/activities/dates", params={**query, "community": "hepan"})
        assert preview_dates(mid_autumn.text) == ["2026-09-25 19:00", "2027-09-15 19:00", "2028-10-03 19:00", "2029-09-22 19:00",
                                                  "2030-09-12 19:00"]
        short = await client.get("/activities/dates", params={**query, "lunar_day": "30", "community": "hepan"})
        assert preview_dates(short.text)[:2] == ["2026-10-09 19:00", "2027-09-30 19:00"] or preview_dates(short.text)[:1] == ["2026-10-09 19:00"]
        assert "这个农历月没有三十：改在廿九" in short.text
        weekly = await client.get("/activities/dates", params={**{k: v for k, v in FORM.items() if isinstance(v, str)}, "weekdays": "SA"})
        assert preview_dates(weekly.text) == ["2026-03-07 09:00", "2026-03-14 09:00", "2026-03-21 09:00"]
        bad_day = await client.get("/activities/dates", params={**query, "lunar_day": "31", "community": "hepan"})
        assert re.findall(r'<p class="error" role="alert">([^<]+)</p>', bad_day.text) == ["请选择农历日，初一到三十。"]

        token = await form_token(client, "/activities/new?community=hepan")
        wrong = await client.post("/activities/new", data={**LUNAR, "lunar_month": "13", "_csrf_token": token})
        assert (wrong.status_code, field_error(wrong.text, "lunar")) == (400, "请选择农历月份，正月到腊月。")
        assert await Activity.count() == 0
        done = await client.post("/activities/new", data={**LUNAR, "_csrf_token": token})
        assert done.status_code == 303, field_error(done.text, "lunar") + field_error(done.text, "repeat")
        row = await Activity.select().where(Activity.title == "中秋茶话会").first()
        assert (row["rrule"], row["lunar_month"], row["lunar_day"]) == ("", 8, 15)
        page = await client.get(f"/activities/{row['id']}")
        assert "每年农历八月十五" in page.text
        assert re.findall(r"<span class=\"act-time\">([0-9-]+ [0-9:]+)</span>", page.text) == ["2026-09-25 19:00"]  # within 400 days
        edit = await client.get(f"/activities/{row['id']}/edit")
        assert 'value="lunar_yearly" checked' in edit.text
        token = await form_token(client, f"/activities/{row['id']}/edit")
        once = await client.post(f"/activities/{row['id']}/edit", data={**LUNAR, "repeat": "once", "_csrf_token": token})
        assert once.status_code == 303
        changed = await Activity.select().where(Activity.id == row["id"]).first()
        assert (changed["rrule"], changed["lunar_month"], changed["lunar_day"]) == ("FREQ=DAILY;COUNT=1", None, None)
        again = await client.get(f"/activities/{row['id']}/edit")
        assert 'value="once" checked' in again.text


# -- the list of activities --------------------------------------------------------------

def listed(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<tr data-activity="\d+">\s*<td[^>]*><a href="/activities/\d+">([^<]+)</a>', page)]


def facet_counts(page: str, name: str) -> dict[str, str]:
    found = re.search(rf'<nav class="facet" aria-labelledby="facet-{name}">(.*?)</nav>', page, re.S)
    return {html.unescape(label.strip()): n for label, n in re.findall(r'>([^<>]+?) <span class="count">(\d+)</span>', found.group(1))} if found else {}


async def test_the_list_of_activities_filters_with_counts_and_exports_what_it_shows(meihao):
    street = await build_street(meihao)
    await create_activity(meihao, "hepan", MARKET)  # Saturdays 7, 14, 21 March
    await create_activity(meihao, "hepan", ActivityIn(
        scene="health", title="健康讲座", starts_at=START + timedelta(days=1, hours=1), ends_at=START + timedelta(days=1, hours=2),
        audience={"everyone": True}))  # Tuesday 3 March
    await create_activity(meihao, "hepan", ActivityIn(
        scene="health", title="四月义诊", starts_at=START.replace(month=4, day=8, hour=1), ends_at=START.replace(month=4, day=8, hour=3),
        audience={"everyone": True}))  # Wednesday 8 April: outside the next 30 days (2 to 31 March)
    await street.factories.community("huayang", name="华阳社区")
    show = await create_activity(meihao, "huayang", ActivityIn(
        scene="culture", title="华阳戏曲进社区", starts_at=START.replace(day=10, hour=11), ends_at=START.replace(day=10, hour=13),
        audience={"everyone": True}))
    await cancel_activity(meihao, show["id"])
    async with make_page_client(meihao) as client:  # a street admin
        page = await client.get("/activities/list")
        assert (page.status_code, h1(page.text)) == (200, ["活动列表"])
        assert listed(page.text) == ["健康讲座", "睦邻善市公益市集", "四月义诊", "华阳戏曲进社区"]
        assert facet_counts(page.text, "community") == {"荷畔社区": "3", "华阳社区": "1"}
        assert facet_counts(page.text, "status") == {"已安排": "3", "已取消": "1"}
        assert facet_counts(page.text, "period") == {"本周": "2", "本月": "3", "未来 30 天": "3", "过去 30 天": "0"}
        assert facet_counts(page.text, "scene") == {"文化": "1", "健康": "2", "市集": "1"}
        week = await client.get("/activities/list?period=week")
        assert listed(week.text) == ["健康讲座", "睦邻善市公益市集"]
        assert facet_counts(week.text, "status") == {"已安排": "2"}  # the other filters hold while counting
        assert re.findall(r'data-dates="(\d+)"', week.text) == ["1", "1"]
        month = await client.get("/activities/list?period=month&scene=markets")
        assert (listed(month.text), re.findall(r'data-dates="(\d+)"', month.text)) == (["睦邻善市公益市集"], ["3"])
        cancelled = await client.get("/activities/list?status=cancelled")
        assert listed(cancelled.text) == ["华阳戏曲进社区"]
        sheet = await client.get("/activities/list.csv?period=month&community=hepan")
        lines = sheet.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "活动,社区,场景,状态,首次开始,重复,地点,下一次,期间内次数"
        assert [line.split(",")[0] for line in lines[1:]] == ["健康讲座", "睦邻善市公益市集"]
        assert lines[2].split(",")[-1] == "3"
        book = await client.get("/activities/list.xlsx?status=cancelled")
        assert [r[0] for r in load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True)] == ["活动", "华阳戏曲进社区"]
        bad = await client.get("/activities/list?period=year")
        assert (bad.status_code, "period" in html.unescape(bad.text)) == (400, True)
        unknown = await client.get("/activities/list?community=nowhere")
        assert (unknown.status_code, "community" in html.unescape(unknown.text)) == (400, True)
    worker = await street.factories.staff("grid_worker", grid_id=street.grid_b)
    async with make_page_client(meihao, worker["id"]) as client:
        mine = await client.get("/activities/list")
        assert listed(mine.text) == ["健康讲座", "睦邻善市公益市集", "四月义诊"]
        assert facet_counts(mine.text, "community") == {}  # one community: no choice to make
        assert (await client.get("/activities/list?community=huayang")).status_code == 400
        sheet = await client.get("/activities/list.csv")
        assert len(sheet.content.decode("utf-8-sig").splitlines()) == 4
