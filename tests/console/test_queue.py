"""My queue (/queue) in process: items of every scene and of the kernel, most urgent first, scoped, one-tap actions."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta

import pytest_asyncio

from meihao import ActivityIn, ConsolePages, QueueItem, Scenario, hookimpl
from meihao.access.audit import audit
from meihao.access.principals import principal_for
from meihao.register.community_scenarios import enable
from meihao.reminders.activities import create_activity
from meihao.reminders.tables import Reminder
from meihao.testing import SceneWorld, form_token, make_page_client
from tests.sample_plugins.lantern.tables import Riddle

#: What the kite scene's queue answers: (title, due relative to now or a day, urgency of its own), in hepan.
#: The SceneWorld's clock stands at Monday 2 March 2026, 08:00 in Shanghai.
KITE_ITEMS = [
    ("无期限", None, ""),
    ("后天的日子", date(2026, 3, 4), ""),
    ("昨天的日子", date(2026, 3, 1), ""),
    ("今天的日子", date(2026, 3, 2), ""),
    ("一小时前", timedelta(hours=-1), ""),
    ("一秒前", timedelta(seconds=-1), ""),
    ("正好现在", timedelta(0), ""),
    ("两小时后", timedelta(hours=2), ""),
    ("两小时零一秒后", timedelta(hours=2, seconds=1), ""),
    ("今天最后一秒", timedelta(hours=15, minutes=59, seconds=59), ""),
    ("明天零点", timedelta(hours=16), ""),
    ("自称紧急的明天", timedelta(days=1), "yellow"),
]


class Kite:
    """A throwaway scene whose queue answers KITE_ITEMS, plus one in a community it does not run in."""

    @hookimpl
    def meihao_scenario(self):
        return Scenario(name="kite", title_zh="风筝", title_en="Kites", scene="neighbourhood", version="1.0")

    @hookimpl
    def meihao_console_pages(self):
        async def queue(meihao, principal):
            now = meihao.clock.now()
            items = []
            for title, due, urgency in KITE_ITEMS:
                when = now + due if isinstance(due, timedelta) else due
                items.append(QueueItem(title, title + " (en)", "kites", "hepan", when, urgency))
            items.append(QueueItem("别的社区", "elsewhere", "kites", "beiyuan", now - timedelta(days=3)))
            return items

        return ConsolePages(queue=queue)


class Gale:
    """A throwaway scene whose queue raises."""

    @hookimpl
    def meihao_scenario(self):
        return Scenario(name="gale", title_zh="大风", title_en="Gales", scene="neighbourhood", version="1.0")

    @hookimpl
    def meihao_console_pages(self):
        async def queue(meihao, principal):
            raise RuntimeError("the gale table is gone")

        return ConsolePages(queue=queue)


def queue_rows(html: str) -> list[tuple[str, str]]:
    """(urgency, title) of each item, in the order shown."""
    rows = re.findall(r'<li class="queue-item urgency-(\w+)">.*?<p class="queue-title"[^>]*>\s*(.*?)\s*</p>', html, re.S)
    return [(urgency, re.sub(r"<[^>]+>", "", title).strip()) for urgency, title in rows]


@pytest_asyncio.fixture
async def world(make_meihao, lantern_plugin) -> SceneWorld:
    mh = await make_meihao(plugins=[("kite", Kite()), ("gale", Gale()), lantern_plugin])
    return await SceneWorld.build(mh)


async def test_items_are_ordered_by_urgency_then_due_time_with_the_boundaries(world):
    await enable(world.mh, "hepan", "kite")
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
        page = await client.get("/queue")
    assert page.status_code == 200, page.text
    assert queue_rows(page.text) == [
        ("red", "昨天的日子"),
        ("red", "一小时前"),
        ("red", "一秒前"),
        ("yellow", "正好现在"),
        ("yellow", "两小时后"),
        ("yellow", "自称紧急的明天"),
        ("today", "今天的日子"),
        ("today", "两小时零一秒后"),
        ("today", "今天最后一秒"),
        ("later", "明天零点"),
        ("later", "后天的日子"),
        ("later", "无期限"),
    ]
    # grouped under headings with counts; the item of beiyuan (not run there, not reached) is not shown
    assert re.findall(r'<h2 id="q-\w+"[^>]*>(.*?) <span class="count">\((\d+)\)</span>', page.text) == [
        ("逾期", "3"), ("即将到期", "3"), ("今天到期", "3"), ("以后", "3"),
    ]
    assert "别的社区" not in page.text
    assert '<span class="tag">风筝</span>' in page.text
    assert 'href="/c/hepan/kite/kites"' in page.text


async def test_items_of_a_scene_switched_off_or_beyond_the_viewer_are_not_shown(world):
    await enable(world.mh, "hepan", "kite")
    await enable(world.mh, "beiyuan", "kite")
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
        assert "别的社区" not in (await client.get("/queue")).text  # beiyuan runs kite, the worker does not reach it
    async with make_page_client(world.mh, world.staff["street_admin"]["id"]) as client:
        rows = queue_rows((await client.get("/queue")).text)
        assert rows[0] == ("red", "别的社区") and len(rows) == 13  # the street reaches both
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
        from meihao.register.community_scenarios import disable

        await disable(world.mh, "hepan", "kite")
        page = await client.get("/queue")
        assert queue_rows(page.text) == []
        assert re.findall(r'role="status">(.*?)</p>', page.text) == ["没有等您处理的事项。"]


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_scene_whose_queue_fails_is_named_and_the_others_still_show(world):
    await enable(world.mh, "hepan", "kite")
    await enable(world.mh, "hepan", "gale")
    kept = Kept()
    logging.getLogger("meihao.console.queue").addHandler(kept)
    try:
        async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
            page = await client.get("/queue")
    finally:
        logging.getLogger("meihao.console.queue").removeHandler(kept)
    assert page.status_code == 200
    assert re.findall(r'class="alert" role="alert">(.*?)</p>', page.text) == ["“大风”的事项暂时无法读取，下面是其他事项。错误已记录。"]
    assert len(queue_rows(page.text)) == 12
    assert [r.getMessage() for r in kept.records] == [f"plugin 'gale': its queue failed for staff {world.staff['grid_worker']['id']}"]
    assert str(kept.records[0].exc_info[1]) == "the gale table is gone"


async def test_a_one_tap_action_posts_with_the_form_token(world):
    await enable(world.mh, "hepan", "lantern")
    hepan = world.community.id
    await Riddle.insert(Riddle(community=hepan, question="千条线万条线", answer="雨"), Riddle(community=hepan, question="麻屋子", answer="花生"))
    first = (await Riddle.select(Riddle.id).order_by(Riddle.id).first())["id"]
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
        page = await client.get("/queue")
        # due at 19:00 tonight: due today; the action button posts to the scene's page with the token
        assert queue_rows(page.text) == [("today", "灯谜：千条线万条线"), ("today", "灯谜：麻屋子")]
        assert f'<form class="queue-action" method="post" action="/c/hepan/lantern/riddles/{first}/solve">' in page.text
        assert page.text.count('name="_csrf_token"') == 3  # two actions and the logout form
        assert re.findall(r'aria-describedby="qi-today-1">(.*?)</button>', page.text) == ["猜中了"]
        # without the token: refused (the 403 page), nothing changes
        refused = await client.post(f"/c/hepan/lantern/riddles/{first}/solve", data={"next": "/queue"})
        assert refused.status_code == 403
        assert await Riddle.count() == 2
        token = await form_token(client, "/queue")
        done = await client.post(f"/c/hepan/lantern/riddles/{first}/solve", data={"next": "/queue", "_csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, "/queue")
        assert queue_rows((await client.get("/queue")).text) == [("today", "灯谜：麻屋子")]
    # a part-time worker may read riddles but not solve them: the item without the button
    part_time = await world.factories.staff("grid_part_time", grid_id=world.grids["A"])
    async with make_page_client(world.mh, part_time["id"]) as client:
        page = await client.get("/queue")
        assert queue_rows(page.text) == [("today", "灯谜：麻屋子")]
        assert 'class="queue-action"' not in page.text


async def test_the_kernels_items_failed_reminders_of_what_i_planned_and_activities_today(world):
    mh = world.mh
    planner = world.staff["community_admin"]
    # planned at 08:00 for 09:30 today, reminded an hour before; one resident in each grid
    activity = await create_activity(mh, "hepan", ActivityIn(
        scene="neighbourhood", title="邻里议事会", venue="议事厅", starts_at=datetime(2026, 3, 2, 9, 30), ends_at=datetime(2026, 3, 2, 11, 0),
        audience={"everyone": True}, reminder_offsets=[60],
    ))
    await audit(await principal_for(mh, planner), "meihao.activity.create", "activity", activity["id"], community_id=world.community.id)
    tomorrow = await create_activity(mh, "hepan", ActivityIn(
        scene="neighbourhood", title="明天的活动", starts_at=datetime(2026, 3, 3, 9, 0), ends_at=datetime(2026, 3, 3, 10, 0), reminder_offsets=[],
        audience={"everyone": True},
    ))
    assert tomorrow["id"] != activity["id"]
    world.travel_to(world.at(2026, 3, 2, 8, 45))
    await world.drain()
    sent = await Reminder.select(Reminder.id, Reminder.recipient_id).where(Reminder.activity == activity["id"], Reminder.recipient_kind == "resident")
    assert len(sent) == 2
    await Reminder.update({Reminder.status: "failed", Reminder.last_error: "no route"}).where(Reminder.activity == activity["id"])
    async with make_page_client(mh, planner["id"]) as client:
        page = await client.get("/queue")
        assert queue_rows(page.text) == [
            ("red", f"{len(sent)} 条“邻里议事会”的提醒未能送达"),
            ("yellow", "邻里议事会，地点：议事厅"),  # starts at 09:30, within two hours
        ]
        assert f'href="/activities/{activity["id"]}"' in page.text
        assert "开始于 09:30" in page.text
    # the grid worker of grid A did not plan it: the activity today only
    async with make_page_client(mh, world.staff["grid_worker"]["id"]) as client:
        assert queue_rows((await client.get("/queue")).text) == [("yellow", "邻里议事会，地点：议事厅")]
    # once it has ended it leaves the queue; a week after the reminders' due time, so do the failures
    world.travel_to(world.at(2026, 3, 2, 11, 0))
    async with make_page_client(mh, planner["id"]) as client:
        assert queue_rows((await client.get("/queue")).text) == [("red", "2 条“邻里议事会”的提醒未能送达")]
    world.travel_to(world.at(2026, 3, 9, 8, 31))  # the reminders fell due at 08:30 a week before
    async with make_page_client(mh, planner["id"]) as client:
        assert queue_rows((await client.get("/queue")).text) == []


async def test_failed_reminders_count_only_recipients_in_the_viewers_scope(world):
    mh = world.mh
    worker = world.staff["grid_worker"]  # grid A: 王秀英 only
    activity = await create_activity(mh, "hepan", ActivityIn(
        scene="neighbourhood", title="健康讲座", starts_at=datetime(2026, 3, 2, 9, 30), ends_at=datetime(2026, 3, 2, 11, 0),
        audience={"everyone": True}, reminder_offsets=[60],
    ))
    await audit(await principal_for(mh, worker), "meihao.activity.create", "activity", activity["id"], community_id=world.community.id)
    world.travel_to(world.at(2026, 3, 2, 8, 45))
    await world.drain()
    await Reminder.update({Reminder.status: "failed"}).where(Reminder.activity == activity["id"])
    assert await Reminder.count().where(Reminder.activity == activity["id"], Reminder.status == "failed") == 2
    async with make_page_client(mh, worker["id"]) as client:
        assert queue_rows((await client.get("/queue")).text)[0] == ("red", "1 条“健康讲座”的提醒未能送达")


async def test_the_queue_in_english(world):
    await enable(world.mh, "hepan", "kite")
    await enable(world.mh, "hepan", "gale")
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
        client.cookies.set("meihao_lang", "en")
        page = await client.get("/queue")
    assert re.findall(r'<h1>(.*?)</h1>', page.text) == ["My queue"]
    assert queue_rows(page.text)[0] == ("red", "昨天的日子 (en)")
    assert "The items of Gales could not be loaded just now" in page.text


async def _kestrel_queue(meihao, principal):
    now = meihao.clock.now()
    return [QueueItem("队列的红项", "red in the queue", "nests", "hepan", now - timedelta(days=1), "red"),
            QueueItem("队列的黄项", "yellow in the queue", "nests", "hepan", now, "yellow")]


async def _kestrel_overdue(meihao, principal):
    return [QueueItem("总览的红项", "red for the overview", "nests", "hepan", meihao.clock.now() - timedelta(days=2), "red")]


class Kestrel(Kite):
    """A throwaway scene that gives the overview its red items (``overdue``) besides its queue."""

    @hookimpl
    def meihao_scenario(self):
        return Scenario(name="kestrel", title_zh="红隼", title_en="Kestrels", scene="neighbourhood", version="1.0")

    @hookimpl
    def meihao_console_pages(self):
        return ConsolePages(queue=_kestrel_queue, overdue=_kestrel_overdue)


@pytest_asyncio.fixture
async def birds(make_meihao) -> SceneWorld:
    mh = await make_meihao(plugins=[("kite", Kite()), ("kestrel", Kestrel())])
    return await SceneWorld.build(mh)


def overdue_titles(html: str) -> list[str]:
    """The overdue items a community's section of the overview lists."""
    found = re.search(r'<div class="overdue".*?</div>', html, re.S)
    return re.findall(r'<span class="badge tone-alert">[^<]*</span> <a href="[^"]+">([^<]+)</a>', found.group(0)) if found else []


