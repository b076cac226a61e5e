"""The kernel API for communities and their brands, the grid register, scenarios, departments and health."""

from __future__ import annotations

import pytest

from meihao.tables import Building, Community, Grid, Household


def field_named(response) -> str:
    """The field a 4xx body blames (kernel errors and Litestar's validation errors alike)."""
    body = response.json()
    assert body["status_code"] == response.status_code and body["detail"].startswith(body["field"])
    return body["field"]


# -- health ------------------------------------------------------------------


async def test_health(meihao_client):
    response = await meihao_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "role": "web"}  # test clients register no node


async def test_a_body_that_does_not_decode_is_a_400_in_the_kernels_shape(meihao_client):
    response = await meihao_client.post("/api/communities", json={"slug": "hepan", "name": 42})
    assert response.status_code == 400
    body = response.json()
    assert (body["field"], body["detail"]) == ("name", "name: must be text")
    assert body["extra"][0]["key"] == "name"  # every problem found, as Litestar reports them
    assert await Community.count() == 0


async def test_health_is_503_when_the_database_does_not_answer(meihao_client, monkeypatch):
    async def broken(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(Community, "count", lambda *a, **k: broken())
    response = await meihao_client.get("/health")
    assert response.status_code == 503
    assert "database" in response.json()["detail"]


# -- communities and brands ----------------------------------------------------


async def test_create_list_get_and_patch_a_branded_community(meihao_client):
    created = await meihao_client.post(
        "/api/communities",
        json={"slug": "hepan", "name": "荷畔社区", "brand_name": "美好社区", "brand_slogan": "美好生活，从家门口开始"},
    )
    assert created.status_code == 201, created.text
    community = created.json()
    assert community["slug"] == "hepan"
    assert community["brand_name"] == "美好社区"
    assert community["brand_slogan"] == "美好生活，从家门口开始"
    assert community["timezone"] == "Asia/Shanghai"  # the configured default
    assert community["scenarios"] == []

    await meihao_client.post("/api/communities", json={"slug": "huayang", "name": "华阳社区", "timezone": "Asia/Urumqi"})
    listed = (await meihao_client.get("/api/communities")).json()
    assert [(c["slug"], c["timezone"]) for c in listed] == [("hepan", "Asia/Shanghai"), ("huayang", "Asia/Urumqi")]

    assert (await meihao_client.get("/api/communities/hepan")).json() == community

    patched = await meihao_client.patch("/api/communities/hepan", json={"brand_slogan": "一社区一品牌", "timezone": "Asia/Harbin"})
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**community, "brand_slogan": "一社区一品牌", "timezone": "Asia/Harbin"}
    assert (await meihao_client.get("/api/communities/hepan")).json()["brand_slogan"] == "一社区一品牌"


async def test_unknown_community_is_404(meihao_client):
    assert (await meihao_client.get("/api/communities/nowhere")).status_code == 404
    response = await meihao_client.patch("/api/communities/nowhere", json={"brand_name": "x"})
    assert response.status_code == 404
    assert "nowhere" in response.json()["detail"]


@pytest.mark.parametrize("slug", ["Hepan", "he pan", "h", "1hepan", "荷畔", "-hepan", "x" * 64])
async def test_bad_slug_is_400_naming_slug(meihao_client, slug):
    response = await meihao_client.post("/api/communities", json={"slug": slug, "name": "荷畔"})
    assert response.status_code == 400
    assert field_named(response) == "slug"
    assert await Community.count() == 0


@pytest.mark.parametrize("timezone", ["Mars/Olympus", "Beijing", "UTC+8", "../../etc/passwd"])
async def test_bad_timezone_is_400_naming_timezone(meihao_client, factories, timezone):
    created = await meihao_client.post("/api/communities", json={"slug": "hepan", "name": "荷畔", "timezone": timezone})
    assert created.status_code == 400
    assert created.json()["field"] == "timezone"
    assert created.json()["detail"].startswith("timezone:")
    assert await Community.count() == 0

    await factories.community("huayang")
    patched = await meihao_client.patch("/api/communities/huayang", json={"timezone": timezone})
    assert patched.status_code == 400
    assert patched.json()["field"] == "timezone"
    assert (await meihao_client.get("/api/communities/huayang")).json()["timezone"] == "Asia/Shanghai"


