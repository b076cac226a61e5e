"""elder_care's console pages in process, on SQLite and PostgreSQL: visits due, an elder, recording a visit, alerts, cards, the queue.

The fake clock stands on Monday 2 March 2026, 08:00 in Shanghai. Six elders, their next visits
set so that each list has its boundary case: 王秀英 (grid A, due 27 Feb: 3 days overdue),
陈淑珍 (A, due 1 Mar: overdue by one day), 张伟 (A, due today), 孙玉兰 (A, due 5 Mar: the
last day of "within 3 days"), 周德明 (A, due 6 Mar: the first day after it) and 赵桂兰
(grid B, due 3 Mar). 陈网格 is grid A's worker, 吴网格 grid B's, 周兼职 a part-time worker of A.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest_asyncio

from meihao.scenarios import elder_care
from meihao.scenarios.elder_care.pages import visit_queue
from meihao.scenarios.elder_care.tables import Elder, OverdueAlert, Visit
from meihao.testing import form_token, make_page_client
from meihao.web.console import catalogues
from tests.scenarios.elder_care.conftest import Yajuyuan

SCENE = Path(elder_care.__file__).parent
KERNEL_CONSOLE = Path(catalogues.__file__).parent
BASE = "/c/yajuyuan/elder_care"

RESIDENTS = {
    "王秀英": ("A", date(1940, 3, 15), ["living_alone"]),
    "陈淑珍": ("A", date(1948, 6, 1), []),
    "张伟": ("A", date(1956, 7, 1), []),
    "孙玉兰": ("A", date(1945, 2, 2), []),
    "周德明": ("A", date(1950, 9, 9), []),
    "赵桂兰": ("B", date(1944, 11, 2), ["living_alone"]),
}
#: name: (plan starts on, interval days or None for the care level's, visitor key or None)
PLANS = {
    "王秀英": (date(2026, 2, 20), None, "grid_worker"),  # high risk: every 7 days -> due 27 Feb
    "陈淑珍": (date(2026, 2, 22), 7, "part_time"),  # due 1 Mar
    "张伟": (date(2026, 2, 20), 10, None),  # due 2 Mar (today)
    "孙玉兰": (date(2026, 2, 26), 7, None),  # due 5 Mar
    "周德明": (date(2026, 2, 27), 7, None),  # due 6 Mar
    "赵桂兰": (date(2026, 2, 24), None, None),  # high risk -> due 3 Mar
}


@pytest_asyncio.fixture
async def y(meihao) -> Yajuyuan:
    world = await Yajuyuan.build(
        meihao, "elder_care", slug="yajuyuan", name="雅居园社区", brand_name="松龄雅居",
        grids={"A": "雅居园一区", "B": "松龄苑"},
        residents={name: {"grid": grid, "birth_date": birth, "tags": tags} for name, (grid, birth, tags) in RESIDENTS.items()},
        staff={"leader": ("grid_leader", "A", "孙网格长"), "part_time": ("grid_part_time", "A", "周兼职")},
    )
    world.elders = {}
    async with world.client("community_admin") as client:
        for name, (starts, interval, visitor) in PLANS.items():
            body = {"resident_id": world.residents[name]["id"], "plan_starts_on": starts.isoformat()}
            if interval:
                body["interval_days"] = interval
            if visitor:
                body["visitor_staff_id"] = world.staff[visitor]["id"]
            made = await client.post("/api/communities/yajuyuan/elder_care/elders", json=body)
            assert made.status_code == 201, made.text
            world.elders[name] = made.json()["id"]
    return world


def names_in(html: str, group: str) -> list[str]:
    """The elders listed in one part of the due page (overdue, today, soon), in order."""
    found = re.search(rf'<section class="ec-group ec-{group}".*?</section>', html, re.S)
    return re.findall(r'class="ec-name" href="[^"]+">([^<]+)</a>', found.group(0)) if found else []


def h1(html: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", html)


def figures(html: str) -> list[tuple[str, str]]:
    """The figures on the scene's cards (the overview has figures of its own besides)."""
    cards = "".join(re.findall(r'<section class="card">(.*?)</section>', html, flags=re.S))
    return re.findall(r'<span class="value">([^<]*)</span><span class="label">([^<]*)</span>', cards)


