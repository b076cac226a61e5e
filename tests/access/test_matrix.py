"""The access matrix: every route × every role × inside/outside the role's scope. Zero leaks.

Routes are read from the app itself. Each must be classified below, so a new route that
nobody thought about fails ``test_every_route_is_classified`` until someone decides how
it is scoped and adds requests for it here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from meihao.access.roles import role_permissions
from meihao.db.database import Database
from meihao.register.community_scenarios import enable
from meihao.runtime import Meihao
from meihao.tables import Building, Household, Resident
from meihao.testing import Factories, boot_for_tests, build_template, settings_for_tests
from meihao.testing.databases import Template
from meihao.web.app import create_app
from meihao.web.auth import PUBLIC
from tests.sample_plugins import lantern
from tests.scenarios.culture import matrix as culture_matrix
from tests.scenarios.elder_care import matrix as elder_care_matrix
from tests.scenarios.markets import matrix as markets_matrix

ROLES = ["street_admin", "community_admin", "grid_leader", "grid_worker", "grid_part_time", "dispatched", "department_staff"]

# Where each role's scope reaches: which of the three places (alpha grid 1, alpha grid 2, beta grid 1).
REACH = {
    "street_admin": {"a1", "a2", "b1"},
    "community_admin": {"a1", "a2"},
    "grid_leader": {"a1"},
    "grid_worker": {"a1"},
    "grid_part_time": {"a1"},
    "dispatched": {"a1"},
    "department_staff": set(),
}
PLACES = ("a1", "a2", "b1")


@dataclass
class World:
    url: str
    places: dict[str, dict[str, int]] = field(default_factory=dict)  # place -> grid/building/household/resident ids
    names: dict[str, str] = field(default_factory=dict)  # place -> the resident's name (a leak marker)
    tokens: dict[str, str] = field(default_factory=dict)  # role -> bearer token
    slugs: dict[str, str] = field(default_factory=dict)  # place -> community slug


def _build_world(base: Template) -> tuple[World, Template]:
    world = World(url="")

    async def build(mh: Meihao) -> None:
        await mh.db.migrate()
        f = Factories(mh)
        await f.community("alpha")
        await f.community("beta")
        await f.staff("street_admin")  # so the department exists before dispatched staff
        from meihao.register.tables import Department

        await Department.insert(Department(code="law", name="综合执法", kind="law_enforcement"))
        for place, slug in (("a1", "alpha"), ("a2", "alpha"), ("b1", "beta")):
            ids = await f.place(slug)
            # a second household in the same place, to move people into
            ids["household2_id"] = (await f.household(ids["building_id"]))["id"]
            name = {"a1": "甲一居民", "a2": "甲二居民", "b1": "乙一居民"}[place]
            ids["resident_id"] = (await f.resident(ids["household_id"], name=name, phone=f"1390000{PLACES.index(place)}000"))["id"]
            world.places[place] = ids
            world.names[place] = name
            world.slugs[place] = slug
        for slug in ("alpha", "beta"):
            await enable(mh, slug, "lantern", {})
        for scene in SCENE_MATRICES:  # their worlds and routes: tests/scenarios/<name>/matrix.py
            await scene.populate(mh, world, PLACES)
        a1 = world.places["a1"]
        staff = {
            "street_admin": await f.staff("street_admin"),
            "community_admin": await f.staff("community_admin", community="alpha"),
            "grid_leader": await f.staff("grid_leader", grid_id=a1["grid_id"]),
            "grid_worker": await f.staff("grid_worker", grid_id=a1["grid_id"]),
            "grid_part_time": await f.staff("grid_part_time", grid_id=a1["grid_id"]),
            "dispatched": await f.staff("dispatched", grid_id=a1["grid_id"], department="law"),
            "department_staff": await f.staff("department_staff", department="law"),
        }
        for role, member in staff.items():
            world.tokens[role] = await f.token(member["id"])

    assert base.backend is not None
    template = build_template(base.backend, base, build, [("lantern", lantern)])
    return world, template


@pytest.fixture(scope="session")
def world_template(_meihao_template: Template) -> tuple[World, Template]:
    """The world, built once per database backend; each test gets a copy."""
    return _build_world(_meihao_template)


@pytest.fixture(scope="session")
def world_app(world_template: tuple[World, Template]) -> tuple[Meihao, Any]:
    """One app per backend for every matrix test: building it (every route's signature) costs
    more than the requests of a test, so each test points it at its own copy of the world."""
    mh = boot_for_tests(settings_for_tests(world_template[1].url), [("lantern", lantern)])
    return mh, create_app(mh, debug=True)


@pytest.fixture
async def world(world_template: tuple[World, Template], world_app: tuple[Meihao, Any], tmp_path: Path):
    """A fresh copy of the world per test, booted, with its app."""
    built, template = world_template
    mh, app = world_app
    url = await template.acquire(tmp_path)
    mh.settings = settings_for_tests(url)
    mh.db = Database(mh.settings, mh.plugins.piccolo_apps())
    try:
        async with AsyncTestClient(app=app) as client:
            yield mh, client, World(url, built.places, built.names, built.tokens, built.slugs)
    finally:
        await template.release(url)


# -- the classification of every route -------------------------------------------------

# Record routes: the path names a resident-bearing record; outside the scope it is a 404.
# Each entry builds (path, json body) for a place.
RECORD_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", "/api/residents/{resident_id}"): lambda w, p: (f"/api/residents/{w.places[p]['resident_id']}", None),
    ("PATCH", "/api/residents/{resident_id}"): lambda w, p: (f"/api/residents/{w.places[p]['resident_id']}", {"name": "改名"}),
    ("DELETE", "/api/residents/{resident_id}"): lambda w, p: (f"/api/residents/{w.places[p]['resident_id']}", None),
    ("POST", "/api/residents/{resident_id}/move"): lambda w, p: (
        f"/api/residents/{w.places[p]['resident_id']}/move",
        {"household_id": w.places[p]["household2_id"]},
    ),
    ("POST", "/api/residents/{resident_id}/reveal"): lambda w, p: (
        f"/api/residents/{w.places[p]['resident_id']}/reveal",
        {"field": "phone", "reason": "核实联系方式"},
    ),
    ("POST", "/api/residents"): lambda w, p: (
        "/api/residents",
        {
            "household_id": w.places[p]["household_id"],
            "name": "新居民",
            "gender": "male",
            "birth_date": "1990-01-01",
            "id_card": Factories(None).id_card(date(1990, 1, 1), "male"),  # type: ignore[arg-type]
        },
    ),
    ("GET", "/api/buildings/{building_id}/households"): lambda w, p: (f"/api/buildings/{w.places[p]['building_id']}/households", None),
    ("POST", "/api/buildings/{building_id}/households"): lambda w, p: (f"/api/buildings/{w.places[p]['building_id']}/households", {"room": "909"}),
    ("POST", "/api/grids/{grid_id}/buildings"): lambda w, p: (f"/api/grids/{w.places[p]['grid_id']}/buildings", {"name": "新楼"}),
    # a grid outside the scope is 404 (an empty list would confirm it exists)
    ("GET", "/api/grids/{grid_id}/buildings"): lambda w, p: (f"/api/grids/{w.places[p]['grid_id']}/buildings", None),
    # a resident's reminder choices (tests/reminders/test_routes.py covers the rest)
    ("GET", "/api/residents/{resident_id}/reminder-preferences"): lambda w, p: (f"/api/residents/{w.places[p]['resident_id']}/reminder-preferences", None),
    ("PUT", "/api/residents/{resident_id}/contacts/{channel}"): lambda w, p: (
        f"/api/residents/{w.places[p]['resident_id']}/contacts/email",
        {"address": "resident@example.org"},
    ),
    ("POST", "/api/residents/{resident_id}/opt-outs"): lambda w, p: (f"/api/residents/{w.places[p]['resident_id']}/opt-outs", {"scene": "markets"}),
    ("POST", "/api/residents/{resident_id}/calendar-link"): lambda w, p: (f"/api/residents/{w.places[p]['resident_id']}/calendar-link", None),
    ("POST", "/api/residents/{resident_id}/inbox-link"): lambda w, p: (f"/api/residents/{w.places[p]['resident_id']}/inbox-link", None),
    ("POST", "/api/residents/{resident_id}/unsubscribe-link"): lambda w, p: (f"/api/residents/{w.places[p]['resident_id']}/unsubscribe-link", None),
}

# List routes: answer 200 with only what is in scope.
LIST_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", "/api/residents"): lambda w, p: ("/api/residents?page_size=200", None),
    ("GET", "/api/residents/export"): lambda w, p: ("/api/residents/export", None),
}

# Community routes: outside the caller's communities they are 403 (the community itself is not secret).
COMMUNITY_ROUTES: dict[tuple[str, str], Any] = {
    ("POST", "/api/communities/{slug}/grids"): lambda w, p: (f"/api/communities/{w.slugs[p]}/grids", {"code": "NEW", "name": "新网格"}),
    # grid staff see their own grids: tests/test_communities.py
    ("GET", "/api/communities/{slug}/grids"): lambda w, p: (f"/api/communities/{w.slugs[p]}/grids", None),
    ("PATCH", "/api/communities/{slug}"): lambda w, p: (f"/api/communities/{w.slugs[p]}", {"brand_slogan": "新口号"}),
    ("PUT", "/api/communities/{slug}/scenarios/{scenario}"): lambda w, p: (f"/api/communities/{w.slugs[p]}/scenarios/lantern", {"settings": {}}),
    ("DELETE", "/api/communities/{slug}/scenarios/{scenario}"): lambda w, p: (f"/api/communities/{w.slugs[p]}/scenarios/lantern", None),
    ("GET", "/api/communities/{slug}/dashboard"): lambda w, p: (f"/api/communities/{w.slugs[p]}/dashboard", None),
    ("GET", "/api/communities/{slug}/lantern/riddles"): lambda w, p: (f"/api/communities/{w.slugs[p]}/lantern/riddles", None),
    ("GET", "/api/communities/{slug}/activities"): lambda w, p: (f"/api/communities/{w.slugs[p]}/activities", None),
    ("PUT", "/api/communities/{slug}/reminder-settings"): lambda w, p: (
        f"/api/communities/{w.slugs[p]}/reminder-settings",
        {"quiet_start": "22:00", "quiet_end": "07:00"},
    ),
    ("POST", "/api/communities/{slug}/lantern/riddles"): lambda w, p: (f"/api/communities/{w.slugs[p]}/lantern/riddles", {"question": "q", "answer": "a"}),
}

# Scenario record routes: the path or body names a resident-bearing record of a scenario mounted
# under /api/communities/{slug}/<scenario>. Outside the caller's communities the kernel's guard
# answers 403; inside a reached community but outside the caller's grids, 404 like a missing record.
SCENARIO_RECORD_ROUTES: dict[tuple[str, str], Any] = {}
# Record routes of a scenario asked for again by an id that does not exist: the same 404.
MISSING_ROUTES: dict[tuple[str, str], Any] = {}
# Community routes of a scenario that the community's whole team may write (not only its admins).
TEAM_WRITE_ROUTES: set[tuple[str, str]] = set()

# The scenes keep their part of the matrix beside their tests (same rules as above).
SCENE_MATRICES = (elder_care_matrix, markets_matrix, culture_matrix)
for _scene in SCENE_MATRICES:
    SCENARIO_RECORD_ROUTES.update(_scene.RECORD_ROUTES)
    COMMUNITY_ROUTES.update(_scene.COMMUNITY_ROUTES)
    MISSING_ROUTES.update(getattr(_scene, "MISSING_ROUTES", {}))
    TEAM_WRITE_ROUTES |= getattr(_scene, "TEAM_WRITE_ROUTES", set())

# Routes with no resident-bearing data, each with the reason; still checked for leaks and 401.
ORGANISATION_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/communities"): "communities and their brands are public to staff",
    ("POST", "/api/communities"): "street only (meihao.community.manage)",
    ("GET", "/api/communities/{slug}"): "a community and its brand",
    ("GET", "/api/communities/{slug}/scenarios"): "which scenarios a community enabled",
    ("GET", "/api/departments"): "departments",
    ("POST", "/api/departments"): "street only (meihao.department.manage)",
    ("GET", "/api/plugins"): "installed plugins",
    ("GET", "/api/permissions"): "permission names",
    ("GET", "/api/auth/me"): "the caller's own roles",
    ("POST", "/api/auth/logout"): "revokes the caller's own token",
    ("POST", "/api/auth/password"): "the caller's own password: tests/access/test_sessions.py",
    ("POST", "/api/staff/{staff_id}/deactivate"): "street only, staff scoped: tests/access/test_sessions.py",
    ("GET", "/api/staff"): "staff scoped by community: tests/access/test_staff.py",
    ("POST", "/api/staff"): "grantable roles checked: tests/access/test_staff.py",
    ("POST", "/api/staff/{staff_id}/assignments"): "grantable roles checked: tests/access/test_staff.py",
    ("GET", "/api/audit"): "street only (meihao.audit.read): tests/access/test_audit.py",
    # activities are community notices; their scope (404 outside the caller's communities)
    # and their masked previews are checked in tests/reminders/test_routes.py
    ("POST", "/api/communities/{slug}/activities"): "community scope: tests/reminders/test_routes.py",
    ("GET", "/api/activities/{activity_id}"): "community scope: tests/reminders/test_routes.py",
    ("PATCH", "/api/activities/{activity_id}"): "community scope: tests/reminders/test_routes.py",
    ("POST", "/api/activities/{activity_id}/cancel"): "community scope: tests/reminders/test_routes.py",
    ("POST", "/api/activities/{activity_id}/occurrences/{key}/cancel"): "community scope: tests/reminders/test_routes.py",
    ("GET", "/api/activities/{activity_id}/occurrences"): "community scope: tests/reminders/test_routes.py",
    ("GET", "/api/activities/{activity_id}/preview"): "masked sample within the caller's scope: tests/reminders/test_routes.py",
    ("GET", "/api/activities/{activity_id}/reminders"): "recipient ids and delivery state: tests/reminders/test_routes.py",
    ("GET", "/api/jobs"): "street only (meihao.jobs.read)",
    ("GET", "/api/me/inbox"): "the caller's own inbox",
    ("POST", "/api/me/inbox/{message_id}/read"): "the caller's own inbox",
    ("PUT", "/api/me/reminder-digest"): "the caller's own setting",
    ("DELETE", "/api/me/reminder-digest"): "the caller's own setting",
}

PUBLIC_ROUTES = {
    ("GET", "/health"),
    # counts and route templates for Prometheus, no personal data; MEIHAO_METRICS_TOKEN
    # closes it (tests/test_metrics.py)
    ("GET", "/metrics"),
    ("POST", "/api/auth/login"),
    # secret, revocable links for residents (tests/reminders/test_routes.py)
    ("GET", "/api/reminders/unsubscribe/{token}"),
    ("POST", "/api/reminders/unsubscribe/{token}"),
    ("GET", "/api/calendar/{token}"),
    ("GET", "/api/inbox/{token}"),
    ("POST", "/api/inbox/{token}/{message_id}/read"),
    ("GET", "/api/communities/{slug}/calendar.ics"),
}


def _routes(app) -> dict[tuple[str, str], Any]:
    found = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method == "OPTIONS" or route.path.startswith("/schema"):
                    continue
                found[(method, route.path_format)] = handler
    return found


def _permissions(handler) -> set[str]:
    return {p for guard in handler.resolve_guards() for p in getattr(getattr(guard, "func", guard), "permissions", ())}


async def test_every_route_is_classified(world):
    mh, client, w = world
    routes = _routes(client.app)
    classified = (
        set(RECORD_ROUTES) | set(SCENARIO_RECORD_ROUTES) | set(LIST_ROUTES) | set(COMMUNITY_ROUTES) | set(ORGANISATION_ROUTES) | PUBLIC_ROUTES
    )
    assert set(routes) - classified == set(), "new routes: classify them in tests/access/test_matrix.py"
    public = {key for key, handler in routes.items() if handler.opt.get(PUBLIC)}
    assert public == PUBLIC_ROUTES


async def test_every_non_public_route_needs_a_token(world):
    mh, client, w = world
    for (method, template), _ in _routes(client.app).items():
        if (method, template) in PUBLIC_ROUTES:
            continue
        builder = {**RECORD_ROUTES, **SCENARIO_RECORD_ROUTES, **LIST_ROUTES, **COMMUNITY_ROUTES}.get((method, template))
        path = builder(w, "a1")[0] if builder else template.replace("{slug}", "alpha").replace("{staff_id}", "1").replace("{activity_id}", "1").replace("{message_id}", "1").replace("{key}", "k")
        response = await client.request(method, path, headers={"Authorization": ""})
        assert response.status_code == 401, (method, path, response.text)
        bad = await client.request(method, path, headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401, (method, path)


async def _snapshot() -> list[Any]:
    return [
        await Resident.select().order_by(Resident.id),
        await Household.select().order_by(Household.id),
        await Building.select().order_by(Building.id),
    ]


def _leaks(text: str, w: World, role: str) -> list[str]:
    return [w.names[p] for p in PLACES if p not in REACH[role] and w.names[p] in text]


def _case_ids(routes: dict) -> list[Any]:
    return [pytest.param(key, role, id=f"{key[0]} {key[1]} as {role}") for key in routes for role in ROLES]


@pytest.mark.parametrize(("route", "role"), _case_ids(RECORD_ROUTES))
async def test_record_routes(world, route, role):
    mh, client, w = world
    handler = _routes(client.app)[route]
    allowed = _permissions(handler) <= role_permissions(mh)[role] or role == "street_admin"
    headers = {"Authorization": f"Bearer {w.tokens[role]}"}
    missing_path = RECORD_ROUTES[route](w, "a1")[0].replace(str(w.places["a1"]["resident_id"]), "987654")
    for place in PLACES:
        if place in REACH[role]:
            continue
        path, body = RECORD_ROUTES[route](w, place)
        before = await _snapshot()
        response = await client.request(route[0], path, json=body, headers=headers)
        assert response.status_code == (404 if allowed else 403), (place, response.text)
        assert _leaks(response.text, w, role) == []
        assert await _snapshot() == before, f"{route} changed data outside the scope of {role}"
        if allowed and route[1].startswith("/api/residents/"):
            # the same answer as for a resident that does not exist
            nothing = await client.request(route[0], missing_path, json=body, headers=headers)
            assert nothing.status_code == 404
            assert set(nothing.json()) == set(response.json())
    for place in sorted(REACH[role] & {"a1"}):
        path, body = RECORD_ROUTES[route](w, place)
        response = await client.request(route[0], path, json=body, headers=headers)
        assert response.status_code in ((200, 201, 204) if allowed else (403,)), response.text
        assert _leaks(response.text, w, role) == []


@pytest.mark.parametrize(("route", "role"), _case_ids(LIST_ROUTES))
async def test_list_routes(world, route, role):
    mh, client, w = world
    handler = _routes(client.app)[route]
    allowed = _permissions(handler) <= role_permissions(mh)[role] or role == "street_admin"
    headers = {"Authorization": f"Bearer {w.tokens[role]}"}
    for place in PLACES:
        path, body = LIST_ROUTES[route](w, place)
        response = await client.request(route[0], path, headers=headers)
        if not allowed:
            assert response.status_code == 403
            continue
        assert response.status_code == 200, response.text
        assert _leaks(response.text, w, role) == []
        if route[1].startswith("/api/residents") and place == "a1":
            for inside in REACH[role]:
                assert w.names[inside] in response.text  # the list is scoped, not empty


@pytest.mark.parametrize(("route", "role"), _case_ids(COMMUNITY_ROUTES))
async def test_community_routes(world, route, role):
    mh, client, w = world
    handler = _routes(client.app)[route]
    allowed = _permissions(handler) <= role_permissions(mh)[role] or role == "street_admin"
    headers = {"Authorization": f"Bearer {w.tokens[role]}"}
    managed = {"street_admin": {"alpha", "beta"}, "community_admin": {"alpha"}}.get(role, set())
    reached = {w.slugs[p] for p in REACH[role]}
    writes = route[0] != "GET" and not route[1].endswith("/riddles") and route not in TEAM_WRITE_ROUTES
    for place in ("a1", "b1"):
        slug = w.slugs[place]
        inside = slug in (managed if writes else reached)
        path, body = COMMUNITY_ROUTES[route](w, place)
        response = await client.request(route[0], path, json=body, headers=headers)
        assert _leaks(response.text, w, role) == []
        if not allowed:
            assert response.status_code == 403, response.text
        elif inside:
            assert response.status_code in (200, 201), response.text
        else:
            assert response.status_code == 403, response.text


@pytest.mark.parametrize(("route", "role"), _case_ids(SCENARIO_RECORD_ROUTES))
async def test_scenario_record_routes(world, route, role):
    mh, client, w = world
    handler = _routes(client.app)[route]
    allowed = _permissions(handler) <= role_permissions(mh)[role] or role == "street_admin"
    headers = {"Authorization": f"Bearer {w.tokens[role]}"}
    reached = {w.slugs[p] for p in REACH[role]}
    for place in PLACES:
        if place in REACH[role]:
            continue
        path, body = SCENARIO_RECORD_ROUTES[route](w, place)
        before = await _scenario_snapshot()
        response = await client.request(route[0], path, json=body, headers=headers)
        expected = 404 if allowed and w.slugs[place] in reached else 403
        assert response.status_code == expected, (place, response.text)
        assert _leaks(response.text, w, role) == []
        assert await _scenario_snapshot() == before, f"{route} changed data outside the scope of {role}"
        if expected == 404 and route in MISSING_ROUTES:
            # the same answer as for a record that does not exist
            missing, _ = MISSING_ROUTES[route](w, place)
            nothing = await client.request(route[0], missing, json=body, headers=headers)
            assert nothing.status_code == 404
            assert set(nothing.json()) == set(response.json())
    for place in sorted(REACH[role] & {"a1"}):
        path, body = SCENARIO_RECORD_ROUTES[route](w, place)
        response = await client.request(route[0], path, json=body, headers=headers)
        assert response.status_code in ((200, 201, 204) if allowed else (403,)), response.text
        assert _leaks(response.text, w, role) == []


async def _scenario_snapshot() -> list[Any]:
    tables = tuple(t for scene in SCENE_MATRICES for t in scene.TABLES)
    return [*await _snapshot()] + [await t.select().order_by(t.id) for t in tables]


@pytest.mark.parametrize(("route", "role"), _case_ids(ORGANISATION_ROUTES))
async def test_organisation_routes_leak_nothing(world, route, role):
    mh, client, w = world
    path = route[1].replace("{slug}", "beta").replace("{staff_id}", "1")
    body = {"POST": {}, "PATCH": {}}.get(route[0])
    response = await client.request(route[0], path, json=body, headers={"Authorization": f"Bearer {w.tokens[role]}"})
    assert response.status_code < 500, response.text
    assert _leaks(response.text, w, role) == []
