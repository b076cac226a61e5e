"""The access matrix's rules, for a plugin's own routes (:func:`check_route_access`) and for the repo's matrix (tests/access).

The rules:

1. every route of the plugin is guarded: it names a permission (``guards=[requires(...)]``)
   and answers 401 without a token (unless it is declared public with ``opt={PUBLIC: True}``);
2. a scene's route in a community that has not switched the scene on answers 404, as an
   unknown path does;
3. a staff member whose scope reaches the community but not the record gets 404 with the
   body a record that does not exist gets, byte for byte (the ids put the same), and nothing
   is written; a staff member in scope is not refused (no 401, 403 or 404). A caller without
   the route's permission gets 403 either way (the same 403 for a missing record);
4. every route of the plugin is named in the check, so that a new route fails it until
   someone decides how it is scoped.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import Any

#: The id put in place of a record's id to ask for one that does not exist.
MISSING_ID = 987654321

ClientFactory = Callable[[str], AbstractAsyncContextManager[Any]]


@dataclass(frozen=True)
class Call:
    """One request of an access check: ``path`` with its ids filled in, a JSON ``body``, and the
    id of the record it names. By default that is the last number in the path; ``record=<id>``
    names one in the body instead (``{"resident_id": 12}``). The missing-row request is the
    same with that id replaced by :data:`MISSING_ID`."""

    path: str
    body: Any = None
    record: int | None = None

    def record_id(self) -> int:
        if self.record is not None:
            return self.record
        numbers = re.findall(r"/(\d+)(?=/|$|\?)", self.path)
        if not numbers:
            raise ValueError(f"{self.path}: no id in the path; give Call(..., record=<id>)")
        return int(numbers[-1])

    def missing(self) -> Call:
        """The same request naming a record that does not exist."""
        if self.record is not None and _has_value(self.body, self.record):
            return replace(self, body=_swap_in_body(self.body, self.record, MISSING_ID), record=MISSING_ID)
        record = self.record_id()
        matches = list(re.finditer(rf"/{record}(?=/|$|\?)", self.path))
        if not matches:
            raise ValueError(f"{self.path}: record {record} is neither in the path nor in the body")
        last = matches[-1]
        return replace(self, path=f"{self.path[:last.start()]}/{MISSING_ID}{self.path[last.end():]}", record=MISSING_ID)


def _has_value(body: Any, value: int) -> bool:
    if isinstance(body, dict):
        return any(_has_value(v, value) for v in body.values())
    if isinstance(body, list):
        return any(_has_value(v, value) for v in body)
    return body == value and isinstance(body, int) and not isinstance(body, bool)


def _swap_in_body(body: Any, old: int, new: int) -> Any:
    if isinstance(body, dict):
        return {k: _swap_in_body(v, old, new) for k, v in body.items()}
    if isinstance(body, list):
        return [_swap_in_body(v, old, new) for v in body]
    return new if _has_value(body, old) else body


# -- reading the app ----------------------------------------------------------------


def route_table(app: Any) -> dict[tuple[str, str], Any]:
    """Every route of a Litestar app's API: (method, path template as ``/api/x/{id}``) -> its handler (no OPTIONS,
    no /schema, no console pages: :func:`page_table` lists those)."""
    from meihao.web.console.session import is_console_path

    found = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method == "OPTIONS" or route.path.startswith("/schema") or is_console_path(route.path):
                    continue
                found[(method, route.path_format)] = handler
    return found


def page_table(app: Any) -> dict[tuple[str, str], Any]:
    """Every console page of a Litestar app: (method, path template as ``/c/{slug}/x``) -> its handler (no HEAD, no static files)."""
    from meihao.web.console.session import is_console_path

    found = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method in ("OPTIONS", "HEAD") or not is_console_path(route.path) or route.path.startswith("/static"):
                    continue
                found[(method, route.path_format)] = handler
    return found


def permissions_of(handler: Any) -> set[str]:
    """The permissions a route's guards (``requires(...)``, on it or its router) name."""
    return {p for guard in handler.resolve_guards() for p in getattr(getattr(guard, "func", guard), "permissions", ())}


