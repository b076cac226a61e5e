"""``meihao plugin check``: what the kernel would trip over in a plugin, found before it runs.

Seven checks, each on the plugin's own object in a plugin manager of its own (so that one
broken answer does not hide the others, and nothing needs a database):

- ``hooks``: every hook is a hook of meihao with arguments it passes; boot hooks answer with
  the right types; only the awaitable hooks are async; jobs, audiences and channels take what
  the kernel hands them.
- ``tables``: every table name starts with ``<plugin>_``.
- ``migrations``: Piccolo's auto-migration finds nothing to do (the migrations make the tables).
- ``settings``: the scenario's settings Struct has a default for every field, stored as JSON and back.
- ``routes``: every route is guarded by ``meihao.requires(...)`` or marked public.
- ``permissions``: every permission a route or the code checks is declared by ``meihao_permissions``.
- ``imports``: the plugin's package imports only ``meihao``, ``meihao.tables`` (and ``meihao.testing`` in tests).
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pluggy

from meihao.hooks import specs as hookspecs
from meihao.hooks.declarations import Audience, Channel, Job, Permission, Scenario

CHECKS = ("hooks", "tables", "migrations", "settings", "routes", "permissions", "imports")

#: Hooks the kernel awaits when they answer an awaitable; every other hook is called and used as it answers.
AWAITABLE_HOOKS = frozenset({
    "meihao_community_enabled", "meihao_community_disabled", "meihao_demo_data", "meihao_metrics",
    "meihao_resident_data", "meihao_erase_resident", "meihao_scenario_switched", "meihao_doctor",
})

#: What the scheduler passes a job's function (``community`` only to per-community jobs).
JOB_ARGUMENTS = ("meihao", "community", "now", "scheduled_at")
#: What the kernel passes an audience's ``select`` besides the community id.
AUDIENCE_ARGUMENTS = ("activity_id", "occurrence", "today", "meihao")

#: The public modules a plugin may import; ``meihao.testing`` only from its tests.
PUBLIC_MODULES = ("meihao", "meihao.tables")
TEST_MODULES = ("meihao.testing",)

#: The handler ``opt`` key that marks a route public (meihao.web.auth.PUBLIC).
PUBLIC_OPT = "exclude_from_auth"


@dataclass
class Outcome:
    """One check of one plugin: its problems (one line each), or what was found when there are none."""

    check: str
    summary: str = ""
    problems: list[str] = field(default_factory=list)
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


class _NoAnswer:
    """A boot hook that raised or answered the wrong type: checks that need its answer are skipped."""


NO_ANSWER = _NoAnswer()


@dataclass
class _Plugin:
    name: str
    obj: Any
    pm: pluggy.PluginManager | None
    answers: dict[str, Any] = field(default_factory=dict)
    #: The other installed plugins: name -> the module they are loaded from.
    others: dict[str, str] = field(default_factory=dict)


def check_plugin(name: str, obj: Any, others: dict[str, str] | None = None) -> list[Outcome]:
    """Run every check on the plugin ``obj`` registered as ``name``; never raises for a broken plugin.

    ``others`` (name -> module) are the other installed plugins, which it may import only when
    its scenario declares them in ``dependencies``.
    """
    plugin = _Plugin(name, obj, None, others={n: m for n, m in (others or {}).items() if n != name})
    outcomes = [_check_hooks(plugin)]
    for check in (_check_tables, _check_migrations, _check_settings, _check_routes, _check_permissions, _check_imports):
        try:
            outcomes.append(check(plugin))
        except _Skip as skip:
            outcomes.append(Outcome(check.__name__.removeprefix("_check_"), skipped=str(skip)))
    return outcomes


def render(name: str, outcomes: list[Outcome]) -> list[str]:
    """``<plugin>: <check> ok (<summary>)`` per passing check, ``<plugin>: <check>: <problem>`` per problem."""
    lines = []
    for outcome in outcomes:
        if outcome.skipped:
            lines.append(f"{name}: {outcome.check} skipped ({outcome.skipped})")
        elif outcome.ok:
            lines.append(f"{name}: {outcome.check} ok ({outcome.summary})")
        else:
            lines += [f"{name}: {outcome.check}: {problem}" for problem in outcome.problems]
    return lines


class _Skip(Exception):
    pass


# -- hooks ------------------------------------------------------------------------------


_BOOT_KINDS: dict[str, type | None] = {
    "meihao_scenario": None,  # a Scenario or None, checked below
    "meihao_piccolo_apps": str,
    "meihao_route_handlers": object,
    "meihao_jobs": Job,
    "meihao_audiences": Audience,
    "meihao_channels": Channel,
    "meihao_permissions": Permission,
}


def _check_hooks(plugin: _Plugin) -> Outcome:
    outcome = Outcome("hooks")
    pm = pluggy.PluginManager("meihao")
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(plugin.obj, name=plugin.name)
        pm.check_pending()
    except (ValueError, pluggy.PluginValidationError) as err:
        outcome.problems.append(_one_line(str(err)))
        return outcome
    plugin.pm = pm
    implemented = sorted(
        hook for hook in dir(pm.hook) if not hook.startswith("_") and any(i.plugin_name == plugin.name for i in getattr(pm.hook, hook).get_hookimpls())
    )
    for hook in implemented:
        impl = next(i for i in getattr(pm.hook, hook).get_hookimpls() if i.plugin_name == plugin.name)
        if hook not in AWAITABLE_HOOKS and (inspect.iscoroutinefunction(impl.function) or inspect.isasyncgenfunction(impl.function)):
            outcome.problems.append(f"{hook} is async, but the kernel uses its answer without awaiting it: make it a plain def")
    for hook, kind in _BOOT_KINDS.items():
        plugin.answers[hook] = _boot_answer(plugin, hook, kind, outcome.problems) if hook in implemented else None
    if "meihao_cli" in implemented:
        import click

        answer = _call(plugin, "meihao_cli", outcome.problems, cli=click.Group("meihao"))
        if answer is not None and answer is not NO_ANSWER:
            outcome.problems.append(f"meihao_cli must return None (add commands to the group it is given), got {type(answer).__name__}")
    _check_declarations(plugin, outcome.problems)
    outcome.summary = f"{len(implemented)} hook(s): {', '.join(h.removeprefix('meihao_') for h in implemented) or 'none'}"
    return outcome


def _call(plugin: _Plugin, hook: str, problems: list[str], **kwargs: Any) -> Any:
    assert plugin.pm is not None
    impl = next(i for i in getattr(plugin.pm.hook, hook).get_hookimpls() if i.plugin_name == plugin.name)
    try:
        return impl.function(**{arg: kwargs[arg] for arg in impl.argnames if arg in kwargs})
    except Exception as err:
        problems.append(f"{hook} raised {type(err).__name__}: {_one_line(str(err))}")
        return NO_ANSWER


def _boot_answer(plugin: _Plugin, hook: str, kind: type | None, problems: list[str]) -> Any:
    answer = _call(plugin, hook, problems)
    if answer is NO_ANSWER or answer is None:
        return answer
    if hook == "meihao_scenario":
        if not isinstance(answer, Scenario):
            problems.append(f"meihao_scenario must return a meihao.Scenario or None, got {type(answer).__name__}")
            return NO_ANSWER
        if answer.name != plugin.name:
            problems.append(f"meihao_scenario: the scenario is named {answer.name!r}; it must equal the plugin name {plugin.name!r}")
        return answer
    if not isinstance(answer, (list, tuple)):
        problems.append(f"{hook} must return a list or None, got {type(answer).__name__}")
        return NO_ANSWER
    wrong = [item for item in answer if not isinstance(item, kind or object)]
    if wrong:
        problems.append(f"{hook} must return a list of {kind.__name__ if kind else 'object'}, got {type(wrong[0]).__name__}")
        return NO_ANSWER
    if hook == "meihao_route_handlers":
        from litestar import Controller, Router
        from litestar.handlers import BaseRouteHandler

        for handler in answer:
            if not (isinstance(handler, (BaseRouteHandler, Router)) or (isinstance(handler, type) and issubclass(handler, Controller))):
                problems.append(f"meihao_route_handlers returned {handler!r}, not a Litestar handler, Controller or Router")
                return NO_ANSWER
    return list(answer)


def _check_declarations(plugin: _Plugin, problems: list[str]) -> None:
    """What jobs, audiences and channels are called with, and the names they must carry."""
    for job in _answered(plugin, "meihao_jobs"):
        given = set(JOB_ARGUMENTS) if job.per_community else set(JOB_ARGUMENTS) - {"community"}
        for unknown in _required_beyond(job.func, given):
            hint = "only per-community jobs get 'community'" if unknown == "community" else f"it passes {', '.join(sorted(given))}"
            problems.append(f"job {job.id!r}: its function needs {unknown!r}, which the scheduler does not pass ({hint})")
    for audience in _answered(plugin, "meihao_audiences"):
        if not audience.name.startswith(f"{plugin.name}."):
            problems.append(f"audience {audience.name!r} must start with {plugin.name + '.'!r}")
        extra = _required_beyond(audience.select, set(AUDIENCE_ARGUMENTS), skip_first=True)
        if extra:
            problems.append(f"audience {audience.name!r}: select needs {extra[0]!r}; it gets the community id, then any of {', '.join(AUDIENCE_ARGUMENTS)}")
            continue
        selected = _select_of(audience)
        if selected is not None:
            problems.append(f"audience {audience.name!r}: select must return a Piccolo Select of resident ids (not awaited), got {selected}")
    for channel in _answered(plugin, "meihao_channels"):
        if not inspect.iscoroutinefunction(channel.send):
            problems.append(f"channel {channel.name!r}: send must be an async function")
    for permission in _answered(plugin, "meihao_permissions"):
        if not permission.name.startswith(f"{plugin.name}."):
            problems.append(f"permission {permission.name!r} must start with {plugin.name + '.'!r}")


def _answered(plugin: _Plugin, hook: str) -> list[Any]:
    answer = plugin.answers.get(hook)
    return [] if answer is None or answer is NO_ANSWER else answer


def _required_beyond(func: Callable[..., Any], given: set[str], *, skip_first: bool = False) -> list[str]:
    """The parameters ``func`` needs that are not among ``given``."""
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return []
    if skip_first:
        parameters = parameters[1:]
    return [
        p.name for p in parameters
        if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in given
    ]


def _select_of(audience: Audience) -> str | None:
    """None when ``select`` builds a Piccolo Select (not run: nothing touches a database); else what it gave.

    One that needs the running instance to build its query (``meihao`` is None here) is not judged.
    """
    from piccolo.query import Select

    parameters = inspect.signature(audience.select).parameters
    extra = {"activity_id": None, "occurrence": None, "today": date(2000, 1, 1), "meihao": None}
    try:
        result = audience.select(1, **{k: v for k, v in extra.items() if k in parameters})
    except Exception:
        return None
    if inspect.iscoroutine(result):
        result.close()
        return "a coroutine"
    return None if isinstance(result, Select) else type(result).__name__


# -- tables and migrations ----------------------------------------------------------------


def _app_configs(plugin: _Plugin) -> list[Any]:
    apps = plugin.answers.get("meihao_piccolo_apps")
    if apps is NO_ANSWER:
        raise _Skip("meihao_piccolo_apps did not answer")
    configs = []
    for app in apps or []:
        try:
            module = importlib.import_module(app)
        except Exception as err:
            raise _Skip(f"Piccolo app {app!r} cannot be imported: {type(err).__name__}: {_one_line(str(err))}") from err
        if not hasattr(module, "APP_CONFIG"):
            raise _Skip(f"Piccolo app {app!r} has no APP_CONFIG")
        configs.append(module.APP_CONFIG)
    return configs


def _check_tables(plugin: _Plugin) -> Outcome:
    outcome = Outcome("tables")
    prefix = f"{plugin.name}_"
    tables = [table for config in _app_configs(plugin) for table in config.table_classes]
    for table in tables:
        if not table._meta.tablename.startswith(prefix):
            outcome.problems.append(f"table {table._meta.tablename!r} (class {table.__name__}) does not start with {prefix!r}")
    outcome.summary = f"{len(tables)} table(s), each named {prefix}*" if tables else "no tables"
    return outcome


def _check_migrations(plugin: _Plugin) -> Outcome:
    from piccolo.apps.migrations.commands.new import AutoMigrationManager

    import meihao.db.database  # noqa: F401  (points Piccolo at meihao's configuration, PICCOLO_CONF)

    outcome = Outcome("migrations")
    configs = _app_configs(plugin)
    for config in configs:
        folder = Path(config.resolved_migrations_folder_path)
        if not folder.is_dir():
            outcome.problems.append(f"app {config.app_name!r} has no migrations folder ({folder.name}/); run `meihao makemigrations {config.app_name}`")
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints a summary table
                changes = _run(AutoMigrationManager(auto_input="y").get_alter_statements(app_config=config))
        except Exception as err:
            outcome.problems.append(f"app {config.app_name!r}: its migrations cannot be read: {type(err).__name__}: {_one_line(str(err))}")
            continue
        for statement in (s for change in changes for s in change.statements):
            outcome.problems.append(
                f"app {config.app_name!r}: no migration does {_describe(statement)}; run `meihao makemigrations {config.app_name}`"
            )
    outcome.summary = f"{len(configs)} app(s), the migrations make the tables" if configs else "no tables"
    return outcome


def _run(coroutine: Any) -> Any:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # called from a running loop (a test): run it beside
        return pool.submit(asyncio.run, coroutine).result()


def _describe(statement: str) -> str:
    """``manager.add_column(table_class_name='Riddle', tablename='lantern_riddle', column_name='hint', …)`` -> ``add_column lantern_riddle.hint``."""
    operation = re.match(r"manager\.(\w+)\(", statement)
    table = re.search(r"\btablename='([^']+)'", statement)
    column = re.search(r"\b(?:old_)?column_name='([^']+)'", statement)
    if not operation or not table:
        return statement.split("\n")[0][:120]
    return f"{operation.group(1)} {table.group(1)}" + (f".{column.group(1)}" if column else "")


# -- settings -----------------------------------------------------------------------------


def _check_settings(plugin: _Plugin) -> Outcome:
    scenario = plugin.answers.get("meihao_scenario")
    if scenario is NO_ANSWER:
        raise _Skip("meihao_scenario did not answer")
    if scenario is None:
        return Outcome("settings", "not a scenario: no settings")
    outcome = Outcome("settings")
    schema = scenario.settings
    if not (isinstance(schema, type) and issubclass(schema, msgspec.Struct)):
        outcome.problems.append(f"Scenario.settings must be a msgspec.Struct class, got {schema!r}")
        return outcome
    fields = msgspec.structs.fields(schema)
    for item in fields:
        if item.required:
            outcome.problems.append(f"setting {item.name!r} has no default")
    if outcome.problems:
        return outcome
    try:
        defaults = msgspec.convert({}, schema)
        stored = msgspec.json.decode(msgspec.json.encode(defaults))
        if msgspec.convert(stored, schema) != defaults:
            outcome.problems.append("the default settings do not read back the same after being stored as JSON")
    except (msgspec.ValidationError, msgspec.EncodeError, ValueError, TypeError) as err:
        outcome.problems.append(f"the default settings are refused: {_one_line(str(err))}")
    outcome.summary = f"{len(fields)} setting(s), each with a default"
    return outcome


# -- routes and permissions ---------------------------------------------------------------


@dataclass
class _Route:
    method: str
    path: str
    public: bool
    permissions: tuple[str, ...]
    guarded: bool


def _routes(plugin: _Plugin) -> list[_Route]:
    handlers = plugin.answers.get("meihao_route_handlers")
    if handlers is NO_ANSWER:
        raise _Skip("meihao_route_handlers did not answer")
    if not handlers:
        return []
    from litestar import Router

    try:
        router = Router(path="/", route_handlers=handlers)
    except Exception as err:
        raise _Skip(f"the routes cannot be mounted: {type(err).__name__}: {_one_line(str(err))}") from err
    routes = []
    for route in router.routes:
        for handler in getattr(route, "route_handlers", []):
            methods = sorted(getattr(handler, "http_methods", ()) or ["WS"])
            if methods == ["OPTIONS"]:
                continue  # Litestar's own answer to CORS preflights
            guards = [getattr(guard, "func", guard) for guard in handler.resolve_guards()]
            permissions = tuple(p for guard in guards for p in getattr(guard, "permissions", ()))
            guarded = any(hasattr(guard, "permissions") for guard in guards)
            if hasattr(handler, "resolve_opts"):
                handler.resolve_opts()  # merges the router's and controller's opt into the handler's
            public = bool(handler.opt.get(PUBLIC_OPT))
            for method in methods:
                routes.append(_Route(method, route.path, public, permissions, guarded))
    return sorted(routes, key=lambda r: (r.path, r.method))


def _check_routes(plugin: _Plugin) -> Outcome:
    outcome = Outcome("routes")
    routes = _routes(plugin)
    for route in routes:
        if not route.guarded and not route.public:
            outcome.problems.append(
                f"{route.method} {route.path} has no permission guard: add guards=[requires(...)] or opt={{'exclude_from_auth': True}} for a public route"
            )
    public = sum(r.public for r in routes)
    outcome.summary = f"{len(routes)} route(s), each guarded" + (f" or public ({public} public)" if public else "") if routes else "no routes"
    return outcome


def _check_permissions(plugin: _Plugin) -> Outcome:
    outcome = Outcome("permissions")
    declared_answer = plugin.answers.get("meihao_permissions")
    if declared_answer is NO_ANSWER:
        raise _Skip("meihao_permissions did not answer")
    declared = {p.name for p in declared_answer or []}
    checked: dict[str, str] = {}  # permission -> where it is checked
    try:
        routes = _routes(plugin)
    except _Skip:
        routes = []
    for route in routes:
        for permission in route.permissions:
            checked.setdefault(permission, f"{route.method} {route.path}")
    for path, tree in _sources(plugin):
        for permission, line in _permissions_in_code(tree):
            checked.setdefault(permission, f"{path}:{line}")
    for permission, where in sorted(checked.items()):
        if permission not in declared:
            outcome.problems.append(f"{permission!r} is checked ({where}) but not declared by meihao_permissions")
    outcome.summary = f"{len(declared)} declared, {len(checked)} checked"
    return outcome


_CHECKING_CALLS = ("requires", "require", "can")


def _permissions_in_code(tree: ast.Module) -> list[tuple[str, int]]:
    """String permissions passed to ``requires(…)``, ``principal.require(…)`` and ``principal.can(…)``,
    as literals or as module-level string constants."""
    constants = {
        target.id: node.value.value
        for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else ""
        if called not in _CHECKING_CALLS:
            continue
        for arg in node.args:
            value = arg.value if isinstance(arg, ast.Constant) else constants.get(arg.id) if isinstance(arg, ast.Name) else None
            if isinstance(value, str) and "." in value:
                found.append((value, node.lineno))
    return found


# -- imports ------------------------------------------------------------------------------


def _package(plugin: _Plugin) -> tuple[str, list[Path], Path] | None:
    """The plugin's module or package: its dotted name, its source files and the folder paths are shown from."""
    module = plugin.obj if isinstance(plugin.obj, ModuleType) else inspect.getmodule(plugin.obj)
    if module is None or not getattr(module, "__file__", None):
        return None
    file = Path(module.__file__)
    if hasattr(module, "__path__"):  # a package: every module in it
        return module.__name__, sorted(p for p in file.parent.rglob("*.py") if "__pycache__" not in p.parts), file.parent.parent
    return module.__name__, [file], file.parent


