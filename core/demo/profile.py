"""The demo profile: the sub-district, its departments and communities that ``meihao demo`` builds, read from TOML."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from meihao.demo.people import DEFAULT_HOUSEHOLD_MIX, DEFAULT_TAG_RATES, OLDEST_AGE, region_existed
from meihao.errors import InvalidInput, split_validation_error
from meihao.hooks.declarations import NAME_PATTERN

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]{1,62}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Share = Annotated[float, msgspec.Meta(ge=0)]
Rate = Annotated[float, msgspec.Meta(ge=0, le=1)]


class DepartmentSpec(msgspec.Struct, forbid_unknown_fields=True):
    """部门 a street department whose staff are sent down to the grids."""

    code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    name: Name
    kind: Annotated[str, msgspec.Meta(max_length=32)] = ""


class CommunitySpec(msgspec.Struct, forbid_unknown_fields=True):
    """社区 one community: its brand, grids (网格, usually one 小区 each) and wanted scenarios."""

    slug: Slug
    name: Name
    share: Annotated[float, msgspec.Meta(gt=0)]
    grids: Annotated[list[Name], msgspec.Meta(min_length=1, max_length=99)]
    buildings_per_grid: Annotated[int, msgspec.Meta(ge=1, le=500)]
    brand_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    brand_slogan: Annotated[str, msgspec.Meta(max_length=500)] = ""
    timezone: str | None = None
    scenarios: list[str] = []
    household_mix: dict[str, Share] = {}
    tag_rates: dict[str, Rate] = {}


class IdRegion(msgspec.Struct, forbid_unknown_fields=True):
    """A region code (the first six digits of ID-card numbers) and how often residents have it."""

    code: Annotated[str, msgspec.Meta(pattern=r"^[1-9]\d{5}$")]
    weight: Annotated[float, msgspec.Meta(gt=0)]
    name: str = ""


class DemoProfile(msgspec.Struct, forbid_unknown_fields=True):
    """What ``meihao demo`` builds; the shipped ``sub_district.toml`` describes 济阳街道 (Jiyang)."""

    communities: Annotated[list[CommunitySpec], msgspec.Meta(min_length=1)]
    id_regions: Annotated[list[IdRegion], msgspec.Meta(min_length=1)]
    name: str = ""
    timezone: str = "Asia/Shanghai"
    #: Ages are counted on this day; default: 1 January of the current year.
    as_of: date | None = None
    departments: list[DepartmentSpec] = []
    household_mix: dict[str, Share] = {}
    tag_rates: dict[str, Rate] = {}

    def household_mix_for(self, community: CommunitySpec) -> dict[str, float]:
        return {**DEFAULT_HOUSEHOLD_MIX, **self.household_mix, **community.household_mix}

    def tag_rates_for(self, community: CommunitySpec) -> dict[str, float]:
        return {**DEFAULT_TAG_RATES, **self.tag_rates, **community.tag_rates}


DEFAULT_PROFILE = "sub_district.toml"


def load_profile(path: str | Path | None = None) -> DemoProfile:
    """Read and check a demo profile (default: the shipped one); InvalidInput says in one line what is wrong."""
    if path is None:
        where = f"built-in {DEFAULT_PROFILE}"
        try:
            text = files("meihao.demo").joinpath(DEFAULT_PROFILE).read_text(encoding="utf-8")
        except OSError as err:  # pragma: no cover - a broken installation
            raise InvalidInput(f"demo profile: the {where} is missing from the installation: {err}") from err
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError as err:
            raise InvalidInput(f"demo profile {where}: no such file") from err
        except (OSError, UnicodeDecodeError) as err:
            raise InvalidInput(f"demo profile {where}: cannot be read: {err}") from err
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InvalidInput(f"demo profile {where}: not valid TOML: {err}") from err
    try:
        profile = msgspec.convert(raw, DemoProfile, strict=True)
    except msgspec.ValidationError as err:
        field, message = split_validation_error(str(err))
        raise InvalidInput(f"demo profile {where}: {field + ': ' if field else ''}{message}") from err
    problem = _problem(profile)
    if problem:
        raise InvalidInput(f"demo profile {where}: {problem}")
    return profile


def with_enabled(profile: DemoProfile, enables: Iterable[str], installed: Iterable[str]) -> DemoProfile:
    """The profile with each ``NAME@SLUG`` of ``meihao demo --enable`` added to that community's scenarios.

    Switches a third-party scene on in a demo community without copying the profile. ``installed``
    names the scenarios that are loaded. InvalidInput says in one line what is wrong.
    """
    installed = sorted(installed)
    communities = {c.slug: c for c in profile.communities}
    for item in enables:
        name, at, slug = item.partition("@")
        if not (at and name and slug):
            raise InvalidInput(f"--enable {item!r}: write NAME@SLUG, e.g. bookshelf@hepan", field="enable")
        if name not in installed:
            raise InvalidInput(
                f"--enable {item}: no scenario named {name!r} is installed (installed: {', '.join(installed) or 'none'})", field="enable"
            )
        if slug not in communities:
            raise InvalidInput(
                f"--enable {item}: the demo profile has no community {slug!r} (its communities: {', '.join(communities)})", field="enable"
            )
        spec = communities[slug]
        if name not in spec.scenarios:
            communities[slug] = msgspec.structs.replace(spec, scenarios=[*spec.scenarios, name])
    return msgspec.structs.replace(profile, communities=list(communities.values()))


def _problem(profile: DemoProfile) -> str | None:
    """The first rule a well-formed profile breaks, as ``field: what is wrong``; None if none."""
    for field, zone in [("timezone", profile.timezone)] + [
        (f"communities[{i}].timezone", c.timezone) for i, c in enumerate(profile.communities) if c.timezone
    ]:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return f"{field}: {zone!r} is not an IANA time zone (e.g. Asia/Shanghai)"
    if profile.as_of is not None and profile.as_of > date.today():
        return f"as_of: {profile.as_of} is in the future; residents cannot be born after today"
    duplicate = _first_duplicate(c.slug for c in profile.communities)
    if duplicate:
        return f"communities: the slug {duplicate!r} is used twice"
    duplicate = _first_duplicate(d.code for d in profile.departments)
    if duplicate:
        return f"departments: the code {duplicate!r} is used twice"
    duplicate = _first_duplicate(r.code for r in profile.id_regions)
    if duplicate:
        return f"id_regions: the code {duplicate!r} is listed twice"
    for prefix, mix, rates in [("", profile.household_mix, profile.tag_rates)] + [
        (f"communities[{i}].", c.household_mix, c.tag_rates) for i, c in enumerate(profile.communities)
    ]:
        unknown = sorted(set(mix) - set(DEFAULT_HOUSEHOLD_MIX))
        if unknown:
            return f"{prefix}household_mix: unknown kind {unknown[0]!r} (known: {', '.join(DEFAULT_HOUSEHOLD_MIX)})"
        unknown = sorted(set(rates) - set(DEFAULT_TAG_RATES))
        if unknown:
            return f"{prefix}tag_rates: unknown tag {unknown[0]!r} (known: {', '.join(DEFAULT_TAG_RATES)})"
    for i, community in enumerate(profile.communities):
        where = f"communities[{i}]"
        duplicate = _first_duplicate(community.grids)
        if duplicate:
            return f"{where}.grids: the grid {duplicate!r} is listed twice"
        for scenario in community.scenarios:
            if not NAME_PATTERN.match(scenario):
                return f"{where}.scenarios: {scenario!r} is not a scenario name (lower-case letters, digits and _)"
        duplicate = _first_duplicate(community.scenarios)
        if duplicate:
            return f"{where}.scenarios: {duplicate!r} is listed twice"
        if not any(profile.household_mix_for(community).values()):
            return f"{where}.household_mix: at least one kind of household needs a share above 0"
    last = (profile.as_of or date.today()).year
    for year in range(last - OLDEST_AGE - 1, last + 1):
        if not any(region_existed(r.code, year) for r in profile.id_regions):
            return (
                f"id_regions: none of the codes was in use for people born in {year} "
                "(add one that was, e.g. 372430 济阳县 before 1989, 370125 from 1989 to 2018, 370115 after)"
            )
    return None


def _first_duplicate(values: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None
