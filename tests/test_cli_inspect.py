"""``meihao plugins`` and every ``--help`` work without a database and write no file; blocked plugins are listed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import msgspec
import pytest

from meihao.cli import cli
from tests.commands import run, run_all

LANTERN = {"MEIHAO_PLUGINS": "lantern=tests.sample_plugins.lantern", "PYTHONPATH": str(Path(__file__).parent.parent)}


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group of the tree, as the words that name it on the command line."""
    paths = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def test_the_walk_reaches_groups_and_their_commands():
    paths = command_paths(cli)
    assert () in paths
    assert ("community",) in paths
    assert ("community", "enable") in paths
    assert ("user", "create") in paths
    assert ("plugins",) in paths


def test_every_help_and_plugins_work_in_an_empty_folder_and_write_nothing(tmp_path):
    runs = [((*path, "--help"), {}) for path in command_paths(cli)] + [(("-h",), {}), (("--version",), {})]
    results = run_all(tmp_path, runs + [(("plugins",), {}), (("plugins", "--json"), {})])
    for result in results:
        assert result.returncode == 0, (result.args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.args
    for result, (args, _) in zip(results, runs):
        if "--version" not in args:
            words = " ".join(a for a in args if not a.startswith("-"))
            assert result.stdout.startswith(f"Usage: meihao {words} [OPTIONS]".replace("  ", " ")), result.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "variables",
    [{"MEIHAO_MODE": "production"}, {"MEIHAO_DATABASE_URL": "postgresql://meihao@127.0.0.1:1/nowhere"}],
    ids=["production-without-key", "postgresql-without-key-or-server"],
)
def test_help_and_plugins_need_no_data_key_and_no_server(tmp_path, variables):
    runs = [(args, variables) for args in (("--help",), ("community", "enable", "--help"), ("plugins",))]
    for result in run_all(tmp_path, runs):
        assert result.returncode == 0, (result.args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.args
    assert list(tmp_path.iterdir()) == []


def test_a_plugins_command_help_writes_nothing_either(tmp_path):
    result = run(tmp_path, "lantern-count", "--help", **LANTERN)
    assert result.returncode == 0, result.stderr
    assert "Say hello from the lantern plugin." in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_without_a_database_plugins_has_no_communities_column(tmp_path):
    result = run(tmp_path, "plugins", MEIHAO_DISABLED_PLUGINS="markets")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["name", "version", "scene", "source", "state"]
    assert rows[0].split() == ["meihao.access.hookimpls", "0.1.0", "-", "kernel", "loaded"]
    assert ["markets", "0.1.0", "-", "built-in", "blocked"] in [row.split() for row in rows]
    assert result.stderr == f"(no migrated database at {tmp_path}/x.db: the communities are not shown)\n"
    listed = {row["name"]: row for row in json.loads(run(tmp_path, "plugins", "--json", MEIHAO_DISABLED_PLUGINS="markets").stdout)}
    assert listed["markets"] == {
        "name": "markets", "version": "0.1.0", "source": "built-in", "essential": False, "scene": None, "state": "blocked", "communities": None,
    }
    assert listed["culture"]["state"] == "loaded"
    assert listed["culture"]["communities"] is None
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def with_lantern(tmp_path_factory) -> Path:
    """A migrated x.db with the lantern plugin, two communities, lantern on in both and markets on in one."""
    folder = tmp_path_factory.mktemp("cli-blocked")
    assert run(folder, "migrate", **LANTERN).returncode == 0
    script = (
        "import asyncio\n"
        "from meihao.runtime import boot\n"
        "from meihao.register.communities import create_community\n"
        "from meihao.register.community_scenarios import enable\n"
        "from meihao.register.schemas import CommunityIn\n"
        "async def main():\n"
        "    mh = boot()\n"
        "    await mh.start()\n"
        "    for slug in ('yinshan', 'hepan'):\n"
        "        await create_community(mh, CommunityIn(slug=slug, name=slug))\n"
        "        await enable(mh, slug, 'lantern', {})\n"
        "    await enable(mh, 'hepan', 'markets', {})\n"
        "    await mh.close()\n"
        "asyncio.run(main())\n"
    )
    import subprocess
    import sys

    from tests.commands import environment

    subprocess.run([sys.executable, "-c", script], cwd=folder, env=environment(folder, LANTERN), check=True, timeout=60)
    return folder


def test_a_blocked_plugin_is_listed_with_the_communities_that_enable_it(with_lantern, tmp_path):
    for name in ("x.db", "x.db.key"):
        shutil.copy(with_lantern / name, tmp_path / name)
    result = run(tmp_path, "plugins", MEIHAO_DISABLED_PLUGINS="lantern,markets", **LANTERN)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["name", "version", "scene", "source", "state", "communities"]
    by_name = {row.split()[0]: row.split() for row in rows}
    assert by_name["markets"] == ["markets", "0.1.0", "-", "built-in", "blocked", "hepan"]
    assert by_name["lantern"] == ["lantern", "0", "-", "registered", "blocked", "hepan,", "yinshan"]
    assert by_name["culture"] == ["culture", "0.1.0", "culture", "built-in", "loaded", "-"]
    assert result.stderr == ""

    loaded = run(tmp_path, "plugins", **LANTERN)
    by_name = {row.split()[0]: row.split() for row in loaded.stdout.splitlines()[1:]}
    assert by_name["lantern"] == ["lantern", "0", "neighbourhood", "registered", "loaded", "hepan,", "yinshan"]
    assert by_name["markets"] == ["markets", "0.1.0", "markets", "built-in", "loaded", "hepan"]


def test_plugins_before_migrate_lists_without_communities(tmp_path):
    (tmp_path / "x.db").write_bytes(b"")  # an empty SQLite file: no kernel tables
    result = run(tmp_path, "plugins")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["name", "version", "scene", "source", "state"]


# -- the listing's service functions, on both databases ----------------------------------------


async def test_the_listing_reads_who_enables_each_plugin_also_when_it_is_blocked(make_meihao, factories, lantern_plugin):
    from meihao.operations.plugin_list import enabled_by_scenario, plugin_rows, render_plugins
    from meihao.register.community_scenarios import enable
    from meihao.testing import boot_for_tests

    mh = await make_meihao(plugins=[lantern_plugin])
    for slug in ("yinshan", "hepan"):
        await factories.community(slug)
        await enable(mh, slug, "lantern", {})
    await mh.close()

    blocked = boot_for_tests(msgspec.structs.replace(mh.settings, disabled_plugins=["lantern"]), [lantern_plugin])
    enabled = await enabled_by_scenario(blocked)
    assert enabled == {"lantern": ["hepan", "yinshan"]}
    rows = {row["name"]: row for row in plugin_rows(blocked, enabled)}
    assert rows["lantern"] == {
        "name": "lantern", "version": "0", "source": "registered", "essential": False, "scene": None, "state": "blocked",
        "communities": ["hepan", "yinshan"],
    }
    assert rows["culture"]["communities"] == []
    table = render_plugins(plugin_rows(blocked, enabled)).splitlines()
    assert table[0] == "name                         version   scene          source                 state    communities"
    assert table[-1] == "lantern                      0         -              registered             blocked  hepan, yinshan"


async def test_without_the_kernels_tables_the_communities_are_not_known(tmp_path):
    from meihao.operations.plugin_list import enabled_by_scenario, plugin_rows
    from meihao.testing import boot_for_tests, settings_for_tests

    missing = boot_for_tests(settings_for_tests(tmp_path / "none.db"))
    assert await enabled_by_scenario(missing) is None
    assert not (tmp_path / "none.db").exists()  # not created by asking
    assert {row["communities"] for row in plugin_rows(missing, None)} == {None}

    (tmp_path / "empty.db").write_bytes(b"")
    assert await enabled_by_scenario(boot_for_tests(settings_for_tests(tmp_path / "empty.db"))) is None
