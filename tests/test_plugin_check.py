"""``meihao plugin check``: the built-in scenes pass; a plugin broken in one way fails exactly that check, in one line."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from tests.commands import run, run_all

REPO = Path(__file__).parent.parent

CHECKS = ["hooks", "tables", "migrations", "settings", "routes", "permissions", "imports"]

# A small third-party scenario, "lamp", written as an outside author would: every check passes.
LAMP: dict[str, str] = {
    "__init__.py": '''
        """lamp: a throwaway scenario for meihao plugin check."""

        from typing import Any

        import msgspec

        from meihao import Job, Permission, Scenario, hookimpl

        from .routes import WickController


        class LampSettings(msgspec.Struct, forbid_unknown_fields=True):
            brightness: int = 3
            colour: str = "warm"


        async def trim(meihao: Any, community: dict[str, Any], now: Any) -> None:
            return None


        @hookimpl
        def meihao_scenario() -> Scenario:
            return Scenario(name="lamp", title_zh="灯", title_en="Lamps", scene="neighbourhood", version="1.0", settings=LampSettings)


        @hookimpl
        def meihao_piccolo_apps() -> list[str]:
            return ["lamp.piccolo_app"]


        @hookimpl
        def meihao_route_handlers() -> list[Any]:
            return [WickController]


        @hookimpl
        def meihao_permissions() -> list[Permission]:
            return [Permission("lamp.wick.read", "See wicks", roles=("community_admin",))]


        @hookimpl
        def meihao_jobs() -> list[Job]:
            return [Job("lamp.trim", trim, ("cron", {"hour": 6}), per_community=True)]


        @hookimpl
        def meihao_render_reminder(reminder: dict[str, Any], language: str) -> str | None:
            return None
    ''',
    "routes.py": '''
        """The lamp's routes."""

        from litestar import Controller, get

        from meihao import requires

        READ = "lamp.wick.read"


        class WickController(Controller):
            path = "/wicks"

            @get("/", guards=[requires(READ)])
            async def list_wicks(self) -> list[str]:
                return []

            @get("/colours", opt={"exclude_from_auth": True})
            async def colours(self) -> list[str]:
                return ["warm", "cold"]
    ''',
    "tables.py": '''
        from piccolo.columns import Varchar
        from piccolo.table import Table


        class Wick(Table, tablename="lamp_wick"):
            colour = Varchar(length=20)
    ''',
    "piccolo_app.py": '''
        from pathlib import Path

        from piccolo.conf.apps import AppConfig

        from .tables import Wick

        APP_CONFIG = AppConfig(app_name="lamp", migrations_folder_path=str(Path(__file__).parent / "migrations"), table_classes=[Wick])
    ''',
    "migrations/__init__.py": "",
    "migrations/lamp_2026_01_01t00_00_00_000000.py": '''
        from piccolo.apps.migrations.auto.migration_manager import MigrationManager
        from piccolo.columns.column_types import Varchar
        from piccolo.columns.indexes import IndexMethod

        ID = "2026-01-01T00:00:00:000000"
        VERSION = "1.38.0"
        DESCRIPTION = "wicks"


        async def forwards():
            manager = MigrationManager(migration_id=ID, app_name="lamp", description=DESCRIPTION)
            manager.add_table(class_name="Wick", tablename="lamp_wick", schema=None, columns=None)
            manager.add_column(
                table_class_name="Wick", tablename="lamp_wick", column_name="colour", db_column_name="colour",
                column_class_name="Varchar", column_class=Varchar,
                params={"length": 20, "default": "", "null": False, "primary_key": False, "unique": False, "index": False,
                        "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
                schema=None,
            )
            return manager
    ''',
    "tests/__init__.py": "",
    "tests/test_lamp.py": '''
        from meihao.testing import Factories


        def test_factories_are_public():
            assert Factories
    ''',
}


def lamp(folder: Path, changes: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """Write the lamp package into ``folder`` with each ``{file: (old, new)}`` replacement made; the environment to load it."""
    for name, text in LAMP.items():
        text = textwrap.dedent(text).lstrip()
        if name in (changes or {}):
            old, new = changes[name]
            assert old in text, (name, old)
            text = text.replace(old, new)
        path = folder / "lamp" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {"MEIHAO_PLUGINS": "lamp=lamp", "PYTHONPATH": str(folder)}


def check(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(folder, "plugin", "check", *args, **env)


def test_the_built_in_scenes_pass_every_check(tmp_path):
    result = check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for scene in ("commerce", "culture", "education", "elder_care", "governance", "health", "markets", "neighbourhood", "service"):
        mine = [line for line in lines if line.startswith(f"{scene}: ")]
        assert [line.split()[1] for line in mine] == CHECKS, mine
        assert all(line.split()[2] == "ok" for line in mine), mine
    assert "markets: tables ok (6 table(s), each named markets_*)" in lines
    assert "culture: permissions ok (3 declared, 3 checked)" in lines
    assert "email: settings ok (not a scenario: no settings)" in lines
    assert list(tmp_path.iterdir()) == []  # no database, no key file


def test_a_sound_third_party_plugin_passes(tmp_path):
    result = check(tmp_path, "lamp", **lamp(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "lamp: hooks ok (6 hook(s): jobs, permissions, piccolo_apps, render_reminder, route_handlers, scenario)",
        "lamp: tables ok (1 table(s), each named lamp_*)",
        "lamp: migrations ok (1 app(s), the migrations make the tables)",
        "lamp: settings ok (2 setting(s), each with a default)",
        "lamp: routes ok (2 route(s), each guarded or public (1 public))",
        "lamp: permissions ok (1 declared, 1 checked)",
        "lamp: imports ok (8 file(s) import only the public API)",
    ]
    assert result.stderr == ""


BROKEN = {
    "hooks": (
        {"__init__.py": ("def meihao_render_reminder", "async def meihao_render_reminder")},
        ["lamp: hooks: meihao_render_reminder is async, but the kernel uses its answer without awaiting it: make it a plain def"],
    ),
    "hooks-job-arguments": (
        {"__init__.py": ("community: dict[str, Any], now: Any)", "community: dict[str, Any], when: Any)")},
        ["lamp: hooks: job 'lamp.trim': its function needs 'when', which the scheduler does not pass "
         "(it passes community, meihao, now, scheduled_at)"],
    ),
    "hooks-audience": (
        {"__init__.py": ("def meihao_render_reminder(reminder: dict[str, Any], language: str) -> str | None:\n    return None",
                         "def meihao_audiences() -> list[Any]:\n"
                         "    from meihao import Audience\n\n"
                         "    async def burning(community_id: int) -> list[int]:\n"
                         "        return []\n\n"
                         "    return [Audience(\"lamp.burning\", \"点灯者\", \"Lamp lighters\", burning)]")},
        ["lamp: hooks: audience 'lamp.burning': select must return a Piccolo Select of resident ids (not awaited), got a coroutine"],
    ),
    "tables": (
        {"tables.py": ('tablename="lamp_wick"', 'tablename="wick"'),
         "migrations/lamp_2026_01_01t00_00_00_000000.py": ('tablename="lamp_wick"', 'tablename="wick"')},
        ["lamp: tables: table 'wick' (class Wick) does not start with 'lamp_'"],
    ),
    "migrations": (
        {"tables.py": ("colour = Varchar(length=20)", "colour = Varchar(length=20)\n    lit = Varchar(length=5)")},
        ["lamp: migrations: app 'lamp': no migration does add_column lamp_wick.lit; run `meihao makemigrations lamp`"],
    ),
    "settings": (
        {"__init__.py": ("brightness: int = 3", "brightness: int")},
        ["lamp: settings: setting 'brightness' has no default"],
    ),
    "routes": (
        {"routes.py": ('@get("/colours", opt={"exclude_from_auth": True})', '@get("/colours")')},
        ["lamp: routes: GET /wicks/colours has no permission guard: add guards=[requires(...)] "
         "or opt={'exclude_from_auth': True} for a public route"],
    ),
    "permissions": (
        {"routes.py": ('READ = "lamp.wick.read"', 'READ = "lamp.wick.see"')},
        ["lamp: permissions: 'lamp.wick.see' is checked (GET /wicks) but not declared by meihao_permissions"],
    ),
    "imports": (
        {"routes.py": ("from meihao import requires", "from meihao.web.auth import requires")},
        ["lamp: imports: lamp/routes.py:5 imports meihao.web.auth, a kernel internal; "
         "import only from meihao, meihao.tables (meihao.testing in tests)"],
    ),
}


def test_each_broken_plugin_fails_exactly_the_check_it_breaks(tmp_path):
    runs = []
    for name, (changes, _) in BROKEN.items():
        folder = tmp_path / name
        folder.mkdir()
        runs.append((("plugin", "check", "lamp"), lamp(folder, changes)))
    # every run in its own folder: the package is the same name in each
    results = [run_all(tmp_path / name, [runs[i]])[0] for i, name in enumerate(BROKEN)]
    for name, result in zip(BROKEN, results):
        expected = BROKEN[name][1]
        check_name = name.partition("-")[0]
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr, name
        lines = result.stdout.splitlines()
        failing = [line for line in lines if " ok (" not in line and " skipped (" not in line]
        assert failing == expected, (name, lines)
        passing = [line.split()[1] for line in lines if " ok (" in line]
        assert passing == [c for c in CHECKS if c != check_name], (name, lines)


def test_a_hook_answer_that_stops_the_boot_is_reported_by_the_check(tmp_path):
    env = lamp(tmp_path, {"__init__.py": ('return [Permission("lamp.wick.read", "See wicks", roles=("community_admin",))]', 'return "lamp.wick.read"')})
    result = check(tmp_path, "lamp", **env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "lamp: hooks: meihao_permissions must return a list or None, got str",
        "lamp: tables ok (1 table(s), each named lamp_*)",
        "lamp: migrations ok (1 app(s), the migrations make the tables)",
        "lamp: settings ok (2 setting(s), each with a default)",
        "lamp: routes ok (2 route(s), each guarded or public (1 public))",
        "lamp: permissions skipped (meihao_permissions did not answer)",
        "lamp: imports ok (8 file(s) import only the public API)",
    ]
    # the same plugin stops every other command, in one line
    other = run(tmp_path, "plugins", **env)
    assert other.returncode == 1
    assert other.stderr == "Error: plugin 'lamp': meihao_permissions must return a list, got str\n"


def test_a_rule_only_the_loader_knows_is_reported_as_a_hooks_problem(tmp_path):
    env = lamp(tmp_path, {"__init__.py": ('Job("lamp.trim", trim,', 'Job("culture.ask_attendance", trim,')})
    result = check(tmp_path, "lamp", **env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == (
        "lamp: hooks: meihao refuses it at start-up: plugin 'culture': job id 'culture.ask_attendance' is already declared by 'lamp'"
    )
    assert [line.split()[2] for line in result.stdout.splitlines()[1:]] == ["ok"] * 6


def test_a_plugin_that_does_not_import_fails_the_hooks_check(tmp_path):
    env = lamp(tmp_path, {"__init__.py": ("from .routes import WickController", "from .routes import WickController, Nothing")})
    result = check(tmp_path, "lamp", **env)
    assert result.returncode == 1
    assert result.stdout == "lamp: hooks: failed to import: ImportError: cannot import name 'Nothing' from 'lamp.routes' " \
        f"({tmp_path}/lamp/routes.py)\n"


def test_an_unknown_plugin_is_one_line_and_exit_2(tmp_path):
    result = check(tmp_path, "nope")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == ("Error: no plugin named 'nope' is installed (installed: commerce, culture, education, elder_care, email, governance, health, "
                             "markets, neighbourhood, service, sms, webhook, wechat)\n")


def test_importing_another_plugin_needs_it_declared_as_a_dependency(tmp_path):
    both = {"MEIHAO_PLUGINS": "lamp=lamp,lantern=tests.sample_plugins.lantern"}
    undeclared, declared = tmp_path / "undeclared", tmp_path / "declared"
    undeclared.mkdir()
    declared.mkdir()
    uses_lantern = ("from .tables import Wick\n", "from .tables import Wick\n\nfrom tests.sample_plugins.lantern import LanternSettings\n")
    lamp(undeclared, {"piccolo_app.py": uses_lantern})
    lamp(declared, {"piccolo_app.py": uses_lantern,
                    "__init__.py": ('settings=LampSettings)', 'settings=LampSettings, dependencies=("lantern",))')})
    results = [
        run(folder, "plugin", "check", "lamp", **both, PYTHONPATH=f"{folder}:{REPO}")
        for folder in (undeclared, declared)
    ]
    assert results[0].returncode == 1, results[0].stdout + results[0].stderr
    assert [line for line in results[0].stdout.splitlines() if "imports" in line] == [
        "lamp: imports: lamp/piccolo_app.py:7 imports tests.sample_plugins.lantern, of the plugin 'lantern', "
        "which its Scenario.dependencies does not name"
    ]
    assert results[1].returncode == 0, results[1].stdout + results[1].stderr
    assert "lamp: imports ok (8 file(s) import only the public API and the plugins they depend on (lantern))" in results[1].stdout
