"""Finding, loading and validating plugins, and the typed wrapper through which the kernel calls hooks."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

import msgspec
import pluggy

from meihao.errors import MeihaoError, PluginError
from meihao.hooks import specs as hookspecs
from meihao.hooks.declarations import NAME_PATTERN, Audience, Channel, Job, Metric, NoSettings, Permission, Scenario
from meihao.version import __version__

if TYPE_CHECKING:
    from meihao.register.schemas import CommunityInfo

ENTRY_POINT_GROUP = "meihao"

#: The kernel's own behaviour, answered through its own hooks, one module per capability (each
#: named ``hookimpls``). These are essential: configuration cannot block them. Named, not
#: imported, so that the plugin system sits below the capabilities that answer its hooks.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "meihao.access.hookimpls",
    "meihao.reminders.hookimpls",
    "meihao.scheduling.hookimpls",
)

#: Path segments the kernel uses under /api/communities/{slug}/; no scenario may take them.
RESERVED_NAMES = frozenset({"grids", "buildings", "households", "residents", "scenarios", "dashboard", "meihao"})


@dataclass
class LoadedPlugin:
    """What the kernel knows about one registered plugin."""

    name: str
    obj: Any
    source: str  # "kernel", "built-in" or "<distribution> <version>"
    version: str
    essential: bool = False
    scenario: Scenario | None = None
    piccolo_apps: list[str] = field(default_factory=list)


EntryPointFilter = Callable[[EntryPoint], bool]


class Plugins:
    """The loaded plugins and the one typed way to call their hooks.

    Hooks are called implementation by implementation, in pluggy's order, so that a
    wrong answer or an exception names the plugin that gave it.
    """

    def __init__(self, pm: pluggy.PluginManager, loaded: dict[str, LoadedPlugin]) -> None:
        self.pm = pm
        self.loaded = loaded

    # -- loading --------------------------------------------------------------

    @classmethod
    def load(
        cls,
        *,
        disabled: Iterable[str] = (),
        load_entry_points: bool = True,
        entry_point_filter: EntryPointFilter | None = None,
        extra: Iterable[tuple[str, Any]] = (),
    ) -> Plugins:
        """Register the kernel's defaults, then the entry-point plugins, then ``extra``; validate all.

        Raises :class:`PluginError` naming the first plugin that cannot be used.
        """
        disabled = set(disabled)
        pm = pluggy.PluginManager("meihao")
        pm.add_hookspecs(hookspecs)
        loaded: dict[str, LoadedPlugin] = {}

        for module_name in DEFAULT_PLUGINS:
            if module_name in disabled:
                raise PluginError(module_name, "is essential to the kernel and cannot be disabled")
            module = importlib.import_module(module_name)
            pm.register(module, name=module_name)
            loaded[module_name] = LoadedPlugin(module_name, module, "kernel", __version__, essential=True)

        candidates: list[tuple[str, Callable[[], Any], str, str]] = []
        if load_entry_points:
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                if entry_point_filter is not None and not entry_point_filter(ep):
                    continue
                dist = ep.dist
                if dist is not None and dist.name == "meihao":
                    source, version = "built-in", __version__
                else:
                    source = f"{dist.name} {dist.version}" if dist is not None else "entry point"
                    version = dist.version if dist is not None else "?"
                candidates.append((ep.name, ep.load, source, version))
        for name, obj in extra:
            candidates.append((name, _resolve(obj), "registered", getattr(obj, "__version__", "0")))

        for name, load, source, version in candidates:
            if name in disabled:
                continue
            if name in loaded:
                raise PluginError(name, f"is registered twice (again by {source})")
            try:
                obj = load()
            except Exception as err:
                raise PluginError(name, f"failed to import: {type(err).__name__}: {err}") from err
            try:
                pm.register(obj, name=name)
            except (ValueError, pluggy.PluginValidationError) as err:
                raise PluginError(name, f"cannot be registered: {err}") from err
            loaded[name] = LoadedPlugin(name, obj, source, str(getattr(obj, "__version__", version)))

        try:
            pm.check_pending()
        except pluggy.PluginValidationError as err:
            raise PluginError(err.plugin_name if hasattr(err, "plugin_name") else pm.get_name(err.plugin) or "?", str(err)) from err

        plugins = cls(pm, loaded)
        plugins._validate()
        return plugins

    def _validate(self) -> None:
        for name, scenario in self._answers("meihao_scenario"):
            if scenario is None:
                continue
            if not isinstance(scenario, Scenario):
                raise PluginError(name, f"meihao_scenario must return a meihao.Scenario, got {type(scenario).__name__}")
            if scenario.name != name:
                raise PluginError(name, f"its scenario is named {scenario.name!r}; it must equal the plugin name {name!r}")
            if not NAME_PATTERN.match(name) or name in RESERVED_NAMES:
                raise PluginError(name, "a scenario name must be lower-case letters, digits and _ and not a kernel path")
            if not (isinstance(scenario.settings, type) and issubclass(scenario.settings, msgspec.Struct)):
                raise PluginError(name, "Scenario.settings must be a msgspec.Struct class")
            try:
                msgspec.convert({}, scenario.settings)
            except msgspec.ValidationError as err:
                raise PluginError(name, f"every setting needs a default: {err}") from err
            self.loaded[name].scenario = scenario
        for name, plugin in self.loaded.items():
            for dependency in plugin.scenario.dependencies if plugin.scenario else ():
                if dependency not in self.loaded:
                    raise PluginError(name, f"depends on {dependency!r}, which is not installed or is disabled")
        for name, apps in self._answers("meihao_piccolo_apps"):
            apps = _expect_list(name, "meihao_piccolo_apps", apps, str)
            for app in apps:
                try:
                    module = importlib.import_module(app)
                except Exception as err:
                    raise PluginError(name, f"Piccolo app {app!r} cannot be imported: {type(err).__name__}: {err}") from err
                if not hasattr(module, "APP_CONFIG"):
                    raise PluginError(name, f"Piccolo app {app!r} has no APP_CONFIG")
            self.loaded[name].piccolo_apps = apps
        self.route_handlers()
        self.permissions()
        self.jobs()
        self.audiences()
        self.channels()

    # -- the typed hook wrapper ------------------------------------------------

    def _impls(self, hook: str, only: str | None = None) -> list[pluggy.HookImpl]:
        impls = list(reversed(getattr(self.pm.hook, hook).get_hookimpls()))
        return [impl for impl in impls if only is None or impl.plugin_name == only]

    def _call(self, impl: pluggy.HookImpl, hook: str, kwargs: dict[str, Any]) -> Any:
        try:
            return impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
        except MeihaoError:
            raise
        except Exception as err:
            raise PluginError(impl.plugin_name, f"{hook} raised {type(err).__name__}: {err}") from err

    def _answers(self, hook: str, only: str | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        return [(impl.plugin_name, self._call(impl, hook, kwargs)) for impl in self._impls(hook, only)]

    async def _aanswers(self, hook: str, only: str | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        answers = []
        for impl in self._impls(hook, only):
            result = self._call(impl, hook, kwargs)
            if inspect.isawaitable(result):
                try:
                    result = await result
                except MeihaoError:
                    raise
                except Exception as err:
                    raise PluginError(impl.plugin_name, f"{hook} raised {type(err).__name__}: {err}") from err
            answers.append((impl.plugin_name, result))
        return answers

    def _collect(self, hook: str, kind: type) -> list[tuple[str, Any]]:
        return [(name, item) for name, answer in self._answers(hook) for item in _expect_list(name, hook, answer, kind)]

    @property
    def scenarios(self) -> dict[str, Scenario]:
        return {name: p.scenario for name, p in self.loaded.items() if p.scenario is not None}

    def piccolo_apps(self) -> list[str]:
        return ["piccolo.apps.user.piccolo_app", "meihao.piccolo_app"] + [app for p in self.loaded.values() for app in p.piccolo_apps]

    def route_handlers(self) -> list[tuple[str, list[Any]]]:
        from litestar import Controller, Router
        from litestar.handlers import BaseRouteHandler

        result = []
        for name, answer in self._answers("meihao_route_handlers"):
            handlers = _expect_list(name, "meihao_route_handlers", answer, object)
            for handler in handlers:
                ok = isinstance(handler, (BaseRouteHandler, Router)) or (isinstance(handler, type) and issubclass(handler, Controller))
                if not ok:
                    raise PluginError(name, f"meihao_route_handlers returned {handler!r}, not a Litestar handler, Controller or Router")
            if handlers:
                result.append((name, handlers))
        return result

    def permissions(self) -> list[Permission]:
        seen: dict[str, str] = {}
        result = []
        for name, permission in self._collect("meihao_permissions", Permission):
            owner = "meihao" if self.loaded[name].essential else name
            if not permission.name.startswith(f"{owner}."):
                raise PluginError(name, f"permission {permission.name!r} must start with {owner!r}.")
            if permission.name in seen:
                raise PluginError(name, f"permission {permission.name!r} is already declared by {seen[permission.name]!r}")
            seen[permission.name] = name
            result.append(permission)
        return result

    def jobs(self) -> list[tuple[str, Job]]:
        jobs = self._collect("meihao_jobs", Job)
        _unique(jobs, lambda job: job.id, "job id")
        return jobs

    def audiences(self) -> list[tuple[str, Audience]]:
        audiences = self._collect("meihao_audiences", Audience)
        for name, audience in audiences:
            owner = "meihao" if self.loaded[name].essential else name
            if not audience.name.startswith(f"{owner}."):
                raise PluginError(name, f"audience {audience.name!r} must start with {owner!r}.")
        _unique(audiences, lambda audience: audience.name, "audience")
        return audiences

    def channels(self) -> list[tuple[str, Channel]]:
        channels = self._collect("meihao_channels", Channel)
        _unique(channels, lambda channel: channel.name, "channel")
        return channels

    def extend_cli(self, cli: Any) -> None:
        self._answers("meihao_cli", cli=cli)

    async def community_enabled(self, community: CommunityInfo, scenario: str, settings: Any, meihao: Any = None) -> None:
        await self._aanswers("meihao_community_enabled", community=community, scenario=scenario, settings=settings, meihao=meihao)

    async def community_disabled(self, community: CommunityInfo, scenario: str, meihao: Any = None) -> None:
        await self._aanswers("meihao_community_disabled", community=community, scenario=scenario, meihao=meihao)

    async def demo_data(self, community: CommunityInfo, scenario: str, settings: Any, seed: int, meihao: Any = None) -> None:
        await self._aanswers(
            "meihao_demo_data", only=scenario, community=community, scenario=scenario, settings=settings, seed=seed, meihao=meihao
        )

    async def metrics(self, community: CommunityInfo, scenario: str, meihao: Any = None) -> list[Metric]:
        answers = await self._aanswers("meihao_metrics", only=scenario, community=community, scenario=scenario, meihao=meihao)
        return [metric for name, answer in answers for metric in _expect_list(name, "meihao_metrics", answer, Metric)]

    def render_reminder(self, reminder: dict[str, Any], recipient: dict[str, Any], language: str) -> str:
        for name, text in self._answers_until("meihao_render_reminder", reminder=reminder, recipient=recipient, language=language):
            if not isinstance(text, str):
                raise PluginError(name, f"meihao_render_reminder must return str or None, got {type(text).__name__}")
            return text
        raise PluginError("meihao.reminders.hookimpls", "no plugin rendered the reminder")

    def _answers_until(self, hook: str, **kwargs: Any) -> Iterable[tuple[str, Any]]:
        """firstresult hooks: yield the non-None answers in order; callers stop at the first."""
        for impl in self._impls(hook):
            answer = self._call(impl, hook, kwargs)
            if answer is not None:
                yield impl.plugin_name, answer

    def settings_schema(self, scenario: str) -> type[msgspec.Struct]:
        found = self.scenarios.get(scenario)
        return found.settings if found else NoSettings


def _resolve(obj: Any) -> Callable[[], Any]:
    if isinstance(obj, str):
        return lambda: importlib.import_module(obj)
    return lambda: obj


def _expect_list(plugin: str, hook: str, answer: Any, kind: type) -> list[Any]:
    if answer is None:
        return []
    if not isinstance(answer, (list, tuple)):
        raise PluginError(plugin, f"{hook} must return a list, got {type(answer).__name__}")
    for item in answer:
        if not isinstance(item, kind):
            raise PluginError(plugin, f"{hook} must return a list of {kind.__name__}, got {type(item).__name__}")
    return list(answer)


def _unique(items: list[tuple[str, Any]], key: Callable[[Any], str], what: str) -> None:
    seen: dict[str, str] = {}
    for plugin, item in items:
        value = key(item)
        if value in seen:
            raise PluginError(plugin, f"{what} {value!r} is already declared by {seen[value]!r}")
        seen[value] = plugin

