"""pytest plugin for meihao and its plugin authors: apps on fresh databases, clients, factories.

Installed with meihao (entry point ``pytest11``), so its fixtures are available in any
project that has meihao installed:

``make_meihao(plugins=[("name", module_or_object)], **settings)``
    boots meihao on a fresh, migrated temporary SQLite database with the given throwaway
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
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from cryptography.fernet import Fernet
from piccolo.apps.user.tables import BaseUser
from stdnum.cn import ric

from .config import Settings, load_settings
from .plugin_manager import builtin_only
from .runtime import Meihao, boot

# One key for the whole test session, so a copied template database stays readable.
_TEST_DATA_KEY = Fernet.generate_key().decode()

# Passwords in tests need not resist brute force; Piccolo stores the iteration count in
# each hash, so verification stays correct.
BaseUser._pbkdf2_iteration_count = 1_000


def settings_for_tests(database: Path, **overrides: Any) -> Settings:
    # No scheduler or reminder worker in the background: tests drive them with a fake clock.
    values: dict[str, Any] = {"database_url": f"sqlite:///{database}", "data_key": _TEST_DATA_KEY, "mode": "demo", "worker": False}
    values.update(overrides)
    return load_settings(environ={}, **values)


def boot_for_tests(settings: Settings, plugins: list[tuple[str, Any]] | None = None) -> Meihao:
    """Boot with meihao's built-in plugins plus ``plugins``; third-party entry points are ignored."""
    return boot(settings, extra_plugins=plugins or [], entry_point_filter=builtin_only)


