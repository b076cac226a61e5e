"""Finding, loading and validating plugins, and the typed wrapper through which the kernel calls hooks.

How hooks are called. The kernel asks each implementation in turn, in pluggy's order
(``HookCaller.get_hookimpls``), instead of calling ``pm.hook.<name>(...)``, because it must
(a) name the plugin whose answer is wrong or whose implementation raised (a ``PluginError``
naming it, not a bare traceback from inside pluggy), (b) await the answers of the
*awaitable* hooks one by one, inside the caller's transaction, and (c) ask some hooks of one
plugin only (the scenario that owns an activity or a switch). Hook wrappers
(``hookwrapper=True`` / ``wrapper=True``) cannot work with that: pluggy would never run them,
and even through ``pm.hook`` a wrapper of an awaitable hook would see coroutines, not answers,
and a wrapper of an owner-only hook would see other plugins' calls. So a plugin that declares
one is refused when it loads (``PluginError`` naming the plugin and the hook), rather than
being silently ignored. A plugin that wants to observe every switch of a scenario implements
``meihao_scenario_switched``.

Scenario hooks reach only their owner: ``meihao_community_enabled``/``_disabled``,
``meihao_demo_data`` and ``meihao_metrics`` are asked of the plugin that provides the
scenario, ``meihao_render_reminder`` of the scenario that owns the activity (its
``scenario`` column) and then of the kernel's default renderer. A plugin that is not a
scenario and implements one of them is refused at load (it would never be asked).

Answers that cannot change while running (channels, permissions, audiences, jobs, route
handlers, scenarios, Piccolo apps) are collected and validated once, at load, and the same
answer is handed out afterwards: a delivery round or a request never asks the plugins again.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import pluggy

from meihao.errors import MeihaoError, PluginError
from meihao.hooks import specs as hookspecs
from meihao.hooks.declarations import (
    NAME_PATTERN,
    Audience,
    Channel,
    ConsolePages,
    DoctorCheck,
    Intake,
    Job,
    Metric,
    NavLink,
    NoSettings,
    Permission,
    Scenario,
)
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
    "meihao.workitems.hookimpls",
    "meihao.volunteering.hookimpls",
)

#: Hooks asked only of the plugin that provides the scenario concerned (and, for rendering, the
#: kernel's default after it); a plugin that is not a scenario may not implement them.
OWNER_ONLY_HOOKS: tuple[str, ...] = (
    "meihao_community_enabled",
    "meihao_community_disabled",
    "meihao_render_reminder",
    "meihao_demo_data",
    "meihao_metrics",
)

#: Path segments the kernel uses under /api/communities/{slug}/; no scenario may take them.
RESERVED_NAMES = frozenset({"grids", "buildings", "households", "residents", "scenarios", "dashboard", "meihao", "settings"})


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


@dataclass(frozen=True)
class BlockedPlugin:
    """An installed plugin that ``MEIHAO_DISABLED_PLUGINS`` keeps from loading (never imported)."""

    name: str
    source: str
    version: str


EntryPointFilter = Callable[[EntryPoint], bool]


class Plugins:
    """The loaded plugins and the one typed way to call their hooks.

    Hooks are called implementation by implementation, in pluggy's order, so that a
    wrong answer or an exception names the plugin that gave it (see the module's docstring).
    """

    def __init__(self, pm: pluggy.PluginManager, loaded: dict[str, LoadedPlugin]) -> None:
        self.pm = pm
        self.loaded = loaded
        #: The answers collected once at load (see :meth:`_validate`).
        self._static: dict[str, Any] = {}

    # -- loading --------------------------------------------------------------

    #: Installed plugins left out by ``MEIHAO_DISABLED_PLUGINS`` (never imported), in the order found; set by :meth:`load`.
    blocked: tuple[BlockedPlugin, ...] = ()

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
            _refuse_wrappers(pm, module_name)
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

        blocked: list[BlockedPlugin] = []
        for name, load, source, version in candidates:
            if name in disabled:
                blocked.append(BlockedPlugin(name, source, version))
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
            _refuse_wrappers(pm, name)
            loaded[name] = LoadedPlugin(name, obj, source, str(getattr(obj, "__version__", version)))

        try:
            pm.check_pending()
        except pluggy.PluginValidationError as err:
            raise PluginError(err.plugin_name if hasattr(err, "plugin_name") else pm.get_name(err.plugin) or "?", str(err)) from err

        plugins = cls(pm, loaded)
        plugins.blocked = tuple(blocked)
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
            if scenario.street_settings is not None:
                if not (isinstance(scenario.street_settings, type) and issubclass(scenario.street_settings, msgspec.Struct)):
                    raise PluginError(name, "Scenario.street_settings must be a msgspec.Struct class or None")
                try:
                    msgspec.convert({}, scenario.street_settings)
                except msgspec.ValidationError as err:
                    raise PluginError(name, f"every street setting needs a default: {err}") from err
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
        for hook in OWNER_ONLY_HOOKS:
            for impl in self._impls(hook):
                plugin = self.loaded[impl.plugin_name]
                if plugin.scenario is None and not plugin.essential:
                    raise PluginError(
                        impl.plugin_name,
                        f"implements {hook}, which is asked only of the scenario concerned, and provides no scenario"
                        + (" (to hear of every switch, implement meihao_scenario_switched)" if "community" in hook else ""),
                    )
        channels = self._channels()
        self._static = {
            "route_handlers": self._route_handlers(),
            "street_route_handlers": self._route_handlers("meihao_street_route_handlers"),
            "permissions": self._permissions(),
            "jobs": self._jobs(),
            "audiences": self._audiences(),
            "channels": channels,
            "intakes": self._intakes(),
            "console_pages": self._console_pages(channels),
        }
        self._static["channels_by_name"] = {channel.name: channel for _, channel in self._static["channels"]}
        self._static["audiences_by_name"] = {audience.name: audience for _, audience in self._static["audiences"]}
        self._static["intakes_by_name"] = {intake.name: intake for _, intake in self._static["intakes"]}
        self._static["scenario_packages"] = self._scenario_packages()
        self._static["scenarios"] = {name: p.scenario for name, p in self.loaded.items() if p.scenario is not None}

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
        """The installed scenarios by name (collected at load; do not change the dict)."""
        cached = self._static.get("scenarios")
        if cached is not None:
            return cached
        return {name: p.scenario for name, p in self.loaded.items() if p.scenario is not None}

    def piccolo_apps(self) -> list[str]:
        return ["piccolo.apps.user.piccolo_app", "meihao.piccolo_app"] + [app for p in self.loaded.values() for app in p.piccolo_apps]

    # -- answers collected once, at load ------------------------------------------

    def route_handlers(self) -> list[tuple[str, list[Any]]]:
        """``(plugin, handlers)`` for each plugin that gives route handlers (collected at load)."""
        return list(self._static["route_handlers"])

    def permissions(self) -> list[Permission]:
        """Every declared permission (collected at load)."""
        return list(self._static["permissions"])

    def jobs(self) -> list[tuple[str, Job]]:
        """``(plugin, job)`` for every declared job (collected at load)."""
        return list(self._static["jobs"])

    def audiences(self) -> list[tuple[str, Audience]]:
        """``(plugin, audience)`` for every declared audience (collected at load)."""
        return list(self._static["audiences"])

    def channels(self) -> list[tuple[str, Channel]]:
        """``(plugin, channel)`` for every declared channel (collected at load)."""
        return list(self._static["channels"])

    @property
    def channels_by_name(self) -> dict[str, Channel]:
        """The installed channels by name (collected at load; do not change the dict)."""
        return self._static["channels_by_name"]

    @property
    def audiences_by_name(self) -> dict[str, Audience]:
        """The declared audiences by name (collected at load; do not change the dict)."""
        return self._static["audiences_by_name"]

    @property
    def intakes_by_name(self) -> dict[str, Any]:
        """The declared hand-over intakes by name (collected at load; do not change the dict)."""
        return self._static["intakes_by_name"]

    def _route_handlers(self, hook: str = "meihao_route_handlers") -> list[tuple[str, list[Any]]]:
        from litestar import Controller, Router
        from litestar.handlers import BaseRouteHandler

        result = []
        for name, answer in self._answers(hook):
            handlers = _expect_list(name, hook, answer, object)
            for handler in handlers:
                ok = isinstance(handler, (BaseRouteHandler, Router)) or (isinstance(handler, type) and issubclass(handler, Controller))
                if not ok:
                    raise PluginError(name, f"{hook} returned {handler!r}, not a Litestar handler, Controller or Router")
            if handlers and hook == "meihao_street_route_handlers" and self.loaded[name].scenario is None:
                raise PluginError(name, "street routes are mounted under a scenario (/api/street/<scenario>): this plugin provides none")
            if handlers:
                result.append((name, handlers))
        return result

    def street_route_handlers(self) -> list[tuple[str, list[Any]]]:
        """``(scenario, handlers)`` for each scenario that gives street routes (collected at load)."""
        return list(self._static["street_route_handlers"])

    def _console_pages(self, channels: list[tuple[str, Channel]]) -> list[tuple[str, ConsolePages]]:
        from litestar import Controller, Router
        from litestar.handlers import BaseRouteHandler

        # a channel's plugin (its residents' binding page) may have residents' pages without being a scenario
        channel_owners = {name for name, _ in channels}
        result = []
        for name, answer in self._answers("meihao_console_pages"):
            if answer is None:
                continue
            if not isinstance(answer, ConsolePages):
                raise PluginError(name, f"meihao_console_pages must return meihao.ConsolePages or None, got {type(answer).__name__}")
            for handler in [*answer.handlers, *answer.resident_handlers]:
                ok = isinstance(handler, (BaseRouteHandler, Router)) or (isinstance(handler, type) and issubclass(handler, Controller))
                if not ok:
                    raise PluginError(name, f"meihao_console_pages gave {handler!r}, not a Litestar handler, Controller or Router")
            for folder in (answer.templates, answer.locale):
                if folder is not None and not Path(folder).is_dir():
                    raise PluginError(name, f"meihao_console_pages names the folder {str(folder)!r}, which does not exist")
            if answer.handlers and self.loaded[name].scenario is None:
                raise PluginError(name, "console pages are mounted under a scenario: this plugin provides none")
            if (answer.street_handlers or answer.street_nav) and self.loaded[name].scenario is None:
                raise PluginError(name, "street pages are mounted under a scenario (/street/<scenario>): this plugin provides none")
            for handler in answer.street_handlers:
                ok = isinstance(handler, (BaseRouteHandler, Router)) or (isinstance(handler, type) and issubclass(handler, Controller))
                if not ok:
                    raise PluginError(name, f"meihao_console_pages gave street handler {handler!r}, not a Litestar handler, Controller or Router")
            for link in answer.street_nav:
                if not isinstance(link, NavLink):
                    raise PluginError(name, f"meihao_console_pages gave street_nav {link!r}, not a meihao.NavLink")
            if (answer.resident_handlers or answer.resident_nav) and self.loaded[name].scenario is None and name not in channel_owners:
                raise PluginError(name, "residents' pages are mounted under a scenario or a channel: this plugin provides neither")
            for link in answer.resident_nav:
                if not isinstance(link, NavLink):
                    raise PluginError(name, f"meihao_console_pages gave resident_nav {link!r}, not a meihao.NavLink")
            result.append((name, answer))
        return result

    def console_pages(self) -> list[tuple[str, ConsolePages]]:
        """``(plugin, pages)`` for each plugin that adds to the console (collected at load)."""
        return list(self._static["console_pages"])

    def _permissions(self) -> list[Permission]:
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

    def _jobs(self) -> list[tuple[str, Job]]:
        jobs = self._collect("meihao_jobs", Job)
        _unique(jobs, lambda job: job.id, "job id")
        return jobs

    def _audiences(self) -> list[tuple[str, Audience]]:
        audiences = self._collect("meihao_audiences", Audience)
        for name, audience in audiences:
            owner = "meihao" if self.loaded[name].essential else name
            if not audience.name.startswith(f"{owner}."):
                raise PluginError(name, f"audience {audience.name!r} must start with {owner!r}.")
        _unique(audiences, lambda audience: audience.name, "audience")
        return audiences

    def _channels(self) -> list[tuple[str, Channel]]:
        channels = self._collect("meihao_channels", Channel)
        _unique(channels, lambda channel: channel.name, "channel")
        return channels

    def _intakes(self) -> list[tuple[str, Any]]:
        intakes = self._collect("meihao_intakes", Intake)
        for name, intake in intakes:
            if self.loaded[name].scenario is None:
                raise PluginError(name, "declares hand-over intakes but provides no scenario (an intake belongs to a scene)")
            if not intake.name.startswith(f"{name}.") or not NAME_PATTERN.match(intake.name.split(".", 1)[1]):
                raise PluginError(name, f"intake {intake.name!r} must be {name!r}. followed by lower-case letters, digits and _")
            if not callable(intake.accept):
                raise PluginError(name, f"intake {intake.name!r} needs an accept function")
        _unique(intakes, lambda intake: intake.name, "intake")
        return intakes

    def extend_cli(self, cli: Any) -> None:
        self._answers("meihao_cli", cli=cli)

    async def community_enabled(self, community: CommunityInfo, scenario: str, settings: Any, meihao: Any = None) -> None:
        """Tell the scenario's own plugin, then every plugin (``meihao_scenario_switched``), that it was switched on."""
        await self._aanswers(
            "meihao_community_enabled", only=scenario, community=community, scenario=scenario, settings=settings, meihao=meihao
        )
        await self._aanswers("meihao_scenario_switched", community=community, scenario=scenario, enabled=True, meihao=meihao)

    async def community_disabled(self, community: CommunityInfo, scenario: str, meihao: Any = None) -> None:
        """Tell the scenario's own plugin, then every plugin (``meihao_scenario_switched``), that it was switched off."""
        await self._aanswers("meihao_community_disabled", only=scenario, community=community, scenario=scenario, meihao=meihao)
        await self._aanswers("meihao_scenario_switched", community=community, scenario=scenario, enabled=False, meihao=meihao)

    async def demo_data(self, community: CommunityInfo, scenario: str, settings: Any, seed: int, meihao: Any = None) -> None:
        await self._aanswers(
            "meihao_demo_data", only=scenario, community=community, scenario=scenario, settings=settings, seed=seed, meihao=meihao
        )

    async def metrics(self, community: CommunityInfo, scenario: str, meihao: Any, principal: Any) -> list[Metric]:
        """The scenario's figures for one community as ``principal`` may see them (``meihao_metrics``)."""
        answers = await self._aanswers(
            "meihao_metrics", only=scenario, community=community, scenario=scenario, meihao=meihao, principal=principal
        )
        return [metric for name, answer in answers for metric in _expect_list(name, "meihao_metrics", answer, Metric)]

    async def resident_data(self, resident_id: int, meihao: Any = None) -> dict[str, dict[str, Any]]:
        """Every plugin's data about one resident, by plugin name (plugins holding nothing left out)."""
        answers = await self._aanswers("meihao_resident_data", resident_id=resident_id, meihao=meihao)
        return {name: answer for name, answer in answers if _expect_dict(name, "meihao_resident_data", answer) is not None}

    async def erase_resident(self, resident_id: int, meihao: Any = None) -> dict[str, dict[str, int]]:
        """Ask every plugin to erase its personal data about one resident; what each erased, by plugin name."""
        answers = await self._aanswers("meihao_erase_resident", resident_id=resident_id, meihao=meihao)
        return {name: answer for name, answer in answers if _expect_dict(name, "meihao_erase_resident", answer) is not None}

    async def doctor(self, meihao: Any) -> list[tuple[str, DoctorCheck]]:
        """Every plugin's lines for ``meihao doctor`` (``meihao_doctor``), by plugin name."""
        answers = await self._aanswers("meihao_doctor", meihao=meihao)
        return [(name, check) for name, answer in answers for check in _expect_list(name, "meihao_doctor", answer, DoctorCheck)]

    def render_reminder(self, reminder: dict[str, Any], recipient: dict[str, Any], language: str) -> str:
        """The text of one reminder: asked of the scenario that owns the activity, then of the kernel's default.

        The owner is ``reminder["activity"]["scenario"]`` (see :meth:`activity_owner`); an
        activity no installed scenario owns is rendered by the kernel alone.
        """
        owner = self.activity_owner(reminder.get("activity", {}))
        kwargs = {"reminder": reminder, "recipient": recipient, "language": language}
        impls = [impl for impl in self._impls("meihao_render_reminder") if impl.plugin_name == owner]
        impls += [impl for impl in self._impls("meihao_render_reminder") if self.loaded[impl.plugin_name].essential]
        for impl in impls:
            text = self._call(impl, "meihao_render_reminder", kwargs)
            if text is None:
                continue
            if not isinstance(text, str):
                raise PluginError(impl.plugin_name, f"meihao_render_reminder must return str or None, got {type(text).__name__}")
            return text
        raise PluginError("meihao.reminders.hookimpls", "no plugin rendered the reminder")

    # -- which scenario owns what --------------------------------------------------

    def activity_owner(self, activity: dict[str, Any]) -> str | None:
        """The installed scenario that owns an activity (its ``scenario``), or None: the kernel's."""
        owner = activity.get("scenario") or ""
        return owner if owner in self.scenarios else None

    def scenario_of_module(self, module: str) -> str | None:
        """The scenario whose plugin's package holds ``module`` (``meihao.scenarios.markets.services.days`` → markets).

        A plugin that is a package owns the modules under it; a plain module, the package
        it sits in (or itself, at the top level). A plugin registered as an object (an
        instance, a test's throwaway plugin) owns no module: its code passes ``scenario=``.
        The longest match wins; two scenarios with the same package own nothing there.
        """
        best: str | None = None
        best_length = -1
        for package, scenario in self._static.get("scenario_packages", ()):
            if module == package or module.startswith(package + "."):
                if len(package) > best_length:
                    best, best_length = scenario, len(package)
                elif len(package) == best_length:
                    best = None
        return best

    def calling_scenario(self, depth: int = 2) -> str | None:
        """The scenario whose code called the kernel function that asks (the innermost scenario frame on the stack).

        ``depth`` skips the asking function's own frames. Inferred from the call stack, so
        code running in a task of its own (``asyncio.create_task``) is not seen: pass
        ``scenario=`` explicitly there.
        """
        try:
            frame: types.FrameType | None = sys._getframe(depth)
        except ValueError:  # pragma: no cover - called from the top of the stack
            return None
        while frame is not None:
            found = self.scenario_of_module(frame.f_globals.get("__name__", ""))
            if found is not None:
                return found
            frame = frame.f_back
        return None

    def _scenario_packages(self) -> list[tuple[str, str]]:
        packages = []
        for name, plugin in self.loaded.items():
            if plugin.scenario is None:
                continue
            obj = plugin.obj
            if isinstance(obj, types.ModuleType):
                packages.append((obj.__name__ if hasattr(obj, "__path__") else (obj.__package__ or obj.__name__), name))
        return packages

    def settings_schema(self, scenario: str) -> type[msgspec.Struct]:
        found = self.scenarios.get(scenario)
        return found.settings if found else NoSettings

    def street_settings_schema(self, scenario: str) -> type[msgspec.Struct] | None:
        """The scenario's street settings Struct, or None (not installed, or no street settings)."""
        found = self.scenarios.get(scenario)
        return found.street_settings if found else None


def _refuse_wrappers(pm: pluggy.PluginManager, name: str) -> None:
    """A hook wrapper would never run (hooks are asked one implementation at a time): refuse it at load."""
    plugin = pm.get_plugin(name)
    for caller in pm.get_hookcallers(plugin) or ():
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and (impl.hookwrapper or impl.wrapper):
                raise PluginError(
                    name,
                    f"{caller.name} is a hook wrapper (hookwrapper=True or wrapper=True); meihao asks each implementation "
                    "in turn and does not run wrappers: implement the hook plainly",
                )


def _resolve(obj: Any) -> Callable[[], Any]:
    if isinstance(obj, str):
        return lambda: importlib.import_module(obj)
    return lambda: obj


def _expect_dict(plugin: str, hook: str, answer: Any) -> dict[str, Any] | None:
    if answer is None:
        return None
    if not isinstance(answer, dict) or not all(isinstance(key, str) for key in answer):
        raise PluginError(plugin, f"{hook} must return a dict with str keys or None, got {type(answer).__name__}")
    return answer


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

