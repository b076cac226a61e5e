"""The resident register through the API: validation, masking, all-or-nothing writes, lists, moves, deletes."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

import meihao.register.residents
from meihao.tables import Resident, ResidentTag

PHONE = "13912345678"


def body(household_id: int, id_card: str, **fields) -> dict:
    return {
        "household_id": household_id,
        "name": "王秀英",
        "gender": "female",
        "birth_date": "1960-05-17",
        "id_card": id_card,
        "phone": PHONE,
        **fields,
    }


def field_named(response) -> str:
    """The field a 4xx body blames (kernel errors and Litestar's validation errors alike)."""
    data = response.json()
    assert data["detail"].startswith(data["field"])
    return data["field"]


@pytest.fixture
async def place(factories):
    return await factories.place(community=(await factories.community("hepan", name="荷畔社区"))["slug"])


# -- registering ------------------------------------------------------------------


async def test_register_a_resident_masks_personal_numbers(meihao_client, factories, place):
    id_card = factories.id_card(date(1960, 5, 17), "female")
    created = await meihao_client.post("/api/residents", json=body(place["household_id"], id_card, tags=["elder", "living_alone", "elder"]))
    assert created.status_code == 201, created.text
    resident = created.json()
    assert resident["id_card"] == "*" * 14 + id_card[-4:]
    assert resident["phone"] == "139****5678"
    assert resident["tags"] == ["elder", "living_alone"]
    assert resident["community"] == "hepan"
    assert (resident["grid_id"], resident["building_id"], resident["household_id"]) == (place["grid_id"], place["building_id"], place["household_id"])
    assert resident["birth_date"] == "1960-05-17"

    # the clear numbers never leave the server, whichever way one asks
    responses = [
        created,
        await meihao_client.get(f"/api/residents/{resident['id']}"),
        await meihao_client.get("/api/residents"),
        await meihao_client.get("/api/residents", params={"community": "hepan", "tag": "elder"}),
        await meihao_client.patch(f"/api/residents/{resident['id']}", json={"preferred_language": "en"}),
        await meihao_client.post(f"/api/residents/{resident['id']}/move", json={"household_id": place["household_id"]}),
        await meihao_client.get("/api/residents/export"),
        await meihao_client.get("/api/audit"),
    ]
    for response in responses:
        assert response.status_code in (200, 201), (response.request.url, response.text)
        for secret in (id_card, id_card[:14], PHONE, "+86" + PHONE):
            assert secret not in response.text, response.request.url

    # at rest the number is encrypted; only its last four characters are kept in clear
    row = await Resident.select().where(Resident.id == resident["id"]).first()
    assert id_card not in str(row)


async def test_lower_case_x_and_a_phone_with_country_code_are_normalised(meihao_client, factories, place):
    id_card = factories.id_card(date(1988, 8, 8), "male")
    while not id_card.endswith("X"):  # find a number whose check character is X
        id_card = factories.id_card(date(1988, 8, 8), "male")
    response = await meihao_client.post(
        "/api/residents",
        json=body(place["household_id"], id_card.lower(), gender="male", birth_date="1988-08-08", phone="+86 139-1234-5678"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["id_card"].endswith("X")
    assert response.json()["phone"] == "139****5678"
    again = await meihao_client.post("/api/residents", json=body(place["household_id"], id_card, gender="male", birth_date="1988-08-08"))
    assert again.status_code == 409


async def test_an_older_number_of_jiyang_county_is_accepted(meihao_client, place):
    """370125 (济阳县) was created in 1989; people born earlier were given such numbers later."""
    response = await meihao_client.post("/api/residents", json=body(place["household_id"], "370125195003150047", birth_date="1950-03-15"))
    assert response.status_code == 201, response.text


def _change_last(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda b, n: {"id_card": n[:17]}, "id_card", "18 characters"),
        (lambda b, n: {"id_card": n + "1"}, "id_card", "18 characters"),
        (lambda b, n: {"id_card": ""}, "id_card", "18 characters"),
        (lambda b, n: {"id_card": "37012519600517A01" + n[-1]}, "id_card", "digit"),
        (lambda b, n: {"id_card": _change_last(n)}, "id_card", "check digit"),
        (lambda b, n: {"id_card": "370125196013170038"}, "id_card", "birth date"),
        (lambda b, n: {"id_card": "990125196005170017"}, "id_card", "region"),
        (lambda b, n: {"birth_date": "1960-05-18"}, "birth_date", "does not match"),
        (lambda b, n: {"gender": "male"}, "gender", "ID-card"),
        (lambda b, n: {"phone": "12345"}, "phone", "not a valid phone number"),
        (lambda b, n: {"phone": "call me"}, "phone", "not a phone number"),
        (lambda b, n: {"phone": "1391234567890"}, "phone", "phone"),
        (lambda b, n: {"name": "   "}, "name", "blank"),
        (lambda b, n: {"name": ""}, "name", "name: must not be empty"),
        (lambda b, n: {"gender": "f"}, "gender", "gender"),
        (lambda b, n: {"birth_date": "17/05/1960"}, "birth_date", "date"),
        (lambda b, n: {"household_id": "one"}, "household_id", "household_id: must be a whole number"),
        (lambda b, n: {"tags": ["Elder Care"]}, "tags[0]", "tags"),
        (lambda b, n: {"tags": "elder"}, "tags", "tags"),
        (lambda b, n: {"preferred_language": "fr"}, "preferred_language", "preferred_language"),
        (lambda b, n: {"id_card": None}, "id_card", "id_card"),
        (lambda b, n: {"shoe_size": 38}, "shoe_size", "shoe_size: is not a field of this request"),
    ],
)
async def test_invalid_resident_is_400_naming_the_field_and_nothing_is_written(meihao_client, factories, place, change, field, words):
    id_card = factories.id_card(date(1960, 5, 17), "female")
    data = body(place["household_id"], id_card)
    data.update(change(data, id_card))
    response = await meihao_client.post("/api/residents", json=data)
    assert response.status_code == 400, response.text
    assert field_named(response) == field
    assert words in response.text
    assert await Resident.count() == 0 and await ResidentTag.count() == 0


async def test_birth_date_in_the_future_is_refused(meihao_client, factories, place):
    born = date(datetime.now(timezone.utc).year + 1, 1, 1)
    response = await meihao_client.post(
        "/api/residents", json=body(place["household_id"], factories.id_card(born), birth_date=born.isoformat())
    )
    assert response.status_code == 400
    assert response.json()["field"] == "birth_date"
    assert await Resident.count() == 0


async def test_unknown_household_is_404_naming_it(meihao_client, factories):
    response = await meihao_client.post("/api/residents", json=body(9999, factories.id_card(date(1960, 5, 17))))
    assert response.status_code == 404
    assert response.json()["field"] == "household_id"
    assert "9999" in response.json()["detail"]
    assert await Resident.count() == 0


async def test_duplicate_id_card_is_409_anywhere_in_the_deployment(meihao_client, factories, place):
    elsewhere = await factories.place()  # another community
    id_card = factories.id_card(date(1960, 5, 17))
    assert (await meihao_client.post("/api/residents", json=body(place["household_id"], id_card))).status_code == 201
    again = await meihao_client.post("/api/residents", json=body(elsewhere["household_id"], id_card, name="另一个人", tags=["elder"]))
    assert again.status_code == 409
    assert again.json()["field"] == "id_card"
    assert id_card not in again.text
    assert await Resident.count() == 1 and await ResidentTag.count() == 0


async def test_failure_mid_write_leaves_nothing(meihao_client, factories, place, monkeypatch):
    def broken_insert(*rows, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ResidentTag, "insert", broken_insert)
    id_card = factories.id_card(date(1960, 5, 17))
    response = await meihao_client.post("/api/residents", json=body(place["household_id"], id_card, tags=["elder"]))
    assert response.status_code == 500
    assert await Resident.count() == 0

    monkeypatch.undo()  # the same number registers cleanly afterwards: nothing half-written holds it
    assert (await meihao_client.post("/api/residents", json=body(place["household_id"], id_card, tags=["elder"]))).status_code == 201


# -- lists ---------------------------------------------------------------------------


async def test_pagination(make_meihao, factories):
    from meihao.testing import Factories, make_client

    mh = await make_meihao(max_page_size=4, default_page_size=3)
    factories = Factories(mh)
    household_id = (await factories.place())["household_id"]
    for n in range(10):
        await factories.resident(household_id, name=f"居民{n}")
    async with make_client(mh) as client:
        first = (await client.get("/api/residents")).json()
        assert (first["total"], first["page"], first["page_size"]) == (10, 1, 3)
        assert [r["name"] for r in first["items"]] == ["居民0", "居民1", "居民2"]

        capped = (await client.get("/api/residents", params={"page_size": 1000, "page": 2})).json()
        assert (capped["page_size"], capped["total"]) == (4, 10)
        assert [r["name"] for r in capped["items"]] == ["居民4", "居民5", "居民6", "居民7"]

        last = (await client.get("/api/residents", params={"page_size": 4, "page": 3})).json()
        assert [r["name"] for r in last["items"]] == ["居民8", "居民9"]
        beyond = (await client.get("/api/residents", params={"page": 9})).json()
        assert (beyond["items"], beyond["total"]) == ([], 10)

        for params in ({"page": 0}, {"page": -1}, {"page_size": 0}, {"page_size": -5}, {"page": "two"}, {"page_size": "all"}):
            response = await client.get("/api/residents", params=params)
            assert response.status_code == 400, (params, response.text)
            assert field_named(response) == next(iter(params))


async def test_filters(meihao_client, factories):
    hepan = await factories.place(community=(await factories.community("hepan"))["slug"])
    second_building = await factories.building(hepan["grid_id"])
    second_household = await factories.household(second_building["id"])
    other_grid = await factories.place(community="hepan")
    huayang = await factories.place(community=(await factories.community("huayang"))["slug"])

    a = await factories.resident(hepan["household_id"], name="王秀英", tags=["elder", "living_alone"])
    b = await factories.resident(hepan["household_id"], name="王建国", tags=["party_member"])
    c = await factories.resident(second_household["id"], name="李秀兰", tags=["elder"])
    d = await factories.resident(other_grid["household_id"], name="张伟")
    e = await factories.resident(huayang["household_id"], name="王芳", tags=["elder"])

    async def names(**params) -> list[str]:
        response = await meihao_client.get("/api/residents", params=params)
        assert response.status_code == 200, response.text
        assert response.json()["total"] == len(response.json()["items"])
        return sorted(r["name"] for r in response.json()["items"])

    everyone = sorted(r["name"] for r in (a, b, c, d, e))
    assert await names() == everyone
    assert await names(community="hepan") == sorted(["王秀英", "王建国", "李秀兰", "张伟"])
    assert await names(community="huayang") == ["王芳"]
    assert await names(grid=hepan["grid_id"]) == sorted(["王秀英", "王建国", "李秀兰"])
    assert await names(building=second_building["id"]) == ["李秀兰"]
    assert await names(household=hepan["household_id"]) == sorted(["王秀英", "王建国"])
    assert await names(tag="elder") == sorted(["王秀英", "李秀兰", "王芳"])
    assert await names(tag="elder", community="hepan") == sorted(["王秀英", "李秀兰"])
    assert await names(tag="nobody_has_this") == []
    assert await names(name="王") == sorted(["王秀英", "王建国", "王芳"])
    assert await names(name="秀") == sorted(["王秀英", "李秀兰"])
    assert await names(name="王", community="hepan", tag="elder") == ["王秀英"]
    assert await names(grid=9999) == []

    missing = await meihao_client.get("/api/residents", params={"community": "nowhere"})
    assert missing.status_code == 404


# A moment at which the three communities' calendars show three different days.
NOW = datetime(2026, 3, 1, 10, 30, tzinfo=timezone.utc)  # Kiritimati 2 March, Shanghai 1 March, Pago Pago 28 February


@pytest.fixture
def frozen_now(monkeypatch):
    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return NOW.astimezone(tz) if tz else NOW.astimezone().replace(tzinfo=None)

    monkeypatch.setattr(meihao.register.residents, "datetime", FrozenDatetime)
    return NOW


async def test_age_filters_count_birthdays_in_each_communitys_time_zone(meihao_client, factories, frozen_now):
    east = await factories.place(community=(await factories.community("east", timezone="Pacific/Kiritimati"))["slug"])
    west = await factories.place(community=(await factories.community("west", timezone="Pacific/Pago_Pago"))["slug"])
    born = {
        # in the east it is 2 March 2026
        "east-60-today": (east, date(1966, 3, 2)),
        "east-59-tomorrow": (east, date(1966, 3, 3)),
        "east-75-today": (east, date(1951, 3, 2)),
        "east-76-yesterday": (east, date(1950, 3, 1)),
        # in the west it is still 28 February 2026
        "west-60-today": (west, date(1966, 2, 28)),
        "west-59-tomorrow": (west, date(1966, 3, 1)),
        "west-75-today": (west, date(1951, 2, 28)),
        "west-75-leap-day": (west, date(1952, 2, 29)),  # 74: no 29 February in 2026, turns 74 on 1 March
    }
    for name, (where, birth_date) in born.items():
        await factories.resident(where["household_id"], name=name, birth_date=birth_date)

    async def names(**params) -> set[str]:
        response = await meihao_client.get("/api/residents", params={"page_size": 100, **params})
        assert response.status_code == 200, response.text
        return {r["name"] for r in response.json()["items"]}

    ages = {r["name"]: r["age"] for r in (await meihao_client.get("/api/residents")).json()["items"]}
    assert ages == {
        "east-60-today": 60, "east-59-tomorrow": 59, "east-75-today": 75, "east-76-yesterday": 76,
        "west-60-today": 60, "west-59-tomorrow": 59, "west-75-today": 75, "west-75-leap-day": 73,
    }

    assert await names(community="east", min_age=60) == {"east-60-today", "east-75-today", "east-76-yesterday"}
    assert await names(community="west", min_age=60) == {"west-60-today", "west-75-today", "west-75-leap-day"}
    assert await names(community="east", max_age=59) == {"east-59-tomorrow"}
    assert await names(community="east", min_age=60, max_age=75) == {"east-60-today", "east-75-today"}
    assert await names(community="west", min_age=74) == {"west-75-today"}
    assert await names(community="west", min_age=73, max_age=73) == {"west-75-leap-day"}
    # across communities, each resident's age is still counted where they live
    assert await names(min_age=60, max_age=60) == {"east-60-today", "west-60-today"}
    assert await names(max_age=59) == {"east-59-tomorrow", "west-59-tomorrow"}
    assert await names(min_age=76) == {"east-76-yesterday"}
    between = (await meihao_client.get("/api/residents", params={"min_age": 60, "max_age": 75})).json()["items"]
    assert {r["name"]: r["age"] for r in between} == {
        "east-60-today": 60, "east-75-today": 75, "west-60-today": 60, "west-75-today": 75, "west-75-leap-day": 73}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_age": -1}, "min_age"),
        ({"max_age": -1}, "max_age"),
        ({"min_age": 70, "max_age": 60}, "min_age"),
        ({"min_age": 100000}, "min_age"),
        ({"max_age": 100000}, "max_age"),
        ({"min_age": "old"}, "min_age"),
        ({"grid": "first"}, "grid"),
    ],
)
async def test_bad_filters_are_400_not_500(meihao_client, params, field):
    response = await meihao_client.get("/api/residents", params=params)
    assert response.status_code == 400, response.text
    assert field_named(response) == field


