"""Building the demo sub-district: departments, communities, the grid register, residents, then scenarios."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from piccolo.engine.sqlite import TransactionType

from meihao.db.bulk import BulkInserter
from meihao.demo.people import HouseholdPlan, IdCardIssuer, PeopleMaker
from meihao.demo.profile import CommunitySpec, DemoProfile
from meihao.demo.staff import build_demo_staff
from meihao.errors import Conflict, MeihaoError
from meihao.register.communities import get_community
from meihao.register.community_scenarios import enable, scenario_settings, scenario_state
from meihao.register.residents import UNIQUE_VIOLATIONS, today_in
from meihao.register.tables import Building, Community, Department, Grid, Household, Resident, ResidentTag

if TYPE_CHECKING:
    from meihao.runtime import Meihao


@dataclass
class Timing:
    total: float
    register: float  # departments, communities, the grid register, residents and tags
    scenes: dict[str, float]  # scenario -> switching on and its demo data, over all communities


@dataclass
class BuiltCommunity:
    spec: CommunitySpec
    grids: int = 0
    buildings: int = 0
    households: int = 0
    residents: int = 0
    elders: int = 0  # aged 60 or more
    tags: int = 0
    enabled: list[str] = field(default_factory=list)


async def build_demo(mh: Meihao, profile: DemoProfile, *, residents: int = 20_000, seed: int = 1169, progress: bool = True) -> str:
    """Build the sub-district of ``profile`` with ``residents`` generated residents; return a summary.

    The same seed gives the same people (names, numbers, families, tags) on an empty database.
    When the profile's communities exist already nothing is generated again; scenarios that
    were installed since (and never switched for a community) are enabled and given demo data.
    """
    if mh.settings.mode == "production":
        raise MeihaoError("meihao demo writes made-up residents; it does not run with MEIHAO_MODE=production")
    started = time.perf_counter()
    mh.db.activate()  # rows are written on mh's engine directly; Piccolo's queries must reach the same database
    slugs = [c.slug for c in profile.communities]
    existing = {row["slug"] for row in await Community.select(Community.slug).where(Community.slug.is_in(slugs))}
    if existing:
        if len(existing) < len(slugs):
            missing = [s for s in slugs if s not in existing]
            raise Conflict(
                f"the demo communities {', '.join(s for s in slugs if s in existing)} exist but "
                f"{', '.join(missing)} do not; build the demo into a fresh database"
            )
        enabled, not_installed, _ = await _enable_scenarios(mh, profile, seed)
        return _summary_existing(profile, await _resident_count(slugs), enabled, not_installed, time.perf_counter() - started)

    as_of = profile.as_of or date(today_in(profile.timezone).year, 1, 1)
    counts = _split(residents, [c.share for c in profile.communities])
    taken = {r["id_card_hash"] for r in await Resident.select(Resident.id_card_hash)} if await Resident.exists() else set()
    issuer = IdCardIssuer({r.code: r.weight for r in profile.id_regions}, mh.codec.lookup_hash, taken)
    writer = BulkInserter(mh.db)
    built: list[BuiltCommunity] = []
    try:
        with _progress_bar(progress, residents) as advance:
            async with _write_transaction(mh) as transaction:
                if mh.db.is_sqlite:  # the random-order ID-hash index outgrows SQLite's default 2 MB page cache
                    await transaction.connection.execute("PRAGMA cache_size = -131072")
                departments = await _insert_departments(writer, profile)
                for index, (spec, count) in enumerate(zip(profile.communities, counts, strict=True)):
                    maker = PeopleMaker(
                        random.Random(f"meihao demo {seed} {index} {spec.slug}"),
                        issuer,
                        as_of,
                        profile.household_mix_for(spec),
                        profile.tag_rates_for(spec),
                    )
                    built.append(await _build_community(mh, writer, profile, spec, maker, count, as_of, advance))
    except UNIQUE_VIOLATIONS as err:  # another run (or a registration) wrote the same rows meanwhile
        raise Conflict(f"the demo was not built: the database changed while it was being built ({err}); run it again") from err
    # Staff before the scenes, so that their demo data can give elders visitors and shows organisers.
    try:
        staff = await build_demo_staff(mh, [c.spec.slug for c in built], seed)
    except UNIQUE_VIOLATIONS as err:  # another run made the same accounts meanwhile
        raise Conflict(f"the demo staff were not created: the database changed meanwhile ({err}); run it again") from err
    register_seconds = time.perf_counter() - started
    enabled, not_installed, scene_seconds = await _enable_scenarios(mh, profile, seed)
    for community in built:
        community.enabled = enabled.get(community.spec.slug, [])
    timing = Timing(time.perf_counter() - started, register_seconds, scene_seconds)
    summary = _summary_built(profile, built, departments, not_installed, seed, as_of, timing)
    first = built[0].spec.slug if built else "hepan"
    return summary + (
        f"\n  {staff[0]} staff accounts: each community's admin ({first}-admin) and each grid's two leaders, "
        f"one full-time and two part-time workers ({first}-g01-grid-leader-1, …), the staff sent down to the grids "
        f"({first}-law-1, {first}-lawyer-1, {first}-counsellor-1) and two of each department (dept-housing-1, …), "
        f"all with the demo password {staff[1]!r}"
    )


# -- writing ------------------------------------------------------------------


def _write_transaction(mh: Meihao) -> Any:
    if mh.db.is_sqlite:  # take the write lock at once rather than failing to upgrade a read lock later
        return mh.db.engine.transaction(transaction_type=TransactionType.immediate)
    return mh.db.transaction()


async def _insert_departments(writer: BulkInserter, profile: DemoProfile) -> int:
    rows = [(d.code, d.name, d.kind) for d in profile.departments]
    inserted = await writer.insert(
        Department, [Department.code, Department.name, Department.kind], rows, returning=[Department.id], ignore_conflicts_on=Department.code
    )
    return len(inserted)


async def _build_community(
    mh: Meihao,
    writer: BulkInserter,
    profile: DemoProfile,
    spec: CommunitySpec,
    maker: PeopleMaker,
    residents: int,
    as_of: date,
    advance: Any,
) -> BuiltCommunity:
    now = datetime.now(timezone.utc)
    advance(0, f"{spec.name} ({spec.slug})")
    [(community_id,)] = await writer.insert(
        Community,
        [Community.slug, Community.name, Community.brand_name, Community.brand_slogan, Community.timezone, Community.created_at],
        [(spec.slug, spec.name, spec.brand_name, spec.brand_slogan, spec.timezone or profile.timezone, now)],
        returning=[Community.id],
    )
    grid_codes = [f"G{n:02d}" for n in range(1, len(spec.grids) + 1)]
    grid_ids = dict(
        await writer.insert(
            Grid,
            [Grid.community, Grid.code, Grid.name],
            [(community_id, code, name) for code, name in zip(grid_codes, spec.grids, strict=True)],
            returning=[Grid.code, Grid.id],
        )
    )

    plans = maker.households(residents)
    rng = maker.rng
    grid_weights = [rng.uniform(0.7, 1.3) for _ in spec.grids]  # compounds differ in size
    buildings = [
        (grid_ids[code], name, n)
        for code, name, weight in zip(grid_codes, spec.grids, grid_weights, strict=True)
        for n in range(1, spec.buildings_per_grid + 1)
    ]
    per_building = _split(len(plans), [grid_weights[i // spec.buildings_per_grid] for i in range(len(buildings))])
    building_ids = {
        (grid, name): building_id
        for building_id, grid, name in await writer.insert(
            Building,
            [Building.grid, Building.community, Building.name, Building.address],
            [(grid, community_id, f"{n}号楼", f"{grid_name}{n}号楼") for grid, grid_name, n in buildings],
            returning=[Building.id, Building.grid, Building.name],
        )
    }

    household_rows = []
    for (grid, _, n), count in zip(buildings, per_building, strict=True):
        building_id = building_ids[(grid, f"{n}号楼")]
        household_rows += [(building_id, grid, community_id, unit, room) for unit, room in _rooms(count)]
    household_ids = {
        (building, unit, room): household_id
        for household_id, building, unit, room in await writer.insert(
            Household,
            [Household.building, Household.grid, Household.community, Household.unit, Household.room],
            household_rows,
            returning=[Household.id, Household.building, Household.unit, Household.room],
        )
    }

    result = BuiltCommunity(spec, grids=len(grid_ids), buildings=len(building_ids), households=len(household_ids))
    await _insert_residents(mh, writer, plans, household_rows, household_ids, community_id, now, as_of, result, advance)
    return result


async def _insert_residents(
    mh: Meihao,
    writer: BulkInserter,
    plans: list[HouseholdPlan],
    household_rows: list[tuple[Any, ...]],
    household_ids: dict[tuple[Any, ...], int],
    community_id: int,
    now: datetime,
    as_of: date,
    result: BuiltCommunity,
    advance: Any,
) -> None:
    columns = [
        Resident.household, Resident.building, Resident.grid, Resident.community, Resident.name, Resident.gender,
        Resident.birth_date, Resident.id_card_cipher, Resident.id_card_hash, Resident.id_card_last4, Resident.phone,
        Resident.preferred_language, Resident.created_at, Resident.updated_at,
    ]  # fmt: skip
    encrypt = mh.codec.encrypt
    people = [
        (household_ids[(building, unit, room)], building, grid, person)
        for plan, (building, grid, _, unit, room) in zip(plans, household_rows, strict=True)
        for person in plan.members
    ]
    # One statement per batch, and the next batch is encrypted while SQLite (or the server)
    # writes this one: the driver works outside the GIL, so the two overlap.
    per_batch = writer.rows_per_statement(len(columns))
    ids: dict[str, int] = {}
    in_flight: asyncio.Task[list[tuple[Any, ...]]] | None = None
    for start in range(0, len(people) + per_batch, per_batch):
        batch = people[start : start + per_batch]
        rows = [
            (
                household, building, grid, community_id, p.name, p.gender, p.birth_date, encrypt(p.id_card),
                p.id_card_hash, p.id_card[-4:], p.phone, p.preferred_language, now, now,
            )
            for household, building, grid, p in batch
        ]  # fmt: skip
        if in_flight is not None:
            written = await in_flight
            ids.update(written)
            advance(len(written))
        in_flight = None
        if rows:
            in_flight = asyncio.create_task(writer.insert(Resident, columns, rows, returning=[Resident.id_card_hash, Resident.id]))
            await asyncio.sleep(0)  # let it hand the statement to the driver before the next batch is encrypted
    tags = [(ids[p.id_card_hash], tag) for _, _, _, p in people for tag in p.tags]
    await writer.insert(ResidentTag, [ResidentTag.resident, ResidentTag.tag], tags)
    result.residents = len(ids)
    result.tags = len(tags)
    result.elders = sum(1 for _, _, _, p in people if p.age_on(as_of) >= 60)


def _rooms(count: int) -> list[tuple[str, str]]:
    """(unit, room) of ``count`` households in one building: 2 flats a floor, up to 4 units (单元).

    Small buildings get up to 6 floors a unit; large ones grow taller.
    """
    if count == 0:
        return []
    units = min(4, math.ceil(count / 12))
    floors = math.ceil(count / (units * 2))
    rooms = []
    for k in range(count):
        unit, rest = divmod(k, floors * 2)
        floor, door = divmod(rest, 2)
        rooms.append((str(unit + 1), f"{floor + 1}{door + 1:02d}"))
    return rooms


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), adding up exactly."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


async def _resident_count(slugs: list[str]) -> int:
    return await Resident.count().where(Resident.community.slug.is_in(slugs))


# -- scenarios ----------------------------------------------------------------


async def _enable_scenarios(
    mh: Meihao, profile: DemoProfile, seed: int
) -> tuple[dict[str, list[str]], list[str], dict[str, float]]:
    """Switch on each wanted, installed scenario never switched for the community; fill it with demo data.

    A scenario switched on and off before is left as it is.
    Returns (slug -> enabled, not installed, scenario -> seconds its set-up and demo data took).
    """
    enabled: dict[str, list[str]] = {}
    not_installed: list[str] = []
    seconds: dict[str, float] = {}
    installed = mh.plugins.scenarios
    for spec in profile.communities:
        community = await get_community(spec.slug)
        for name in spec.scenarios:
            if name not in installed:
                if name not in not_installed:
                    not_installed.append(name)
                continue
            if await scenario_state(community.id, name) is not None:
                continue
            # One transaction: a plugin whose demo data fails leaves the scenario off, to retry next run.
            started = time.perf_counter()
            async with mh.db.transaction():
                await enable(mh, spec.slug, name, None)
                settings = await scenario_settings(mh, community.id, name)
                await mh.plugins.demo_data(community, name, settings, seed, mh)
            enabled.setdefault(spec.slug, []).append(name)
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
    return enabled, not_installed, seconds


# -- progress and summary -------------------------------------------------------


@contextlib.contextmanager
def _progress_bar(show: bool, total: int) -> Iterator[Any]:
    """Yields ``advance(rows, description=None)``; draws a rich progress bar on stderr when ``show``."""
    if not show:
        yield lambda rows, description=None: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("residents"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("demo", total=total)

        def advance(rows: int, description: str | None = None) -> None:
            bar.update(task, advance=rows, description=description) if description else bar.update(task, advance=rows)

        yield advance


def _summary_built(
    profile: DemoProfile,
    built: list[BuiltCommunity],
    departments: int,
    not_installed: list[str],
    seed: int,
    as_of: date,
    timing: Timing,
) -> str:
    residents = sum(c.residents for c in built)
    split = f"register {timing.register:.1f} s, scenes {sum(timing.scenes.values()):.1f} s; " if timing.scenes else ""
    lines = [
        f"Built the demo sub-district{' ' + profile.name if profile.name else ''} in {timing.total:.1f} s "
        f"({split}seed {seed}, ages as of {as_of}):",
        f"  {departments} department(s)",
    ]
    for c in built:
        elders = f"{c.elders / c.residents:.0%}" if c.residents else "-"
        lines.append(
            f"  {c.spec.slug:<10} {c.spec.name} 「{c.spec.brand_name}」: {c.grids} grids, {c.buildings} buildings, "
            f"{c.households:,} households, {c.residents:,} residents (60+: {elders}), {c.tags:,} tags; "
            f"scenarios: {', '.join(c.enabled) or 'none'}"
        )
    lines.append(
        f"  total: {len(built)} communities, {sum(c.grids for c in built)} grids, {sum(c.buildings for c in built)} buildings, "
        f"{sum(c.households for c in built):,} households, {residents:,} residents"
    )
    if timing.scenes:
        slowest = sorted(timing.scenes.items(), key=lambda item: -item[1])
        lines.append("  scenes' set-up and demo data: " + ", ".join(f"{name} {s:.1f} s" for name, s in slowest))
    if not_installed:
        lines.append(f"  not installed, so not enabled: {', '.join(not_installed)}")
    return "\n".join(lines)


def _summary_existing(
    profile: DemoProfile, residents: int, enabled: dict[str, list[str]], not_installed: list[str], seconds: float
) -> str:
    slugs = ", ".join(c.slug for c in profile.communities)
    lines = [f"The demo sub-district is already there ({slugs}; {residents:,} residents): no residents added."]
    if enabled:
        lines.append("  enabled since installed: " + "; ".join(f"{slug}: {', '.join(names)}" for slug, names in enabled.items()))
    else:
        lines.append("  no scenario to switch on: each wanted, installed one was switched before")
    if not_installed:
        lines.append(f"  not installed, so not enabled: {', '.join(not_installed)}")
    lines.append(f"  ({seconds:.1f} s)")
    return "\n".join(lines)