@pytest.fixture(scope="session")
def _meihao_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the kernel and built-in plugins migrated once; tests get copies."""
    path = tmp_path_factory.mktemp("meihao-template") / "template.db"
    mh = boot_for_tests(settings_for_tests(path))

    async def migrate() -> None:
        await mh.start()
        try:
            await mh.db.migrate()
            await mh.db.engine.run_ddl("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await mh.close()

    asyncio.run(migrate())
    return path


MakeMeihao = Callable[..., Awaitable[Meihao]]


@pytest_asyncio.fixture
async def make_meihao(tmp_path: Path, _meihao_template: Path) -> AsyncIterator[MakeMeihao]:
    """Factory: ``await make_meihao(plugins=[(name, plugin)], **settings)`` on a fresh migrated database."""
    started: list[Meihao] = []
    counter = itertools.count()

    async def make(plugins: list[tuple[str, Any]] | None = None, **settings: Any) -> Meihao:
        database = tmp_path / f"meihao-{next(counter)}.db"
        shutil.copy(_meihao_template, database)
        mh = boot_for_tests(settings_for_tests(database, **settings), plugins)
        await mh.start()
        started.append(mh)
        await mh.db.migrate()  # the throwaway plugins' own tables
        return mh

    yield make
    for mh in started:
        await mh.close()


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

    from .access import issue_token
    from .web.app import create_app

    headers = {}
    if staff_id != ANONYMOUS:
        if staff_id is None:
            staff_id = (await Factories(mh).street_admin())["id"]
        headers["Authorization"] = f"Bearer {await issue_token(mh, int(staff_id))}"
    async with AsyncTestClient(app=create_app(mh, debug=True)) as client:
        client.headers.update(headers)
        yield client


@pytest_asyncio.fixture
async def meihao_client(meihao: Meihao) -> AsyncIterator[Any]:
    async with make_client(meihao) as client:
        yield client


class Factories:
    """Creates register records through the kernel's service functions (the same rules as the API)."""

    def __init__(self, mh: Meihao) -> None:
        self.mh = mh
        self._serial = itertools.count(1)

    async def staff(
        self,
        role: str,
        *,
        community: str | None = None,
        grid_id: int | None = None,
        department: str | None = None,
        username: str | None = None,
        password: str = "correct horse battery",
        name: str = "李建国",
    ) -> dict[str, Any]:
        """A staff account holding one role (more with ``meihao.access.add_assignment``)."""
        from .access import SYSTEM, AssignmentSpec, create_staff

        spec = AssignmentSpec(role=role, community=community, grid_id=grid_id, department=department)
        username = username or f"{role}-{next(self._serial)}"
        return await create_staff(self.mh, SYSTEM, username=username, password=password, name=name, assignments=[spec])

    async def street_admin(self) -> dict[str, Any]:
        from .tables import Staff

        existing = await Staff.select(Staff.id).where(Staff.user.username == "test-street-admin").first()
        if existing:
            from .access import staff_out

            return await staff_out(existing["id"])
        return await self.staff("street_admin", username="test-street-admin", name="街道管理员")

    async def token(self, staff_id: int) -> str:
        from .access import issue_token

        return await issue_token(self.mh, staff_id)

    def id_card(self, birth_date: date, gender: str = "female", region: str = "370125") -> str:
        """A valid, unique ID-card number (GB 11643) for the birth date and gender."""
        serial = next(self._serial) % 500
        sequence = f"{serial * 2 + (1 if gender == 'male' else 0):03d}"[-3:]
        body = f"{region}{birth_date:%Y%m%d}{sequence}"
        # calc_check_digit expects the full 18 characters and ignores the last one
        return body + ric.calc_check_digit(body + "0")

    async def community(self, slug: str | None = None, **fields: Any) -> dict[str, Any]:
        from .communities import create_community
        from .schemas import CommunityIn

        n = next(self._serial)
        slug = slug or f"community-{n}"
        data = CommunityIn(slug=slug, name=fields.pop("name", f"社区{n}"), **fields)
        return await create_community(self.mh, data)

    async def grid(self, community: str, code: str | None = None, name: str | None = None) -> dict[str, Any]:
        from .communities import create_grid
        from .schemas import GridIn

        n = next(self._serial)
        return await create_grid(self.mh, community, GridIn(code=code or f"G{n}", name=name or f"第{n}网格"))

    async def building(self, grid_id: int, name: str | None = None) -> dict[str, Any]:
        from .communities import create_building
        from .schemas import BuildingIn

        return await create_building(self.mh, grid_id, BuildingIn(name=name or f"{next(self._serial)}号楼"))

    async def household(self, building_id: int, room: str | None = None, unit: str = "1") -> dict[str, Any]:
        from .communities import create_household
        from .schemas import HouseholdIn

        return await create_household(self.mh, building_id, HouseholdIn(room=room or str(100 + next(self._serial)), unit=unit))

    async def place(self, community: str | None = None) -> dict[str, Any]:
        """A new grid with a building and a household, in ``community`` (made when missing): ids of each."""
        from .tables import Community

        if community is None:
            slug = (await self.community())["slug"]
        else:
            slug = community
            if not await Community.exists().where(Community.slug == slug):
                await self.community(slug)
        grid = await self.grid(slug)
        building = await self.building(grid["id"])
        household = await self.household(building["id"])
        return {"community": slug, "grid_id": grid["id"], "building_id": building["id"], "household_id": household["id"]}

    async def resident(
        self,
        household_id: int | None = None,
        *,
        birth_date: date = date(1960, 5, 17),
        gender: str = "female",
        name: str = "王秀英",
        tags: list[str] | None = None,
        phone: str = "13800138000",
        id_card: str | None = None,
    ) -> dict[str, Any]:
        from .residents import create_resident
        from .schemas import ResidentIn

        if household_id is None:
            household_id = (await self.place())["household_id"]
        data = ResidentIn(
            household_id=household_id,
            name=name,
            gender=gender,  # type: ignore[arg-type]
            birth_date=birth_date,
            id_card=id_card or self.id_card(birth_date, gender),
            phone=phone,
            tags=tags or [],
        )
        return await create_resident(self.mh, data)


@pytest.fixture
def factories(meihao: Meihao) -> Factories:
    return Factories(meihao)
