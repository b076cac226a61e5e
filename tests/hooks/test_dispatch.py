"""How the kernel calls hooks: wrappers refused at load, owner-only hooks refused to non-scenarios, static answers asked once."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from meihao import ActivityIn, Audience, Channel, Permission, PluginError, create_activity, hookimpl
from meihao.testing import drain, make_client
from tests.reminders.conftest import build_street


class NewStyleWrapper:
    @hookimpl(wrapper=True)
    def meihao_channels(self):
        return (yield)


class OldStyleWrapper:
    @hookimpl(hookwrapper=True)
    def meihao_permissions(self):
        yield


@pytest.mark.parametrize(("plugin", "hook"), [(NewStyleWrapper(), "meihao_channels"), (OldStyleWrapper(), "meihao_permissions")])
def test_a_hook_wrapper_is_refused_when_the_plugin_loads(make_plugins, plugin, hook):
    with pytest.raises(PluginError) as caught:
        make_plugins(("wrapping", plugin))
    assert caught.value.plugin == "wrapping"
    assert str(caught.value) == (
        f"plugin 'wrapping': {hook} is a hook wrapper (hookwrapper=True or wrapper=True); meihao asks each implementation "
        "in turn and does not run wrappers: implement the hook plainly"
    )


class SwitchListener:
    """Not a scenario, but listens to switches the old way."""

    @hookimpl
    def meihao_community_enabled(self, scenario):
        return None


class Renderer:
    @hookimpl
    def meihao_render_reminder(self, reminder):
        return "mine"


def test_a_plugin_that_is_no_scenario_may_not_implement_a_scenario_hook(make_plugins):
    with pytest.raises(PluginError) as caught:
        make_plugins(("listener", SwitchListener()))
    assert str(caught.value) == (
        "plugin 'listener': implements meihao_community_enabled, which is asked only of the scenario concerned, "
        "and provides no scenario (to hear of every switch, implement meihao_scenario_switched)"
    )
    with pytest.raises(PluginError) as caught:
        make_plugins(("renderer", Renderer()))
    assert str(caught.value) == (
        "plugin 'renderer': implements meihao_render_reminder, which is asked only of the scenario concerned, and provides no scenario"
    )


class Counting:
    """A channel, an audience and a permission that count how often they are asked for."""

    def __init__(self) -> None:
        self.asked = {"channels": 0, "audiences": 0, "permissions": 0}
        self.sent = 0

    @hookimpl
    def meihao_channels(self):
        self.asked["channels"] += 1

        async def send(message):
            self.sent += 1

        return [Channel("counter", "计数", "Counter", send, needs_address=False)]

    @hookimpl
    def meihao_audiences(self):
        self.asked["audiences"] += 1
        from meihao.tables import Resident

        return [Audience("counting.all", "全部", "Everyone", lambda community_id: Resident.select(Resident.id).where(Resident.community == community_id))]

    @hookimpl
    def meihao_permissions(self):
        self.asked["permissions"] += 1
        return [Permission("counting.read", "Read", roles=("grid_worker",))]


async def test_channels_audiences_and_permissions_are_asked_once_across_many_deliveries_and_requests(make_meihao):
    counting = Counting()
    mh = await make_meihao(plugins=[("counting", counting)])
    assert counting.asked == {"channels": 1, "audiences": 1, "permissions": 1}
    street = await build_street(mh)
    worker = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    for day in range(5):  # five activities, each fanned out and delivered in rounds of its own
        await create_activity(mh, "hepan", ActivityIn(
            scene="service", title=f"活动{day}", starts_at=datetime(2026, 3, 10 + day, 9, 0), ends_at=datetime(2026, 3, 10 + day, 10, 0),
            audience={"named": ["counting.all"]}, reminder_offsets=[60], channels=["counter", "inbox"],
        ))
        street.clock.set(datetime(2026, 3, 10 + day, 0, 30, tzinfo=timezone.utc))
        assert (await drain(street.engine)).sent == 10  # the five residents of hepan, on two channels
    assert counting.sent == 25
    async with make_client(mh, worker["id"]) as client:
        for _ in range(5):
            assert (await client.get("/api/residents")).status_code == 200
        assert (await client.get("/api/permissions")).status_code == 200
    assert counting.asked == {"channels": 1, "audiences": 1, "permissions": 1}
