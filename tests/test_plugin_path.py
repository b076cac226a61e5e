"""A plugin defined in the tests proves the whole path: tables, routes, settings, switching, failures."""

from __future__ import annotations

import importlib

import pytest

from meihao import PluginError
from meihao.testing import Factories, make_client
from tests.sample_plugins import broken
from tests.sample_plugins.lantern import EVENTS
from tests.sample_plugins.lantern.tables import Riddle


async def test_plugin_table_is_migrated(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    assert await mh.db.pending_migrations() == []
    applied = {row["app_name"] for row in await mh.db.engine.run_ddl("SELECT app_name FROM migration")}
    # every loaded plugin's app (the built-in scenarios' too), the throwaway plugin's among them
    expected = {importlib.import_module(path).APP_CONFIG.app_name for path in mh.plugins.piccolo_apps()}
    assert applied == expected and {"user", "meihao", "lantern"} <= applied
    assert await Riddle.count() == 0


async def test_routes_answer_only_where_enabled(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    factories = Factories(mh)
    await factories.community("hepan")
    await factories.community("huayang")
    async with make_client(mh) as client:
        response = await client.put("/api/communities/hepan/scenarios/lantern", json={"settings": {"riddles_per_night": 3}})
        assert response.status_code == 200, response.text
        assert response.json()["enabled"] is True
        assert response.json()["settings"] == {"riddles_per_night": 3, "prize": "汤圆"}

        created = await client.post("/api/communities/hepan/lantern/riddles", json={"question": "画时圆，写时方", "answer": "日"})
        assert created.status_code == 201
        listed = await client.get("/api/communities/hepan/lantern/riddles")
        assert [r["question"] for r in listed.json()] == ["画时圆，写时方"]

        elsewhere = await client.get("/api/communities/huayang/lantern/riddles")
        assert elsewhere.status_code == 404
        assert "not enabled" in elsewhere.json()["detail"]
        nowhere = await client.get("/api/communities/nowhere/lantern/riddles")
        assert nowhere.status_code == 404

        community = await client.get("/api/communities/hepan")
        assert community.json()["scenarios"] == ["lantern"]
    assert EVENTS == [("enabled", "hepan", "3")]


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"riddles_per_night": "many"}, "settings.riddles_per_night"),
        ({"riddles_per_night": 0}, "settings"),
        ({"colour": "red"}, "settings"),
    ],
)
async def test_invalid_settings_are_refused_naming_the_field(make_meihao, lantern_plugin, settings, field):
    mh = await make_meihao(plugins=[lantern_plugin])
    await Factories(mh).community("hepan")
    async with make_client(mh) as client:
        response = await client.put("/api/communities/hepan/scenarios/lantern", json={"settings": settings})
        assert response.status_code == 400
        assert response.json()["field"] == field
        assert response.json()["detail"].startswith(field)
        if "riddles_per_night" in settings and settings["riddles_per_night"] == 0:
            assert "riddles_per_night must be at least 1" in response.json()["detail"]
        if "colour" in settings:
            assert "colour" in response.json()["detail"]
        scenarios = (await client.get("/api/communities/hepan/scenarios")).json()
    assert scenarios[0]["enabled"] is False  # nothing was stored
    assert EVENTS == []


async def test_disabling_keeps_rows_and_reenabling_brings_them_back(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    await Factories(mh).community("hepan")
    async with make_client(mh) as client:
        await client.put("/api/communities/hepan/scenarios/lantern", json={"settings": {"prize": "花灯"}})
        await client.post("/api/communities/hepan/lantern/riddles", json={"question": "q", "answer": "a"})

        disabled = await client.delete("/api/communities/hepan/scenarios/lantern")
        assert disabled.status_code == 200 and disabled.json()["enabled"] is False
        assert (await client.get("/api/communities/hepan/lantern/riddles")).status_code == 404
        assert await Riddle.count() == 1

        again = await client.put("/api/communities/hepan/scenarios/lantern")
        assert again.json()["settings"]["prize"] == "花灯"  # the stored settings came back too
        assert len((await client.get("/api/communities/hepan/lantern/riddles")).json()) == 1

        twice = await client.delete("/api/communities/hepan/scenarios/lantern")
        assert twice.status_code == 200
        thrice = await client.delete("/api/communities/hepan/scenarios/lantern")
        assert thrice.status_code == 400
    assert [e[0] for e in EVENTS] == ["enabled", "disabled", "enabled", "disabled"]


async def test_unknown_scenario_is_404(meihao_client, factories):
    await factories.community("hepan")
    response = await meihao_client.put("/api/communities/hepan/scenarios/no_such_scene")
    assert response.status_code == 404
    assert "not installed" in response.json()["detail"]


async def test_demo_data_and_metrics_hooks(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    community = await Factories(mh).community("hepan")
    from meihao.register.community_scenarios import enable, scenario_settings

    await enable(mh, "hepan", "lantern", {"riddles_per_night": 4})
    settings = await scenario_settings(mh, community["id"], "lantern")
    await mh.plugins.demo_data(community, "lantern", settings, seed=1)
    async with make_client(mh) as client:
        dashboard = (await client.get("/api/communities/hepan/dashboard")).json()
    assert dashboard == [{"scenario": "lantern", "key": "riddles", "title_zh": "灯谜数", "title_en": "Riddles", "value": 4}]


async def test_permissions_hook_collects_kernel_and_plugin_permissions(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin])
    async with make_client(mh) as client:
        names = {p["name"] for p in (await client.get("/api/permissions")).json()}
    assert {"meihao.resident.reveal", "lantern.riddle.write"} <= names


async def test_cli_hook_adds_a_command(make_meihao, lantern_plugin):
    import click
    from click.testing import CliRunner

    mh = await make_meihao(plugins=[lantern_plugin])
    group = click.Group("meihao")
    mh.plugins.extend_cli(group)
    result = CliRunner().invoke(group, ["lantern-count"])
    assert result.output == "lanterns: lit\n"


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (broken.WrongAnswer(), "meihao_permissions must return a list, got str"),
        (broken.WrongScenarioType(), "meihao_scenario must return a meihao.Scenario, got dict"),
        (broken.MissingDependency(), "depends on 'no_such_plugin'"),
        (broken.MisnamedScenario(), "must equal the plugin name"),
        (broken.UnknownHook(), "unknown hook 'meihao_no_such_hook'"),
        (broken.RaisesInHook(), "meihao_permissions raised RuntimeError: database of permissions is on fire"),
        (broken.ForeignPermission(), "must start with 'bad_plugin'"),
        ("tests.sample_plugins.raises_on_import", "failed to import: ImportError: this plugin needs a library"),
    ],
)
async def test_broken_plugin_stops_start_up_naming_it(make_meihao, plugin, message):
    name = "needs_more" if isinstance(plugin, broken.MissingDependency) else "bad_plugin"
    with pytest.raises(PluginError) as caught:
        await make_meihao(plugins=[(name, plugin)])
    assert caught.value.plugin == name
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_essential_plugin_cannot_be_disabled(make_meihao):
    with pytest.raises(PluginError, match="essential"):
        await make_meihao(disabled_plugins=["meihao.scheduling.hookimpls"])


async def test_disabled_plugin_is_not_loaded(make_meihao, lantern_plugin):
    mh = await make_meihao(plugins=[lantern_plugin], disabled_plugins=["lantern"])
    assert "lantern" not in mh.plugins.loaded
    assert "lantern" not in mh.plugins.scenarios