def is_public(handler: Any) -> bool:
    from meihao.web.auth import PUBLIC

    return bool(handler.opt.get(PUBLIC))


def plugin_route_table(app: Any, mh: Any, plugin: str) -> dict[tuple[str, str], Any]:
    """The routes of one plugin in the app (its ``meihao_route_handlers``, wherever mounted)."""
    functions = set()
    for name, handlers in mh.plugins.route_handlers():
        if name != plugin:
            continue
        for handler in handlers:
            members = vars(handler).values() if isinstance(handler, type) else [handler]
            functions |= {getattr(member, "fn", None) for member in members} - {None}
    prefix = f"/api/communities/{{slug}}/{plugin}"
    scene = plugin in mh.plugins.scenarios
    return {
        key: handler
        for key, handler in route_table(app).items()
        if handler.fn in functions or (scene and (key[1] == prefix or key[1].startswith(prefix + "/")))
    }


def route_key(key: tuple[str, str]) -> str:
    return f"{key[0]} {key[1]}"


# -- the rules --------------------------------------------------------------------


def same_as_missing(hidden: Any, missing: Any, record_id: int, missing_id: int = MISSING_ID, expected_status: int = 404) -> str | None:
    """Rule 3's answer check on two responses: the one for a record out of the caller's scope
    (``record_id``) and the one for a record that does not exist (``missing_id``). Both must be
    ``expected_status`` (404; 403 for a caller without the route's permission) and their bodies
    byte-identical once the missing id reads as the hidden one. None when so, else why not."""
    if hidden.status_code != expected_status:
        return f"answered {hidden.status_code}, not {expected_status}: {hidden.text[:200]}"
    if missing.status_code != expected_status:
        return f"a missing record answered {missing.status_code}, not {expected_status}: {missing.text[:200]}"
    expected = re.sub(rf"(?<!\d){missing_id}(?!\d)", str(record_id), missing.content.decode())
    if hidden.content.decode() != expected:
        return f"the body differs from a missing record's: {hidden.text!r} != {expected!r}"
    return None


def holds(permissions: set[str], handler: Any) -> bool:
    """Whether a caller with ``permissions`` (``"*"``: a street admin) passes the route's permission guards."""
    return "*" in permissions or permissions_of(handler) <= permissions


async def _permissions_of_caller(client: Any) -> set[str]:
    answer = await client.get("/api/auth/me")
    assert answer.status_code == 200, f"GET /api/auth/me: {answer.status_code} {answer.text[:200]}"
    return set(answer.json()["permissions"])


async def _snapshot(tables: list[Any]) -> list[Any]:
    return [await table.select().order_by(table._meta.primary_key) for table in tables]


def _plugin_tables(mh: Any, plugin: str) -> list[Any]:
    loaded = getattr(mh.plugins, "loaded", {}).get(plugin)
    tables: list[Any] = []
    for path in getattr(loaded, "piccolo_apps", []) or []:
        config = getattr(importlib.import_module(path), "APP_CONFIG", None)
        tables += list(getattr(config, "table_classes", []))
    return tables


@dataclass
class AccessReport:
    """What :func:`check_route_access` saw: per route (``"METHOD /path/{template}"``), the answers it got."""

    answers: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def note(self, route: str, who: str, status: int) -> None:
        self.answers.setdefault(route, {})[who] = status


