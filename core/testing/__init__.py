"""pytest plugin for meihao and its plugin authors: apps on fresh databases, clients, factories.

Installed with meihao (entry point ``pytest11``), so its fixtures are available in any
project that has meihao installed:

``make_meihao(plugins=[("name", module_or_object)], **settings)``
    boots meihao on a fresh, migrated temporary database with the given throwaway
    plugins registered, and returns it. Only meihao's own built-in plugins are loaded
    from entry points; other installed plugins do not leak into a test run unless the
    test names them.
``meihao``
    the same, with no extra plugins.
``meihao_client``
    an in-process HTTP client (Litestar's ``AsyncTestClient``) for ``meihao``;
    ``make_client(mh)`` gives one for an instance from ``make_meihao``.
``factories``
    async helpers that create communities, grids, buildings, households and residents.
``drain(engine, now=None)``
    ticks a reminder engine until nothing more happens at ``now``: drive it with a fake
    clock, and nothing waits on real time.
``fire_job(mh, job_id, community=None, at=None)``, ``inbox(mh, resident_id)``, ``work_item_escalations(item_id)``
    run a job as the scheduler would at a fake time, its run recorded; read a resident's
    inbox; a work item's escalation levels, planned and sent (:mod:`meihao.testing.kit`).
``SceneWorld.build(mh, scenario, ...)``
    two communities, grids, residents, a client per role and fake-time travel for a scene's
    tests (:mod:`meihao.testing.world`).
``check_route_access(client, plugin, records=..., ...)``
    the access matrix's rules on a plugin's own routes (:mod:`meihao.testing.access`).

Every test that uses these fixtures runs once per database backend: on SQLite and, when
a PostgreSQL server answers (by default at 127.0.0.1:5432, user ``postgres``; another with
``MEIHAO_TEST_POSTGRES_URL``), on PostgreSQL too, in throwaway databases of its own
(see :mod:`meihao.testing.databases`). Choose with ``--meihao-db=sqlite,postgresql`` or
``MEIHAO_TEST_DATABASES``; with ``CI=true`` a PostgreSQL that does not answer fails the run
instead of being skipped. ``@pytest.mark.meihao_db("sqlite")`` keeps a test to the
backends it names (a test that reads the SQLite file, say). The fixture
``meihao_db_backend`` is the backend of the running test.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio
from cryptography.fernet import Fernet
from piccolo.apps.user.tables import BaseUser

from meihao.config import Settings, load_settings
from meihao.reminders.policy import TickResult
from meihao.runtime import Meihao, boot
from meihao.testing.access import Call as Call
from meihao.testing.access import check_route_access as check_route_access
from meihao.testing.databases import (
    BACKENDS,
    PostgresTestDatabases,
    SQLiteTestDatabases,
    Template,
    TestDatabases,
    postgres_admin_url,
    postgres_answers,
    run_prefix,
)
from meihao.testing.factories import Factories
from meihao.testing.kit import fire_job as fire_job
from meihao.testing.kit import inbox as inbox
from meihao.testing.kit import work_item_escalations as work_item_escalations
from meihao.testing.world import SceneWorld as SceneWorld

if TYPE_CHECKING:
    from meihao.reminders.engine import ReminderEngine

# One key for the whole test session, so a copied template database stays readable.
_TEST_DATA_KEY = Fernet.generate_key().decode()

# Passwords in tests need not resist brute force; Piccolo stores the iteration count in
# each hash, so verification stays correct.
BaseUser._pbkdf2_iteration_count = 1_000


def builtin_only(entry_point: EntryPoint) -> bool:
    """Entry-point filter that keeps meihao's own plugins and drops third-party ones installed beside it."""
    return entry_point.dist is not None and entry_point.dist.name == "meihao"