async def test_duplicate_slug_is_409(meihao_client, factories):
    await factories.community("hepan", name="荷畔")
    response = await meihao_client.post("/api/communities", json={"slug": "hepan", "name": "另一个"})
    assert response.status_code == 409
    assert response.json()["field"] == "slug"
    assert await Community.count() == 1
    assert (await meihao_client.get("/api/communities/hepan")).json()["name"] == "荷畔"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "hepan"}, "name"),
        ({"slug": "hepan", "name": ""}, "name"),
        ({"slug": 7, "name": "荷畔"}, "slug"),
        ({"slug": "hepan", "name": "荷畔", "brand_name": "x" * 101}, "brand_name"),
        ({"slug": "hepan", "name": "荷畔", "colour": "red"}, "colour"),
    ],
)
async def test_wrong_community_body_is_400_saying_what_is_wrong(meihao_client, body, field):
    response = await meihao_client.post("/api/communities", json=body)
    assert response.status_code == 400
    assert field in response.text
    assert await Community.count() == 0


@pytest.mark.parametrize("content", [b"{not json", b"", b"[1, 2]", b'"hepan"', b"null"])
async def test_malformed_json_is_400_not_500(meihao_client, factories, content):
    await factories.community("hepan")
    headers = {"content-type": "application/json"}
    for method, url in [
        ("POST", "/api/communities"),
        ("PATCH", "/api/communities/hepan"),
        ("POST", "/api/communities/hepan/grids"),
        ("POST", "/api/departments"),
        ("POST", "/api/residents"),
    ]:
        response = await meihao_client.request(method, url, content=content, headers=headers)
        assert response.status_code == 400, (method, url, response.text)
        assert response.json()["detail"]


# -- the grid register -----------------------------------------------------------


async def test_grids_buildings_and_households(meihao_client, factories):
    await factories.community("hepan")
    grid = await meihao_client.post("/api/communities/hepan/grids", json={"code": "G01", "name": "荷畔一网格"})
    assert grid.status_code == 201, grid.text
    assert grid.json() == {"id": grid.json()["id"], "community": "hepan", "code": "G01", "name": "荷畔一网格"}
    await meihao_client.post("/api/communities/hepan/grids", json={"code": "G02", "name": "荷畔二网格"})
    grids = (await meihao_client.get("/api/communities/hepan/grids")).json()
    assert [g["code"] for g in grids] == ["G01", "G02"]
    grid_id = grid.json()["id"]

    building = await meihao_client.post(f"/api/grids/{grid_id}/buildings", json={"name": "3号楼", "address": "荷畔路 3 号"})
    assert building.status_code == 201, building.text
    assert building.json()["grid_id"] == grid_id
    assert building.json()["address"] == "荷畔路 3 号"
    buildings = (await meihao_client.get(f"/api/grids/{grid_id}/buildings")).json()
    assert [b["name"] for b in buildings] == ["3号楼"]
    building_id = building.json()["id"]

    household = await meihao_client.post(f"/api/buildings/{building_id}/households", json={"unit": "2", "room": "301"})
    assert household.status_code == 201, household.text
    assert household.json() == {"id": household.json()["id"], "building_id": building_id, "grid_id": grid_id, "unit": "2", "room": "301"}
    await meihao_client.post(f"/api/buildings/{building_id}/households", json={"unit": "1", "room": "502"})
    households = (await meihao_client.get(f"/api/buildings/{building_id}/households")).json()
    assert [(h["unit"], h["room"]) for h in households] == [("1", "502"), ("2", "301")]

    # the community is copied down the register
    community_id = (await meihao_client.get("/api/communities/hepan")).json()["id"]
    assert await Household.select(Household.community).where(Household.id == household.json()["id"]).first() == {"community": community_id}


