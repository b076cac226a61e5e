"""Audiences at their edges (what mutation testing of ``meihao.reminders.audiences`` found unguarded).

The street of ``tests/reminders/conftest.py``: grid A holds 王秀英 (born 1 January 1950, elder),
李建国 and Anna (born 1 June 1990); grid B holds 张伟 (1950, elder) and 刘芳 (1990); one resident
外人 lives in another community. Counts are the literal numbers of those people.
"""

from __future__ import annotations

from datetime import date

import pytest

from meihao import get_community, hookimpl
from meihao.access.principals import Principal
from meihao.errors import Forbidden, InvalidInput
from meihao.reminders.audiences import (
    AudienceSpec,
    check_fan_out,
    check_members,
    check_reach,
    mask_name,
    parse_audience,
    preview,
    principal_scope,
    resident_condition,
    staff_condition,
)
from meihao.tables import Building, Resident
from tests.reminders.conftest import build_street

PERMISSION = "meihao.activity.audience.community"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("", ""), ("王", "王"), ("李明", "李*"), ("王秀英", "王*英"), ("欧阳秀英", "欧**英"), ("Anna", "A**a")],
)
def test_a_name_is_masked_keeping_its_first_and_last_character(name, masked):
    assert mask_name(name) == masked


def test_an_age_of_zero_is_a_filter():
    assert AudienceSpec(min_age=0).selects_residents_by_filter is True
    assert AudienceSpec(max_age=0).selects_residents_by_filter is True
    assert AudienceSpec(residents=[1]).selects_residents_by_filter is False
    assert AudienceSpec(staff=[1]).selects_residents_by_filter is False


@pytest.mark.parametrize(
    ("spec", "everyone"),
    [
        (AudienceSpec(everyone=True), True),
        (AudienceSpec(everyone=True, residents=[1], staff=[2]), True),
        (AudienceSpec(everyone=True, grids=[1]), False),
        (AudienceSpec(everyone=True, buildings=[1]), False),
        (AudienceSpec(everyone=True, tags=["elder"]), False),
        (AudienceSpec(everyone=True, named=["meihao.elders"]), False),
        (AudienceSpec(everyone=True, min_age=0), False),
        (AudienceSpec(everyone=True, max_age=0), False),
        (AudienceSpec(grids=[1]), False),
    ],
)
def test_only_the_whole_community_and_nothing_narrower_is_everyone(spec, everyone):
    assert spec.is_everyone is everyone