async def test_the_overview_lists_a_scenes_overdue_items_or_else_the_red_items_of_its_queue(birds):
    """Kestrel gives ``overdue``: the overview shows its items (and not its queue's); the kite scene gives none: the overview
    keeps the items of its queue that call themselves red (only those: the queue page works out the rest's urgency)."""
    await enable(birds.mh, "hepan", "kestrel")
    async with make_page_client(birds.mh, birds.staff["grid_worker"]["id"]) as client:
        overview = await client.get("/")
        queue = await client.get("/queue")
    assert overdue_titles(overview.text) == ["总览的红项"]
    assert [title for _, title in queue_rows(queue.text)] == ["队列的红项", "队列的黄项"]

    await enable(birds.mh, "hepan", "kite")
    async with make_page_client(birds.mh, birds.staff["grid_worker"]["id"]) as client:
        overview = await client.get("/")
    assert overdue_titles(overview.text) == ["总览的红项"]  # none of the kite's items is red of its own
    KITE_ITEMS.append(("自称逾期", None, "red"))
    try:
        async with make_page_client(birds.mh, birds.staff["grid_worker"]["id"]) as client:
            overview = await client.get("/")
    finally:
        KITE_ITEMS.pop()
    assert overdue_titles(overview.text) == ["总览的红项", "自称逾期"]  # the scenes in the order the kernel asks them