def settings_for_tests(database: Path | str, **overrides: Any) -> Settings:
    """Settings for a test on ``database``: a SQLite file's path or any database URL."""
    url = database if isinstance(database, str) and "://" in database else f"sqlite:///{database}"
    # No scheduler or reminder worker in the background: tests drive them with a fake clock.
    values: dict[str, Any] = {"database_url": url, "data_key": _TEST_DATA_KEY, "mode": "demo", "role": "web"}
    values.update(overrides)
    return load_settings(environ={}, **values)


def boot_for_tests(settings: Settings, plugins: list[tuple[str, Any]] | None = None) -> Meihao:
    """Boot with meihao's built-in plugins plus ``plugins``; third-party entry points are ignored."""
    return boot(settings, extra_plugins=plugins or [], entry_point_filter=builtin_only)


async def drain(engine: ReminderEngine, now: datetime | None = None, rounds: int = 1000) -> TickResult:
    """Tick ``engine`` until nothing more happens at ``now`` (tests and the bench)."""
    total = TickResult()
    for _ in range(rounds):
        step = await engine.tick(now)
        for name in ("planned", "fanned_out", "missed", "sent", "retried", "failed", "deferred", "held", "recipients"):
            setattr(total, name, getattr(total, name) + getattr(step, name))
        if not (step.planned or step.fanned_out or step.missed or step.sent or step.retried or step.failed or step.deferred or step.held):
            break
    return total


# -- which databases the tests run on ---------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("meihao")
    group.addoption(
        "--meihao-db",
        default=None,
        help="comma-separated database backends to run meihao's fixtures on: sqlite, postgresql "
        "(default: MEIHAO_TEST_DATABASES, else both when PostgreSQL answers at MEIHAO_TEST_POSTGRES_URL "
        "or 127.0.0.1:5432; with CI=true PostgreSQL must answer)",
    )


_BACKENDS_KEY = pytest.StashKey[list[str]]()
_PREFIX_KEY = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "meihao_db(*backends): run this test only on the named database backends (sqlite, postgresql)"
    )
    config.stash[_BACKENDS_KEY] = choose_backends(config.getoption("--meihao-db", default=None), dict(os.environ))
    config.stash[_PREFIX_KEY] = run_prefix()


def choose_backends(option: str | None, environ: dict[str, str]) -> list[str]:
    """The backends of this run, from ``--meihao-db``, else MEIHAO_TEST_DATABASES, else what answers.

    Raises ``pytest.UsageError`` for an unknown name, for PostgreSQL asked for but not
    answering, and when ``CI=true`` and PostgreSQL does not answer.
    """
    raw = option or environ.get("MEIHAO_TEST_DATABASES", "")
    url = postgres_admin_url(environ)
    if raw.strip():
        chosen = [part.strip().lower() for part in raw.split(",") if part.strip()]
        chosen = ["postgresql" if name == "postgres" else name for name in chosen]
        unknown = [name for name in chosen if name not in BACKENDS]
        if unknown:
            raise pytest.UsageError(f"--meihao-db / MEIHAO_TEST_DATABASES: unknown backend {unknown[0]!r}; choose from sqlite, postgresql")
        if "postgresql" in chosen:
            problem = asyncio.run(postgres_answers(url))
            if problem:
                raise pytest.UsageError(f"PostgreSQL was asked for but does not answer at {_safe(url)}: {problem}")
        return list(dict.fromkeys(chosen))
    problem = asyncio.run(postgres_answers(url))
    if problem is None:
        return ["sqlite", "postgresql"]
    if environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise pytest.UsageError(
            f"CI=true: the tests must run on PostgreSQL too, but it does not answer at {_safe(url)}: {problem} "
            "(start it, set MEIHAO_TEST_POSTGRES_URL, or choose --meihao-db=sqlite)"
        )
    return ["sqlite"]


