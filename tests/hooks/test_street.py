"""A scene's street parts: ``Scenario.street_settings``, ``meihao_street_route_handlers`` and ``ConsolePages.street_handlers``.

A throwaway scenario, ``lantern``, keeps a street target (riddle nights per year) and gives three street routes: a report for
street staff, a catalogue community staff may read (``opt={"community_staff": True}``) and a write for street staff. Two
communities run it (hepan, liuyin); a third (beiguan) does not.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from litestar import Request, Response, get, post

from meihao import (
    Caller,
    ConsolePages,
    NavLink,
    Permission,
    PluginError,
    Runtime,
    Scenario,
    hookimpl,
    page_requires,
    requires,
    street_communities,
    street_settings,
)
from meihao.access.tables import AuditLog
from meihao.register.community_scenarios import enable
from meihao.testing import Factories, form_token, make_client, make_page_client

TEMPLATES = Path(__file__).parent / "street_templates"


class LanternStreet(msgspec.Struct, forbid_unknown_fields=True):
    #: Riddle nights the street holds a year.
    nights_per_year: int = 12

    def __post_init__(self) -> None:
        if not 1 <= self.nights_per_year <= 365:
            raise ValueError("nights_per_year must be between 1 and 365")


@get("/report", guards=[requires("lantern.read")])
async def report(meihao: Runtime, principal: Caller) -> dict:
    target = await street_settings(meihao, "lantern")
    return {"target": target.nights_per_year, "communities": [c.slug for c in await street_communities(meihao, "lantern", principal)]}


@get("/catalogue", guards=[requires("lantern.read")], opt={"community_staff": True})
async def catalogue(meihao: Runtime, principal: Caller) -> dict:
    return {"riddles": ["一口咬掉牛尾巴"], "communities": [c.slug for c in await street_communities(meihao, "lantern", principal)]}


@post("/catalogue", guards=[requires("lantern.read")], status_code=200)
async def add_riddle(meihao: Runtime, principal: Caller) -> dict:
    return {"added": True}


@get("/", guards=[page_requires("lantern.read")])
async def street_page(request: Request, meihao: Runtime, principal: Caller) -> Response:
    from meihao import render_page

    target = await street_settings(meihao, "lantern")
    return render_page(request, "lantern/street.html", target=target.nights_per_year,
                       communities=await street_communities(meihao, "lantern", principal))


class Lantern:
    @hookimpl
    def meihao_scenario(self):
        return Scenario(name="lantern", title_zh="灯谜", title_en="Lantern riddles", scene="neighbourhood", version="1.0",
                        street_settings=LanternStreet)

    @hookimpl
    def meihao_permissions(self):
        return [Permission("lantern.read", "Read riddles", roles=("community_admin", "grid_worker"))]

    @hookimpl
    def meihao_street_route_handlers(self):
        return [report, catalogue, add_riddle]

    @hookimpl
    def meihao_console_pages(self):
        return ConsolePages(templates=TEMPLATES, street_handlers=[street_page],
                            street_nav=[NavLink("全街道灯谜", "Riddles of the street", "", permission="lantern.read")])


@pytest.fixture
async def world(make_meihao):
    mh = await make_meihao(plugins=[("lantern", Lantern())])
    factories = Factories(mh)
    for slug, name in (("hepan", "荷畔社区"), ("liuyin", "柳荫社区"), ("beiguan", "北关社区")):
        await factories.community(slug, name=name)
    street = (await factories.street_admin())["id"]
    hepan_admin = (await factories.staff("community_admin", community="hepan"))["id"]
    return mh, street, hepan_admin


async def _run_in_two(mh):
    await enable(mh, "hepan", "lantern")
    await enable(mh, "liuyin", "lantern")


# -- loading ---------------------------------------------------------------------------------------------------------


def test_street_parts_need_a_scenario(make_plugins):
    class Loose:
        @hookimpl
        def meihao_street_route_handlers(self):
            return [report]

    with pytest.raises(PluginError, match="street routes are mounted under a scenario"):
        make_plugins(("loose", Loose()))

    class LoosePages:
        @hookimpl
        def meihao_console_pages(self):
            return ConsolePages(street_nav=[NavLink("街道", "Street", "")])

    with pytest.raises(PluginError, match="street pages are mounted under a scenario"):
        make_plugins(("loosepages", LoosePages()))


def test_street_settings_need_a_struct_with_defaults(make_plugins):
    class NoDefault(msgspec.Struct):
        target: int

    for schema, message in ((dict, "street_settings must be a msgspec.Struct class"), (NoDefault, "every street setting needs a default")):
        class Bad:
            @hookimpl
            def meihao_scenario(self, schema=schema):
                return Scenario(name="bad", title_zh="坏", title_en="Bad", scene="neighbourhood", version="1.0", street_settings=schema)

        with pytest.raises(PluginError, match=message):
            make_plugins(("bad", Bad()))


def test_hook_meihao_street_route_handlers(make_plugins):
    plugins = make_plugins(("lantern", Lantern()))
    given = dict(plugins.street_route_handlers())
    assert given["lantern"] == [report, catalogue, add_riddle]
    assert "markets" not in given  # a scene without street routes is not listed
    assert plugins.street_settings_schema("lantern") is LanternStreet


# -- street settings through the API ---------------------------------------------------------------------------------


async def test_street_settings_are_stored_once_and_changed_by_street_staff_only(world):
    mh, street, hepan_admin = world
    async with make_client(mh, street) as client:
        answer = await client.get("/api/street/settings/lantern")
        assert answer.status_code == 200
        assert answer.json() == {"scenario": "lantern", "title_zh": "灯谜", "title_en": "Lantern riddles", "settings": {"nights_per_year": 12}}
        answer = await client.put("/api/street/settings/lantern", json={"settings": {"nights_per_year": 24}})
        assert answer.status_code == 200, answer.text
        assert answer.json()["settings"] == {"nights_per_year": 24}
        answer = await client.put("/api/street/settings/lantern", json={"settings": {"nights_per_year": 30}})
        assert answer.json()["settings"] == {"nights_per_year": 30}
    assert (await street_settings(mh, "lantern")).nights_per_year == 30
    rows = await AuditLog.select(AuditLog.action, AuditLog.target_id, AuditLog.detail).where(AuditLog.action == "scenario.street_settings")
    assert [(r["target_id"], r["action"]) for r in rows] == [("lantern", "scenario.street_settings")] * 2
    async with make_client(mh, hepan_admin) as client:
        assert (await client.get("/api/street/settings/lantern")).json()["settings"] == {"nights_per_year": 30}
        answer = await client.put("/api/street/settings/lantern", json={"settings": {"nights_per_year": 1}})
        assert answer.status_code == 403
        assert answer.json()["detail"] == "only street staff holding 'meihao.scenario.manage' change the street's settings"
    assert (await street_settings(mh, "lantern")).nights_per_year == 30


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        ({"settings": {"nights_per_year": 366}}, "settings", "nights_per_year must be between 1 and 365"),
        ({"settings": {"nights_per_year": 0}}, "settings", "nights_per_year must be between 1 and 365"),
        ({"settings": {"nights_per_year": "many"}}, "settings.nights_per_year", "settings.nights_per_year"),
        ({"settings": {"colour": "red"}}, "settings", "colour"),
        ({"nights_per_year": 3}, "nights_per_year", "unknown field"),
        ({"settings": [1]}, "settings", "settings: must be an object"),
    ],
)
async def test_bad_street_settings_are_a_400_naming_the_field(world, body, field, detail):
    mh, street, _ = world
    async with make_client(mh, street) as client:
        answer = await client.put("/api/street/settings/lantern", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == field
    assert detail in answer.json()["detail"]


async def test_the_thresholds_of_the_street_settings_are_kept_on_both_sides(world):
    mh, street, _ = world
    async with make_client(mh, street) as client:
        for value, status in ((1, 200), (365, 200), (0, 400), (366, 400)):
            assert (await client.put("/api/street/settings/lantern", json={"settings": {"nights_per_year": value}})).status_code == status


async def test_street_settings_of_an_unknown_scenario_or_one_without_them_are_a_404(world):
    mh, street, _ = world
    async with make_client(mh, street) as client:
        answer = await client.get("/api/street/settings/nosuch")
        assert (answer.status_code, answer.json()["detail"]) == (404, "scenario 'nosuch' is not installed (see GET /api/plugins)")
        answer = await client.put("/api/street/settings/markets", json={"settings": {}})
        assert (answer.status_code, answer.json()["detail"]) == (404, "scenario 'markets' has no street settings")


# -- street routes ---------------------------------------------------------------------------------------------------


async def test_street_routes_are_a_404_while_no_community_runs_the_scene(world):
    mh, street, _ = world
    async with make_client(mh, street) as client:
        answer = await client.get("/api/street/lantern/report")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "scenario 'lantern' is not switched on in any community"


async def test_street_routes_serve_street_staff_across_the_communities_running_the_scene(world):
    mh, street, _ = world
    await _run_in_two(mh)
    async with make_client(mh, street) as client:
        answer = await client.get("/api/street/lantern/report")
        assert answer.status_code == 200
        assert answer.json() == {"target": 12, "communities": ["hepan", "liuyin"]}  # not beiguan: it does not run lantern
        assert (await client.post("/api/street/lantern/catalogue")).json() == {"added": True}


async def test_community_staff_get_a_403_on_street_routes_unless_a_route_is_open_to_them(world):
    mh, _, hepan_admin = world
    await _run_in_two(mh)
    async with make_client(mh, hepan_admin) as client:
        answer = await client.get("/api/street/lantern/report")
        assert (answer.status_code, answer.json()["detail"]) == (403, "the street's lantern routes are for street staff")
        answer = await client.post("/api/street/lantern/catalogue")
        assert answer.status_code == 403
        answer = await client.get("/api/street/lantern/catalogue")
        assert answer.status_code == 200
        # street_communities lists only the communities the caller reaches
        assert answer.json() == {"riddles": ["一口咬掉牛尾巴"], "communities": ["hepan"]}


async def test_staff_without_the_routes_permission_are_refused_even_where_a_route_is_open_to_community_staff(world):
    mh, _, _ = world
    await _run_in_two(mh)
    part_timer = (await Factories(mh).staff("grid_part_time", grid_id=(await Factories(mh).grid("hepan"))["id"]))["id"]
    async with make_client(mh, part_timer) as client:
        assert (await client.get("/api/street/lantern/catalogue")).status_code == 403


async def test_street_routes_are_in_the_openapi_document_with_their_403_and_404(world):
    mh, street, _ = world
    async with make_client(mh, street) as client:
        document = (await client.get("/schema/openapi.json")).json()
    for path, method in (("/api/street/lantern/report", "get"), ("/api/street/lantern/catalogue", "post"),
                         ("/api/street/settings/{scenario}", "put")):
        assert {"403", "404"} <= set(document["paths"][path][method]["responses"]), path
    assert {"404"} <= set(document["paths"]["/api/street/settings/{scenario}"]["get"]["responses"])


# -- street pages ----------------------------------------------------------------------------------------------------


async def test_street_pages_are_for_street_staff_and_linked_from_the_overview(world):
    mh, street, hepan_admin = world
    async with make_page_client(mh, street) as client:
        assert (await client.get("/street/lantern/")).status_code == 404
        await _run_in_two(mh)
        page = await client.get("/street/lantern/")
        assert page.status_code == 200
        assert "全街道灯谜目标：每年12场" in page.text
        assert "荷畔社区、柳荫社区" in page.text
        overview = await client.get("/")
        assert 'href="/street/lantern"' in overview.text
        assert 'href="/street/settings/lantern"' in overview.text
        assert "灯谜 · 全街道灯谜" in overview.text and "灯谜 · 街道设置" in overview.text
    async with make_page_client(mh, hepan_admin) as client:
        page = await client.get("/street/lantern/")
        assert page.status_code == 403
        assert 'href="/street/lantern"' not in (await client.get("/")).text
        assert (await client.get("/street/settings/lantern")).status_code == 403


async def test_the_street_settings_form_shows_a_problem_at_its_field_and_saves(world):
    mh, street, hepan_admin = world
    await _run_in_two(mh)
    async with make_page_client(mh, street) as client:
        page = await client.get("/street/settings/lantern")
        assert page.status_code == 200
        assert 'name="settings.nights_per_year" value="12"' in page.text
        token = await form_token(client, "/street/settings/lantern")
        field = "settings.nights_per_year"
        refused = await client.post("/street/settings/lantern", data={field: "400", "_csrf_token": token})
        assert refused.status_code == 400
        assert 'aria-invalid="true"' in refused.text and 'value="400"' in refused.text
        refused = await client.post("/street/settings/lantern", data={field: "十二", "_csrf_token": token})
        assert refused.status_code == 400
        assert "请输入整数。" in refused.text
        saved = await client.post("/street/settings/lantern", data={field: "20", "_csrf_token": token}, follow_redirects=False)
        assert (saved.status_code, saved.headers["location"]) == (303, "/street/settings/lantern?done=1")
    assert (await street_settings(mh, "lantern")).nights_per_year == 20
    async with make_page_client(mh, hepan_admin) as client:
        token = await form_token(client)
        refused = await client.post("/street/settings/lantern", data={"settings.nights_per_year": "5", "_csrf_token": token})
        assert refused.status_code == 403
    assert (await street_settings(mh, "lantern")).nights_per_year == 20