async def test_parsing_refuses_what_selects_nobody_or_an_age_range_upside_down(meihao):
    assert parse_audience(meihao, {"min_age": 0}) == AudienceSpec(min_age=0)
    assert parse_audience(meihao, {"max_age": 0}) == AudienceSpec(max_age=0)
    assert parse_audience(meihao, {"min_age": 60, "max_age": 60}) == AudienceSpec(min_age=60, max_age=60)
    assert parse_audience(meihao, {"staff": [3]}) == AudienceSpec(staff=[3])
    assert parse_audience(meihao, {"residents": [4]}) == AudienceSpec(residents=[4])
    spec = AudienceSpec(grids=[2])
    assert parse_audience(meihao, spec) is spec
    for raw, message, field in [
        ({"min_age": 61, "max_age": 60}, "audience.min_age: must not exceed max_age", "audience.min_age"),
        ({}, "audience: selects nobody; give everyone, a filter, residents or staff", "audience"),
        (None, "audience: selects nobody; give everyone, a filter, residents or staff", "audience"),
        ({"everyone": False}, "audience: selects nobody; give everyone, a filter, residents or staff", "audience"),
        ({"named": ["meihao.nobody"]}, "audience.named: no plugin declares an audience 'meihao.nobody'", "audience.named"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            parse_audience(meihao, raw)
        assert (str(refused.value), refused.value.field) == (message, field), raw
    with pytest.raises(InvalidInput) as refused:
        parse_audience(meihao, {"min_age": "old"})
    assert refused.value.field == "audience.min_age"
    assert str(refused.value).startswith("audience.min_age: ")
    with pytest.raises(InvalidInput) as refused:
        parse_audience(meihao, ["everyone"])
    assert refused.value.field == "audience"
    assert str(refused.value).startswith("audience: ")


# -- who a condition selects ----------------------------------------------------------------


async def _names(street, spec: AudienceSpec, today: date = date(2026, 3, 2)) -> list[str]:
    condition = resident_condition(street.mh, spec, street.community["id"], today)
    if condition is None:
        return []
    from piccolo.querystring import QueryString

    rows = await street.mh.db.engine.run_querystring(
        QueryString('SELECT "r"."name" FROM "meihao_resident" AS "r" WHERE {} ORDER BY "r"."id"', condition)
    )
    return [r["name"] for r in rows]


async def test_ages_count_on_the_day_given_at_each_edge(meihao):
    street = await build_street(meihao)
    elders = ["王秀英", "张伟"]  # born 1 January 1950
    # 76 on 1 January 2026, 75 the day before
    assert await _names(street, AudienceSpec(min_age=76), date(2026, 1, 1)) == elders
    assert await _names(street, AudienceSpec(min_age=76), date(2025, 12, 31)) == []
    assert await _names(street, AudienceSpec(min_age=77), date(2026, 1, 1)) == []
    assert await _names(street, AudienceSpec(min_age=75), date(2025, 12, 31)) == elders
    # at most 75: still on 31 December 2025, no longer on 1 January 2026
    young = ["李建国", "Anna", "刘芳"]
    assert await _names(street, AudienceSpec(max_age=75), date(2025, 12, 31)) == ["王秀英", "李建国", "Anna", "张伟", "刘芳"]
    assert await _names(street, AudienceSpec(max_age=75), date(2026, 1, 1)) == young
    assert await _names(street, AudienceSpec(max_age=76), date(2026, 1, 1)) == ["王秀英", "李建国", "Anna", "张伟", "刘芳"]
    assert await _names(street, AudienceSpec(min_age=76, max_age=76), date(2026, 1, 1)) == elders
    assert await _names(street, AudienceSpec(min_age=0, max_age=200), date(2026, 1, 1)) == ["王秀英", "李建国", "Anna", "张伟", "刘芳"]


async def test_places_add_up_and_filters_narrow(meihao):
    street = await build_street(meihao)
    building_b = (await Building.select(Building.id).where(Building.grid == street.grid_b).first())["id"]
    r = street.residents
    everyone = ["王秀英", "李建国", "Anna", "张伟", "刘芳"]
    assert await _names(street, AudienceSpec(everyone=True)) == everyone
    assert await _names(street, AudienceSpec(grids=[street.grid_a])) == ["王秀英", "李建国", "Anna"]
    assert await _names(street, AudienceSpec(buildings=[building_b])) == ["张伟", "刘芳"]
    assert await _names(street, AudienceSpec(grids=[street.grid_a], buildings=[building_b])) == everyone  # either place
    assert await _names(street, AudienceSpec(grids=[street.grid_a], tags=["elder"])) == ["王秀英"]  # and the tag
    assert await _names(street, AudienceSpec(tags=["elder"], max_age=40)) == []
    assert await _names(street, AudienceSpec(everyone=True, tags=["nobody"])) == []
    assert await _names(street, AudienceSpec(residents=[r["Anna"]["id"], r["刘芳"]["id"]])) == ["Anna", "刘芳"]
    # residents by id are added to the filter's, not narrowed by it
    assert await _names(street, AudienceSpec(grids=[street.grid_b], residents=[r["Anna"]["id"]])) == ["Anna", "张伟", "刘芳"]
    assert await _names(street, AudienceSpec(staff=[1])) == []
    outsider = (await Resident.select(Resident.id).where(Resident.name == "外人").first())["id"]
    assert await _names(street, AudienceSpec(residents=[outsider])) == []


async def test_staff_are_active_accounts_with_a_role_in_the_community_or_the_streets_admins(meihao):
    street = await build_street(meihao)
    worker = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    admin = await street.factories.street_admin()
    await street.factories.community("huayang")
    outsider = await street.factories.staff("community_admin", community="huayang")
    gone = await street.factories.staff("grid_worker", grid_id=street.grid_b)
    from meihao.tables import Staff

    await Staff.update({Staff.active: False}).where(Staff.id == gone["id"])
    ids = [worker["id"], admin["id"], outsider["id"], gone["id"]]
    assert staff_condition(AudienceSpec(everyone=True), street.community["id"]) is None
    result = await preview(meihao, AudienceSpec(staff=ids), street.community, date(2026, 3, 2))
    assert result == {"residents": 0, "staff": 2, "sample": []}
    from piccolo.querystring import QueryString

    rows = await meihao.db.engine.run_querystring(QueryString(
        'SELECT "s"."id" FROM "meihao_staff" AS "s" WHERE {} ORDER BY "s"."id"', staff_condition(AudienceSpec(staff=ids), street.community["id"])))
    assert [r["id"] for r in rows] == sorted([worker["id"], admin["id"]])


async def test_a_preview_counts_everyone_and_samples_within_its_size_and_scope(meihao):
    street = await build_street(meihao)
    r = street.residents
    everyone = AudienceSpec(everyone=True)
    two = await preview(meihao, everyone, street.community, date(2026, 3, 2), sample_size=2)
    assert two["residents"] == 5 and two["staff"] == 0
    assert [s["id"] for s in two["sample"]] == [r["王秀英"]["id"], r["李建国"]["id"]]
    assert two["sample"][0] == {"id": r["王秀英"]["id"], "name": "王*英", "phone": "139****5678", "grid_id": street.grid_a, "language": "zh"}
    household = await street.factories.household((await street.factories.building(street.grid_b))["id"])
    await street.factories.resident(household["id"], name="赵六")  # a sixth resident: the default sample is five
    default = await preview(meihao, everyone, street.community, date(2026, 3, 2))
    assert default["residents"] == 6
    assert [s["name"] for s in default["sample"]] == ["王*英", "李*国", "A**a", "张*", "刘*"]
    scope = principal_scope(Principal(staff_id=1, name="B", grid_ids={street.grid_b}))
    scoped = await preview(meihao, everyone, street.community, date(2026, 3, 2), sample_scope=scope)
    assert (scoped["residents"], [s["name"] for s in scoped["sample"]]) == (6, ["张*", "刘*", "赵*"])
    nobody = await preview(meihao, AudienceSpec(staff=[999]), street.community, date(2026, 3, 2))
    assert nobody == {"residents": 0, "staff": 0, "sample": []}


async def test_a_principals_scope_as_a_condition_on_residents(meihao):
    street = await build_street(meihao)
    from piccolo.querystring import QueryString

    async def names(principal) -> list[str] | None:
        scope = principal_scope(principal)
        if scope is None:
            return None
        rows = await meihao.db.engine.run_querystring(
            QueryString('SELECT "r"."name" FROM "meihao_resident" AS "r" WHERE {} ORDER BY "r"."id"', scope))
        return [row["name"] for row in rows]

    assert await names(Principal(staff_id=1, name="street", street=True, grid_ids={street.grid_a})) is None
    assert await names(Principal(staff_id=1, name="none")) == []
    assert await names(Principal(staff_id=1, name="A", grid_ids={street.grid_a})) == ["王秀英", "李建国", "Anna"]
    hepan = street.community["id"]
    assert await names(Principal(staff_id=1, name="hepan", community_ids={hepan})) == ["王秀英", "李建国", "Anna", "张伟", "刘芳"]
    assert await names(Principal(staff_id=1, name="both", community_ids={hepan}, grid_ids={street.grid_a})) == [
        "王秀英", "李建国", "Anna", "张伟", "刘芳"]


# -- grid staff: their own grids, and at most so many people ---------------------------------


def _grid_staff(street, *grids: int, permissions: set[str] | None = None) -> Principal:
    return Principal(staff_id=1, name="网格员", roles={"grid_worker"}, permissions=permissions or set(), grid_ids=set(grids),
                     grid_community_ids={street.community["id"]})


async def test_at_most_the_configured_audience_for_grid_staff(make_meihao):
    mh = await make_meihao(max_audience_for_grid_staff=3)
    street = await build_street(mh)
    community = street.community
    worker = _grid_staff(street, street.grid_a)
    await check_fan_out(mh, worker, AudienceSpec(grids=[street.grid_a]), community, PERMISSION)  # exactly 3
    four = AudienceSpec(grids=[street.grid_a], residents=[street.residents["张伟"]["id"]])
    with pytest.raises(InvalidInput) as refused:
        await check_fan_out(mh, worker, four, community, PERMISSION)
    assert (str(refused.value), refused.value.field) == (
        "audience: reaches 4 people; one activity of grid staff may remind at most 3 "
        "(MEIHAO_MAX_AUDIENCE_FOR_GRID_STAFF; the community's admin can plan larger ones)",
        "audience",
    )
    staff = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    with pytest.raises(InvalidInput, match="reaches 4 people"):  # staff count too
        await check_fan_out(mh, worker, AudienceSpec(grids=[street.grid_a], staff=[staff["id"]]), community, PERMISSION)
    # the community's admins and holders of the permission plan larger ones
    await check_fan_out(mh, _grid_staff(street, street.grid_a, permissions={PERMISSION}), four, community, PERMISSION)
    admin = Principal(staff_id=2, name="admin", community_ids={street.community["id"]})
    await check_fan_out(mh, admin, four, community, PERMISSION)


async def test_grid_staff_reach_only_their_grids_buildings_and_residents(meihao):
    street = await build_street(meihao)
    hepan = street.community["id"]
    building_a = (await Building.select(Building.id).where(Building.grid == street.grid_a).first())["id"]
    building_b = (await Building.select(Building.id).where(Building.grid == street.grid_b).first())["id"]
    r = street.residents
    worker = _grid_staff(street, street.grid_a)
    for spec in (
        AudienceSpec(grids=[street.grid_a]),
        AudienceSpec(buildings=[building_a, building_a]),
        AudienceSpec(residents=[r["王秀英"]["id"], r["王秀英"]["id"], r["Anna"]["id"]]),
        AudienceSpec(everyone=True, grids=[street.grid_a]),
    ):
        await check_reach(worker, spec, hepan, PERMISSION)
    nowhere = _grid_staff(street)  # a grid worker without a grid reaches no building and no resident
    for spec, message, field in [
        (AudienceSpec(grids=[street.grid_a, street.grid_b]), "audience.grids: you may remind residents of your own grids only", "audience.grids"),
        (AudienceSpec(buildings=[building_a, building_b]), "audience.buildings: you may remind residents of your own grids only",
         "audience.buildings"),
        (AudienceSpec(tags=["elder"]), "audience.grids: name your grids (or buildings); reminding the whole community needs the "
         "permission 'meihao.activity.audience.community'", "audience.grids"),
        (AudienceSpec(residents=[r["王秀英"]["id"], r["张伟"]["id"]]), "audience.residents: you may remind residents of your own grids only",
         "audience.residents"),
    ]:
        with pytest.raises(Forbidden) as refused:
            await check_reach(worker, spec, hepan, PERMISSION)
        assert (str(refused.value), refused.value.field) == (message, field)
    with pytest.raises(Forbidden, match="audience.buildings"):
        await check_reach(nowhere, AudienceSpec(buildings=[building_a]), hepan, PERMISSION)
    with pytest.raises(Forbidden, match="audience.residents"):
        await check_reach(nowhere, AudienceSpec(residents=[r["王秀英"]["id"]]), hepan, PERMISSION)
    # the permission, or managing the community, lifts every limit
    await check_reach(_grid_staff(street, street.grid_a, permissions={PERMISSION}), AudienceSpec(everyone=True), hepan, PERMISSION)
    await check_reach(Principal(staff_id=2, name="admin", community_ids={hepan}), AudienceSpec(everyone=True), hepan, PERMISSION)


class Chosen:
    """A named audience of one activity: the resident whose id the activity names (here: the activity id itself)."""

    @hookimpl
    def meihao_audiences(self):
        from meihao import Audience

        return [Audience("chosen.one", "指定", "Chosen", lambda community_id, activity_id: Resident.select(Resident.id).where(
            Resident.id == (activity_id or 0)))]


async def test_a_preview_passes_the_day_and_the_activity_to_the_condition(make_meihao):
    mh = await make_meihao(plugins=[("chosen", Chosen())])
    street = await build_street(mh)
    elders = await preview(mh, AudienceSpec(min_age=76), street.community, date(2026, 1, 1))
    assert (elders["residents"], [s["name"] for s in elders["sample"]]) == (2, ["王*英", "张*"])
    assert (await preview(mh, AudienceSpec(min_age=76), street.community, date(2025, 12, 31)))["residents"] == 0
    anna = street.residents["Anna"]["id"]
    chosen = await preview(mh, AudienceSpec(named=["chosen.one"]), street.community, date(2026, 3, 2), activity_id=anna)
    assert (chosen["residents"], [s["name"] for s in chosen["sample"]]) == (1, ["A**a"])


# -- what the second mutation run found unguarded: members by id, lax parsing, the community's day ------


async def test_members_named_by_id_must_belong_to_the_community_and_the_refusal_names_the_lowest(meihao):
    street = await build_street(meihao)
    hepan = street.community["id"]
    other = await street.factories.place()  # another community: a grid, a building, a household
    second = await street.factories.place(other["community"])
    own_building = (await Building.select(Building.id).where(Building.grid == street.grid_a).first())["id"]
    foreign = (await Resident.select(Resident.id).where(Resident.name == "外人").first())["id"]
    stranger = (await street.factories.resident(second["household_id"], name="路人"))["id"]
    worker = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    admin = await street.factories.street_admin()
    outsider = await street.factories.staff("community_admin", community=other["community"])
    another = await street.factories.staff("grid_worker", grid_id=second["grid_id"])
    r = street.residents
    # inside, duplicates included, and the street's admin: accepted
    await check_members(AudienceSpec(
        grids=[street.grid_a, street.grid_b, street.grid_a], buildings=[own_building, own_building],
        residents=[r["王秀英"]["id"], r["张伟"]["id"]], staff=[worker["id"], admin["id"], worker["id"]],
    ), hepan)
    await check_members(AudienceSpec(everyone=True), hepan)
    low_grid, high_grid = sorted([other["grid_id"], second["grid_id"]])
    low_building, high_building = sorted([other["building_id"], second["building_id"]])
    low_resident, high_resident = sorted([foreign, stranger])
    low_staff, high_staff = sorted([outsider["id"], another["id"]])
    for spec, message, field in [
        (AudienceSpec(grids=[street.grid_a, high_grid, low_grid]), f"audience.grids: {low_grid} is not in this activity's community",
         "audience.grids"),
        (AudienceSpec(buildings=[high_building, own_building, low_building]),
         f"audience.buildings: {low_building} is not in this activity's community", "audience.buildings"),
        (AudienceSpec(residents=[r["Anna"]["id"], high_resident, low_resident]),
         f"audience.residents: {low_resident} is not in this activity's community", "audience.residents"),
        (AudienceSpec(staff=[worker["id"], high_staff, low_staff]),
         f"audience.staff: staff {low_staff} has no role in this activity's community", "audience.staff"),
        # the fields are checked in order: grids, buildings, residents, staff
        (AudienceSpec(grids=[high_grid], buildings=[low_building], residents=[low_resident], staff=[low_staff]),
         f"audience.grids: {high_grid} is not in this activity's community", "audience.grids"),
        (AudienceSpec(buildings=[high_building], residents=[low_resident], staff=[low_staff]),
         f"audience.buildings: {high_building} is not in this activity's community", "audience.buildings"),
        (AudienceSpec(residents=[high_resident], staff=[low_staff]),
         f"audience.residents: {high_resident} is not in this activity's community", "audience.residents"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            await check_members(spec, hepan)
        assert (str(refused.value), refused.value.field) == (message, field)
    # seen from the other community, its own members are inside and hepan's are not
    other_id = (await get_community(other["community"]))["id"]
    await check_members(AudienceSpec(grids=[other["grid_id"]], staff=[outsider["id"], admin["id"]]), other_id)
    with pytest.raises(InvalidInput) as refused:
        await check_members(AudienceSpec(staff=[worker["id"]]), other_id)
    assert str(refused.value) == f"audience.staff: staff {worker['id']} has no role in this activity's community"


async def test_the_cap_counts_ages_on_the_communitys_date_not_utcs(make_meihao):
    from datetime import datetime, timezone

    mh = await make_meihao(max_audience_for_grid_staff=1)
    street = await build_street(mh)
    worker = _grid_staff(street, street.grid_a)
    elders = AudienceSpec(min_age=76)  # 王秀英 and 张伟 turn 76 on 1 January 2026
    # 23:59 on 31 December in Shanghai: nobody is 76 yet
    street.clock.set(datetime(2025, 12, 31, 15, 59, tzinfo=timezone.utc))
    await check_fan_out(mh, worker, elders, street.community, PERMISSION)
    # 01:00 on 1 January in Shanghai, still 31 December in UTC: two people, one over the cap
    street.clock.set(datetime(2025, 12, 31, 17, 0, tzinfo=timezone.utc))
    with pytest.raises(InvalidInput) as refused:
        await check_fan_out(mh, worker, elders, street.community, PERMISSION)
    assert str(refused.value).startswith("audience: reaches 2 people; one activity of grid staff may remind at most 1 ")


async def test_parsing_converts_text_to_numbers_and_accepts_a_declared_name(meihao):
    assert parse_audience(meihao, {"min_age": "60", "grids": ["3", 4]}) == AudienceSpec(min_age=60, grids=[3, 4])
    assert parse_audience(meihao, {"named": ["meihao.elders", "meihao.everyone"]}) == AudienceSpec(named=["meihao.elders", "meihao.everyone"])
    with pytest.raises(InvalidInput) as refused:
        parse_audience(meihao, {"named": ["meihao.elders", "meihao.nobody"]})
    assert str(refused.value) == "audience.named: no plugin declares an audience 'meihao.nobody'"
    with pytest.raises(InvalidInput) as refused:
        parse_audience(meihao, {"everyone": True, "colour": "red"})
    assert (str(refused.value), refused.value.field) == ("audience: Object contains unknown field `colour`", "audience")
    with pytest.raises(InvalidInput) as refused:
        parse_audience(meihao, {"min_age": "old"})
    assert (str(refused.value), refused.value.field) == ("audience.min_age: Expected `int | null`, got `str`", "audience.min_age")


async def test_named_audiences_are_taken_with_the_communitys_settings_and_add_up(make_meihao):
    mh = await make_meihao(plugins=[("chosen", Chosen())], elder_age=76)
    street = await build_street(mh)
    anna = street.residents["Anna"]["id"]
    # MEIHAO_ELDER_AGE=76: the 1950-born are elders from 1 January 2026 on, not the day before
    elders = await preview(mh, AudienceSpec(named=["meihao.elders"]), street.community, date(2026, 1, 1))
    assert (elders["residents"], [s["name"] for s in elders["sample"]]) == (2, ["王*英", "张*"])
    assert (await preview(mh, AudienceSpec(named=["meihao.elders"]), street.community, date(2025, 12, 31)))["residents"] == 0
    both = await preview(mh, AudienceSpec(named=["meihao.elders", "chosen.one"]), street.community, date(2026, 1, 1), activity_id=anna)
    assert (both["residents"], [s["name"] for s in both["sample"]]) == (3, ["王*英", "A**a", "张*"])
