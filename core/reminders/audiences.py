"""Audiences: who an activity concerns, as one SQL condition on residents (and a list of staff).

An audience is a small declarative value stored with the activity::

    {"everyone": true}                                  every resident of the community
    {"grids": [3, 4], "tags": ["elder"], "min_age": 60} residents of grids 3 or 4, tagged elder, 60+
    {"named": ["elder_care.living_alone"]}              a plugin's named audience
    {"residents": [17, 18], "staff": [2]}               people by id

Residents are selected by ``everyone`` or any of the filters (``grids``/``buildings`` where
they live, any of ``tags``, the age range, any of ``named``), all of them combined with
AND; ``residents`` and ``staff`` are added by id. Everything stays inside the activity's
community: ids of another community's grids, buildings, residents or staff are refused when
the activity is saved, and the fan-out's SQL is limited to the community as well. The result is a Piccolo ``QueryString`` used as a sub-condition of the
fan-out's ``INSERT … SELECT``, so the set is never loaded into Python.
"""

from __future__ import annotations

import inspect
from datetime import date
from typing import TYPE_CHECKING, Any

import msgspec
from piccolo.querystring import QueryString

from meihao.errors import InvalidInput, split_validation_error
from meihao.hooks.declarations import Audience
from meihao.privacy import mask_phone
from meihao.register.residents import shift_years

if TYPE_CHECKING:
    from meihao.register.schemas import CommunityInfo
    from meihao.runtime import Meihao


#: Lets staff who do not manage the community (grid staff) remind residents beyond their own grids.
WHOLE_COMMUNITY = "meihao.activity.audience.community"


