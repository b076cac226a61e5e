"""The demo sub-district: what `meihao demo` builds, that it is valid, repeatable and built only once."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from stdnum.cn import ric

import meihao.db.bulk as bulk
from meihao.demo import build_demo, load_profile
from meihao.demo.people import DEFAULT_TAG_RATES
from meihao.errors import Conflict, InvalidInput, MeihaoError
from meihao.privacy import normalise_id_card, normalise_phone
from meihao.register.communities import list_communities
from meihao.register.tables import CommunityScenario
from meihao.tables import Building, Community, Department, Grid, Household, Resident, ResidentTag
from meihao.testing import boot_for_tests

AS_OF = date(2026, 1, 1)
BRANDS = {"hepan": "美好社区", "huayang": "商居互融", "yinshan": "善智理", "chengguan": "老街坊", "yajuyuan": "松龄雅居"}


def profile_with(tmp_path: Path, extra: str = "", *, scenarios: bool = False, **replace: str) -> Any:
    """The shipped profile with ages counted on AS_OF, text replaced and ``extra`` TOML appended.

    Unless ``scenarios``, no community wants a scenario: the kernel's part is tested on its own,
    whichever scene plugins are installed.
    """
    text = (Path(__file__).parents[1] / "core" / "demo" / "sub_district.toml").read_text(encoding="utf-8")
    text = text.replace("# as_of = 2026-01-01", "as_of = 2026-01-01")
    if not scenarios:
        text = re.sub(r"(?m)^scenarios = \[.*\]$", "scenarios = []", text)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "profile.toml"
    path.write_text(text + extra, encoding="utf-8")
    return load_profile(str(path))


async def snapshot(mh: Any) -> list[tuple[Any, ...]]:
    """Everything generated about each resident, in a form two databases can be compared by."""
    rows = await Resident.select(
        Resident.community.slug,
        Resident.grid.code,
        Resident.building.name,
        Resident.household.unit,
        Resident.household.room,
        Resident.name,
        Resident.gender,
        Resident.birth_date,
        Resident.id_card_cipher,
        Resident.phone,
        Resident.preferred_language,
        Resident.id,
    ).order_by(Resident.id)
    tags: dict[int, list[str]] = {}
    for tag in await ResidentTag.select(ResidentTag.resident, ResidentTag.tag).order_by(ResidentTag.tag):
        tags.setdefault(tag["resident"], []).append(tag["tag"])
    return [
        (*(r[k] for k in list(r)[:8]), mh.codec.decrypt(r["id_card_cipher"]), r["phone"], r["preferred_language"], tags.get(r["id"], []))
        for r in rows
    ]


async def table_counts() -> dict[str, int]:
    return {t.__name__: await t.count() for t in (Community, Grid, Building, Household, Resident, ResidentTag, Department, CommunityScenario)}


def age(birth: date) -> int:
    return AS_OF.year - birth.year - ((AS_OF.month, AS_OF.day) < (birth.month, birth.day))


async def test_builds_five_branded_communities_with_their_grid_register(make_meihao, tmp_path):
    mh = await make_meihao()
    profile = profile_with(tmp_path)

    summary = await build_demo(mh, profile, residents=500, seed=7, progress=False)

    communities = {c["slug"]: c for c in await list_communities()}
    assert {slug: c["brand_name"] for slug, c in communities.items()} == BRANDS
    assert communities["yajuyuan"]["name"] == "雅居园社区" and communities["yajuyuan"]["brand_slogan"]
    # what seed 7 makes: the same on every database (test_same_seed_same_demo_other_seed_other_demo)
    households = {"hepan": 40, "huayang": 43, "yinshan": 45, "chengguan": 33, "yajuyuan": 32}
    for spec in profile.communities:
        community_id = communities[spec.slug]["id"]
        grids = await Grid.select(Grid.name).where(Grid.community == community_id).order_by(Grid.code)
        assert [g["name"] for g in grids] == spec.grids
        assert await Building.count().where(Building.community == community_id) == len(spec.grids) * spec.buildings_per_grid
        assert await Household.count().where(Household.community == community_id) == households[spec.slug]
        assert f"{spec.slug}" in summary and spec.name in summary
    assert await Resident.count() == 500
    per_community = Counter(r["community.slug"] for r in await Resident.select(Resident.community.slug))
    # the profile's shares (0.22, 0.20, 0.24, 0.18, 0.16) of 500
    assert per_community == {"hepan": 110, "huayang": 100, "yinshan": 120, "chengguan": 90, "yajuyuan": 80}
    assert "500 residents" in summary
    departments = {d["code"]: d for d in await Department.select()}
    assert {"law-enforcement", "justice", "counselling", "health", "civil-affairs", "housing"} <= set(departments)
    assert departments["justice"]["kind"] == "justice"


async def test_residents_live_where_their_household_is(make_meihao, tmp_path):
    mh = await make_meihao()
    await build_demo(mh, profile_with(tmp_path), residents=400, seed=3, progress=False)

    residents = await Resident.select(Resident.household, Resident.building, Resident.grid, Resident.community)
    households = {h["id"]: h for h in await Household.select()}
    buildings = {b["id"]: b for b in await Building.select()}
    for r in residents:
        household = households[r["household"]]
        assert (household["building"], household["grid"], household["community"]) == (r["building"], r["grid"], r["community"])
        assert (buildings[r["building"]]["grid"], buildings[r["building"]]["community"]) == (r["grid"], r["community"])
    sizes = Counter(r["household"] for r in residents)
    assert set(sizes.values()) <= {1, 2, 3, 4, 5}
    assert {1, 2, 3} <= set(sizes.values())
    assert len(sizes) == len(households)  # no empty households


async def test_every_id_card_number_is_valid_unique_and_matches_birth_date_and_gender(make_meihao, tmp_path):
    mh = await make_meihao()
    await build_demo(mh, profile_with(tmp_path), residents=500, seed=11, progress=False)

    rows = await Resident.select()
    hash_key = hashlib.sha256(b"meihao id-card lookup\x00" + mh.settings.data_key.encode()).digest()
    numbers = []
    for r in rows:
        number = mh.codec.decrypt(r["id_card_cipher"])
        numbers.append(number)
        assert len(number) == 18
        assert normalise_id_card(number) == number
        assert ric.is_valid(number)  # stricter: the region code existed in the birth year
        assert ric.get_birth_date(number) == r["birth_date"]
        assert int(number[16]) % 2 == (1 if r["gender"] == "male" else 0)
        assert r["id_card_last4"] == number[-4:]
        # HMAC-SHA256 under the key derived from the data key (the derivation is pinned by a
        # literal in tests/access/test_privacy.py), computed here without the codec
        assert r["id_card_hash"] == hmac.new(hash_key, number.encode(), hashlib.sha256).hexdigest()
    assert len(set(numbers)) == len(numbers) == 500
    assert Counter(n[:6] for n in numbers).most_common(1)[0][0] in {"372430", "370125", "370115"}  # 济阳


async def test_people_are_plausible(make_meihao, tmp_path):
    mh = await make_meihao()
    await build_demo(mh, profile_with(tmp_path), residents=1500, seed=5, progress=False)

    rows = await Resident.select()
    ages = [age(r["birth_date"]) for r in rows]
    assert 0.14 <= sum(a >= 60 for a in ages) / len(ages) <= 0.28
    assert any(a >= 80 for a in ages) and any(a < 14 for a in ages)
    assert max(ages) <= 100 and min(ages) >= 0

    person = Faker("zh_CN").provider("faker.providers.person")
    female_only = set(person.first_names_female) - set(person.first_names_male)
    for r in rows:
        assert 2 <= len(r["name"]) <= 5
        assert r["gender"] in {"male", "female"}
        if r["gender"] == "male":  # Faker's own zh_CN name_male() is not gendered; ours are
            assert not any(r["name"].endswith(given) for given in female_only if len(given) == 2), r["name"]
    assert Counter(r["gender"] for r in rows)["female"] > 0.4 * len(rows)

    adults = [r for r, a in zip(rows, ages) if a >= 18]
    assert sum(bool(r["phone"]) for r in adults) / len(adults) > 0.85
    assert not any(r["phone"] for r, a in zip(rows, ages) if a < 12)
    phones = [r["phone"] for r in rows if r["phone"]]
    assert len(set(phones)) == len(phones)
    for phone in phones:
        assert phone.startswith("+861") and normalise_phone(phone) == phone
    languages = Counter(r["preferred_language"] for r in rows)
    assert set(languages) <= {"zh", "en"} and languages["zh"] > 0.95 * len(rows)


async def test_tags_follow_who_people_are(make_meihao, tmp_path):
    mh = await make_meihao()
    await build_demo(mh, profile_with(tmp_path), residents=2000, seed=9, progress=False)

    residents = {r["id"]: r for r in await Resident.select(Resident.id, Resident.birth_date, Resident.gender, Resident.household)}
    household_sizes = Counter(r["household"] for r in residents.values())
    tags = await ResidentTag.select(ResidentTag.resident, ResidentTag.tag)
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for t in tags:
        by_tag.setdefault(t["tag"], []).append(residents[t["resident"]])
    assert set(by_tag) == {*DEFAULT_TAG_RATES, "living_alone"}
    for r in by_tag["living_alone"]:
        assert age(r["birth_date"]) >= 60 and household_sizes[r["household"]] == 1
    assert all(r["gender"] == "male" and age(r["birth_date"]) >= 35 for r in by_tag["veteran"])
    assert all(age(r["birth_date"]) >= 18 for r in by_tag["party_member"])
    assert all(16 <= age(r["birth_date"]) <= 75 for r in by_tag["volunteer"])
    low_income_households = {r["household"] for r in by_tag["low_income"]}
    assert sum(household_sizes[h] for h in low_income_households) == len(by_tag["low_income"])  # whole households


async def test_same_seed_same_demo_other_seed_other_demo(make_meihao, tmp_path):
    profile = profile_with(tmp_path)
    first = await make_meihao()
    await build_demo(first, profile, residents=300, seed=42, progress=False)
    one = await snapshot(first)
    second = await make_meihao()  # now the database the tables talk to
    await build_demo(second, profile, residents=300, seed=42, progress=False)
    assert await snapshot(second) == one
    third = await make_meihao()
    await build_demo(third, profile, residents=300, seed=43, progress=False)
    other = await snapshot(third)
    assert [r[5:9] for r in other] != [r[5:9] for r in one]


async def test_many_statements_per_table_when_the_parameter_budget_is_small(make_meihao, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_PARAMETERS", 50)  # 3 residents or 10 households per statement
    mh = await make_meihao()
    await build_demo(mh, profile_with(tmp_path), residents=250, seed=1, progress=False)
    assert await Resident.count() == 250
    assert len({r["id_card_hash"] for r in await Resident.select(Resident.id_card_hash)}) == 250
    assert await ResidentTag.count() == 86  # what seed 1 makes, however many statements it takes


def test_statements_stay_far_below_the_drivers_parameter_limits():
    assert bulk.MAX_PARAMETERS <= 32766 // 2
    inserter = bulk.BulkInserter.__new__(bulk.BulkInserter)
    assert inserter.rows_per_statement(14) * 14 <= bulk.MAX_PARAMETERS


async def test_a_second_run_adds_nothing(make_meihao, tmp_path):
    mh = await make_meihao()
    profile = profile_with(tmp_path)
    await build_demo(mh, profile, residents=300, seed=2, progress=False)
    before = await table_counts()
    names = await snapshot(mh)

    summary = await build_demo(mh, profile, residents=300, seed=2, progress=False)

    assert "already there" in summary and "300 residents" in summary and "no residents added" in summary
    assert await table_counts() == before
    assert await snapshot(mh) == names


async def test_builds_beside_residents_registered_before(meihao, tmp_path, factories):
    mh = meihao
    await factories.community("elsewhere")
    place = await factories.place("elsewhere")
    await factories.resident(place["household_id"], birth_date=date(1960, 5, 17))
    await build_demo(mh, profile_with(tmp_path), residents=200, seed=4, progress=False)
    assert await Resident.count() == 201


async def test_refuses_when_only_some_demo_communities_exist(meihao, tmp_path, factories):
    mh = meihao
    await factories.community("hepan", name="荷畔社区")
    with pytest.raises(Conflict, match="hepan exist but huayang, yinshan, chengguan, yajuyuan do not"):
        await build_demo(mh, profile_with(tmp_path), residents=50, progress=False)
    assert await Resident.count() == 0


async def test_refuses_to_run_in_production_mode(make_meihao, tmp_path):
    mh = await make_meihao(mode="production")
    with pytest.raises(MeihaoError, match="MEIHAO_MODE=production"):
        await build_demo(mh, profile_with(tmp_path), residents=50, progress=False)
    assert await Community.count() == 0


async def test_enables_installed_scenarios_with_demo_data_once(make_meihao, tmp_path, lantern_plugin):
    from tests.sample_plugins.lantern.tables import Riddle

    mh = await make_meihao(plugins=[lantern_plugin])
    profile = profile_with(tmp_path)
    profile.communities[-1].scenarios = ["lantern", "no_such_scene"]  # yajuyuan

    summary = await build_demo(mh, profile, residents=100, seed=1, progress=False)

    yajuyuan = await Community.select().where(Community.slug == "yajuyuan").first()
    states = await CommunityScenario.select().where(CommunityScenario.community == yajuyuan["id"])
    assert [(s["scenario"], s["enabled"]) for s in states] == [("lantern", True)]
    assert await CommunityScenario.count() == 1  # only yajuyuan wants it
    assert await Riddle.count().where(Riddle.community == yajuyuan["id"]) == 10  # the plugin's demo data
    assert "scenarios: lantern" in summary
    assert "not installed, so not enabled: no_such_scene" in summary

    await build_demo(mh, profile, residents=100, seed=1, progress=False)
    assert await Riddle.count() == 10


async def test_a_scenario_installed_later_is_enabled_by_the_next_run(make_meihao, tmp_path, lantern_plugin):
    first = await make_meihao()
    profile = profile_with(tmp_path)
    profile.communities[-1].scenarios = ["lantern"]  # yajuyuan
    await build_demo(first, profile, residents=50, seed=1, progress=False)
    assert await CommunityScenario.count() == 0
    await first.close()

    later = boot_for_tests(first.settings, [lantern_plugin])  # the same database, now with the plugin
    await later.start()
    try:
        await later.db.migrate()
        summary = await build_demo(later, profile, residents=50, seed=1, progress=False)
        assert "enabled since installed: yajuyuan: lantern" in summary
        assert await CommunityScenario.count() == 1
        assert await Resident.count() == 50
    finally:
        await later.close()


async def test_installed_scenes_are_switched_on_where_wanted_with_their_demo_data_once(make_meihao, tmp_path):
    mh = await make_meihao()
    profile = profile_with(tmp_path, scenarios=True)
    installed = set(mh.plugins.scenarios)

    summary = await build_demo(mh, profile, residents=600, seed=3, progress=False)

    communities = {c["slug"]: c for c in await list_communities()}
    for spec in profile.communities:
        assert set(communities[spec.slug]["scenarios"]) == set(spec.scenarios) & installed, spec.slug
    wanted = {name for spec in profile.communities for name in spec.scenarios}
    if wanted - installed:
        assert "not installed, so not enabled: " in summary
        assert all(name in summary.partition("not installed, so not enabled: ")[2] for name in wanted - installed)

    async def rows_everywhere() -> dict[str, int]:
        return {table._meta.tablename: await table.count() for table in mh.db.tables()}

    before = await rows_everywhere()
    again = await build_demo(mh, profile, residents=600, seed=3, progress=False)
    assert "no residents added" in again
    assert await rows_everywhere() == before  # the scenes' demo data is not added twice either


# -- profiles -----------------------------------------------------------------


def test_the_shipped_profile_describes_the_five_communities_of_the_source():
    profile = load_profile(None)
    assert {c.slug: c.brand_name for c in profile.communities} == BRANDS
    scenarios = {c.slug: set(c.scenarios) for c in profile.communities}
    assert {"elder_care", "health"} <= scenarios["yajuyuan"]
    assert {"commerce", "markets"} <= scenarios["huayang"]
    assert {"governance", "education", "service"} <= scenarios["yinshan"]
    assert {"culture", "markets", "neighbourhood"} <= scenarios["chengguan"]
    assert {"neighbourhood", "health", "education"} <= scenarios["hepan"]
    assert set().union(*scenarios.values()) == {
        "service", "governance", "neighbourhood", "health", "education", "commerce", "elder_care", "markets", "culture",
    }  # fmt: skip


MINIMAL_PROFILE = 'id_regions = [{code = "372430", weight = 1}, {code = "370125", weight = 1}, {code = "370115", weight = 1}]\n[[communities]]\nslug = "ab"\nname = "A"\nshare = 1\ngrids = ["x"]\nbuildings_per_grid = 1\n'


async def test_a_minimal_profile_builds(meihao, tmp_path):
    path = tmp_path / "minimal.toml"
    path.write_text(MINIMAL_PROFILE, encoding="utf-8")
    profile = load_profile(str(path))
    summary = await build_demo(meihao, profile, residents=120, seed=1, progress=False)
    assert "0 department(s)" in summary and "ab " in summary
    assert await Resident.count() == 120 and await Department.count() == 0


def test_a_profile_needs_a_region_code_for_every_birth_year(tmp_path):
    path = tmp_path / "gap.toml"
    path.write_text(MINIMAL_PROFILE.replace('{code = "370125", weight = 1}, ', ""), encoding="utf-8")
    with pytest.raises(InvalidInput, match="none of the codes was in use for people born in 1990"):
        load_profile(str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("communities = [", "not valid TOML"),
        ("name = 1\n", "Expected `str`, got `int`"),
        ("colour = 'red'\n", "unknown field `colour`"),
        (
            'id_regions = [{code = "370125", weight = 1}]\n[[communities]]\nslug = "ab"\nname = "A"\nshare = 1\ngrids = ["x"]\nbuildings_per_grid = 0\n',
            "communities[0].buildings_per_grid",
        ),
        (
            'id_regions = [{code = "370125", weight = 1}]\ntag_rates = {happy = 0.5}\n[[communities]]\nslug = "ab"\nname = "A"\nshare = 1\ngrids = ["x"]\nbuildings_per_grid = 1\n',
            "tag_rates: unknown tag 'happy'",
        ),
        ("as_of = 2999-01-01\n" + MINIMAL_PROFILE, "as_of: 2999-01-01 is in the future"),
        (
            'id_regions = [{code = "370125", weight = 1}]\n'
            + '[[communities]]\nslug = "ab"\nname = "A"\nshare = 1\ngrids = ["x"]\nbuildings_per_grid = 1\n' * 2,
            "the slug 'ab' is used twice",
        ),
    ],
)
def test_a_bad_profile_is_refused_in_one_line(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_profile(str(path))
    assert message in caught.value.message
    assert str(path) in caught.value.message and "\n" not in caught.value.message


def test_a_missing_profile_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="no such file"):
        load_profile(str(tmp_path / "nope.toml"))


# -- the command ----------------------------------------------------------------


def test_the_demo_command_builds_once(tmp_path):
    meihao = Path(sys.executable).with_name("meihao")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    env["MEIHAO_DATABASE_URL"] = f"sqlite:///{tmp_path}/x.db"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(meihao), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    assert run("migrate").returncode == 0
    built = run("demo", "--residents", "300", "--quiet")
    assert built.returncode == 0, built.stderr
    assert "Built the demo sub-district 济阳街道" in built.stdout
    assert "total: 5 communities, 23 grids, 215 buildings" in built.stdout and "300 residents" in built.stdout
    for slug, brand in BRANDS.items():
        assert slug in built.stdout and f"「{brand}」" in built.stdout
    assert "━" not in built.stdout + built.stderr  # --quiet: no progress bar

    again = run("demo", "--residents", "300", "--quiet")
    assert again.returncode == 0, again.stderr
    assert "already there" in again.stdout and "no residents added" in again.stdout

    bad = run("demo", "--profile", str(tmp_path / "x.db.key"))
    assert bad.returncode != 0 and "demo profile" in bad.stderr and "Traceback" not in bad.stderr


def test_region_codes_are_used_only_for_birth_years_stdnum_accepts():
    from meihao.demo.people import _with_check_digit, region_existed

    for code in ("372430", "370125", "370115", "370126", "370102", "370181"):
        for year in range(1920, 2027):
            assert region_existed(code, year) == ric.is_valid(_with_check_digit(f"{code}{year}0701001")), (code, year)


async def test_two_runs_at_once_build_the_demo_once(make_meihao, tmp_path):
    import asyncio

    mh = await make_meihao()
    profile = profile_with(tmp_path)
    results = await asyncio.gather(
        build_demo(mh, profile, residents=300, seed=1, progress=False),
        build_demo(mh, profile, residents=300, seed=1, progress=False),
        return_exceptions=True,
    )
    built = [r for r in results if isinstance(r, str)]
    # the other run may finish first, finding the demo there already (or end in a Conflict)
    assert len(built) >= 1 and any("Built the demo" in summary for summary in built), results
    assert all(isinstance(r, (str, Conflict)) for r in results), results
    assert await Community.count() == 5 and await Resident.count() == 300


# -- meihao demo --enable NAME@SLUG ----------------------------------------------------


def test_enable_adds_a_scenario_to_one_community_of_the_profile(tmp_path):
    from meihao.demo import with_enabled

    profile = profile_with(tmp_path)
    changed = with_enabled(profile, ["lantern@hepan", "lantern@hepan", "culture@yajuyuan"], ["culture", "lantern"])
    assert {c.slug: c.scenarios for c in changed.communities} == {
        "hepan": ["lantern"], "huayang": [], "yinshan": [], "chengguan": [], "yajuyuan": ["culture"],
    }
    assert all(c.scenarios == [] for c in profile.communities)  # the loaded profile is left as it was
    shipped = with_enabled(load_profile(), ["lantern@hepan"], ["lantern"])
    assert shipped.communities[0].scenarios == ["neighbourhood", "health", "education", "service", "lantern"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("lantern", "--enable 'lantern': write NAME@SLUG, e.g. bookshelf@hepan"),
        ("@hepan", "--enable '@hepan': write NAME@SLUG, e.g. bookshelf@hepan"),
        ("lantern@", "--enable 'lantern@': write NAME@SLUG, e.g. bookshelf@hepan"),
        ("bookshelf@hepan", "--enable bookshelf@hepan: no scenario named 'bookshelf' is installed (installed: culture, lantern)"),
        ("lantern@nowhere", "--enable lantern@nowhere: the demo profile has no community 'nowhere' "
         "(its communities: hepan, huayang, yinshan, chengguan, yajuyuan)"),
    ],
)
def test_enable_refuses_what_it_cannot_switch_on_in_one_line(tmp_path, item, message):
    from meihao.demo import with_enabled

    with pytest.raises(InvalidInput) as refused:
        with_enabled(profile_with(tmp_path), [item], ["lantern", "culture"])
    assert refused.value.message == message


async def test_a_third_party_scene_enabled_for_the_demo_gets_its_demo_data(make_meihao, tmp_path, lantern_plugin):
    from meihao.demo import with_enabled
    from tests.sample_plugins.lantern.tables import Riddle

    mh = await make_meihao(plugins=[lantern_plugin])
    profile = with_enabled(profile_with(tmp_path), ["lantern@hepan", "lantern@chengguan"], mh.plugins.scenarios)

    summary = await build_demo(mh, profile, residents=60, seed=1, progress=False)

    enabled = {(row["community.slug"], row["scenario"]) for row in await CommunityScenario.select(CommunityScenario.community.slug, CommunityScenario.scenario)}
    assert enabled == {("hepan", "lantern"), ("chengguan", "lantern")}
    assert await Riddle.count() == 20  # ten riddles (its default setting) in each of the two
    assert "scenarios: lantern" in summary

    # later, on the built demo: one more community, once
    again = with_enabled(profile_with(tmp_path), ["lantern@yinshan"], mh.plugins.scenarios)
    summary = await build_demo(mh, again, residents=60, seed=1, progress=False)
    assert "enabled since installed: yinshan: lantern" in summary
    assert await Riddle.count() == 30
    await build_demo(mh, again, residents=60, seed=1, progress=False)
    assert await Riddle.count() == 30


def test_the_demo_command_enables_a_third_party_scene(tmp_path):
    from tests.commands import run

    lantern = {"MEIHAO_PLUGINS": "lantern=tests.sample_plugins.lantern", "PYTHONPATH": str(Path(__file__).parents[1])}
    profile_with(tmp_path)  # tmp_path/profile.toml, no scenarios wanted
    for item, message in [
        ("bookshelf@hepan", "Error: --enable bookshelf@hepan: no scenario named 'bookshelf' is installed "
         "(installed: commerce, culture, education, elder_care, governance, health, lantern, markets, neighbourhood, service)"),
        ("lantern@nowhere", "Error: --enable lantern@nowhere: the demo profile has no community 'nowhere' "
         "(its communities: hepan, huayang, yinshan, chengguan, yajuyuan)"),
    ]:
        refused = run(tmp_path, "demo", "--profile", "profile.toml", "--enable", item, **lantern)
        assert refused.returncode == 1
        assert refused.stderr == message + "\n"
        assert not (tmp_path / "x.db").exists()  # refused before the database was made

    built = run(tmp_path, "demo", "--profile", "profile.toml", "--residents", "80", "--quiet", "--enable", "lantern@hepan", **lantern)
    assert built.returncode == 0, built.stderr
    assert re.search(r"(?m)^  hepan .*; scenarios: lantern$", built.stdout), built.stdout
    listed = {row.split()[0]: row.split() for row in run(tmp_path, "plugins", **lantern).stdout.splitlines()[1:]}
    assert listed["lantern"][-1] == "hepan"
