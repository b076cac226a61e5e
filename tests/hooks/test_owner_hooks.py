"""Scenario hooks reach only their owner: rendering a reminder, a community switching a scenario on or off.

A throwaway scenario here implements the hooks with no ``if activity.scene != …`` or
``if scenario == …`` guard: it must still never take over another scene's reminders or
hear of another scenario's switch. Kernel extensions hear of every switch through
``meihao_scenario_switched``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from meihao import ActivityIn, NoticeIn, Scenario, create_activity, hookimpl, notify
from meihao.register.community_scenarios import disable, enable
from meihao.reminders.recipients import inbox
from meihao.reminders.tables import Activity
from meihao.testing import drain
from tests.reminders.conftest import build_street


class Kites:
    """A scenario of the culture scene whose hooks have no guard at all."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    @hookimpl
    def meihao_scenario(self):
        return Scenario(name="kites", title_zh="风筝", title_en="Kites", scene="culture", version="1.0")

    @hookimpl
    def meihao_render_reminder(self, reminder, language):
        return f"风筝节：{reminder['activity']['title']}"

    @hookimpl
    def meihao_community_enabled(self, community, scenario):
        self.events.append(("enabled", scenario))

    @hookimpl
    def meihao_community_disabled(self, community, scenario):
        self.events.append(("disabled", scenario))


class Watcher:
    """A kernel extension (no scenario) that hears of every switch."""

    def __init__(self) -> None:
        self.switches: list[tuple[str, str, bool]] = []

    @hookimpl
    async def meihao_scenario_switched(self, community, scenario, enabled, meihao):
        assert meihao is not None
        self.switches.append((community["slug"], scenario, enabled))


def _activity(title: str, scene: str, resident_id: int, source: str = "") -> ActivityIn:
    return ActivityIn(
        scene=scene, title=title, venue="荷畔广场", starts_at=datetime(2026, 3, 7, 9, 0), ends_at=datetime(2026, 3, 7, 11, 0),
        audience={"residents": [resident_id]}, reminder_offsets=[1440], source=source,
    )


async def test_a_scenario_without_a_guard_renders_only_its_own_reminders(make_meihao):
    # commerce left out: its scene is then one that no scenario provides
    mh = await make_meihao(plugins=[("kites", Kites())], disabled_plugins=["commerce"])
    street = await build_street(mh)
    wang = street.residents["王秀英"]["id"]
    # the same scene (culture) for all three; only the owner differs
    own = await create_activity(mh, "hepan", _activity("放风筝", "culture", wang), scenario="kites")
    show = await create_activity(mh, "hepan", _activity("吕剧", "culture", wang, source="culture.show:1"), scenario="culture")
    staff_made = await create_activity(mh, "hepan", _activity("读书会", "culture", wang))  # kernel: named like the culture scenario
    plain = await create_activity(mh, "hepan", _activity("便民服务日", "commerce", wang))  # a scene no scenario provides
    assert [(a["scene"], a["scenario"]) for a in (own, show, staff_made, plain)] == [
        ("culture", "kites"), ("culture", "culture"), ("culture", "culture"), ("commerce", ""),
    ]
    street.clock.set(datetime(2026, 3, 6, 1, 0, tzinfo=timezone.utc))
    assert (await drain(street.engine)).sent == 4
    bodies = sorted(m["body"] for m in await inbox("resident", wang))
    assert bodies == sorted([
        "尊敬的王奶奶：\n风筝节：放风筝\n——荷畔社区居民委员会",
        "尊敬的王奶奶：\n【吕剧】3月7日（周六）上午9点在荷畔广场开演，免费观看，欢迎乡亲们来看戏！\n——荷畔社区居民委员会",
        "尊敬的王奶奶：\n读书会将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——荷畔社区居民委员会",
        "尊敬的王奶奶：\n便民服务日将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——荷畔社区居民委员会",
    ])


async def test_a_notice_of_a_scenario_without_a_guard_is_read_as_written_unless_it_renders_it(make_meihao):
    mh = await make_meihao(plugins=[("kites", Kites())])
    street = await build_street(mh)
    wang = street.residents["王秀英"]["id"]
    await notify(mh, "hepan", NoticeIn(key="k:1", title="通知", body="明天放风筝", residents=[wang]), scenario="kites")
    await notify(mh, "hepan", NoticeIn(key="m:1", title="通知", body="摊位已确认", residents=[wang]), scenario="markets")
    await drain(street.engine)
    # kites renders what it owns (even its notices: it asked for it); markets' notice is as written
    assert sorted(m["body"] for m in await inbox("resident", wang)) == ["尊敬的王奶奶：\n摊位已确认\n——荷畔社区居民委员会", "尊敬的王奶奶：\n风筝节：通知\n——荷畔社区居民委员会"]


async def test_switches_reach_the_scenario_switched_and_every_watcher(make_meihao):
    kites, watcher = Kites(), Watcher()
    mh = await make_meihao(plugins=[("kites", kites), ("watcher", watcher)])
    street = await build_street(mh)
    await enable(mh, "hepan", "markets")
    await enable(mh, "hepan", "kites")
    await disable(mh, "hepan", "markets")
    await disable(mh, "hepan", "kites")
    assert kites.events == [("enabled", "kites"), ("disabled", "kites")]
    assert watcher.switches == [("hepan", "markets", True), ("hepan", "kites", True), ("hepan", "markets", False), ("hepan", "kites", False)]
    assert street.community["slug"] == "hepan"


async def test_a_notice_sent_from_a_scenes_code_belongs_to_that_scene(make_meihao):
    """Inferred from the call stack: the markets scene's own code calls notify without scenario=."""
    from meihao.testing import SceneWorld
    from tests.scenarios.markets.conftest import RESIDENTS
    from tests.scenarios.markets.test_concurrency import SYSTEM, _market_day

    mh = await make_meihao()
    w = await SceneWorld.build(mh, "markets", slug="huayang", name="华阳社区", grids={"A": "华阳小区", "B": "澄波湖畔"},
                               residents={name: {"grid": grid} for name, grid in RESIDENTS.items()})
    from meihao.scenarios.markets.schemas import ApplicationIn
    from meihao.scenarios.markets.services.applications import apply, approve

    day_id = await _market_day(w, capacity=1)
    application = await apply(mh, w.community, day_id, ApplicationIn(resident_id=w.residents["王秀英"]["id"], goods="书"), SYSTEM)
    await approve(mh, w.community, application.id, SYSTEM)
    rows = await Activity.select(Activity.scene, Activity.scenario, Activity.source).where(Activity.source.like("notice:%"))
    assert rows == [{"scene": "markets", "scenario": "markets", "source": f"notice:markets.application:{application.id}:approved"}]
    # and the market's own activities too
    assert {(r["scene"], r["scenario"]) for r in await Activity.select(Activity.scene, Activity.scenario)} == {("markets", "markets")}


def test_which_scenario_owns_a_module(make_plugins):
    import tests.sample_plugins.lantern as lantern

    plugins = make_plugins(("lantern", lantern), ("kites", Kites()))
    assert plugins.scenario_of_module("meihao.scenarios.markets.services.applications") == "markets"
    assert plugins.scenario_of_module("meihao.scenarios.markets") == "markets"
    assert plugins.scenario_of_module("meihao.scenarios.marketsx") is None
    assert plugins.scenario_of_module("meihao.reminders.notices") is None
    assert plugins.scenario_of_module("tests.sample_plugins.lantern.routes") == "lantern"
    assert plugins.scenario_of_module("tests.hooks.test_owner_hooks") is None  # Kites is an object: it owns no module
