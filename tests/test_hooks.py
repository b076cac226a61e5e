"""One test per hook, named ``test_hook_<hook>`` (Datasette's convention; tests/test_meta.py checks
that every hookspec has one): each registers a throwaway plugin inside the test, or the lantern
sample scenario, and checks what the kernel does with the plugin's answer.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import click
from click.testing import CliRunner

from meihao import Audience, Channel, Job, Scenario, hookimpl
from meihao.access.roles import role_permissions
from meihao.register.communities import get_community
from meihao.register.community_scenarios import disable, enable
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.audiences import parse_audience, preview
from meihao.reminders.engine import ReminderEngine
from meihao.scheduling.scheduler import planned_schedules
from meihao.testing import Factories, drain, make_client
from meihao.time.clock import FakeClock
from tests.sample_plugins import lantern
from tests.sample_plugins.lantern.tables import Riddle

MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)  # 08:00 in Shanghai


async def test_hook_meihao_scenario(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    scenario = mh.plugins.scenarios["lantern"]
    assert (scenario.name, scenario.title_zh, scenario.title_en, scenario.scene, scenario.version) == (
        "lantern", "灯谜", "Lantern riddles", "neighbourhood", "1.0")
    async with make_client(mh) as client:
        listed = {p["name"]: p for p in (await client.get("/api/plugins")).json()}
    assert listed["lantern"]["scene"] == "neighbourhood"


async def test_hook_meihao_piccolo_apps(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    assert "tests.sample_plugins.lantern.piccolo_app" in mh.plugins.piccolo_apps()
    # its migration ran: the table exists and starts empty
    assert await Riddle.count() == 0


async def test_hook_meihao_route_handlers(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    await Factories(mh).community("hepan")
    await enable(mh, "hepan", "lantern")
    async with make_client(mh) as client:
        posted = await client.post("/api/communities/hepan/lantern/riddles", json={"question": "千条线万条线", "answer": "雨"})
        assert posted.status_code == 201, posted.text
        listed = await client.get("/api/communities/hepan/lantern/riddles")
    assert listed.status_code == 200
    assert listed.json() == [{"id": posted.json()["id"], "question": "千条线万条线"}]  # the answer stays secret
    # mounted under the community: another community's path is another list
    assert await Riddle.count() == 1


def _tick() -> None:
    """The job of the throwaway plugin below."""


class Lamplighter:
    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario(name="lamplighter", title_zh="点灯", title_en="Lamplighter", scene="neighbourhood", version="1")

    @hookimpl
    def meihao_jobs(self) -> list[Job]:
        return [Job("lamplighter.dusk", _tick, ("cron", {"hour": 18, "minute": 0}), per_community=True)]


async def test_hook_meihao_jobs(make_meihao):
    mh = await make_meihao(plugins=[("lamplighter", Lamplighter())])
    f = Factories(mh)
    await f.community("hepan")
    await f.community("quiet")
    await enable(mh, "hepan", "lamplighter")
    ids = {p.id for p in await planned_schedules(mh) if p.id.startswith("meihao:lamplighter.")}
    assert ids == {"meihao:lamplighter.dusk@hepan"}  # per community: only where the scenario is on


class Elders:
    @hookimpl
    def meihao_audiences(self) -> list[Audience]:
        from meihao.tables import ResidentTag

        return [Audience("elders.tagged", "长者", "Elders", lambda community_id: ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == "elder"))]


async def test_hook_meihao_audiences(make_meihao):
    mh = await make_meihao(plugins=[("elders", Elders())])
    f = Factories(mh)
    place = await f.place("hepan")
    await f.resident(place["household_id"], name="王秀英", tags=["elder"], birth_date=date(1950, 1, 1))
    await f.resident(place["household_id"], name="李建国", birth_date=date(1990, 1, 1))
    elsewhere = await f.place("beta")
    await f.resident(elsewhere["household_id"], name="外人", tags=["elder"], birth_date=date(1950, 1, 1))
    community = await get_community("hepan")
    result = await preview(mh, parse_audience(mh, {"named": ["elders.tagged"]}), community, date(2026, 3, 2))
    assert result["residents"] == 1  # the elder of the other community is not in this one's audience
    assert [s["name"] for s in result["sample"]] == ["王*英"]


class Pigeons:
    """A channel plugin (not a scenario): it delivers, it does not write the text."""

    def __init__(self) -> None:
        self.sent: list = []

    @hookimpl
    def meihao_channels(self) -> list[Channel]:
        async def send(message) -> None:
            self.sent.append(message)

        return [Channel("pigeon", "信鸽", "Carrier pigeon", send, needs_address=False)]


class Opera:
    """A throwaway scenario whose renderer has no guard: it is asked only for the activities it owns."""

    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario(name="opera", title_zh="戏曲", title_en="Opera", scene="culture", version="1.0")

    @hookimpl
    def meihao_render_reminder(self, reminder, recipient, language):
        return f"{recipient['name']}：{reminder['activity']['title']}"


async def _one_reminder(mh, scene: str, title: str, scenario: str | None = None) -> None:
    mh.clock = FakeClock(MONDAY)
    f = Factories(mh)
    place = await f.place("hepan")
    resident = await f.resident(place["household_id"], name="王秀英")
    await create_activity(mh, "hepan", ActivityIn(
        scene=scene, title=title, venue="荷畔广场", starts_at=datetime(2026, 3, 7, 9), ends_at=datetime(2026, 3, 7, 11),
        audience={"residents": [resident["id"]]}, channels=["pigeon"], reminder_offsets=[1440]), scenario=scenario)
    mh.clock.set(datetime(2026, 3, 6, 1, 0, tzinfo=timezone.utc))
    assert (await drain(ReminderEngine(mh))).sent == 1


async def test_hook_meihao_channels(make_meihao):
    pigeons = Pigeons()
    mh = await make_meihao(plugins=[("pigeons", pigeons)])
    await _one_reminder(mh, "markets", "睦邻善市")
    assert [m.body for m in pigeons.sent] == ["尊敬的王秀英阿姨：\n睦邻善市将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——社区1居民委员会"]


async def test_hook_meihao_render_reminder(make_meihao):
    pigeons = Pigeons()
    mh = await make_meihao(plugins=[("pigeons", pigeons), ("opera", Opera())])
    await _one_reminder(mh, "culture", "吕剧《李二嫂改嫁》", scenario="opera")
    await _one_reminder(mh, "neighbourhood", "黄梅戏《天仙配》")  # not opera's: the kernel's default text
    assert [m.body for m in pigeons.sent] == [
        "尊敬的王秀英阿姨：\n王秀英：吕剧《李二嫂改嫁》\n——社区1居民委员会",
        "尊敬的王秀英阿姨：\n黄梅戏《天仙配》将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——社区1居民委员会",
    ]


async def test_hook_meihao_permissions(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    granted = role_permissions(mh)
    assert {p for p in granted["grid_worker"] if p.startswith("lantern.")} == {"lantern.riddle.read", "lantern.riddle.write"}
    assert {p for p in granted["grid_leader"] if p.startswith("lantern.")} == {"lantern.riddle.read"}
    assert {p for p in granted["dispatched"] if p.startswith("lantern.")} == set()
    async with make_client(mh) as client:
        names = {p["name"] for p in (await client.get("/api/permissions")).json()}
    assert {n for n in names if n.startswith("lantern.")} == {"lantern.riddle.read", "lantern.riddle.write"}


async def test_hook_meihao_cli(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    group = click.Group("meihao")
    mh.plugins.extend_cli(group)
    assert "lantern-count" in group.commands
    result = CliRunner().invoke(group, ["lantern-count"])
    assert (result.exit_code, result.output) == (0, "lanterns: lit\n")


async def test_hook_meihao_community_enabled(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    await Factories(mh).community("hepan")
    await enable(mh, "hepan", "lantern", {"riddles_per_night": 3})
    assert lantern.EVENTS == [("enabled", "hepan", "3")]


async def test_hook_meihao_community_disabled(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    await Factories(mh).community("hepan")
    await enable(mh, "hepan", "lantern")
    await disable(mh, "hepan", "lantern")
    assert lantern.EVENTS == [("enabled", "hepan", "10"), ("disabled", "hepan", "")]


class Watcher:
    """A kernel extension (not a scenario) that hears every switch of every scenario."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str, bool]] = []

    @hookimpl
    async def meihao_scenario_switched(self, community, scenario, enabled, meihao) -> None:
        self.heard.append((community["slug"], scenario, enabled))