# -- changing, moving, deleting --------------------------------------------------------


async def test_update_replaces_tags_and_changes_the_phone(meihao_client, factories, place):
    resident = await factories.resident(place["household_id"], tags=["elder", "living_alone"])
    url = f"/api/residents/{resident['id']}"

    changed = await meihao_client.patch(url, json={"phone": "13700001111", "tags": ["elder", "disabled"], "name": " 王秀英 "})
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "137****1111"
    assert changed.json()["tags"] == ["disabled", "elder"]
    assert changed.json()["name"] == "王秀英"
    assert "13700001111" not in changed.text
    assert await ResidentTag.count().where(ResidentTag.resident == resident["id"]) == 2

    untouched = await meihao_client.patch(url, json={"preferred_language": "en"})
    assert untouched.json()["tags"] == ["disabled", "elder"]
    assert untouched.json()["phone"] == "137****1111"

    cleared = await meihao_client.patch(url, json={"tags": [], "phone": ""})
    assert (cleared.json()["tags"], cleared.json()["phone"]) == ([], "")
    assert await ResidentTag.count() == 0


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"birth_date": "1970-01-01"}, "birth_date"),
        ({"gender": "male"}, "gender"),
        ({"name": "  "}, "name"),
        ({"tags": ["Not A Tag"]}, "tags[0]"),
        ({"id_card": "110105194912310021"}, "id_card"),  # not a field of a change (it is fixed at registration)
    ],
)
async def test_invalid_update_changes_nothing(meihao_client, factories, place, patch, field):
    resident = await factories.resident(place["household_id"], tags=["elder"])
    before = (await meihao_client.get(f"/api/residents/{resident['id']}")).json()
    response = await meihao_client.patch(f"/api/residents/{resident['id']}", json={**patch, "preferred_language": "en"})
    assert response.status_code == 400, response.text
    assert field_named(response) == field
    assert (await meihao_client.get(f"/api/residents/{resident['id']}")).json() == before