async def test_the_due_lists_are_scoped_and_cut_at_the_thresholds(y):
    async with make_page_client(y.mh, y.staff["community_admin"]["id"]) as admin:
        page = await admin.get(f"{BASE}/due")
        root = await admin.get(BASE)
    assert (page.status_code, h1(page.text)) == (200, ["待探访"])
    assert root.status_code == 200 and names_in(root.text, "overdue") == names_in(page.text, "overdue")
    assert names_in(page.text, "overdue") == ["王秀英", "陈淑珍"]
    assert names_in(page.text, "today") == ["张伟"]
    assert names_in(page.text, "soon") == ["赵桂兰", "孙玉兰"]  # 周德明 (due in 4 days) is not listed
    assert "周德明" not in page.text
    assert "应于2026-02-27探访，已逾期3天" in page.text and "应于2026-03-01探访，已逾期1天" in page.text

    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        mine = await worker.get(f"{BASE}/due")
    assert names_in(mine.text, "overdue") == ["王秀英", "陈淑珍"]
    assert names_in(mine.text, "today") == ["张伟"]
    assert names_in(mine.text, "soon") == ["孙玉兰"]  # 赵桂兰 lives in grid B
    assert "赵桂兰" not in mine.text

    async with make_page_client(y.mh, y.staff["grid_worker_out"]["id"]) as other:
        theirs = await other.get(f"{BASE}/due")
    assert (names_in(theirs.text, "overdue"), names_in(theirs.text, "today"), names_in(theirs.text, "soon")) == ([], [], ["赵桂兰"])


async def test_the_cards_count_only_what_the_viewer_reaches(y):
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        mine = figures((await worker.get("/overview/yajuyuan/scenes")).text)
    async with make_page_client(y.mh, y.staff["community_admin"]["id"]) as admin:
        everyone = figures((await admin.get("/overview/yajuyuan/scenes")).text)
    # issue 16: the 月探访率 (王秀英 and 赵桂兰 live alone; nobody visited in March yet)
    assert mine == [("2", "探访超期"), ("1", "今日应访"), ("1", "3天内到期"), ("0", "超期上报"), ("0", "近30天发现问题"), ("0.0", "本月探访率（%）")]
    assert everyone == [("2", "探访超期"), ("1", "今日应访"), ("2", "3天内到期"), ("0", "超期上报"), ("0", "近30天发现问题"),
                        ("0.0", "本月探访率（%）")]


async def test_the_alert_card_counts_every_open_escalation_and_concern_beyond_the_alert_pages_lists(y):
    """The card counts in SQL, not the alerts page's lists (the latest 200 alerts, the latest 100 concerns): the
    oldest open escalation, behind 200 newer alerts, and the 101st concern are counted; the 30 days start at
    midnight of 31 January (today, 2 March, minus 30 days) in Shanghai, 16:00 UTC the day before."""
    wang, zhao = y.elders["王秀英"], y.elders["赵桂兰"]
    alert = {"missed_intervals": 2, "recipients": "[]", "notice": 0}
    await OverdueAlert.insert(OverdueAlert(elder=wang, due_on=date(2025, 1, 1), level="escalation", **alert))  # the oldest
    await OverdueAlert.insert(*(OverdueAlert(elder=wang, due_on=date(2025, 1, 2) + timedelta(days=n), level="visitor", **alert)
                                for n in range(200)))
    await OverdueAlert.insert(
        OverdueAlert(elder=wang, due_on=date(2026, 2, 1), level="escalation", resolved_at=datetime(2026, 2, 2, tzinfo=timezone.utc), **alert),
        OverdueAlert(elder=zhao, due_on=date(2026, 2, 3), level="escalation", **alert),  # grid B's
    )
    start = datetime(2026, 1, 30, 16, 0, tzinfo=timezone.utc)
    visit = {"method": "home", "findings": "{}"}
    await Visit.insert(*(Visit(elder=wang, visited_at=start + timedelta(hours=n), concerns=1, **visit) for n in range(101)))
    await Visit.insert(
        Visit(elder=wang, visited_at=start - timedelta(microseconds=1), concerns=2, **visit),  # a tick before the 30 days
        Visit(elder=wang, visited_at=start + timedelta(days=1), concerns=0, follow_up_needed=False, **visit),  # nothing found
        Visit(elder=wang, visited_at=start + timedelta(days=2), concerns=0, follow_up_needed=True, **visit),  # a follow-up only
        Visit(elder=zhao, visited_at=start + timedelta(days=3), concerns=1, **visit),  # grid B's
    )
    async with make_page_client(y.mh, y.staff["community_admin"]["id"]) as admin:
        everyone = figures((await admin.get("/overview/yajuyuan/scenes")).text)[3:]
        listed = await admin.get(f"{BASE}/alerts")
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        mine = figures((await worker.get("/overview/yajuyuan/scenes")).text)[3:]
    async with make_page_client(y.mh, y.staff["grid_worker_out"]["id"]) as other:
        theirs = figures((await other.get("/overview/yajuyuan/scenes")).text)[3:]
    # the month's visit rate follows: every visit here is from January and February, none from March (today is 2 March)
    march = ("0.0", "本月探访率（%）")
    assert everyone == [("2", "超期上报"), ("103", "近30天发现问题"), march]
    assert mine == [("1", "超期上报"), ("102", "近30天发现问题"), march]
    assert theirs == [("1", "超期上报"), ("1", "近30天发现问题"), march]
    assert listed.status_code == 200