class AudienceSpec(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Who an activity is for (see the module docstring)."""

    everyone: bool = False
    grids: list[int] = []
    buildings: list[int] = []
    tags: list[str] = []
    min_age: int | None = None
    max_age: int | None = None
    named: list[str] = []
    residents: list[int] = []
    staff: list[int] = []

    @property
    def selects_residents_by_filter(self) -> bool:
        return bool(
            self.everyone or self.grids or self.buildings or self.tags or self.named or self.min_age is not None or self.max_age is not None
        )

    @property
    def is_everyone(self) -> bool:
        """The whole community and nothing narrower: such activities appear in the public community feed."""
        return self.everyone and not (self.grids or self.buildings or self.tags or self.named or self.min_age is not None or self.max_age is not None)


def parse_audience(mh: Meihao, raw: Any) -> AudienceSpec:
    """Validate an audience; InvalidInput names the field (``audience.min_age``)."""
    if isinstance(raw, AudienceSpec):
        spec = raw
    else:
        try:
            spec = msgspec.convert(raw or {}, AudienceSpec, strict=False)
        except msgspec.ValidationError as err:
            field, message = split_validation_error(str(err))
            where = f"audience.{field}" if field else "audience"
            raise InvalidInput(f"{where}: {message}", field=where) from err
    known = mh.plugins.audiences_by_name
    for name in spec.named:
        if name not in known:
            raise InvalidInput(f"audience.named: no plugin declares an audience {name!r}", field="audience.named")
    if spec.min_age is not None and spec.max_age is not None and spec.min_age > spec.max_age:
        raise InvalidInput("audience.min_age: must not exceed max_age", field="audience.min_age")
    if not (spec.selects_residents_by_filter or spec.residents or spec.staff):
        raise InvalidInput("audience: selects nobody; give everyone, a filter, residents or staff", field="audience")
    return spec


def _in_list(column: str, values: list[Any]) -> QueryString:
    placeholders = ", ".join("{}" for _ in values)
    return QueryString(f"{column} IN ({placeholders})", *values)


def _and(parts: list[QueryString]) -> QueryString:
    return QueryString(" AND ".join("({})" for _ in parts), *parts)


def _or(parts: list[QueryString]) -> QueryString:
    return QueryString(" OR ".join("({})" for _ in parts), *parts)


def named_select(
    audience: Audience,
    community_id: int,
    activity_id: int | None = None,
    occurrence: str | None = None,
    *,
    today: date | None = None,
    mh: Meihao | None = None,
) -> Any:
    """The Select of a named audience; ``activity_id``, ``occurrence``, ``today`` and ``meihao``
    are passed when its function names them.

    An audience that depends on a plugin's own records for one activity (the stallholders of
    one market day, say) names them; outside a fan-out (a preview) they may be None.
    ``today`` is the community's local date the audience is taken on (ages count from it).
    """
    parameters = inspect.signature(audience.select).parameters
    extra = {"activity_id": activity_id, "occurrence": occurrence, "today": today, "meihao": mh}
    return audience.select(community_id, **{k: v for k, v in extra.items() if k in parameters})


def resident_condition(
    mh: Meihao,
    spec: AudienceSpec,
    community_id: int,
    today: date,
    alias: str = "r",
    *,
    activity_id: int | None = None,
    occurrence: str | None = None,
) -> QueryString | None:
    """The SQL condition on ``meihao_resident AS {alias}`` for the audience's residents, or None for none.

    ``today`` is the community's local date, for the age range; ``activity_id`` and
    ``occurrence`` (the occurrence's key) reach named audiences that ask for them.
    """
    col = f'"{alias}".'
    parts: list[QueryString] = []
    if spec.selects_residents_by_filter:
        filters: list[QueryString] = [QueryString(col + '"community" = {}', community_id)]
        places = []
        if spec.grids:
            places.append(_in_list(col + '"grid"', spec.grids))
        if spec.buildings:
            places.append(_in_list(col + '"building"', spec.buildings))
        if places:
            filters.append(_or(places))
        if spec.tags:
            filters.append(
                QueryString(
                    col + '"id" IN (SELECT "resident" FROM "meihao_resident_tag" WHERE {})', _in_list('"tag"', spec.tags)
                )
            )
        if spec.min_age is not None:  # born on or before today minus min_age years
            filters.append(QueryString(col + '"birth_date" <= {}', shift_years(today, spec.min_age)))
        if spec.max_age is not None:  # not yet max_age + 1
            filters.append(QueryString(col + '"birth_date" > {}', shift_years(today, spec.max_age + 1)))
        if spec.named:
            audiences = mh.plugins.audiences_by_name
            named = [
                QueryString(col + '"id" IN ({})', named_select(audiences[n], community_id, activity_id, occurrence, today=today, mh=mh).querystrings[0])
                for n in spec.named
            ]
            filters.append(_or(named))
        parts.append(_and(filters))
    if spec.residents:
        parts.append(_and([QueryString(col + '"community" = {}', community_id), _in_list(col + '"id"', spec.residents)]))
    if not parts:
        return None
    return _or(parts)


#: Roles that serve every community of the street, so that an activity or a notice of any community may name
#: them: the street's admins and the departments' staff (部门工作人员, who hold no community).
STREET_WIDE_ROLES: tuple[str, str] = ("street_admin", "department_staff")


def staff_condition(spec: AudienceSpec, community_id: int, alias: str = "s") -> QueryString | None:
    """The SQL condition on ``meihao_staff AS {alias}`` for the audience's staff: active accounts with a role
    in the activity's community, the street's admins (whose scope covers it: ``staff_works_in``), or the
    street's departments' staff (who hold no community and answer every one: governance's orders, 督办)."""
    if not spec.staff:
        return None
    return _and([
        _in_list(f'"{alias}"."id"', spec.staff),
        QueryString(f'"{alias}"."active" = {{}}', True),
        QueryString(
            f'"{alias}"."id" IN (SELECT "staff" FROM "meihao_staff_assignment" WHERE "community" = {{}} OR "role" IN ({{}}, {{}}))',
            community_id,
            *STREET_WIDE_ROLES,
        ),
    ])


async def check_members(spec: AudienceSpec, community_id: int) -> None:
    """Grids, buildings, residents and staff named by id must belong to the activity's community (400 naming
    the field otherwise): an audience never reaches outside it. Staff belong through a role in it, or a role
    of the whole street (``STREET_WIDE_ROLES``: its admins, as in ``staff_works_in``, and its departments' staff)."""
    from meihao.access.tables import StaffAssignment
    from meihao.register.tables import Building, Grid, Resident

    for field, table, ids in (("grids", Grid, spec.grids), ("buildings", Building, spec.buildings), ("residents", Resident, spec.residents)):
        if ids:
            inside = {r["id"] for r in await table.select(table.id).where(table.id.is_in(list(ids)), table.community == community_id)}
            outside = sorted(set(ids) - inside)
            if outside:
                raise InvalidInput(f"audience.{field}: {outside[0]} is not in this activity's community", field=f"audience.{field}")
    if spec.staff:
        rows = await StaffAssignment.select(StaffAssignment.staff).where(
            StaffAssignment.staff.is_in(list(spec.staff)),
            (StaffAssignment.community == community_id) | StaffAssignment.role.is_in(list(STREET_WIDE_ROLES)),
        )
        outside = sorted(set(spec.staff) - {r["staff"] for r in rows})
        if outside:
            raise InvalidInput(f"audience.staff: staff {outside[0]} has no role in this activity's community", field="audience.staff")


async def check_fan_out(mh: Meihao, principal: Any, spec: AudienceSpec, community: dict[str, Any], permission: str) -> None:
    """Staff who do not manage the community (and lack ``permission``) reach at most
    ``max_audience_for_grid_staff`` people with one activity: 400 naming ``audience`` otherwise."""
    from zoneinfo import ZoneInfo

    if principal.manages_community(community["id"]) or principal.can(permission):
        return
    today = mh.clock.now().astimezone(ZoneInfo(community["timezone"])).date()
    counts = await preview(mh, spec, community, today, sample_size=0)
    reached = counts["residents"] + counts["staff"]
    most = mh.settings.max_audience_for_grid_staff
    if reached > most:
        raise InvalidInput(
            f"audience: reaches {reached} people; one activity of grid staff may remind at most {most} "
            f"(MEIHAO_MAX_AUDIENCE_FOR_GRID_STAFF; the community's admin can plan larger ones)",
            field="audience",
        )


async def check_reach(principal: Any, spec: AudienceSpec, community_id: int, permission: str) -> None:
    """A caller who does not manage the community (grid staff) may remind only residents of their own grids,
    unless they hold ``permission``: residents chosen by filter need ``grids`` (or ``buildings``) inside their
    grids, residents by id must live there. 403 naming the field otherwise."""
    from meihao.access.tables import StaffAssignment
    from meihao.errors import Forbidden
    from meihao.register.tables import Building, Resident

    if principal.manages_community(community_id) or principal.can(permission):
        return
    own = set(principal.grid_ids)
    if spec.grids and not set(spec.grids) <= own:
        raise Forbidden("audience.grids: you may remind residents of your own grids only", field="audience.grids")
    if spec.buildings:
        rows = await Building.select(Building.id).where(Building.id.is_in(list(spec.buildings)), Building.grid.is_in(sorted(own) or [0]))
        if len(rows) != len(set(spec.buildings)):
            raise Forbidden("audience.buildings: you may remind residents of your own grids only", field="audience.buildings")
    if spec.selects_residents_by_filter and not (spec.grids or spec.buildings):
        raise Forbidden(
            "audience.grids: name your grids (or buildings); reminding the whole community needs the permission " + repr(permission),
            field="audience.grids",
        )
    if spec.residents:
        rows = await Resident.select(Resident.id).where(Resident.id.is_in(list(spec.residents)), Resident.grid.is_in(sorted(own) or [0]))
        if len(rows) != len(set(spec.residents)):
            raise Forbidden("audience.residents: you may remind residents of your own grids only", field="audience.residents")
    if spec.staff:  # the community's own staff only, not the street's
        rows = await StaffAssignment.select(StaffAssignment.staff).where(
            StaffAssignment.staff.is_in(list(spec.staff)), StaffAssignment.community == community_id
        )
        if {r["staff"] for r in rows} != set(spec.staff):
            raise Forbidden("audience.staff: you may remind staff of this community only", field="audience.staff")


async def run(mh: Meihao, query: QueryString) -> list[dict[str, Any]]:
    return await mh.db.engine.run_querystring(query)


def principal_scope(principal: Any, alias: str = "r") -> QueryString | None:
    """The caller's scope as a condition on residents (None: the whole street)."""
    if principal.street:
        return None
    parts = []
    if principal.community_ids:
        parts.append(_in_list(f'"{alias}"."community"', sorted(principal.community_ids)))
    if principal.grid_ids:
        parts.append(_in_list(f'"{alias}"."grid"', sorted(principal.grid_ids)))
    return _or(parts) if parts else QueryString("1 = 0")


def mask_name(name: str) -> str:
    """王秀英 → 王*英, 李明 → 李*: enough for staff to recognise a person in a preview."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


async def preview(
    mh: Meihao,
    spec: AudienceSpec,
    community: CommunityInfo,
    today: date,
    sample_size: int = 5,
    *,
    activity_id: int | None = None,
    sample_scope: QueryString | None = None,
) -> dict[str, Any]:
    """How many residents and staff the audience reaches, and a masked sample of residents (name, phone,
    grid, language: never an ID-card number, not even masked).

    ``sample_scope`` (a condition on ``"r"``) limits the sample to the caller's scope; the
    counts are aggregates and cover the whole audience.
    """
    condition = resident_condition(mh, spec, community.id, today, activity_id=activity_id)
    residents = 0
    sample: list[dict[str, Any]] = []
    if condition is not None:
        count = await run(mh, QueryString('SELECT COUNT(*) AS n FROM "meihao_resident" AS "r" WHERE {}', condition))
        residents = count[0]["n"]
        rows = await run(
            mh,
            QueryString(
                'SELECT "r"."id", "r"."name", "r"."phone", "r"."grid", "r"."preferred_language" '
                'FROM "meihao_resident" AS "r" WHERE ({}) AND ({}) ORDER BY "r"."id" LIMIT {}',
                condition,
                sample_scope if sample_scope is not None else QueryString("1 = 1"),
                sample_size,
            ),
        )
        sample = [
            {
                "id": r["id"],
                "name": mask_name(r["name"]),
                "phone": mask_phone(r["phone"]),
                "grid_id": r["grid"],
                "language": r["preferred_language"],
            }
            for r in rows
        ]
    staff = 0
    staff_cond = staff_condition(spec, community["id"])
    if staff_cond is not None:
        staff = (await run(mh, QueryString('SELECT COUNT(*) AS n FROM "meihao_staff" AS "s" WHERE {}', staff_cond)))[0]["n"]
    return {"residents": residents, "staff": staff, "sample": sample}