async def test_grid_codes_are_unique_per_community(meihao_client, factories):
    await factories.community("hepan")
    await factories.community("huayang")
    first = await meihao_client.post("/api/communities/hepan/grids", json={"code": "G01", "name": "一"})
    again = await meihao_client.post("/api/communities/hepan/grids", json={"code": "G01", "name": "二"})
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["field"] == "code"
    elsewhere = await meihao_client.post("/api/communities/huayang/grids", json={"code": "G01", "name": "一"})
    assert elsewhere.status_code == 201
    assert await Grid.count() == 2


async def test_a_household_is_unique_per_unit_and_room(meihao_client, factories):
    place = await factories.place()
    building_id = place["building_id"]
    first = await meihao_client.post(f"/api/buildings/{building_id}/households", json={"unit": "1", "room": "101"})
    again = await meihao_client.post(f"/api/buildings/{building_id}/households", json={"unit": "1", "room": "101"})
    other_unit = await meihao_client.post(f"/api/buildings/{building_id}/households", json={"unit": "2", "room": "101"})
    assert (first.status_code, again.status_code, other_unit.status_code) == (201, 409, 201)
    assert again.json()["field"] == "room"
    assert await Household.count().where(Household.building == building_id) == 3  # the factory's, plus two


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/communities/nowhere/grids", None),
        ("POST", "/api/communities/nowhere/grids", {"code": "G01", "name": "一"}),
        ("GET", "/api/grids/9999/buildings", None),
        ("POST", "/api/grids/9999/buildings", {"name": "1号楼"}),
        ("GET", "/api/buildings/9999/households", None),
        ("POST", "/api/buildings/9999/households", {"room": "101"}),
    ],
)
async def test_unknown_parent_is_404(meihao_client, method, url, body):
    response = await meihao_client.request(method, url, json=body)
    assert response.status_code == 404
    assert "not found" in response.json()["detail"]
    assert await Grid.count() == 0 and await Building.count() == 0 and await Household.count() == 0


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/communities/hepan/grids", {"code": "", "name": "一"}, "code"),
        ("/api/communities/hepan/grids", {"code": "G1"}, "name"),
        ("/api/grids/{grid_id}/buildings", {"name": ""}, "name"),
        ("/api/buildings/{building_id}/households", {"room": ""}, "room"),
        ("/api/buildings/{building_id}/households", {"room": 101}, "room"),
    ],
)
async def test_wrong_register_body_is_400(meihao_client, factories, url, body, field):
    place = await factories.place(community=(await factories.community("hepan"))["slug"])
    response = await meihao_client.post(url.format(**place), json=body)
    assert response.status_code == 400
    assert field_named(response) == field or field in response.text


# -- scenarios -----------------------------------------------------------------------


async def test_scenario_body_must_hold_settings(make_meihao, lantern_plugin):
    """A body without the ``settings`` wrapper is refused, not taken as "all defaults"."""
    from meihao.testing import Factories, make_client

    mh = await make_meihao(plugins=[lantern_plugin])
    await Factories(mh).community("hepan")
    async with make_client(mh) as client:
        await client.put("/api/communities/hepan/scenarios/lantern", json={"settings": {"prize": "花灯"}})
        response = await client.put("/api/communities/hepan/scenarios/lantern", json={"prize": "元宵"})
        assert response.status_code == 400
        assert "prize" in response.json()["detail"]
        scenarios = {s["name"]: s for s in (await client.get("/api/communities/hepan/scenarios")).json()}
        assert scenarios["lantern"]["settings"]["prize"] == "花灯"

        response = await client.put("/api/communities/hepan/scenarios/lantern", json={"settings": [1]})
        assert response.status_code == 400
        assert response.json()["field"] == "settings"