async def test_another_grids_worker_gets_the_404_page_for_an_elder_not_theirs(y):
    wang = y.elders["王秀英"]
    async with make_page_client(y.mh, y.staff["grid_worker_out"]["id"]) as other:
        page = await other.get(f"{BASE}/elders/{wang}")
        form = await other.get(f"{BASE}/elders/{wang}/visit")
        token = await form_token(other)
        posted = await other.post(f"{BASE}/elders/{wang}/visit", data={"form": "visit", "method": "home", "_csrf_token": token,
                                                                        **{f"area_{a}": "ok" for a in AREAS}})
        missing = await other.get(f"{BASE}/elders/999999")
    assert (page.status_code, h1(page.text)) == (404, ["找不到页面"])
    assert (form.status_code, posted.status_code, missing.status_code) == (404, 404, 404)
    assert "王秀英" not in page.text + form.text + posted.text
    assert await Visit.count() == 0


AREAS = ("health", "finances", "carers", "housing_safety", "needs")


async def test_recording_a_visit_writes_one_visit_and_moves_the_elder_out_of_due(y):
    zhang = y.elders["张伟"]
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        form = await worker.get(f"{BASE}/elders/{zhang}/visit")
        assert (form.status_code, h1(form.text)) == (200, ["记录探访：张伟"])
        # nothing is ticked for the visitor: every area waits for a tap
        assert 'value="ok" checked' not in form.text and 'value="concern" checked' not in form.text
        token = await form_token(worker, f"{BASE}/elders/{zhang}/visit")
        done = await worker.post(f"{BASE}/elders/{zhang}/visit", data={
            "_csrf_token": token, "form": "visit", "method": "home",
            "area_health": "concern", "note_health": "膝盖疼，行走不便", "area_finances": "ok", "area_carers": "ok",
            "area_housing_safety": "concern", "note_housing_safety": "燃气软管老化", "area_needs": "ok",
            "note_finances": "ignored: the area is fine", "needs_list": ["rehabilitation"],
            "follow_up_needed": "yes", "follow_up_note": "联系燃气公司更换软管",
        })
        assert (done.status_code, done.headers["location"]) == (303, f"{BASE}/due?recorded={zhang}")
        after = await worker.get(done.headers["location"])
    # issue 16: the follow-up brings the next visit forward to 7 days (follow_up_revisit_days), before the interval's 3月12日
    assert "已记录对张伟的探访，下次应于2026-03-09前探访。" in after.text
    assert names_in(after.text, "today") == [] and "ec-name" in after.text and "张伟</a>" not in after.text
    visits = await Visit.select().where(Visit.elder == zhang)
    assert len(visits) == 1 and await Visit.count() == 1
    visit = visits[0]
    assert (visit["method"], visit["concerns"], visit["follow_up_needed"], visit["follow_up_note"]) == ("home", 2, True, "联系燃气公司更换软管")
    assert (visit["visitor_staff"], visit["recorded_by"]) == (y.staff["grid_worker"]["id"], y.staff["grid_worker"]["id"])
    assert visit["visited_at"] == datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)
    import json
    findings = json.loads(visit["findings"]) if isinstance(visit["findings"], str) else visit["findings"]
    assert findings == {
        "health": {"status": "concern", "note": "膝盖疼，行走不便"}, "finances": {"status": "ok", "note": ""},
        "carers": {"status": "ok", "note": ""}, "housing_safety": {"status": "concern", "note": "燃气软管老化"},
        "needs": {"status": "ok", "note": ""}, "needs_list": ["rehabilitation"],
    }
    elder = await Elder.select(Elder.last_contact_on, Elder.next_due_on).where(Elder.id == zhang).first()
    assert elder == {"last_contact_on": date(2026, 3, 2), "next_due_on": date(2026, 3, 9)}
    assert visit["follow_up_item"] is not None


