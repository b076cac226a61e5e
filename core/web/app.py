"""The Litestar app factory: kernel routes, every plugin's routes, errors mapped to HTTP in one place."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response, Router
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import ClientException, NotFoundException, SerializationException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.logging import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, RedocRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.params import FromPath

from meihao.access.principals import Principal
from meihao.errors import Forbidden, MeihaoError
from meihao.register.communities import get_community
from meihao.register.community_scenarios import is_enabled
from meihao.register.schemas import CommunityInfo
from meihao.runtime import Meihao
from meihao.version import __version__
from meihao.web.auth import PUBLIC, BearerTokenMiddleware
from meihao.web.console.app import console_routers, csrf_config
from meihao.web.console.errors import console_or
from meihao.web.console.session import ConsoleSessionMiddleware
from meihao.web.metrics import MetricsController, prometheus_config
from meihao.web.responses import DocumentedErrors
from meihao.web.routes import (
    activities,
    auth,
    calendar,
    communities,
    health,
    jobs,
    links,
    plugins,
    recipients,
    register_import,
    residents,
    rights,
    staff,
    street,
    volunteering,
)
from meihao.web.safety import (
    InputSafetyMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    client_error_response,
    field_problem,
    internal_error_response,
)

#: The kernel's own routes, capability by capability.
KERNEL_HANDLERS = [
    *health.HANDLERS,
    *auth.HANDLERS,
    *communities.HANDLERS,
    *residents.HANDLERS,
    *register_import.HANDLERS,
    *rights.HANDLERS,
    *staff.HANDLERS,
    *plugins.HANDLERS,
    *activities.HANDLERS,
    *jobs.HANDLERS,
    *recipients.HANDLERS,
    *links.HANDLERS,
    *calendar.HANDLERS,
    *volunteering.HANDLERS,
    *street.HANDLERS,
]


def meihao_error_response(request: Request[Any, Any, Any], exc: MeihaoError) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    headers = {}
    if exc.status_code == 429:  # every 429 says when to come back
        headers["Retry-After"] = str(getattr(exc, "retry_after", 60))
    return Response(body, status_code=exc.status_code, headers=headers)


def validation_error_response(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    """Litestar's own 400s (a body or parameter that does not decode) in the kernel's shape:
    ``detail`` says what is wrong with which field and ``field`` names it; ``extra`` keeps every
    problem Litestar found."""
    body: dict[str, Any] = {"status_code": 400, "detail": exc.detail}
    problems = exc.extra if isinstance(exc.extra, list) else []
    first = next((p for p in problems if isinstance(p, dict) and p.get("key")), None)
    if first is not None:
        # msgspec's words ("Expected `int | null`, got `str`") told in the user's terms
        body["field"], body["detail"] = field_problem(str(first.get("message", "invalid")), first["key"])
    if problems:
        body["extra"] = [
            {**p, "message": field_problem(str(p.get("message", "")), str(p.get("key", "")))[1].split(": ", 1)[-1]} if isinstance(p, dict) else p
            for p in problems
        ]
    return Response(body, status_code=400)


async def provide_community(slug: FromPath[str]) -> CommunityInfo:
    return await get_community(slug)


def scenario_guard(scenario: str, departments: bool = False):
    """404 where the scenario is not enabled for the community in the path, exactly as for an unknown path;
    403 where the caller's scope does not reach the community (department staff pass where the scenario
    serves departments, ``Scenario.departments``). Records inside a scenario are the
    plugin's to scope (``scoped_row``, ``scope_where`` and friends), 404 outside it."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        slug = connection.path_params.get("slug", "")
        community = await get_community(slug)
        if not await is_enabled(community.id, scenario):
            raise NotFoundException(f"scenario {scenario!r} is not enabled in community {slug!r}")
        principal: Principal = connection.user
        if not principal.reaches_community(community.id) and not (departments and principal.department_staff()):
            raise Forbidden(f"your scope does not reach community {slug!r}")

    guard.hides = guard.refuses = True  # type: ignore[attr-defined]  # 404 and 403: documented by meihao.web.responses
    return guard