async def test_move_household_and_the_community_grid_and_building_follow(meihao_client, factories, place):
    resident = await factories.resident(place["household_id"], tags=["elder"])
    elsewhere = await factories.place(community=(await factories.community("huayang"))["slug"])
    moved = await meihao_client.post(f"/api/residents/{resident['id']}/move", json={"household_id": elsewhere["household_id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["community"] == "huayang"
    assert (moved.json()["grid_id"], moved.json()["building_id"], moved.json()["household_id"]) == (
        elsewhere["grid_id"], elsewhere["building_id"], elsewhere["household_id"],
    )
    assert moved.json()["tags"] == ["elder"]
    assert [r["id"] for r in (await meihao_client.get("/api/residents", params={"community": "huayang"})).json()["items"]] == [resident["id"]]
    assert (await meihao_client.get("/api/residents", params={"grid": place["grid_id"]})).json()["total"] == 0

    nowhere = await meihao_client.post(f"/api/residents/{resident['id']}/move", json={"household_id": 9999})
    assert nowhere.status_code == 404
    assert nowhere.json()["field"] == "household_id"
    assert (await meihao_client.get(f"/api/residents/{resident['id']}")).json()["community"] == "huayang"
    bad = await meihao_client.post(f"/api/residents/{resident['id']}/move", json={})
    assert bad.status_code == 400
    assert "household_id" in bad.text


async def test_delete_takes_the_tags_along(meihao_client, factories, place):
    resident = await factories.resident(place["household_id"], tags=["elder", "living_alone"])
    keep = await factories.resident(place["household_id"], tags=["elder"])
    response = await meihao_client.delete(f"/api/residents/{resident['id']}")
    assert response.status_code == 204
    assert await Resident.count() == 1
    assert await ResidentTag.select(ResidentTag.resident, ResidentTag.tag) == [{"resident": keep["id"], "tag": "elder"}]
    assert (await meihao_client.get(f"/api/residents/{resident['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("method", "url", "json"),
    [
        ("GET", "/api/residents/9999", None),
        ("PATCH", "/api/residents/9999", {"name": "新"}),
        ("POST", "/api/residents/9999/move", {"household_id": 1}),
        ("DELETE", "/api/residents/9999", None),
    ],
)
async def test_unknown_resident_is_404(meihao_client, method, url, json):
    response = await meihao_client.request(method, url, json=json)
    assert response.status_code == 404
    assert "resident 9999 not found" in response.json()["detail"]


HUGE = "9" * 20  # bigger than any 64-bit row id


@pytest.mark.parametrize(
    ("method", "url", "json", "field"),
    [
        ("GET", f"/api/residents/{HUGE}", None, "resident_id"),
        ("PATCH", f"/api/residents/{HUGE}", {"name": "新"}, "resident_id"),
        ("DELETE", f"/api/residents/{HUGE}", None, "resident_id"),
        ("GET", f"/api/residents?grid={HUGE}", None, "grid"),
        ("GET", f"/api/residents?household={HUGE}", None, "household"),
        ("GET", f"/api/residents?page={HUGE}", None, "page"),
        ("GET", f"/api/grids/{HUGE}/buildings", None, "grid_id"),
        ("POST", f"/api/grids/{HUGE}/buildings", {"name": "1号楼"}, "grid_id"),
        ("GET", f"/api/buildings/{HUGE}/households", None, "building_id"),
        ("POST", "/api/residents", {"household_id": int(HUGE), "name": "王", "gender": "female", "birth_date": "1960-05-17", "id_card": "x"}, "household_id"),
    ],
)
async def test_numbers_too_big_for_an_id_are_400_not_500(meihao_client, method, url, json, field):
    response = await meihao_client.request(method, url, json=json)
    assert response.status_code == 400, response.text
    assert field_named(response) == field


async def test_move_to_a_household_id_too_big_is_400(meihao_client, factories, place):
    resident = await factories.resident(place["household_id"])
    response = await meihao_client.post(f"/api/residents/{resident['id']}/move", json={"household_id": int(HUGE)})
    assert response.status_code == 400
    assert "household_id" in response.text


async def test_audit_log_page_size_must_be_positive(meihao_client, factories, place):
    """A negative page size was passed to LIMIT, which SQLite reads as "no limit"."""
    await factories.resident(place["household_id"])
    for size in (0, -1):
        response = await meihao_client.get("/api/audit", params={"page_size": size})
        assert response.status_code == 400, response.text
        assert field_named(response) == "page_size"


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ('=HYPERLINK("http://x","y")', "'=HYPERLINK(\"http://x\",\"y\")"),
        ("+86张", "'+86张"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("王=秀英", "王=秀英"),  # only the first character counts
        ("王秀英", "王秀英"),
    ],
)
async def test_export_neutralises_formulas_in_every_text_cell(meihao_client, factories, place, name, cell):
    import csv
    import io

    resident = await factories.resident(place["household_id"], name="王秀英", tags=["-1+1"])
    await Resident.update({Resident.name: name}).where(Resident.id == resident["id"])
    export = await meihao_client.get("/api/residents/export")
    assert export.status_code == 200
    header, row = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"), newline="")))
    assert (header[0], row[0]) == ("姓名", cell)
    assert (header[10], row[10]) == ("标签", "'-1+1")
    assert (header[2], row[2]) == ("出生日期", resident["birth_date"].isoformat())  # dates pass as they are