async def test_visit_notes_are_shown_only_with_the_permission(y):
    zhang = y.elders["张伟"]
    async with y.client("grid_worker") as api:
        made = await api.post(f"/api/communities/yajuyuan/elder_care/elders/{zhang}/visits", json={
            "method": "phone", "findings": {"health": {"status": "concern", "note": "膝盖疼"}}, "follow_up_needed": True,
            "follow_up_note": "联系家庭医生"})
        assert made.status_code == 201, made.text
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        hidden = await worker.get(f"{BASE}/elders/{zhang}")
    async with make_page_client(y.mh, y.staff["leader"]["id"]) as leader:
        shown = await leader.get(f"{BASE}/elders/{zhang}")
        alerts = await leader.get(f"{BASE}/alerts")
    assert hidden.status_code == 200 and shown.status_code == 200
    assert "膝盖疼" not in hidden.text and "联系家庭医生" not in hidden.text
    assert "仅对有查看权限的人员显示" in hidden.text and "1项问题" in hidden.text and "需跟进" in hidden.text
    assert "健康状况： <strong class=\"ec-concern\">有问题</strong> — 膝盖疼" in shown.text and "跟进： 联系家庭医生" in shown.text
    # the alerts page lists the concern without the notes
    assert "张伟" in alerts.text and "膝盖疼" not in alerts.text and "联系家庭医生" not in alerts.text


async def test_bad_input_shows_the_problem_at_the_field_and_writes_nothing(y):
    zhang = y.elders["张伟"]
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        token = await form_token(worker, f"{BASE}/elders/{zhang}/visit")
        unanswered = await worker.post(f"{BASE}/elders/{zhang}/visit", data={
            "_csrf_token": token, "form": "visit", "method": "home", "area_health": "ok", "area_finances": "ok", "area_carers": "ok",
            "area_needs": "ok", "follow_up_note": "记下的话留着"})
        future = await worker.post(f"{BASE}/elders/{zhang}/visit", data={
            "_csrf_token": token, "form": "visit", "method": "phone", "visited_at": "2026-03-02T09:30",
            **{f"area_{a}": "ok" for a in AREAS}})
        no_method = await worker.post(f"{BASE}/elders/{zhang}/visit", data={
            "_csrf_token": token, "form": "visit", **{f"area_{a}": "ok" for a in AREAS}})
    assert unanswered.status_code == 400
    assert re.findall(r'<p class="error[^"]*" id="e-([a-z_]+)">([^<]+)</p>', unanswered.text) == [("housing_safety", "请点选“正常”“有问题”或“未查”。")]
    assert 'name="area_health" value="ok" checked' in unanswered.text  # the answers given stay
    assert future.status_code == 400
    assert '<p class="error" id="f-visited_at-note">探访时间不能晚于现在。</p>' in future.text
    assert no_method.status_code == 400 and '<p class="error" id="e-method">请选择探访方式。</p>' in no_method.text
    assert await Visit.count() == 0
    assert (await Elder.select(Elder.next_due_on).where(Elder.id == zhang).first())["next_due_on"] == date(2026, 3, 2)


async def test_a_visit_needs_the_permission_and_a_form_token(y):
    zhang = y.elders["张伟"]
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        forged = await worker.post(f"{BASE}/elders/{zhang}/visit", data={"form": "visit", "method": "home",
                                                                          **{f"area_{a}": "ok" for a in AREAS}})
    assert forged.status_code == 403
    assert await Visit.count() == 0