#: A street route or page marked ``opt={COMMUNITY_STAFF: True}`` is open to community staff too (with its permission).
COMMUNITY_STAFF = "community_staff"


def street_guard(scenario: str):
    """A scenario's street routes (``/api/street/{scenario}``): 404 while no community runs the scenario, exactly as
    for an unknown path; 403 to a caller who is not street staff, unless the handler is marked ``community_staff``."""
    from meihao.register.street import runs_anywhere

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if not await runs_anywhere(scenario):
            raise NotFoundException(f"scenario {scenario!r} is not switched on in any community")
        principal: Principal = connection.user
        if not principal.street and not handler.opt.get(COMMUNITY_STAFF):
            raise Forbidden(f"the street's {scenario} routes are for street staff")

    guard.hides = guard.refuses = True  # type: ignore[attr-defined]  # 404 and 403: documented by meihao.web.responses
    return guard


def plugin_routers(mh: Meihao) -> list[Router]:
    routers = []
    for plugin, handlers in mh.plugins.route_handlers():
        if plugin in mh.plugins.scenarios:
            routers.append(
                Router(
                    path=f"/api/communities/{{slug:str}}/{plugin}",
                    route_handlers=handlers,
                    guards=[scenario_guard(plugin, mh.plugins.scenarios[plugin].departments)],
                    dependencies={"community": Provide(provide_community)},
                    tags=[plugin],
                )
            )
        else:
            routers.append(Router(path="/api", route_handlers=handlers, tags=[plugin]))
    for plugin, handlers in mh.plugins.street_route_handlers():
        routers.append(Router(path=f"/api/street/{plugin}", route_handlers=handlers, guards=[street_guard(plugin)], tags=[plugin, "street"]))
    return routers


#: Answers to the client's own mistakes (400-499: a missing record, a refused permission, a body
#: that does not decode) are expected: Litestar logs them as neither an "Uncaught exception" nor
#: with a traceback. Anything else (a 500) is logged with its traceback, in debug mode or not.
CLIENT_ERRORS = frozenset(range(400, 500))


def logging_config() -> LoggingConfig:
    """Litestar's default logging, minus the tracebacks of client errors (:data:`CLIENT_ERRORS`)."""
    return LoggingConfig(log_exceptions="always", disable_stack_trace=set(CLIENT_ERRORS))


#: Where the OpenAPI pages' scripts and styles are served (core/web/static, see its README).
STATIC = "/schema/static"
#: Litestar's default favicon is on a CDN; an empty one keeps the pages from asking anyone else.
NO_FAVICON = "<link rel='icon' href='data:,'>"


def openapi_assets() -> Router:
    """Swagger UI's and ReDoc's files, shipped with meihao: the API pages work offline and load nothing from a CDN."""
    from pathlib import Path

    from litestar.datastructures import CacheControlHeader
    from litestar.static_files import create_static_files_router

    return create_static_files_router(
        path=STATIC,
        directories=[Path(__file__).parent / "static"],
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=86400, public=True),
        opt={PUBLIC: True},
    )