def _safe(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def pytest_report_header(config: pytest.Config) -> str:
    backends = config.stash.get(_BACKENDS_KEY, ["sqlite"])
    where = f" (at {_safe(postgres_admin_url())}, databases {config.stash[_PREFIX_KEY]}_*)" if "postgresql" in backends else ""
    return f"meihao databases: {', '.join(backends)}{where}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "meihao_db_backend" not in metafunc.fixturenames:
        return
    backends = metafunc.config.stash.get(_BACKENDS_KEY, ["sqlite"])
    marker = metafunc.definition.get_closest_marker("meihao_db")
    if marker is not None:
        backends = [name for name in backends if name in marker.args]
    metafunc.parametrize("meihao_db_backend", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def meihao_db_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    """The database backend of the running test: makes its throwaway databases."""
    name = getattr(request, "param", "sqlite")
    backend: TestDatabases
    if name == "postgresql":
        backend = PostgresTestDatabases(postgres_admin_url(), request.config.stash[_PREFIX_KEY])
    else:
        backend = SQLiteTestDatabases(tmp_path_factory.mktemp("meihao-sqlite"))
    yield backend
    backend.finish()


@pytest.fixture(scope="session")
def _meihao_template(meihao_db_backend: TestDatabases) -> Template:
    """A database with the kernel and built-in plugins migrated once; tests get copies
    (``await _meihao_template.acquire()`` or the ``make_meihao`` fixture)."""
    from meihao.operations.migrate import migrate

    return build_template(meihao_db_backend, None, migrate)  # with the scheduler's tables on PostgreSQL


def build_template(
    backend: TestDatabases,
    source: Template | None,
    fill: Callable[[Meihao], Awaitable[Any]],
    plugins: list[tuple[str, Any]] | None = None,
) -> Template:
    """A new template: a copy of ``source`` (or an empty database) that ``fill(mh)`` changes once.

    For session fixtures that build a world many tests start from; ``fill`` runs on a started
    meihao with ``plugins`` and must leave no connection open but its own.
    """
    url = backend.new_database(source)
    mh = boot_for_tests(settings_for_tests(url), plugins)

    async def run() -> None:
        await mh.start()
        try:
            await fill(mh)
        finally:
            await mh.close()

    asyncio.run(run())
    return backend.seal(url)


MakeMeihao = Callable[..., Awaitable[Meihao]]


@pytest_asyncio.fixture
async def make_meihao(tmp_path: Path, _meihao_template: Template) -> AsyncIterator[MakeMeihao]:
    """Factory: ``await make_meihao(plugins=[(name, plugin)], **settings)`` on a fresh migrated database."""
    started: list[Meihao] = []
    acquired: list[str] = []

    async def make(plugins: list[tuple[str, Any]] | None = None, **settings: Any) -> Meihao:
        url = await _meihao_template.acquire(tmp_path)
        acquired.append(url)
        mh = boot_for_tests(settings_for_tests(url, **settings), plugins)
        await mh.start()
        started.append(mh)
        await mh.db.migrate()  # the throwaway plugins' own tables
        return mh

    yield make
    for mh in started:
        await mh.close()
    for url in acquired:
        await _meihao_template.release(url)


@pytest_asyncio.fixture
async def meihao(make_meihao: MakeMeihao) -> Meihao:
    """meihao booted on a fresh temporary database with the built-in plugins only."""
    return await make_meihao()


ANONYMOUS = "anonymous"


@asynccontextmanager
async def make_client(mh: Meihao, staff_id: int | str | None = None) -> AsyncIterator[Any]:
    """An in-process client for ``mh``'s web app; the app's lifespan runs around it.

    It sends a bearer token of ``staff_id``; by default of a street admin made for the
    test; ``make_client(mh, ANONYMOUS)`` sends none.
    """
    from litestar.testing import AsyncTestClient

    from meihao.access.logins import issue_token

    headers = {}
    if staff_id != ANONYMOUS:
        if staff_id is None:
            staff_id = (await Factories(mh).street_admin())["id"]
        headers["Authorization"] = f"Bearer {await issue_token(mh, int(staff_id))}"
    # Several clients may share one process and one database: none registers as a node.
    with _app_for(mh, debug=True) as app:
        async with AsyncTestClient(app=app) as client:
            client.headers.update(headers)
            yield client


@dataclass
class _BuiltApp:
    """A web app built for tests, with what it was built from."""

    settings: tuple[Any, ...]
    #: The plugins, route handlers and console pages it mounts, compared by identity or equality (a plugin's
    #: ConsolePages is made anew at each load, with the same handlers); kept alive, so that no later object
    #: takes the id of one of them.
    anchors: tuple[Any, ...]
    app: Any
    busy: bool = False


#: Apps built for earlier tests of this process. Building one (about 500 routes) costs a second or more,
#: most of a test's set-up; an app mounts the same routes for every meihao with the same plugins and
#: settings, and reads its meihao from ``app.state`` (meihao.web.app.create_app), so it is reused.
_BUILT: list[_BuiltApp] = []


@contextmanager
def _app_for(mh: Meihao, *, debug: bool) -> Iterator[Any]:
    """A web app for ``mh``: one built before for the same plugins and settings and not in use now, or a new one."""
    from meihao.web.app import create_app

    s = mh.settings
    settings = (debug, s.data_key, s.public_url, s.serves_api, s.runs_scheduler)
    anchors = (
        *(loaded.obj for loaded in mh.plugins.loaded.values()), *sorted(mh.plugins.scenarios),
        *(h for _, handlers in mh.plugins.route_handlers() for h in handlers), *(pages for _, pages in mh.plugins.console_pages()),
    )

    def same(built: _BuiltApp) -> bool:
        return (not built.busy and built.settings == settings and len(built.anchors) == len(anchors)
                and all(a is b or a == b for a, b in zip(built.anchors, anchors)))

    built = next((b for b in _BUILT if same(b)), None)
    if built is None:
        built = _BuiltApp(settings, anchors, create_app(mh, debug=debug, register_node=False))
        if len(_BUILT) >= 8:  # keep the few set-ups a test run uses
            _BUILT.pop(0)
        _BUILT.append(built)
    built.busy = True
    built.app.state["meihao"] = mh
    try:
        yield built.app
    finally:
        built.busy = False


@asynccontextmanager
async def make_page_client(mh: Meihao, staff_id: int | str | None = None) -> AsyncIterator[Any]:
    """An in-process client for the console's pages, logged in by a session cookie of ``staff_id``
    (by default a street admin made for the test; ``ANONYMOUS`` for none). Redirects are not followed."""
    from litestar.testing import AsyncTestClient

    from meihao.access.logins import issue_token
    from meihao.web.console.session import SESSION_COOKIE

    with _app_for(mh, debug=False) as app:
        async with AsyncTestClient(app=app) as client:
            client.follow_redirects = False
            if staff_id != ANONYMOUS:
                if staff_id is None:
                    staff_id = (await Factories(mh).street_admin())["id"]
                client.cookies.set(SESSION_COOKIE, await issue_token(mh, int(staff_id)))
            yield client


async def form_token(client: Any, path: str | None = None) -> str:
    """The CSRF token a console form must carry (``_csrf_token``), read from the page at ``path``
    (by default the overview when logged in, the login page when not)."""
    import re

    from meihao.web.console.session import SESSION_COOKIE

    path = path or ("/" if client.cookies.get(SESSION_COOKIE) else "/login")
    page = await client.get(path)
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    if found is None:
        raise AssertionError(f"no form token on {path} (status {page.status_code})")
    return found.group(1)


@pytest_asyncio.fixture
async def meihao_client(meihao: Meihao) -> AsyncIterator[Any]:
    async with make_client(meihao) as client:
        yield client


@pytest.fixture
def factories(meihao: Meihao) -> Factories:
    return Factories(meihao)
