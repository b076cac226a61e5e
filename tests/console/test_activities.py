"""The activities pages in process (tests/browser/test_activities.py has them in Chromium): calendars, the form and
its errors at the field, the audience preview, cancelling, the reminder log, and the scope (another community's
activity is the 404 page)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from meihao import Channel, PermanentFailure, hookimpl
from meihao.register.calendar import load_official_year, parse_schedule
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.tables import Activity, Reminder
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
    found = re.search(rf'<p class="error" id="f-{name}-note" role="alert">(.*?)</p>', page)
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