def _terminate_this_process() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def create_app(mh: Meihao, *, debug: bool = False, port: int | None = None, register_node: bool = True) -> Litestar:
    """Build the web app for a booted meihao; the database opens and closes with the app's lifespan.

    ``mh.settings.role`` decides what runs: ``web`` and ``both`` serve the whole API,
    ``scheduler`` serves only ``/health`` and ``/metrics`` (for the proxy's and the
    orchestrator's checks and for Prometheus); ``scheduler`` and ``both`` also run the
    scheduler and the reminder pump. ``register_node`` registers the process as a node
    (:mod:`meihao.scheduling.nodes`); test clients, several of which may share one process, skip it.
    """
    from meihao.scheduling.nodes import NodeRegistration

    # The lifespan and the handlers read meihao from the app's state, never from this call's
    # arguments: the test kit reuses one app for the many meihaos of a test run (see
    # meihao.testing.make_client), since building the app is the bulk of a test's set-up.
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        mh: Meihao = app.state["meihao"]
        await mh.start()
        # A node whose name another process took over (it was presumed dead) shuts down as on SIGTERM.
        node = NodeRegistration(mh, port=port, on_lost=_terminate_this_process) if register_node else None
        worker = None
        try:
            try:
                if node is not None:
                    await node.start()
                    app.state["node"] = node
                if mh.settings.runs_scheduler:
                    # The scheduler and the reminder pump run in this process; beside the API
                    # (role both) in a thread and event loop of their own.
                    from meihao.scheduling.worker import Worker, WorkerThread

                    kind = WorkerThread if mh.settings.serves_api else Worker
                    worker = kind(mh, identity=node.node_id if node else None)
                    await worker.start()
                    app.state["worker"] = worker
            except MeihaoError as err:
                # A refusal (the node's name is taken, another process runs the SQLite scheduler):
                # `meihao serve` reports it in one line instead of the server's traceback.
                app.state["refused"] = err
                raise
            yield
        finally:
            if worker is not None:
                await worker.stop()
            if node is not None:
                await node.stop()
            await mh.close()

    def provide_meihao(state: State) -> Meihao:
        return state["meihao"]  # type: ignore[no-any-return]

    def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
        return request.user

    return Litestar(
        route_handlers=(
            [*KERNEL_HANDLERS, *plugin_routers(mh), MetricsController, openapi_assets(), *console_routers(mh)]
            if mh.settings.serves_api
            else [health.health, MetricsController]
        ),
        dependencies={
            "meihao": Provide(provide_meihao, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        # Every method of the API is authenticated, OPTIONS included (Litestar skips it by default): an
        # anonymous caller gets 401 before the scenario guard, and cannot learn which scenes a community
        # runs. The console's pages (every path outside /api, /schema, /health, /metrics) know their
        # visitor by the session cookie instead, and their forms carry CSRF tokens.
        middleware=[
            RequestIdMiddleware(),
            SecurityHeadersMiddleware(),
            prometheus_config().middleware,
            DefineMiddleware(BearerTokenMiddleware, exclude=["^/schema"], exclude_http_methods=[]),
            ConsoleSessionMiddleware(),
            InputSafetyMiddleware(),
        ],
        csrf_config=csrf_config(mh) if mh.settings.serves_api else None,
        exception_handlers={
            MeihaoError: meihao_error_response,
            ValidationException: validation_error_response,
            # an unknown address or method outside the API is answered with a page
            ClientException: console_or(client_error_response),
            SerializationException: client_error_response,
            # what no handler expected (a bug): logged with its traceback, a request id for the caller
            500: console_or(internal_error_response),
        },
        lifespan=[lifespan],
        # every route's error answers (400, 401, 403, 404, 409) in the OpenAPI document, plugin routes included
        plugins=[DocumentedErrors()],
        logging_config=logging_config(),
        # GET /schema is the OpenAPI document itself (what tools and `curl` expect);
        # the pages for people are at /schema/redoc and /schema/swagger.
        openapi_config=OpenAPIConfig(
            title="meihao 美好",
            version=__version__,
            path="/schema",
            render_plugins=[
                JsonRenderPlugin(path=["/", "/openapi.json"]),
                YamlRenderPlugin(),
                # their scripts and styles come from meihao itself (/schema/static), not a CDN
                RedocRenderPlugin(js_url=f"{STATIC}/redoc.standalone.js", google_fonts=False, favicon=NO_FAVICON),
                SwaggerRenderPlugin(
                    favicon=NO_FAVICON,
                    js_url=f"{STATIC}/swagger-ui-bundle.js",
                    css_url=f"{STATIC}/swagger-ui.css",
                    standalone_preset_js_url=f"{STATIC}/swagger-ui-standalone-preset.js",
                ),
            ],
        ),
        state=State({"meihao": mh}),
        debug=debug,
    )
