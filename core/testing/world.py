"""SceneWorld: the test world every scene's tests start from (two communities, grids, residents, a client per role, fake time).

A scene's conftest builds one in a few lines instead of re-implementing it::

    @pytest_asyncio.fixture
    async def huayang(meihao) -> SceneWorld:
        return await SceneWorld.build(meihao, "markets", slug="huayang", name="华阳社区",
                                      grids={"A": "华阳小区", "B": "澄波湖畔"},
                                      residents={"王秀英": "A", "赵丽": {"grid": "B", "birth_date": date(1950, 1, 1)}})
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from meihao.register.communities import get_community
from meihao.register.schemas import CommunityInfo
from meihao.runtime import Meihao
from meihao.testing.factories import Factories
from meihao.testing.kit import fire_job, inbox
from meihao.time.clock import FakeClock

#: Where a SceneWorld's fake clock starts: Monday 2 March 2026, 08:00 in Shanghai.
START = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)

#: The roles every SceneWorld has a client for (``world.client(role)``).
ROLES = ("street_admin", "community_admin", "grid_worker", "grid_worker_out", "resident")

#: Names of the standard staff members (shown in the scene's lists and messages).
STAFF_NAMES = {"community_admin": "郑主任", "grid_worker": "陈网格", "grid_worker_out": "吴网格"}


@dataclass
class SceneWorld:
    """Two communities, a scene switched on in the first, and the people a scene's tests need, on a fake clock.

    Build it with :meth:`build`. Its attributes:

    ``mh``, ``clock`` (a :class:`~meihao.FakeClock`, also ``mh.clock``), ``engine`` (a
    :class:`~meihao.reminders.engine.ReminderEngine` for :meth:`drain`), ``factories``
    (:class:`~meihao.testing.Factories`); ``scenario`` (the switched-on scenario or None);
    ``community`` (the community with the scene, a :class:`~meihao.CommunityInfo` as hooks, jobs and
    routes receive it: ``id``, ``slug``, ``name``, ``brand_name``, ``brand_slogan``, ``timezone``) and ``slug``;
    ``other`` (a second community, ``other_slug``, without the scene, with one grid and one
    resident, ``other_resident``: nothing of it may ever show in the scene's answers);
    ``grids`` (grid code -> grid id, of ``community``; the first grid is the in-scope one);
    ``residents`` (name -> the resident as ``Factories.resident`` returns it: keys ``id``,
    ``name``, ``household_id``, ``grid_id``, ``community``… each in a building and household
    of their own); ``staff`` (key -> the staff member as ``Factories.staff`` returns it: keys
    ``id``, ``username``, ``name``, ``active``, ``assignments``) holding ``street_admin``, ``community_admin``
    (of ``community``), ``grid_worker`` (of the first grid: in scope for its residents) and
    ``grid_worker_out`` (of the second grid, or of the other community when there is one
    grid: in the community, outside the first grid's scope), plus any ``staff`` asked for.
    """

    mh: Meihao
    clock: FakeClock
    engine: Any
    factories: Factories
    scenario: str | None
    community: CommunityInfo
    other: CommunityInfo
    grids: dict[str, int] = field(default_factory=dict)
    residents: dict[str, dict[str, Any]] = field(default_factory=dict)
    staff: dict[str, dict[str, Any]] = field(default_factory=dict)
    other_resident: dict[str, Any] = field(default_factory=dict)

    @classmethod
    async def build(
        cls,
        mh: Meihao,
        scenario: str | None = None,
        *,
        slug: str = "hepan",
        name: str = "荷畔社区",
        brand_name: str = "",
        other_slug: str = "beiyuan",
        grids: dict[str, str] | None = None,
        residents: dict[str, str | dict[str, Any]] | None = None,
        staff: dict[str, tuple[str, str | None, str]] | None = None,
        settings: dict[str, Any] | None = None,
        start: datetime = START,
    ) -> SceneWorld:
        """Make the world on ``mh`` (a fresh meihao from the ``meihao``/``make_meihao`` fixtures) and return it.

        ``scenario`` is switched on in ``slug`` with ``settings`` (its defaults when None),
        never in ``other_slug``. ``grids``: code -> name (default ``{"A": "一网格", "B":
        "二网格"}``). ``residents``: name -> a grid code, or a dict with ``grid`` and any
        keyword of ``Factories.resident`` (``birth_date``, ``gender``, ``tags``, ``phone``);
        default one resident per grid, 王秀英 in the first and 张伟 in the second.
        ``staff``: extra staff, key -> ``(role, grid code or None for the community, name)``,
        e.g. ``{"leader": ("grid_leader", "A", "孙网格长")}``. The clock starts at ``start``.
        """
        from meihao.reminders.engine import ReminderEngine

        clock = FakeClock(start)
        mh.clock = clock
        f = Factories(mh)
        await f.community(slug, name=name, brand_name=brand_name)
        await f.community(other_slug, name=f"{other_slug}社区")
        community, other = await get_community(slug), await get_community(other_slug)
        world = cls(mh, clock, ReminderEngine(mh), f, scenario, community, other)
        for code, grid_name in (grids or {"A": "一网格", "B": "二网格"}).items():
            world.grids[code] = (await f.grid(slug, code=code, name=grid_name))["id"]
        codes = list(world.grids)
        wanted = residents if residents is not None else dict(zip(("王秀英", "张伟"), codes))
        for person, spec in wanted.items():
            fields = {"grid": spec} if isinstance(spec, str) else dict(spec)
            building = await f.building(world.grids[fields.pop("grid")])
            household = await f.household(building["id"])
            fields.setdefault("birth_date", date(1960, 5, 17))
            fields.setdefault("phone", "13912345678")
            world.residents[person] = await f.resident(household["id"], name=person, **fields)
        elsewhere = await f.place(other_slug)
        world.other_resident = await f.resident(elsewhere["household_id"], name="外社区居民", birth_date=date(1950, 1, 1))
        world.staff["street_admin"] = await f.street_admin()
        world.staff["community_admin"] = await f.staff("community_admin", community=slug, name=STAFF_NAMES["community_admin"])
        world.staff["grid_worker"] = await f.staff("grid_worker", grid_id=world.grids[codes[0]], name=STAFF_NAMES["grid_worker"])
        out_grid = world.grids[codes[1]] if len(codes) > 1 else elsewhere["grid_id"]
        world.staff["grid_worker_out"] = await f.staff("grid_worker", grid_id=out_grid, name=STAFF_NAMES["grid_worker_out"])
        for key, (role, code, staff_name) in (staff or {}).items():
            where = {"grid_id": world.grids[code]} if code else {"community": slug}
            world.staff[key] = await f.staff(role, name=staff_name, **where)
        if scenario is not None:
            from meihao.register.community_scenarios import enable

            await enable(mh, slug, scenario, settings or {})
        return world

    @property
    def slug(self) -> str:
        return self.community["slug"]

    @property
    def other_slug(self) -> str:
        return self.other["slug"]

    @property
    def tz(self) -> ZoneInfo:
        """The community's time zone."""
        return ZoneInfo(self.community["timezone"])

    @asynccontextmanager
    async def client(self, who: str = "street_admin") -> AsyncIterator[Any]:
        """An in-process HTTP client (``async with world.client("grid_worker") as c``) as one of :data:`ROLES`
        or any other key of ``staff``; ``"resident"`` is a client without a token, as a resident's
        browser opening their secret links (:meth:`link`)."""
        from meihao.testing import ANONYMOUS, make_client

        if who != "resident" and who not in self.staff:
            raise KeyError(f"no staff member {who!r} in this world; known: {', '.join(self.staff)} and 'resident'")
        async with make_client(self.mh, ANONYMOUS if who == "resident" else self.staff[who]["id"]) as client:
            yield client

    async def link(self, resident: str | int, purpose: str = "inbox") -> str:
        """The path of a resident's current secret link (``inbox``, ``calendar`` or ``unsubscribe``), for the resident's client."""
        from meihao.reminders.tokens import make_token

        token = await make_token(self.mh, "resident", self._resident_id(resident), purpose)
        return {"inbox": f"/api/inbox/{token}", "calendar": f"/api/calendar/{token}"}.get(purpose, f"/api/reminders/unsubscribe/{token}")

    def travel_to(self, when: datetime) -> datetime:
        """Set the fake clock to ``when`` (a naive ``when`` is the community's local time); returns it, aware."""
        moment = when if when.tzinfo is not None else when.replace(tzinfo=self.tz)
        self.clock.set(moment)
        return moment

    def at(self, year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
        """``travel_to`` a local time in the community: ``world.at(2026, 3, 14, 9)``."""
        return self.travel_to(datetime(year, month, day, hour, minute, tzinfo=self.tz))

    async def drain(self, now: datetime | None = None) -> Any:
        """Deliver every reminder due by ``now`` (the fake clock's time): :func:`meihao.testing.drain`."""
        from meihao.testing import drain

        return await drain(self.engine, now)

    async def fire_job(self, job_id: str, at: datetime | None = None, community: str | None = None) -> dict[str, Any] | None:
        """:func:`meihao.testing.fire_job` in this world's community (per-community jobs) at ``at`` (naive: local)."""
        from meihao.scheduling.runs import find_job

        if community is None and find_job(self.mh, job_id)[1].per_community:
            community = self.slug
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=self.tz)
        return await fire_job(self.mh, job_id, community, at)

    async def inbox(self, resident: str | int) -> list[dict[str, Any]]:
        """The resident's (a name of ``residents`` or an id) inbox, newest first: :func:`meihao.testing.inbox`."""
        return await inbox(self.mh, self._resident_id(resident))

    def _resident_id(self, resident: str | int) -> int:
        return self.residents[resident]["id"] if isinstance(resident, str) else resident