def _sources(plugin: _Plugin) -> list[tuple[str, ast.Module]]:
    found = _package(plugin)
    if found is None:
        return []
    _, files, root = found
    sources = []
    for file in files:
        try:
            sources.append((str(file.relative_to(root)), ast.parse(file.read_text(encoding="utf-8"), str(file))))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
    return sources


def _is_test_file(path: str) -> bool:
    parts = Path(path).parts
    return "tests" in parts or parts[-1].startswith("test_") or parts[-1] == "conftest.py"


def _check_imports(plugin: _Plugin) -> Outcome:
    outcome = Outcome("imports")
    found = _package(plugin)
    if found is None:
        raise _Skip("the plugin's source files cannot be found")
    own = found[0]
    scenario = plugin.answers.get("meihao_scenario")
    declared = set(scenario.dependencies) if isinstance(scenario, Scenario) else set()
    sources = _sources(plugin)
    for path, tree in sources:
        allowed = PUBLIC_MODULES + (TEST_MODULES if _is_test_file(path) else ())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                other = next((n for n, module in plugin.others.items() if name == module or name.startswith(f"{module}.")), None)
                if other is not None and not (name == own or name.startswith(f"{own}.")):
                    if other not in declared:
                        outcome.problems.append(
                            f"{path}:{node.lineno} imports {name}, of the plugin {other!r}, which its Scenario.dependencies does not name"
                        )
                elif (name == "meihao" or name.startswith("meihao.")) and not _allowed(name, allowed, own):
                    where = "meihao, meihao.tables" + (", meihao.testing" if _is_test_file(path) else " (meihao.testing in tests)")
                    outcome.problems.append(f"{path}:{node.lineno} imports {name}, a kernel internal; import only from {where}")
    outcome.summary = f"{len(sources)} file(s) import only the public API" + (
        f" and the plugins they depend on ({', '.join(sorted(declared))})" if declared else ""
    )
    return outcome