async def test_the_queue_lists_the_viewers_visits_by_urgency(y):
    from meihao.access.principals import principal_for

    async def queue(key):
        principal = await principal_for(y.mh, y.staff[key])
        return [(i.title_zh, i.community, i.due, i.urgency, i.href, i.action) for i in await visit_queue(y.mh, principal)]

    e = y.elders
    assert await queue("grid_worker") == [
        ("探访 王秀英（高风险）", "yajuyuan", date(2026, 2, 27), "red", f"{BASE}/elders/{e['王秀英']}",
         ("记录探访", "Record the visit", f"elders/{e['王秀英']}/visit")),
        ("探访 张伟（一般）", "yajuyuan", date(2026, 3, 2), "today", f"{BASE}/elders/{e['张伟']}",
         ("记录探访", "Record the visit", f"elders/{e['张伟']}/visit")),
        ("探访 孙玉兰（重点）", "yajuyuan", date(2026, 3, 5), "yellow", f"{BASE}/elders/{e['孙玉兰']}",
         ("记录探访", "Record the visit", f"elders/{e['孙玉兰']}/visit")),
    ]
    # 陈淑珍's visitor is the part-time worker: overdue by one day is red already
    assert [(t, u) for t, _, _, u, _, _ in await queue("part_time")] == [("探访 陈淑珍（一般）", "red")]
    # nobody visits 赵桂兰 by name: her grid's worker does
    assert [(t, u) for t, _, _, u, _, _ in await queue("grid_worker_out")] == [("探访 赵桂兰（高风险）", "yellow")]
    assert await queue("community_admin") == []
    # the one-tap action opens the form of that elder
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        token = await form_token(worker)
        tapped = await worker.post(f"{BASE}/elders/{e['王秀英']}/visit", data={"_csrf_token": token})
    assert (tapped.status_code, tapped.headers["location"]) == (303, f"{BASE}/elders/{e['王秀英']}/visit")


def test_the_catalogue_is_complete():
    assert catalogues.untranslated(SCENE, also=[KERNEL_CONSOLE]) == {}
    assert catalogues.untranslatable(SCENE) == {}


async def test_the_visit_form_in_english(y):
    zhang = y.elders["张伟"]
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        worker.cookies.set("meihao_lang", "en")
        form = await worker.get(f"{BASE}/elders/{zhang}/visit")
    assert h1(form.text) == ["Record a visit: 张伟"]
    assert re.findall(r"<legend>([^<]+)</legend>", form.text) == [
        "How", "Health", "Finances and benefits", "Carers doing their duty", "Housing, water, power, gas and heating safety", "Service needs",
        "Follow-up",
    ]


async def test_the_form_records_an_area_not_looked_at_as_not_checked_and_the_alerts_page_shows_the_rate_and_follow_ups(y):
    """Issue 16: 未查 is a tap of its own (never "fine"); the follow-up opens a task the alerts page lists; the 月探访率."""
    zhang = y.elders["张伟"]
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        form = await worker.get(f"{BASE}/elders/{zhang}/visit")
        assert form.text.count('value="not_checked"') == 5 and "未查" in form.text
        token = await form_token(worker, f"{BASE}/elders/{zhang}/visit")
        done = await worker.post(f"{BASE}/elders/{zhang}/visit", data={
            "_csrf_token": token, "form": "visit", "method": "phone",
            "area_health": "ok", "area_finances": "not_checked", "area_carers": "not_checked", "area_housing_safety": "not_checked",
            "area_needs": "ok", "follow_up_needed": "yes", "follow_up_note": "提醒子女陪同复诊",
        })
        assert done.status_code == 303, done.text
    import json
    visit = await Visit.select(Visit.findings, Visit.concerns, Visit.follow_up_item).where(Visit.elder == zhang).first()
    findings = json.loads(visit["findings"]) if isinstance(visit["findings"], str) else visit["findings"]
    assert [findings[a]["status"] for a in AREAS] == ["ok", "not_checked", "not_checked", "not_checked", "ok"]
    assert visit["concerns"] == 0 and visit["follow_up_item"] is not None
    async with make_page_client(y.mh, y.staff["leader"]["id"]) as leader:
        elder_page = await leader.get(f"{BASE}/elders/{zhang}")
        alerts = await leader.get(f"{BASE}/alerts")
    assert "未查" in elder_page.text and f"跟进任务 {visit['follow_up_item']}" in elder_page.text
    assert alerts.status_code == 200
    # grid A's leader: 王秀英 (lives alone) is grid A's one elder in special difficulty, not visited in March yet
    assert "本月已探访或联系特殊困难老人0人，共1人（目标100%）。" in alerts.text
    assert "待办跟进事项" in alerts.text and "张伟" in alerts.text.split("待办跟进事项", 1)[1].split("近30天", 1)[0]
