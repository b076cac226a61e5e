"""Factories for tests: staff, communities, grids, buildings, households and residents, made through the kernel's own services."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from stdnum.cn import ric

from meihao.runtime import Meihao


class Factories:
    """Creates register records through the kernel's service functions (the same rules as the API).

    ``Factories(mh)`` on a started meihao (the ``meihao``/``make_meihao`` fixtures; the
    ``factories`` fixture is ``Factories(meihao)``). Every method is async but ``id_card``;
    each returns the record as the kernel's API answers it, a dict whose keys are listed on
    the method. Names, codes, rooms and usernames left out are made unique per instance.
    """

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
        """A staff account holding ``role`` (more with ``meihao.access.staff.add_assignment``).

        Community roles need ``community`` (a slug), grid roles ``grid_id``, dispatched and
        department staff ``department`` (a code). Returns ``id``, ``username``, ``name``,
        ``active`` and ``assignments`` (a list of ``{role, community, grid_id, department}``).
        """
        from meihao.access.principals import SYSTEM
        from meihao.access.staff import AssignmentSpec, create_staff

        spec = AssignmentSpec(role=role, community=community, grid_id=grid_id, department=department)
        username = username or f"{role}-{next(self._serial)}"
        return await create_staff(self.mh, SYSTEM, username=username, password=password, name=name, assignments=[spec])

    async def street_admin(self) -> dict[str, Any]:
        """The test's street admin (username ``test-street-admin``), made on first use: the keys of :meth:`staff`."""
        from meihao.access.tables import Staff

        existing = await Staff.select(Staff.id).where(Staff.user.username == "test-street-admin").first()
        if existing:
            from meihao.access.staff import staff_out

            return await staff_out(existing["id"])
        return await self.staff("street_admin", username="test-street-admin", name="街道管理员")

    async def token(self, staff_id: int) -> str:
        """A bearer token for the staff member, as ``POST /api/auth/login`` gives one."""
        from meihao.access.logins import issue_token

        return await issue_token(self.mh, staff_id)

    def id_card(self, birth_date: date, gender: str = "female", region: str = "370125") -> str:
        """A valid, unique ID-card number (GB 11643) for the birth date and gender."""
        serial = next(self._serial) % 500
        sequence = f"{serial * 2 + (1 if gender == 'male' else 0):03d}"[-3:]
        body = f"{region}{birth_date:%Y%m%d}{sequence}"
        # calc_check_digit expects the full 18 characters and ignores the last one
        return body + ric.calc_check_digit(body + "0")

    async def community(self, slug: str | None = None, **fields: Any) -> dict[str, Any]:
        """A community (``fields``: ``name``, ``brand_name``, ``brand_slogan``, ``timezone``).

        Returns ``id``, ``slug``, ``name``, ``brand_name``, ``brand_slogan``, ``timezone``,
        ``created_at`` and ``scenarios`` (the switched-on scenarios' names: none yet).
        """
        from meihao.register.communities import create_community
        from meihao.register.schemas import CommunityIn

        n = next(self._serial)
        slug = slug or f"community-{n}"
        data = CommunityIn(slug=slug, name=fields.pop("name", f"社区{n}"), **fields)
        return await create_community(self.mh, data)

    async def grid(self, community: str, code: str | None = None, name: str | None = None) -> dict[str, Any]:
        """A grid of the community ``community`` (a slug). Returns ``id``, ``community`` (the slug), ``code`` and ``name``."""
        from meihao.register.communities import create_grid
        from meihao.register.schemas import GridIn

        n = next(self._serial)
        return await create_grid(self.mh, community, GridIn(code=code or f"G{n}", name=name or f"第{n}网格"))

    async def building(self, grid_id: int, name: str | None = None) -> dict[str, Any]:
        """A building in the grid. Returns ``id``, ``grid_id``, ``name`` and ``address``."""
        from meihao.register.communities import create_building
        from meihao.register.schemas import BuildingIn

        return await create_building(self.mh, grid_id, BuildingIn(name=name or f"{next(self._serial)}号楼"))

    async def household(self, building_id: int, room: str | None = None, unit: str = "1") -> dict[str, Any]:
        """A household in the building. Returns ``id``, ``building_id``, ``grid_id``, ``unit`` and ``room``."""
        from meihao.register.communities import create_household
        from meihao.register.schemas import HouseholdIn

        return await create_household(self.mh, building_id, HouseholdIn(room=room or str(100 + next(self._serial)), unit=unit))

    async def place(self, community: str | None = None) -> dict[str, Any]:
        """A new grid with a building and a household, in ``community`` (a slug; made when missing, a new one when None).

        Returns ``community`` (the slug), ``grid_id``, ``building_id`` and ``household_id``.
        """
        from meihao.register.tables import Community

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
        """A resident of the household (of a new :meth:`place` when None), with a valid, unique ID-card number.

        Returns ``id``, ``name``, ``gender``, ``birth_date``, ``age``, ``id_card`` and
        ``phone`` (masked, as the API shows them), ``tags``, ``preferred_language``,
        ``household_id``, ``building_id``, ``grid_id`` and ``community`` (the slug).
        """
        from meihao.register.residents import create_resident
        from meihao.register.schemas import ResidentIn

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
