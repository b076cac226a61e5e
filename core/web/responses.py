"""The error answers every route documents in OpenAPI, worked out from its guards, path and inputs, kernel and plugin routes alike.

A route answers more than its success: 400 for bad input (anywhere); 401 without a valid token
(every route not marked public); 403 where a guard checks a permission or a scope, or the path
names a community (the caller's scope may not reach it); 404 where the path names anything, where
a query parameter or a body field names a record (``…_id``, ``…_ids``, or one of
:data:`RECORD_NAMES`) or where the scenario guard checks that the community runs the scenario;
409 where a logged-in caller writes. :class:`DocumentedErrors` adds these to each handler as the
app registers it, so that the OpenAPI document lists every status a route can answer (a client
generated from it, or a fuzzer checking it, meets no undocumented one) and new routes are covered
without a line of their own. A handler's own ``responses=`` win over these; a handler that
refuses where none of these rules sees it, or answers another status (401 and 429 on login),
names it with :func:`error_response`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import BodyKwarg
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from meihao.web.auth import PUBLIC


class ErrorOut(msgspec.Struct):
    """The body of every error answer (the kernel's error handlers write it)."""

    status_code: int
    #: what is wrong, in the user's terms, naming the field where there is one
    detail: str
    #: the field (of the body, the path or the query string) that is wrong
    field: str | None = None
    #: every problem found, where there were several (a body that does not decode)
    extra: list[Any] | dict[str, Any] | None = None


#: What each status means, as the documentation says it.
DESCRIPTIONS = {
    400: "Bad input: the body, a path or query parameter breaks a rule; `field` names it",
    401: "Not logged in: send Authorization: Bearer <token> (POST /api/auth/login); the token is unknown, expired or revoked",
    403: "Your permissions or your scope do not allow this",
    404: "Not found: the record does not exist or is outside your scope, or the scenario is not enabled in the community",
    409: "The write conflicts with the current state (a duplicate, or a record whose status no longer allows it)",
    429: "Too many attempts: wait the seconds given in Retry-After",
}

#: Methods that write, and so may conflict with what is stored.
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Query parameters and body fields that name a record (besides ``…_id`` and ``…_ids``): one that does
#: not exist, or lies outside the caller's scope, is a 404.
RECORD_NAMES = frozenset({"community", "grid", "building", "household", "resident", "staff", "activity"})

#: Handler parameters Litestar fills itself (the request, not its query string).
_RESERVED = frozenset({"request", "scope", "state", "headers", "cookies", "query", "socket", "body"})


def error_response(status: int, description: str | None = None) -> ResponseSpec:
    """The documented answer for an error ``status``, with the kernel's error body."""
    return ResponseSpec(data_container=ErrorOut, description=description or DESCRIPTIONS[status], generate_examples=False)


def guards_permission(guard: Any) -> bool:
    """Whether a guard may refuse with 403: a ``requires(...)`` guard, or one that marks itself (``guard.refuses = True``)."""
    return bool(getattr(guard, "permissions", None) or getattr(guard, "refuses", False))


def guards_presence(guard: Any) -> bool:
    """Whether a guard may answer 404 (the scenario guard: the scenario is not enabled in the community)."""
    return bool(getattr(guard, "hides", False))


def names_a_record(name: str) -> bool:
    return name in RECORD_NAMES or name.endswith(("_id", "_ids"))


def _body_fields(annotation: Any) -> set[str]:
    """Every property name in a body's JSON schema (nested objects and lists of them included)."""
    try:
        schema = msgspec.json.schema(annotation)
    except (TypeError, ValueError):  # not a type msgspec describes: nothing is known of its fields
        return set()
    return {name for definition in [schema, *schema.get("$defs", {}).values()] for name in definition.get("properties", {})}


def inputs_name_records(handler: Any, path_parameters: Iterable[str]) -> bool:
    """Whether a query parameter or a field of the body names a record (see :func:`names_a_record`)."""
    skipped = {*path_parameters, *handler.resolve_dependencies(), *_RESERVED}
    for name, definition in handler.parsed_fn_signature.parameters.items():
        kwarg = definition.kwarg_definition
        if isinstance(kwarg, BodyKwarg) or name == "data":
            if any(names_a_record(field) for field in _body_fields(definition.annotation)):
                return True
        elif name not in skipped and names_a_record(getattr(kwarg, "query", None) or name):
            return True
    return False


def documented_errors(handler: Any, path_parameters: list[str], methods: set[str]) -> dict[int, ResponseSpec]:
    """The error answers of one handler: see the module."""
    statuses = {400}
    public = bool(handler.opt.get(PUBLIC))
    # the guards as written on each layer (resolve_guards() wraps them, losing their marks)
    guards = [g for layer in handler.ownership_layers for g in (layer.guards or [])]
    if not public:
        statuses.add(401)
    if not public and ("slug" in path_parameters or any(guards_permission(g) for g in guards)):
        statuses.add(403)
    if path_parameters or any(guards_presence(g) for g in guards) or inputs_name_records(handler, path_parameters):
        statuses.add(404)
    if methods & WRITES and not public:
        statuses.add(409)
    return {status: error_response(status) for status in sorted(statuses)}


class DocumentedErrors(ReceiveRoutePlugin):
    """Adds :func:`documented_errors` to each HTTP handler as the app registers it (a handler's own entries kept)."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        parameters = list(route.path_parameters)
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            errors = documented_errors(handler, parameters, set(handler.http_methods))
            handler.responses = {**errors, **(handler.responses or {})}