async def check_route_access(
    client: ClientFactory,
    plugin: str,
    *,
    records: dict[str, Call],
    community_routes: Iterable[str] = (),
    without_scene: str | None = None,
    inside: str = "grid_worker",
    outside: str = "grid_worker_out",
) -> AccessReport:
    """Check every route of ``plugin`` against the access rules (module docstring); raise AssertionError listing every breach.

    ``client(who)`` opens an in-process client for a staff member (``SceneWorld.client``, or
    any ``async with`` factory built on ``meihao.testing.make_client``); ``inside`` and
    ``outside`` are who to ask for: two staff members whose scope reaches the community,
    ``inside`` reaching the records named in ``records``, ``outside`` not (a grid worker of
    another grid). ``records`` maps each route naming a record (``"POST
    /api/communities/{slug}/<plugin>/things/{thing_id}/close"``, as :func:`route_table` spells
    it) to a :class:`Call` on such a record; ``community_routes`` names the plugin's other
    routes (lists, creates, settings: no single record). ``without_scene`` is the slug of a
    community where the scene is off (required for a scene). The outside staff member's
    requests, and the missing-row requests, must change none of the plugin's tables; the
    inside staff member's requests run last, in the order given. Returns what was seen.
    """
    report = AccessReport()
    async with client(inside) as inner:
        app = inner.app
        mh = app.state["meihao"]
        routes = plugin_route_table(app, mh, plugin)
        scene = plugin in mh.plugins.scenarios
        named = set(records) | set(community_routes)
        keys = {route_key(k): k for k in routes}
        for name in sorted(set(keys) - named):
            report.problems.append(f"{name}: not classified; name it in records= (a Call on a record) or community_routes=")
        for name in sorted(named - set(keys)):
            report.problems.append(f"{name}: named in the check but not a route of {plugin!r} (routes: {', '.join(sorted(keys))})")
        if scene and without_scene is None:
            report.problems.append(f"{plugin!r} is a scene: give without_scene= (a community that has not switched it on)")
        for name, key in sorted(keys.items()):
            handler = routes[key]
            if is_public(handler):
                continue
            if not permissions_of(handler):
                report.problems.append(f"{name}: no permission guard (guards=[requires('{plugin}.…')])")
            anonymous = await inner.request(key[0], fill_path(key[1], without_scene), headers={"Authorization": ""})
            report.note(name, "anonymous", anonymous.status_code)
            if anonymous.status_code != 401:
                report.problems.append(f"{name}: answered {anonymous.status_code} without a token, not 401")
            if scene and without_scene is not None:
                off = await inner.request(key[0], fill_path(key[1], without_scene))
                report.note(name, "without_scene", off.status_code)
                if off.status_code != 404:
                    report.problems.append(f"{name}: answered {off.status_code} in {without_scene!r}, which has not switched {plugin!r} on, not 404")
        tables = _plugin_tables(mh, plugin)
        inside_may = await _permissions_of_caller(inner)
        async with client(outside) as outer:
            outside_may = await _permissions_of_caller(outer)
            for name, call in records.items():
                if name not in keys:
                    continue
                method = keys[name][0]
                before = await _snapshot(tables)
                hidden = await outer.request(method, call.path, json=call.body)
                missing = call.missing()
                nothing = await outer.request(method, missing.path, json=missing.body)
                report.note(name, "outside", hidden.status_code)
                why = same_as_missing(hidden, nothing, call.record_id(), MISSING_ID, 404 if holds(outside_may, routes[keys[name]]) else 403)
                if why:
                    report.problems.append(f"{name} as {outside!r} (out of scope): {why}")
                if await _snapshot(tables) != before:
                    report.problems.append(f"{name} as {outside!r} (out of scope) changed {plugin!r}'s data")
        for name, call in records.items():
            if name not in keys:
                continue
            answer = await inner.request(keys[name][0], call.path, json=call.body)
            report.note(name, "inside", answer.status_code)
            if not holds(inside_may, routes[keys[name]]):
                if answer.status_code != 403:
                    report.problems.append(f"{name} as {inside!r}, without its permission: answered {answer.status_code}, not 403")
            elif answer.status_code in (401, 403, 404) or answer.status_code >= 500:
                report.problems.append(f"{name} as {inside!r} (in scope): answered {answer.status_code}: {answer.text[:200]}")
    if report.problems:
        raise AssertionError(f"{plugin}: {len(report.problems)} access problem(s):\n" + "\n".join(f"- {p}" for p in report.problems))
    return report


def fill_path(template: str, slug: str | None) -> str:
    """A path matching ``template``: ``slug`` for ``{slug}``, 1 for any other parameter."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: (slug or "x") if m.group(1) == "slug" else "1", template)