def _allowed(name: str, allowed: tuple[str, ...], own: str) -> bool:
    return name in allowed or any(name.startswith(f"{module}.") for module in allowed if module != "meihao") or (
        name == own or name.startswith(f"{own}.")
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- which plugins ------------------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    """A plugin found as the kernel finds them, not imported yet."""

    load: Callable[[], Any]
    module: str
    blocked: bool


def installed_plugins(settings: Any) -> dict[str, Installed]:
    """Every plugin that is not the kernel's, found as the kernel finds them (entry points, then
    ``MEIHAO_PLUGINS``), with whether ``MEIHAO_DISABLED_PLUGINS`` blocks it. Nothing is imported yet."""
    from importlib.metadata import entry_points

    from meihao.hooks.manager import ENTRY_POINT_GROUP
    from meihao.runtime import configured_plugins

    found: dict[str, Installed] = {}
    disabled = set(settings.disabled_plugins)
    if settings.load_entry_points:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            found.setdefault(ep.name, Installed(ep.load, ep.value.partition(":")[0].strip(), ep.name in disabled))
    for name, module in configured_plugins(settings):
        found.setdefault(name, Installed(lambda module=module: importlib.import_module(module), module, name in disabled))
    return found


def check_installed(settings: Any, name: str | None) -> list[str] | None:
    """The report's lines for plugin ``name`` (default: every plugin not blocked); None when no plugin has that name."""
    installed = installed_plugins(settings)
    if name is not None and name not in installed:
        return None
    names = [name] if name is not None else [n for n, found in installed.items() if not found.blocked]
    modules = {n: found.module for n, found in installed.items()}
    lines = []
    for each in names:
        try:
            obj = installed[each].load()
        except Exception as err:
            lines.append(f"{each}: hooks: failed to import: {type(err).__name__}: {_one_line(str(err))}")
            continue
        outcomes = check_plugin(each, obj, modules)
        if all(outcome.ok for outcome in outcomes):
            refusal = _kernel_refusal(settings, each)
            if refusal:  # a rule of the loader these checks do not repeat (a job id another plugin has, say)
                outcomes[0].problems.append(f"meihao refuses it at start-up: {refusal}")
        lines += render(each, outcomes)
    return lines


def _kernel_refusal(settings: Any, name: str) -> str | None:
    """What the kernel's own loader says about plugin ``name`` among the installed ones, when it refuses it."""
    from meihao.errors import PluginError
    from meihao.hooks.manager import Plugins
    from meihao.runtime import configured_plugins

    try:
        Plugins.load(
            disabled=[n for n in settings.disabled_plugins if n != name],
            load_entry_points=settings.load_entry_points,
            extra=configured_plugins(settings),
        )
    except PluginError as err:
        if err.plugin == name:
            return err.problem
        return err.message if repr(name) in err.problem else None  # another plugin's clash with this one
    return None