async def test_enabled_scenarios_show_on_the_community(make_meihao, lantern_plugin):
    from meihao.testing import Factories, make_client

    mh = await make_meihao(plugins=[lantern_plugin])
    await Factories(mh).community("hepan", brand_name="美好社区")
    async with make_client(mh) as client:
        assert (await client.put("/api/communities/hepan/scenarios/lantern")).status_code == 200
        listed = (await client.get("/api/communities")).json()
        assert listed[0]["scenarios"] == ["lantern"]
        plugins = {p["name"]: p for p in (await client.get("/api/plugins")).json()}
        assert plugins["lantern"]["communities"] == ["hepan"]
        assert plugins["lantern"]["scene"] == "neighbourhood"
        await client.delete("/api/communities/hepan/scenarios/lantern")
        assert (await client.get("/api/communities/hepan")).json()["scenarios"] == []


async def test_scenarios_of_unknown_community_are_404(meihao_client):
    assert (await meihao_client.get("/api/communities/nowhere/scenarios")).status_code == 404
    assert (await meihao_client.put("/api/communities/nowhere/scenarios/lantern")).status_code == 404
    assert (await meihao_client.delete("/api/communities/nowhere/scenarios/lantern")).status_code == 404


# -- departments ---------------------------------------------------------------------


async def test_departments(meihao_client):
    assert (await meihao_client.get("/api/departments")).json() == []
    created = await meihao_client.post("/api/departments", json={"code": "justice", "name": "司法所", "kind": "legal"})
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "code": "justice", "name": "司法所", "kind": "legal"}
    await meihao_client.post("/api/departments", json={"code": "enforcement", "name": "综合执法"})
    listed = (await meihao_client.get("/api/departments")).json()
    assert [d["code"] for d in listed] == ["enforcement", "justice"]

    duplicate = await meihao_client.post("/api/departments", json={"code": "justice", "name": "又一个"})
    assert duplicate.status_code == 409
    assert duplicate.json()["field"] == "code"

    bad = await meihao_client.post("/api/departments", json={"code": "Justice Office", "name": "司法所"})
    assert bad.status_code == 400
    assert field_named(bad) == "code"
    assert len((await meihao_client.get("/api/departments")).json()) == 2


async def test_grids_and_buildings_of_other_communities_are_out_of_reach(meihao):
    from meihao.testing import Factories, make_client

    f = Factories(meihao)
    mine = await f.place("hepan")
    other_grid_here = await f.grid("hepan", code="B")
    theirs = await f.place("huayang")
    worker = await f.staff("grid_worker", grid_id=mine["grid_id"])
    admin = await f.staff("community_admin", community="hepan")
    async with make_client(meihao, worker["id"]) as client:
        assert [g["id"] for g in (await client.get("/api/communities/hepan/grids")).json()] == [mine["grid_id"]]
        foreign = await client.get("/api/communities/huayang/grids")
        assert (foreign.status_code, foreign.json()["detail"]) == (403, "community 'huayang' is outside your scope")
        assert [b["id"] for b in (await client.get(f"/api/grids/{mine['grid_id']}/buildings")).json()] == [mine["building_id"]]
        for grid_id in (theirs["grid_id"], other_grid_here["id"], 999999):
            answer = await client.get(f"/api/grids/{grid_id}/buildings")
            assert answer.json() == {"status_code": 404, "detail": f"grid {grid_id} not found"}
        assert (await client.get(f"/api/buildings/{theirs['building_id']}/households")).status_code == 404
    async with make_client(meihao, admin["id"]) as client:
        assert sorted(g["id"] for g in (await client.get("/api/communities/hepan/grids")).json()) == sorted([mine["grid_id"], other_grid_here["id"]])
        assert (await client.get(f"/api/grids/{theirs['grid_id']}/buildings")).status_code == 404