async def test_hook_meihao_scenario_switched(make_meihao, lantern_plugin):
    watcher = Watcher()
    mh = await make_meihao(plugins=[lantern_plugin, ("watcher", watcher)])
    await Factories(mh).community("hepan")
    await enable(mh, "hepan", "lantern")
    await enable(mh, "hepan", "markets")
    await disable(mh, "hepan", "lantern")
    assert watcher.heard == [("hepan", "lantern", True), ("hepan", "markets", True), ("hepan", "lantern", False)]
    assert lantern.EVENTS == [("enabled", "hepan", "10"), ("disabled", "hepan", "")]  # markets' switch is not lantern's


async def test_hook_meihao_demo_data(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    await Factories(mh).community("hepan")
    community = await get_community("hepan")
    await mh.plugins.demo_data(community, "lantern", lantern.LanternSettings(riddles_per_night=4), 7, mh)
    assert [r["question"] for r in await Riddle.select(Riddle.question).order_by(Riddle.id)] == ["谜面0", "谜面1", "谜面2", "谜面3"]
    # only the named scenario's plugin answers
    await mh.plugins.demo_data(community, "markets", lantern.LanternSettings(riddles_per_night=4), 7, mh)
    assert await Riddle.count() == 4


async def test_hook_meihao_metrics(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    await Factories(mh).community("hepan")
    await enable(mh, "hepan", "lantern")
    community = await get_community("hepan")
    await Riddle.insert(Riddle(community=community["id"], question="q1", answer="a1"), Riddle(community=community["id"], question="q2", answer="a2"))
    async with make_client(mh) as client:
        dashboard = (await client.get("/api/communities/hepan/dashboard")).json()
    assert [m for m in dashboard if m["scenario"] == "lantern"] == [
        {"scenario": "lantern", "key": "riddles", "title_zh": "灯谜数", "title_en": "Riddles", "value": 2}]


class Diary:
    """A throwaway plugin keeping notes about residents in memory."""

    def __init__(self) -> None:
        self.notes: dict[int, list[str]] = {}

    @hookimpl
    def meihao_resident_data(self, resident_id):
        return {"notes": self.notes[resident_id]} if resident_id in self.notes else None

    @hookimpl
    async def meihao_erase_resident(self, resident_id):
        if resident_id not in self.notes:
            return None
        if self.notes[resident_id] == ["fail"]:
            raise RuntimeError("disk full")
        return {"notes": len(self.notes.pop(resident_id))}


class WrongDiary:
    @hookimpl
    def meihao_resident_data(self, resident_id):
        return ["not", "a", "dict"]


async def test_hook_meihao_resident_data(make_meihao):
    diary = Diary()
    mh = await make_meihao(plugins=[("diary", diary)])
    f = Factories(mh)
    written, silent = await f.resident(name="赵大海"), await f.resident(name="钱小红")
    diary.notes[written["id"]] = ["喜欢下象棋", "腿脚不便"]
    async with make_client(mh) as client:
        with_notes = (await client.get(f"/api/residents/{written['id']}/export")).json()["plugins"]
        without = (await client.get(f"/api/residents/{silent['id']}/export")).json()["plugins"]
    assert with_notes == {"diary": {"notes": ["喜欢下象棋", "腿脚不便"]}}  # the kernel's reminders hold nothing about them
    assert without == {}
    # an answer that is not a dict names the plugin
    mh2 = await make_meihao(plugins=[("wrong", WrongDiary())])
    resident = await Factories(mh2).resident(name="孙一")
    from meihao.errors import PluginError
    from meihao.register.rights import export_resident

    try:
        await export_resident(mh2, resident["id"])
    except PluginError as err:
        assert err.message == "plugin 'wrong': meihao_resident_data must return a dict with str keys or None, got list"
    else:  # pragma: no cover
        raise AssertionError("a list answer was accepted")


async def test_hook_meihao_erase_resident(make_meihao):
    from meihao.errors import PluginError
    from meihao.register.rights import erase_resident
    from meihao.tables import Resident

    diary = Diary()
    mh = await make_meihao(plugins=[("diary", diary)])
    f = Factories(mh)
    kept, failing = await f.resident(name="赵大海"), await f.resident(name="钱小红")
    diary.notes[kept["id"]] = ["喜欢下象棋", "腿脚不便"]
    diary.notes[failing["id"]] = ["fail"]
    result = await erase_resident(mh, kept["id"], "本人申请删除")
    assert result["erased"]["diary"] == {"notes": 2}
    assert kept["id"] not in diary.notes
    # a plugin that raises undoes the whole erasure: the register entry is untouched
    try:
        await erase_resident(mh, failing["id"], "本人申请删除")
    except PluginError as err:
        assert err.message == "plugin 'diary': meihao_erase_resident raised RuntimeError: disk full"
    else:  # pragma: no cover
        raise AssertionError("the failing erasure went through")
    assert await Resident.select(Resident.name).where(Resident.id == failing["id"]).first() == {"name": "钱小红"}


async def test_hook_meihao_console_pages(make_meihao, lantern_plugin):
    from meihao.testing import ANONYMOUS, make_page_client

    mh = await make_meihao(plugins=[lantern_plugin])
    f = Factories(mh)
    await f.community("hepan")
    await f.community("xinhe")
    hepan = await get_community("hepan")
    await Riddle.insert(Riddle(community=hepan.id, question="千条线万条线", answer="雨"))
    async with make_page_client(mh) as client:
        # switched off: the page is the console's 404 page, the overview shows no card
        assert (await client.get("/c/hepan/lantern/riddles")).status_code == 404
        await enable(mh, "hepan", "lantern")
        page = await client.get("/c/hepan/lantern/riddles")
        assert page.status_code == 200, page.text
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        # the plugin's template, inside the layout, translated by the plugin's own catalogue
        assert f"<h1>{hepan.name}的灯谜</h1>" in page.text
        assert "<li>千条线万条线</li>" in page.text
        assert "雨" not in page.text.split("<main")[1]  # the answer is not on the page
        overview = (await client.get("/")).text
        assert 'href="/c/hepan/lantern/riddles"' in overview  # the menu link
        panels = (await client.get("/overview/hepan/scenes")).text  # the overview's scene panels, after the page
        assert '<span class="value">1</span><span class="label">灯谜</span>' in panels  # the card
        assert 'href="/c/xinhe/lantern/riddles"' not in overview  # xinhe does not run it
        client.cookies.set("meihao_lang", "en")
        english = await client.get("/c/hepan/lantern/riddles")
        assert "Riddles of " in english.text
    # a community admin of xinhe does not reach hepan: the 403 page; anonymous: to the login page
    xinhe_admin = await f.staff("community_admin", community="xinhe")
    async with make_page_client(mh, xinhe_admin["id"]) as client:
        assert (await client.get("/c/hepan/lantern/riddles")).status_code == 403
    async with make_page_client(mh, ANONYMOUS) as client:
        redirect = await client.get("/c/hepan/lantern/riddles")
        assert (redirect.status_code, redirect.headers["location"]) == (303, "/login?next=/c/hepan/lantern/riddles")
