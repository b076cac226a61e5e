"""The access matrix: every route × every role × inside/outside the role's scope. Zero leaks.

Routes are read from the app itself. Each must be classified below, so a new route that
nobody thought about fails ``test_every_route_is_classified`` until someone decides how
it is scoped and adds requests for it here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from meihao.access.roles import role_permissions
from meihao.db.database import Database
from meihao.register.community_scenarios import enable
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.tables import InboxMessage
from meihao.runtime import Meihao
from meihao.tables import Building, Household, Resident
from meihao.testing import Factories, boot_for_tests, build_template, settings_for_tests
from meihao.testing.access import Call, fill_path, same_as_missing
from meihao.testing.access import permissions_of as _permissions
from meihao.testing.access import route_table as _routes
from meihao.testing.databases import Template
from meihao.web.app import create_app
from meihao.web.auth import PUBLIC
from tests.sample_plugins import lantern
from tests.scenarios.commerce import matrix as commerce_matrix
from tests.scenarios.culture import matrix as culture_matrix
from tests.scenarios.education import matrix as education_matrix
from tests.scenarios.elder_care import matrix as elder_care_matrix
from tests.scenarios.governance import matrix as governance_matrix
from tests.scenarios.health import matrix as health_matrix
from tests.scenarios.markets import matrix as markets_matrix
from tests.scenarios.neighbourhood import matrix as neighbourhood_matrix
from tests.scenarios.service import matrix as service_matrix

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
    staff: dict[str, int] = field(default_factory=dict)  # role -> staff id
    messages: dict[str, int] = field(default_factory=dict)  # role -> a message in that staff member's own inbox


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
            world.staff[role] = member["id"]
            message = InboxMessage(recipient_kind="staff", recipient_id=member["id"], body=f"给{role}的消息")
            await message.save()
            world.messages[role] = message.id
        # an activity in each community (one occurrence, 1 October 2030 09:00 local = 01:00 UTC)
        for place in ("a1", "b1"):
            activity = await create_activity(mh, world.slugs[place], ActivityIn(
                scene="neighbourhood", title="中秋游园", starts_at=datetime(2030, 10, 1, 9), ends_at=datetime(2030, 10, 1, 11),
                audience={"grids": [world.places[place]["grid_id"]]}))
            world.places[place]["activity_id"] = activity["id"]

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
            yield mh, client, World(url, built.places, built.names, built.tokens, built.slugs, built.staff, built.messages)
    finally:
        await template.release(url)


# -- the reviewed policy: which role holds which permission ----------------------------------
# A literal table, like Datasette's permission tests: a change of the policy (a plugin granting
# a permission to one more role, a role losing one) is a visible change of these lines, never a
# silent change of the expectations. test_the_policy_is_the_reviewed_table compares it with what
# the installed plugins declare; the matrix below takes its expectations from here only.
#                                        street comm leader worker part disp dept
GRANTS: dict[str, tuple[int, ...]] = {
    "meihao.community.manage":          (1,     0,   0,     0,     0,   0,   0),
    "meihao.department.manage":         (1,     0,   0,     0,     0,   0,   0),
    "meihao.audit.read":                (1,     0,   0,     0,     0,   0,   0),
    "meihao.jobs.read":                 (1,     0,   0,     0,     0,   0,   0),
    "meihao.calendar.manage":           (1,     0,   0,     0,     0,   0,   0),
    "meihao.scenario.manage":           (1,     1,   0,     0,     0,   0,   0),
    "meihao.staff.manage":              (1,     1,   0,     0,     0,   0,   0),
    "meihao.resident.export":           (1,     1,   0,     0,     0,   0,   0),
    "meihao.resident.import":           (1,     1,   0,     0,     0,   0,   0),
    "meihao.resident.reveal":           (1,     1,   0,     0,     0,   0,   0),
    "meihao.resident.sensitive.read":   (1,     1,   0,     0,     0,   0,   0),
    "meihao.resident.data_export":      (1,     0,   0,     0,     0,   0,   0),
    "meihao.resident.erase":            (1,     0,   0,     0,     0,   0,   0),
    "meihao.resident.read":             (1,     1,   1,     1,     1,   1,   0),
    "meihao.resident.write":            (1,     1,   1,     1,     0,   0,   0),
    "meihao.register.read":             (1,     1,   1,     1,     1,   1,   0),
    "meihao.register.write":            (1,     1,   1,     1,     0,   0,   0),
    "meihao.activity.read":             (1,     1,   1,     1,     1,   1,   0),
    "meihao.activity.write":            (1,     1,   1,     1,     0,   0,   0),
    "meihao.reminder.manage":           (1,     1,   1,     1,     0,   0,   0),
    "meihao.activity.audience.community": (1,   1,   0,     0,     0,   0,   0),
    "lantern.riddle.read":              (1,     1,   1,     1,     1,   0,   0),
    "lantern.riddle.write":             (1,     1,   0,     1,     0,   0,   0),
    "elder_care.elder.read":            (1,     1,   1,     1,     1,   0,   0),
    "elder_care.elder.write":           (1,     1,   1,     1,     0,   0,   0),
    "elder_care.visit.record":          (1,     1,   1,     1,     1,   0,   0),
    "elder_care.visit.notes.read":      (1,     1,   1,     0,     0,   0,   0),
    "elder_care.elder.sensitive.read":  (1,     1,   1,     0,     0,   0,   0),
    "elder_care.nursing_home.manage":   (1,     1,   1,     1,     0,   0,   0),
    "markets.market.read":              (1,     1,   1,     1,     1,   1,   0),
    "markets.market.manage":            (1,     1,   0,     0,     0,   0,   0),
    "markets.application.read":         (1,     1,   1,     1,     1,   0,   0),
    "markets.application.write":        (1,     1,   1,     1,     1,   0,   0),
    "markets.application.decide":       (1,     1,   0,     0,     0,   0,   0),
    "markets.proceeds.record":          (1,     1,   1,     1,     0,   0,   0),
    "markets.proceeds.read":            (1,     1,   1,     0,     0,   0,   0),
    "culture.read":                     (1,     1,   1,     1,     1,   1,   0),
    "culture.manage":                   (1,     1,   0,     0,     0,   0,   0),
    "culture.show.record":              (1,     1,   1,     1,     0,   0,   0),
    # service (NAME service)
    "service.request.read":             (1,     1,   1,     1,     1,   0,   0),
    "service.request.write":            (1,     1,   1,     1,     1,   0,   0),
    "service.callback.record":          (1,     1,   1,     0,     0,   0,   0),
    "service.hotline.intake":           (1,     1,   0,     0,     0,   0,   0),
    "service.duty.manage":              (1,     1,   0,     0,     0,   0,   0),
    # --- neighbourhood (helper) ---
    "meihao.volunteer.read":            (1,     1,   1,     1,     1,   0,   0),
    "meihao.volunteer.record":          (1,     1,   1,     1,     1,   0,   0),
    "meihao.volunteer.verify":          (1,     1,   1,     0,     0,   0,   0),
    "meihao.points.spend":              (1,     1,   1,     1,     0,   0,   0),
    # --- vol3 ---
    "meihao.volunteer.manage":          (1,     1,   1,     0,     0,   0,   0),
    # --- end vol3 ---
    "neighbourhood.read":               (1,     1,   1,     1,     1,   0,   0),
    "neighbourhood.motion.write":       (1,     1,   1,     1,     1,   0,   0),
    "neighbourhood.motion.review":      (1,     1,   0,     0,     0,   0,   0),
    "neighbourhood.meeting.manage":     (1,     1,   0,     0,     0,   0,   0),
    "neighbourhood.festival.manage":    (1,     1,   0,     0,     0,   0,   0),
    "neighbourhood.festival.signup":    (1,     1,   1,     1,     1,   0,   0),
    # --- service2 (helper) ---
    "service.assistance.read":          (1,     1,   1,     1,     1,   0,   0),
    "service.assistance.visit":         (1,     1,   1,     1,     1,   0,   0),
    "service.assistance.manage":        (1,     1,   0,     0,     0,   0,   0),
    # --- service4 (helper) ---
    "service.meeting.read":             (1,     1,   0,     0,     0,   0,   0),
    "service.meeting.manage":           (1,     1,   0,     0,     0,   0,   0),
    "service.inspection.read":          (1,     1,   0,     0,     0,   0,   0),
    "service.inspection.record":        (1,     0,   0,     0,     0,   0,   0),
    "service.inspection.rectify":       (1,     1,   0,     0,     0,   0,   0),
    # --- end service4 ---
    # governance (NAME governance): department staff read and answer what is sent to their department
    "governance.event.read":            (1,     1,   1,     1,     1,   1,   1),
    "governance.event.report":          (1,     1,   1,     1,     1,   1,   0),
    "governance.event.dispatch":        (1,     1,   1,     0,     0,   0,   0),
    "governance.event.check":           (1,     1,   1,     1,     1,   1,   0),
    "governance.order.handle":          (1,     0,   1,     1,     1,   1,   1),
    "governance.whistle.read":          (1,     1,   1,     1,     1,   1,   1),
    "governance.whistle.blow":          (1,     1,   0,     0,     0,   0,   0),
    "governance.whistle.answer":        (1,     0,   0,     0,     0,   0,   1),
    "governance.whistle.rate":          (1,     1,   0,     0,     0,   0,   0),
    "governance.patrol.read":           (1,     1,   1,     1,     1,   0,   0),
    "governance.patrol.record":         (1,     0,   1,     1,     1,   0,   0),
    "governance.patrol.plan":           (1,     1,   1,     0,     0,   0,   0),
    "governance.figures.read":          (1,     1,   0,     0,     0,   0,   0),
    # --- gov3: photos of grid events, by whoever reaches the event ---
    "governance.event.photo":           (1,     1,   1,     1,     1,   1,   1),
    # --- end gov3 ---
    # --- health (helper) ---: health data (readings, conditions, check items) is the doctor team's and
    # health.reading.read's (the street's); the grid team sees due / overdue / referred
    "health.patient.read":              (1,     1,   1,     1,     1,   1,   0),
    "health.patient.write":             (1,     1,   0,     0,     0,   1,   0),
    "health.followup.record":           (1,     0,   0,     0,     0,   1,   0),
    "health.reading.read":              (1,     0,   0,     0,     0,   0,   0),
    "health.team.manage":               (1,     1,   0,     0,     0,   0,   0),
    "health.check.record":              (1,     0,   0,     0,     0,   1,   0),
    "health.contract.manage":           (1,     1,   0,     0,     0,   1,   0),
    "health.tracing.handle":            (1,     0,   1,     1,     1,   0,   0),
    # --- education (branch education) ---: the grid academy; everyone of the team reads and enrols themselves
    "education.read":                   (1,     1,   1,     1,     1,   1,   0),
    "education.manage":                 (1,     1,   0,     0,     0,   0,   0),
    "education.enrol":                  (1,     1,   1,     0,     0,   0,   0),
    "education.attendance.record":      (1,     1,   1,     0,     0,   0,   0),
    "education.report.read":            (1,     1,   0,     0,     0,   0,   0),
    # --- end education ---
    # --- commerce (helper) ---: the grid team books for its residents and records complaints; the community's
    # admins set up partners, offers and shops and keep the enterprise's ledger; the X sent down read only
    "commerce.offer.read":              (1,     1,   1,     1,     1,   1,   0),
    "commerce.offer.manage":            (1,     1,   0,     0,     0,   0,   0),
    "commerce.booking.write":           (1,     1,   1,     1,     1,   0,   0),
    "commerce.ledger.read":             (1,     1,   0,     0,     0,   0,   0),
    "commerce.ledger.write":            (1,     1,   0,     0,     0,   0,   0),
    "commerce.complaint.write":         (1,     1,   1,     1,     1,   0,   0),
    # --- register (helper) ---
    # the special groups (特殊人群): their own permission, the community's admin only; every read audited
    "meihao.resident.special.read":     (1,     1,   0,     0,     0,   0,   0),
}

# The permission each route's guard asks for (None: no permission guard; the handler decides,
# e.g. a community's own admin may change its brand). Reviewed with the table above.
ROUTE_PERMISSION: dict[tuple[str, str], str | None] = {
    ("GET", "/api/activities/{activity_id}"): "meihao.activity.read",
    ("PATCH", "/api/activities/{activity_id}"): "meihao.activity.write",
    ("POST", "/api/activities/{activity_id}/cancel"): "meihao.activity.write",
    ("GET", "/api/activities/{activity_id}/occurrences"): "meihao.activity.read",
    ("POST", "/api/activities/{activity_id}/occurrences/{key}/cancel"): "meihao.activity.write",
    ("GET", "/api/activities/{activity_id}/preview"): "meihao.activity.read",
    ("GET", "/api/activities/{activity_id}/reminders"): "meihao.activity.read",
    ("GET", "/api/activities/{activity_id}/signups"): "meihao.activity.read",
    ("POST", "/api/activities/{activity_id}/signups/{signup_id}/cancel"): "meihao.activity.write",
    ("GET", "/api/audit"): "meihao.audit.read",
    ("POST", "/api/auth/login"): None,
    ("POST", "/api/auth/logout"): None,
    ("GET", "/api/auth/me"): None,
    ("GET", "/api/buildings/{building_id}/households"): "meihao.register.read",
    ("POST", "/api/buildings/{building_id}/households"): "meihao.register.write",
    ("GET", "/api/calendar/{token}"): None,
    ("POST", "/api/sms/receipts/{provider}/{token}"): None,  # sms: the providers' receipts, the secret in the address
    # --- wechat ---: WeChat's callback, signature-checked (tests/plugins/test_wechat.py)
    ("GET", "/api/wechat/callback"): None,
    ("POST", "/api/wechat/callback"): None,
    # --- end wechat ---
    ("GET", "/api/communities"): None,
    ("POST", "/api/communities"): "meihao.community.manage",
    ("GET", "/api/communities/{slug}"): None,
    ("PATCH", "/api/communities/{slug}"): None,
    ("GET", "/api/communities/{slug}/activities"): "meihao.activity.read",
    ("POST", "/api/communities/{slug}/activities"): "meihao.activity.write",
    ("GET", "/api/communities/{slug}/calendar.ics"): None,
    ("GET", "/api/communities/{slug}/culture/plans"): "culture.read",
    ("POST", "/api/communities/{slug}/culture/plans"): "culture.manage",
    ("GET", "/api/communities/{slug}/culture/plans/{plan_id}"): "culture.read",
    ("PATCH", "/api/communities/{slug}/culture/plans/{plan_id}"): "culture.manage",
    ("POST", "/api/communities/{slug}/culture/plans/{plan_id}/shows"): "culture.manage",
    ("GET", "/api/communities/{slug}/culture/shows"): "culture.read",
    ("GET", "/api/communities/{slug}/culture/shows/{show_id}"): "culture.read",
    ("PATCH", "/api/communities/{slug}/culture/shows/{show_id}"): "culture.manage",
    ("POST", "/api/communities/{slug}/culture/shows/{show_id}/cancel"): "culture.manage",
    ("PUT", "/api/communities/{slug}/culture/shows/{show_id}/record"): "culture.show.record",
    ("GET", "/api/communities/{slug}/culture/summary"): "culture.read",
    ("GET", "/api/communities/{slug}/culture/troupes"): "culture.read",
    ("POST", "/api/communities/{slug}/culture/troupes"): "culture.manage",
    ("GET", "/api/communities/{slug}/culture/troupes/{troupe_id}"): "culture.read",
    ("POST", "/api/communities/{slug}/culture/troupes/{troupe_id}/repertoire"): "culture.manage",
    ("GET", "/api/communities/{slug}/culture/venues"): "culture.read",
    ("POST", "/api/communities/{slug}/culture/venues"): "culture.manage",
    ("GET", "/api/communities/{slug}/culture/venues/{venue_id}"): "culture.read",
    ("GET", "/api/communities/{slug}/dashboard"): None,
    ("GET", "/api/communities/{slug}/elder_care/alerts"): "elder_care.elder.read",
    ("GET", "/api/communities/{slug}/elder_care/elders"): "elder_care.elder.read",
    ("POST", "/api/communities/{slug}/elder_care/elders"): "elder_care.elder.write",
    ("GET", "/api/communities/{slug}/elder_care/elders/candidates"): "elder_care.elder.read",
    ("GET", "/api/communities/{slug}/elder_care/elders/{elder_id}"): "elder_care.elder.read",
    ("PATCH", "/api/communities/{slug}/elder_care/elders/{elder_id}"): "elder_care.elder.write",
    ("GET", "/api/communities/{slug}/elder_care/elders/{elder_id}/visits"): "elder_care.elder.read",
    ("POST", "/api/communities/{slug}/elder_care/elders/{elder_id}/visits"): "elder_care.visit.record",
    ("GET", "/api/communities/{slug}/elder_care/nursing-home-visits"): "elder_care.elder.read",
    ("POST", "/api/communities/{slug}/elder_care/nursing-home-visits"): "elder_care.nursing_home.manage",
    ("GET", "/api/communities/{slug}/elder_care/nursing-home-visits/{visit_id}"): "elder_care.elder.read",
    ("POST", "/api/communities/{slug}/elder_care/nursing-home-visits/{visit_id}/cancel"): "elder_care.nursing_home.manage",
    ("POST", "/api/communities/{slug}/elder_care/nursing-home-visits/{visit_id}/roster"): "elder_care.nursing_home.manage",
    ("DELETE", "/api/communities/{slug}/elder_care/nursing-home-visits/{visit_id}/roster/{resident_id}"): "elder_care.nursing_home.manage",
    ("GET", "/api/communities/{slug}/grids"): None,
    ("POST", "/api/communities/{slug}/grids"): "meihao.register.write",
    ("GET", "/api/communities/{slug}/lantern/riddles"): "lantern.riddle.read",
    ("POST", "/api/communities/{slug}/lantern/riddles"): "lantern.riddle.write",
    ("GET", "/api/communities/{slug}/markets/applications/{application_id}"): "markets.application.read",
    ("POST", "/api/communities/{slug}/markets/applications/{application_id}/approve"): "markets.application.decide",
    ("POST", "/api/communities/{slug}/markets/applications/{application_id}/cancel"): "markets.application.write",
    ("PUT", "/api/communities/{slug}/markets/applications/{application_id}/proceeds"): "markets.proceeds.record",
    ("POST", "/api/communities/{slug}/markets/applications/{application_id}/refuse"): "markets.application.decide",
    ("GET", "/api/communities/{slug}/markets/days/{day_id}"): "markets.market.read",
    ("PATCH", "/api/communities/{slug}/markets/days/{day_id}"): "markets.market.manage",
    ("GET", "/api/communities/{slug}/markets/days/{day_id}/applications"): "markets.application.read",
    ("POST", "/api/communities/{slug}/markets/days/{day_id}/applications"): "markets.application.write",
    ("POST", "/api/communities/{slug}/markets/days/{day_id}/cancel"): "markets.market.manage",
    ("GET", "/api/communities/{slug}/markets/markets"): "markets.market.read",
    ("POST", "/api/communities/{slug}/markets/markets"): "markets.market.manage",
    ("GET", "/api/communities/{slug}/markets/markets/{market_id}"): "markets.market.read",
    ("PATCH", "/api/communities/{slug}/markets/markets/{market_id}"): "markets.market.manage",
    ("POST", "/api/communities/{slug}/markets/markets/{market_id}/cancel"): "markets.market.manage",
    ("GET", "/api/communities/{slug}/markets/markets/{market_id}/days"): "markets.market.read",
    ("GET", "/api/communities/{slug}/markets/markets/{market_id}/proceeds"): "markets.proceeds.read",
    ("GET", "/api/communities/{slug}/markets/merchants"): "markets.market.read",
    ("POST", "/api/communities/{slug}/markets/merchants"): "markets.market.manage",
    ("GET", "/api/communities/{slug}/markets/merchants/{merchant_id}"): "markets.market.read",
    ("PATCH", "/api/communities/{slug}/markets/merchants/{merchant_id}"): "markets.market.manage",
    ("GET", "/api/communities/{slug}/markets/proceeds"): "markets.proceeds.read",
    # --- rules16 (helper) ---
    ("PUT", "/api/communities/{slug}/markets/applications/{application_id}/waiver"): "markets.application.decide",
    ("GET", "/api/communities/{slug}/markets/days/{day_id}/statement"): "markets.proceeds.read",
    ("POST", "/api/communities/{slug}/markets/days/{day_id}/statement"): "markets.market.manage",
    ("GET", "/api/communities/{slug}/culture/places"): "culture.read",
    ("POST", "/api/communities/{slug}/culture/places"): "culture.manage",
    # --- end rules16 ---
    # --- rules16b ---
    ("POST", "/api/communities/{slug}/markets/applications/{application_id}/points"): "markets.proceeds.record",
    ("GET", "/api/communities/{slug}/markets/applications/{application_id}/points"): "markets.proceeds.record",
    # --- end rules16b ---
    ("PUT", "/api/communities/{slug}/reminder-settings"): "meihao.reminder.manage",
    ("GET", "/api/communities/{slug}/scenarios"): None,
    ("DELETE", "/api/communities/{slug}/scenarios/{scenario}"): "meihao.scenario.manage",
    ("PUT", "/api/communities/{slug}/scenarios/{scenario}"): "meihao.scenario.manage",
    ("GET", "/api/departments"): None,
    ("POST", "/api/departments"): "meihao.department.manage",
    ("GET", "/api/grids/{grid_id}/buildings"): "meihao.register.read",
    ("POST", "/api/grids/{grid_id}/buildings"): "meihao.register.write",
    ("GET", "/api/inbox/{token}"): None,
    ("POST", "/api/inbox/{token}/{message_id}/read"): None,
    ("GET", "/api/jobs"): "meihao.jobs.read",
    ("GET", "/api/working-calendar"): None,
    ("GET", "/api/working-calendar/overrides"): None,
    ("PUT", "/api/working-calendar/overrides/{day}"): "meihao.calendar.manage",
    ("DELETE", "/api/working-calendar/overrides/{day}"): "meihao.calendar.manage",
    ("GET", "/api/me/inbox"): None,
    ("POST", "/api/me/inbox/{message_id}/read"): None,
    ("DELETE", "/api/me/reminder-digest"): None,
    ("PUT", "/api/me/reminder-digest"): None,
    ("GET", "/api/permissions"): None,
    ("GET", "/api/plugins"): None,
    ("GET", "/api/reminders/unsubscribe/{token}"): None,
    ("POST", "/api/reminders/unsubscribe/{token}"): None,
    ("GET", "/api/residents"): "meihao.resident.read",
    ("POST", "/api/residents"): "meihao.resident.write",
    ("GET", "/api/residents/export"): "meihao.resident.export",
    ("GET", "/api/residents/export.xlsx"): "meihao.resident.export",
    ("GET", "/api/residents/import-template"): "meihao.resident.import",
    ("POST", "/api/communities/{slug}/residents/import"): "meihao.resident.import",
    ("DELETE", "/api/residents/{resident_id}"): "meihao.resident.write",
    ("GET", "/api/residents/{resident_id}"): "meihao.resident.read",
    ("PATCH", "/api/residents/{resident_id}"): "meihao.resident.write",
    ("POST", "/api/residents/{resident_id}/calendar-link"): "meihao.reminder.manage",
    ("POST", "/api/residents/{resident_id}/unsubscribe-link"): "meihao.reminder.manage",
    ("PUT", "/api/residents/{resident_id}/contacts/{channel}"): "meihao.reminder.manage",
    ("POST", "/api/residents/{resident_id}/inbox-link"): "meihao.reminder.manage",
    ("POST", "/api/residents/{resident_id}/move"): "meihao.resident.write",
    ("POST", "/api/residents/{resident_id}/opt-outs"): "meihao.reminder.manage",
    ("GET", "/api/residents/{resident_id}/reminder-preferences"): "meihao.resident.read",
    ("POST", "/api/residents/{resident_id}/reveal"): "meihao.resident.reveal",
    ("GET", "/api/residents/{resident_id}/export"): "meihao.resident.data_export",
    ("POST", "/api/residents/{resident_id}/erase"): "meihao.resident.erase",
    ("GET", "/api/staff"): "meihao.staff.manage",
    ("POST", "/api/staff"): "meihao.staff.manage",
    ("POST", "/api/staff/{staff_id}/assignments"): "meihao.staff.manage",
    ("POST", "/api/staff/{staff_id}/deactivate"): "meihao.staff.manage",
    ("POST", "/api/auth/password"): None,
    ("GET", "/health"): None,
    ("GET", "/metrics"): None,
    # --- neighbourhood (helper) ---
    ("GET", "/api/residents/{resident_id}/volunteering"): "meihao.volunteer.read",
    ("POST", "/api/residents/{resident_id}/volunteering/records"): "meihao.volunteer.record",
    ("POST", "/api/residents/{resident_id}/volunteering/spend"): "meihao.points.spend",
    ("POST", "/api/volunteering/records/{record_id}/verify"): "meihao.volunteer.verify",
    ("GET", "/api/communities/{slug}/neighbourhood/bodies"): "neighbourhood.read",
    ("POST", "/api/communities/{slug}/neighbourhood/bodies"): "neighbourhood.meeting.manage",
    ("GET", "/api/communities/{slug}/neighbourhood/bodies/{body_id}/members"): "neighbourhood.read",
    ("POST", "/api/communities/{slug}/neighbourhood/bodies/{body_id}/members"): "neighbourhood.meeting.manage",
    ("GET", "/api/communities/{slug}/neighbourhood/motions"): "neighbourhood.read",
    ("POST", "/api/communities/{slug}/neighbourhood/motions"): "neighbourhood.motion.write",
    ("GET", "/api/communities/{slug}/neighbourhood/motions/{motion_id}"): "neighbourhood.read",
    ("POST", "/api/communities/{slug}/neighbourhood/motions/{motion_id}/seconds"): "neighbourhood.motion.write",
    ("POST", "/api/communities/{slug}/neighbourhood/motions/{motion_id}/review"): "neighbourhood.motion.review",
    ("GET", "/api/communities/{slug}/neighbourhood/meetings"): "neighbourhood.read",
    ("POST", "/api/communities/{slug}/neighbourhood/meetings"): "neighbourhood.meeting.manage",
    ("GET", "/api/communities/{slug}/neighbourhood/meetings/{meeting_id}"): "neighbourhood.read",
    ("POST", "/api/communities/{slug}/neighbourhood/meetings/{meeting_id}/cancel"): "neighbourhood.meeting.manage",
    ("POST", "/api/communities/{slug}/neighbourhood/meetings/{meeting_id}/attendance"): "neighbourhood.meeting.manage",
    ("POST", "/api/communities/{slug}/neighbourhood/meetings/{meeting_id}/motions/{motion_id}/votes"): "neighbourhood.meeting.manage",
    ("POST", "/api/communities/{slug}/neighbourhood/meetings/{meeting_id}/count"): "neighbourhood.meeting.manage",
    # --- neigh3 ---
    ("POST", "/api/communities/{slug}/neighbourhood/meetings/{meeting_id}/second-call"): "neighbourhood.meeting.manage",
    ("GET", "/api/communities/{slug}/neighbourhood/motions/{motion_id}/tasks"): "neighbourhood.read",
    ("POST", "/api/communities/{slug}/neighbourhood/motions/{motion_id}/tasks"): "neighbourhood.meeting.manage",
    ("POST", "/api/communities/{slug}/neighbourhood/motions/{motion_id}/tasks/{task_id}/reports"): "neighbourhood.motion.write",
    # --- end neigh3 ---
    ("PUT", "/api/communities/{slug}/neighbourhood/meetings/{meeting_id}/minutes"): "neighbourhood.meeting.manage",
    ("POST", "/api/communities/{slug}/neighbourhood/meetings/{meeting_id}/raised"): "neighbourhood.motion.write",
    ("GET", "/api/communities/{slug}/neighbourhood/festival"): "neighbourhood.read",
    ("POST", "/api/communities/{slug}/neighbourhood/festival"): "neighbourhood.festival.manage",
    ("POST", "/api/communities/{slug}/neighbourhood/festival/{event_id}/signups"): "neighbourhood.festival.signup",
    ("POST", "/api/communities/{slug}/neighbourhood/festival/{event_id}/shifts"): "neighbourhood.festival.signup",
    # service (NAME service)
    ("GET", "/api/communities/{slug}/service/duty"): "service.request.read",
    ("PUT", "/api/communities/{slug}/service/duty"): "service.duty.manage",
    ("POST", "/api/communities/{slug}/service/hotline-orders"): "service.hotline.intake",
    ("GET", "/api/communities/{slug}/service/requests"): "service.request.read",
    ("POST", "/api/communities/{slug}/service/requests"): "service.request.write",
    ("GET", "/api/communities/{slug}/service/requests/{request_id}"): "service.request.read",
    ("POST", "/api/communities/{slug}/service/requests/{request_id}/actions"): "service.request.write",
    ("GET", "/api/communities/{slug}/service/requests/{request_id}/callbacks"): "service.request.read",
    ("POST", "/api/communities/{slug}/service/requests/{request_id}/callbacks"): "service.callback.record",
    ("POST", "/api/communities/{slug}/service/requests/{request_id}/extension"): "service.request.write",
    ("GET", "/api/communities/{slug}/service/rates"): "service.request.read",
    # --- service2 (helper) ---
    ("GET", "/api/communities/{slug}/service/assistance/households"): "service.assistance.read",
    ("POST", "/api/communities/{slug}/service/assistance/households"): "service.assistance.manage",
    ("GET", "/api/communities/{slug}/service/assistance/households/{household_id}/visits"): "service.assistance.read",
    ("POST", "/api/communities/{slug}/service/assistance/households/{household_id}/visits"): "service.assistance.visit",
    ("POST", "/api/communities/{slug}/service/assistance/problems/{item_id}/rectify"): "service.assistance.visit",
    ("GET", "/api/communities/{slug}/service/assistance/plan"): "service.assistance.read",
    # --- service3 (helper) ---
    ("POST", "/api/communities/{slug}/service/requests/{request_id}/hand-over"): "service.request.write",
    # --- service4 (helper) ---
    ("POST", "/api/communities/{slug}/service/assistance/households/{household_id}/end"): "service.assistance.manage",
    ("GET", "/api/communities/{slug}/service/assistance/meetings"): "service.meeting.read",
    ("POST", "/api/communities/{slug}/service/assistance/meetings"): "service.meeting.manage",
    ("POST", "/api/communities/{slug}/service/assistance/meetings/planned"): "service.meeting.manage",
    ("GET", "/api/communities/{slug}/service/assistance/meetings/{meeting_id}"): "service.meeting.read",
    ("POST", "/api/communities/{slug}/service/assistance/meeting-actions/{item_id}/done"): "service.meeting.manage",
    ("GET", "/api/communities/{slug}/service/inspection/problems"): "service.inspection.read",
    ("POST", "/api/communities/{slug}/service/inspection/problems"): "service.inspection.record",
    ("POST", "/api/communities/{slug}/service/inspection/problems/{problem_id}/rectify"): "service.inspection.rectify",
    ("POST", "/api/communities/{slug}/service/inspection/problems/{problem_id}/close"): "service.inspection.record",
    ("POST", "/api/communities/{slug}/service/inspection/problems/{problem_id}/return"): "service.inspection.record",
    # --- end service4 ---
    # governance (NAME governance)
    ("GET", "/api/communities/{slug}/governance/events"): "governance.event.read",
    ("POST", "/api/communities/{slug}/governance/events"): "governance.event.report",
    ("GET", "/api/communities/{slug}/governance/events/categories"): "governance.event.read",
    ("GET", "/api/communities/{slug}/governance/events/{event_id}"): "governance.event.read",
    ("POST", "/api/communities/{slug}/governance/events/{event_id}/register"): "governance.event.dispatch",
    ("POST", "/api/communities/{slug}/governance/events/{event_id}/dismiss"): "governance.event.dispatch",
    ("POST", "/api/communities/{slug}/governance/events/{event_id}/dispatch"): "governance.event.dispatch",
    ("POST", "/api/communities/{slug}/governance/events/{event_id}/check"): "governance.event.check",
    ("POST", "/api/communities/{slug}/governance/events/{event_id}/close"): "governance.event.dispatch",
    ("GET", "/api/communities/{slug}/governance/orders"): "governance.event.read",
    ("GET", "/api/communities/{slug}/governance/orders/{order_id}"): "governance.event.read",
    ("POST", "/api/communities/{slug}/governance/orders/{order_id}/sign"): "governance.order.handle",
    ("POST", "/api/communities/{slug}/governance/orders/{order_id}/return"): "governance.order.handle",
    ("POST", "/api/communities/{slug}/governance/orders/{order_id}/feedback"): "governance.order.handle",
    ("GET", "/api/communities/{slug}/governance/whistles"): "governance.whistle.read",
    ("POST", "/api/communities/{slug}/governance/whistles"): "governance.whistle.blow",
    ("GET", "/api/communities/{slug}/governance/whistles/{whistle_id}"): "governance.whistle.read",
    ("POST", "/api/communities/{slug}/governance/calls/{call_id}/sign"): "governance.whistle.answer",
    ("POST", "/api/communities/{slug}/governance/calls/{call_id}/contact"): "governance.whistle.answer",
    ("POST", "/api/communities/{slug}/governance/calls/{call_id}/report"): "governance.whistle.answer",
    ("POST", "/api/communities/{slug}/governance/calls/{call_id}/rate"): "governance.whistle.rate",
    ("GET", "/api/communities/{slug}/governance/patrols"): "governance.patrol.read",
    ("POST", "/api/communities/{slug}/governance/patrols"): "governance.patrol.record",
    ("GET", "/api/communities/{slug}/governance/patrols/missing"): "governance.patrol.read",
    ("GET", "/api/communities/{slug}/governance/patrols/plans"): "governance.patrol.read",
    ("POST", "/api/communities/{slug}/governance/patrols/plans"): "governance.patrol.plan",
    ("GET", "/api/communities/{slug}/governance/figures"): "governance.figures.read",
    ("GET", "/api/communities/{slug}/governance/figures/departments"): "governance.figures.read",
    # --- governance2 (helper) ---
    ("POST", "/api/communities/{slug}/governance/events/{event_id}/callbacks"): "governance.event.dispatch",
    ("GET", "/api/communities/{slug}/governance/figures/grids"): "governance.figures.read",
    # --- end governance2 ---
    # --- gov3: photos of grid events (the kernel's attachments) ---
    ("GET", "/api/communities/{slug}/governance/events/{row_id}/attachments"): "governance.event.read",
    ("POST", "/api/communities/{slug}/governance/events/{row_id}/attachments"): "governance.event.photo",
    ("GET", "/api/communities/{slug}/governance/events/{row_id}/attachments/{attachment_id}"): "governance.event.read",
    ("DELETE", "/api/communities/{slug}/governance/events/{row_id}/attachments/{attachment_id}"): "governance.event.photo",
    # --- end gov3 ---
    # --- gov4: withdrawing (撤回) an event filed by mistake; who may is decided in the service (reporter, or the command) ---
    ("POST", "/api/communities/{slug}/governance/events/{event_id}/withdraw"): "governance.event.read",
    # --- end gov4 ---
    # eldercare (issue 16): follow-ups as work items, the 月探访率 report
    ("GET", "/api/communities/{slug}/elder_care/follow-ups"): "elder_care.elder.read",
    ("POST", "/api/communities/{slug}/elder_care/follow-ups/{item_id}/close"): "elder_care.visit.record",
    ("GET", "/api/communities/{slug}/elder_care/report/monthly"): "elder_care.elder.read",
    # --- health (helper) ---
    ("GET", "/api/communities/{slug}/health/teams"): "health.patient.read",
    ("POST", "/api/communities/{slug}/health/teams"): "health.team.manage",
    ("GET", "/api/communities/{slug}/health/patients"): "health.patient.read",
    ("POST", "/api/communities/{slug}/health/patients"): "health.patient.write",
    ("GET", "/api/communities/{slug}/health/patients/{patient_id}"): "health.patient.read",
    ("GET", "/api/communities/{slug}/health/patients/{patient_id}/follow-ups"): "health.patient.read",
    ("POST", "/api/communities/{slug}/health/patients/{patient_id}/follow-ups"): "health.followup.record",
    ("GET", "/api/communities/{slug}/health/tracing"): "health.patient.read",
    ("POST", "/api/communities/{slug}/health/tracing/{item_id}/reminded"): "health.tracing.handle",
    ("GET", "/api/communities/{slug}/health/checks/due"): "health.patient.read",
    ("POST", "/api/communities/{slug}/health/checks"): "health.check.record",
    ("GET", "/api/communities/{slug}/health/checks/{check_id}"): "health.patient.read",
    ("GET", "/api/communities/{slug}/health/contracts"): "health.patient.read",
    ("POST", "/api/communities/{slug}/health/contracts"): "health.contract.manage",
    # --- education (branch education) ---
    ("GET", "/api/communities/{slug}/education/venues"): "education.read",
    ("POST", "/api/communities/{slug}/education/venues"): "education.manage",
    ("GET", "/api/communities/{slug}/education/venues/use"): "education.read",
    ("GET", "/api/communities/{slug}/education/courses"): "education.read",
    ("POST", "/api/communities/{slug}/education/courses"): "education.manage",
    ("GET", "/api/communities/{slug}/education/sessions"): "education.read",
    ("POST", "/api/communities/{slug}/education/sessions"): "education.manage",
    ("GET", "/api/communities/{slug}/education/sessions/{session_id}"): "education.read",
    ("POST", "/api/communities/{slug}/education/sessions/{session_id}/cancel"): "education.manage",
    ("GET", "/api/communities/{slug}/education/sessions/{session_id}/enrolments"): "education.read",
    ("POST", "/api/communities/{slug}/education/sessions/{session_id}/enrolments"): "education.read",
    ("POST", "/api/communities/{slug}/education/enrolments/{enrolment_id}/cancel"): "education.read",
    ("POST", "/api/communities/{slug}/education/enrolments/{enrolment_id}/check-in"): "education.attendance.record",
    ("POST", "/api/communities/{slug}/education/enrolments/{enrolment_id}/check-out"): "education.attendance.record",
    ("GET", "/api/communities/{slug}/education/learners/{staff_id}"): "education.read",
    ("GET", "/api/communities/{slug}/education/report"): "education.read",
    ("GET", "/api/communities/{slug}/education/report.csv"): "education.read",
    # --- end education ---
    # --- educom2 ---: education's reschedule and street report, commerce's 到场确认
    ("POST", "/api/communities/{slug}/education/sessions/{session_id}/reschedule"): "education.manage",
    ("GET", "/api/communities/{slug}/education/street-report"): "education.report.read",
    ("GET", "/api/communities/{slug}/education/street-report.csv"): "education.report.read",
    ("POST", "/api/communities/{slug}/commerce/bookings/{booking_id}/attended"): "commerce.booking.write",
    # --- end educom2 ---
    # --- elder3 (helper): 加密探访 campaigns, health referrals handed over by elder visits ---
    ("GET", "/api/communities/{slug}/elder_care/campaigns"): "elder_care.elder.read",
    ("POST", "/api/communities/{slug}/elder_care/campaigns"): "elder_care.elder.write",
    ("GET", "/api/communities/{slug}/elder_care/campaigns/{campaign_id}"): "elder_care.elder.read",
    ("POST", "/api/communities/{slug}/elder_care/campaigns/{campaign_id}/cancel"): "elder_care.elder.write",
    ("GET", "/api/communities/{slug}/health/referrals"): "health.patient.read",
    ("POST", "/api/communities/{slug}/health/referrals/{referral_id}/close"): "health.patient.read",
    # --- end elder3 ---
    # --- health2 (helper): ending a family-doctor contract early ---
    ("POST", "/api/communities/{slug}/health/contracts/{contract_id}/end"): "health.contract.manage",
    # --- end health2 ---
    # --- commerce (helper) ---
    ("GET", "/api/communities/{slug}/commerce/partners"): "commerce.offer.read",
    ("POST", "/api/communities/{slug}/commerce/partners"): "commerce.offer.manage",
    ("PUT", "/api/communities/{slug}/commerce/partners/{partner_id}/contract"): "commerce.offer.manage",
    ("GET", "/api/communities/{slug}/commerce/offers"): "commerce.offer.read",
    ("POST", "/api/communities/{slug}/commerce/offers"): "commerce.offer.manage",
    ("GET", "/api/communities/{slug}/commerce/offers/{offer_id}/slots"): "commerce.offer.read",
    ("POST", "/api/communities/{slug}/commerce/offers/{offer_id}/slots"): "commerce.offer.manage",
    ("GET", "/api/communities/{slug}/commerce/bookings"): "commerce.offer.read",
    ("POST", "/api/communities/{slug}/commerce/bookings"): "commerce.booking.write",
    ("POST", "/api/communities/{slug}/commerce/bookings/{booking_id}/cancel"): "commerce.booking.write",
    ("GET", "/api/communities/{slug}/commerce/ledger/months/{month}"): "commerce.ledger.read",
    ("GET", "/api/communities/{slug}/commerce/ledger/years/{year}"): "commerce.ledger.read",
    ("POST", "/api/communities/{slug}/commerce/ledger/entries"): "commerce.ledger.write",
    ("POST", "/api/communities/{slug}/commerce/ledger/months/{month}/close"): "commerce.ledger.write",
    ("GET", "/api/communities/{slug}/commerce/statements"): "commerce.offer.read",
    ("POST", "/api/communities/{slug}/commerce/statements"): "commerce.ledger.write",
    ("GET", "/api/communities/{slug}/commerce/shops"): "commerce.offer.read",
    ("POST", "/api/communities/{slug}/commerce/shops"): "commerce.offer.manage",
    ("POST", "/api/communities/{slug}/commerce/shops/{shop_id}/discounts"): "commerce.offer.manage",
    ("GET", "/api/communities/{slug}/commerce/discounts"): "commerce.offer.read",
    ("GET", "/api/communities/{slug}/commerce/complaints"): "commerce.offer.read",
    ("POST", "/api/communities/{slug}/commerce/complaints"): "commerce.complaint.write",
    ("POST", "/api/communities/{slug}/commerce/complaints/{complaint_id}/hand-over"): "commerce.complaint.write",
    # --- street16 ---: a scene's street settings (any staff reads; the service lets street staff change them) and its street routes
    ("GET", "/api/street/settings/{scenario}"): None,
    ("PUT", "/api/street/settings/{scenario}"): None,
    ("GET", "/api/street/culture/report"): "culture.read",
    # photos of culture's shows (the kernel's attachments): read with the shows, written by who records them
    ("GET", "/api/communities/{slug}/culture/shows/{row_id}/attachments"): "culture.read",
    ("POST", "/api/communities/{slug}/culture/shows/{row_id}/attachments"): "culture.show.record",
    ("GET", "/api/communities/{slug}/culture/shows/{row_id}/attachments/{attachment_id}"): "culture.read",
    ("DELETE", "/api/communities/{slug}/culture/shows/{row_id}/attachments/{attachment_id}"): "culture.show.record",
    # photos of market days: read with the markets, written by who records at the stalls
    ("GET", "/api/communities/{slug}/markets/days/{row_id}/attachments"): "markets.market.read",
    ("POST", "/api/communities/{slug}/markets/days/{row_id}/attachments"): "markets.proceeds.record",
    ("GET", "/api/communities/{slug}/markets/days/{row_id}/attachments/{attachment_id}"): "markets.market.read",
    ("DELETE", "/api/communities/{slug}/markets/days/{row_id}/attachments/{attachment_id}"): "markets.proceeds.record",
    # --- end street16 ---
}


def _allowed(route: tuple[str, str], role: str) -> bool:
    """What the reviewed tables say: does ``role`` pass the guard of ``route``?"""
    permission = ROUTE_PERMISSION[route]
    return permission is None or bool(GRANTS[permission][ROLES.index(role)])


def test_the_policy_is_the_reviewed_table(world):
    mh, client, w = world
    declared = {p.name for p in mh.plugins.permissions()}
    assert declared == set(GRANTS), "a permission was added or removed: review it into GRANTS"
    granted = role_permissions(mh)
    assert granted["street_admin"] == {"*"}
    for role in ROLES[1:]:
        expected = {name for name, row in GRANTS.items() if row[ROLES.index(role)]}
        assert granted[role] == expected, role


def test_every_route_asks_for_the_reviewed_permission(world):
    mh, client, w = world
    found = {key: (sorted(_permissions(handler)) or [None]) for key, handler in _routes(client.app).items()}
    assert found == {key: [permission] for key, permission in ROUTE_PERMISSION.items()}


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
    # a resident's data rights (tests/test_data_rights.py covers the rest)
    ("GET", "/api/residents/{resident_id}/export"): lambda w, p: (f"/api/residents/{w.places[p]['resident_id']}/export", None),
    ("POST", "/api/residents/{resident_id}/erase"): lambda w, p: (
        f"/api/residents/{w.places[p]['resident_id']}/erase",
        {"reason": "本人申请删除个人信息"},
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
    # --- neighbourhood (helper) --- the kernel's volunteering: tests/scenarios/neighbourhood/matrix.py
    **neighbourhood_matrix.KERNEL_RECORD_ROUTES,
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
SCENE_MATRICES = (elder_care_matrix, markets_matrix, culture_matrix, service_matrix, governance_matrix, health_matrix,
                  neighbourhood_matrix, education_matrix, commerce_matrix)
for _scene in SCENE_MATRICES:
    SCENARIO_RECORD_ROUTES.update(_scene.RECORD_ROUTES)
    COMMUNITY_ROUTES.update(_scene.COMMUNITY_ROUTES)
    MISSING_ROUTES.update(getattr(_scene, "MISSING_ROUTES", {}))
    TEAM_WRITE_ROUTES |= getattr(_scene, "TEAM_WRITE_ROUTES", set())

# Routes with no resident-bearing data: each is asked by every role with every path parameter
# taken from the world, and each role's answer is written out in the order of ROLES:
#                 street comm leader worker part disp dept
# An activity's routes are asked for the one in alpha (a1, reached by every staff role but the
# department's) and the one in beta (b1, reached by the street only: elsewhere a 404 as if missing).


def _row(statuses: str) -> dict[str, int]:
    codes = [int(code) for code in statuses.split()]
    assert len(codes) == len(ROLES)
    return dict(zip(ROLES, codes))


_ACTIVITY = {"scene": "neighbourhood", "title": "重阳登高", "starts_at": "2030-10-11T09:00:00", "ends_at": "2030-10-11T11:00:00",
             "audience": {"min_age": 60}}
_OCCURRENCE = "2030-10-01T01:00:00Z"  # the world's activities: 1 October 2030, 09:00 in Shanghai


def _activity(place: str, rest: str = "") -> Any:
    return lambda w, role: (f"/api/activities/{w.places[place]['activity_id']}{rest}", None)


# -- governance (NAME governance) ------------------------------------------------------------
# Department staff pass the scene's guard (Scenario.departments) and see what was sent to their
# department (``law``) in both communities; grid staff their grid's (a1); the community's admin
# alpha's. The world's records: tests/scenarios/governance/matrix.py. Per place a1, a2, b1:
#                 street comm leader worker part disp dept
GV = "/api/communities/{slug}/governance"


def _gv(place: str, rest: str, body: Any = None) -> Any:
    """A governance path in the place's community, ``rest`` formatted with the place's ids."""
    return lambda w, role: (f"/api/communities/{w.slugs[place]}/governance{rest.format(**w.places[place])}", body)


def _gv3(rest: str, a1: str, a2: str, b1: str, body: Any = None) -> list[tuple[Any, dict[str, int]]]:
    return [(_gv("a1", rest, body), _row(a1)), (_gv("a2", rest, body), _row(a2)), (_gv("b1", rest, body), _row(b1))]


def _report_in(place: str) -> Any:
    return lambda w, role: (f"/api/communities/{w.slugs[place]}/governance/events",
                            {"grid_id": w.places[place]["grid_id"], "category": "street_order", "text": "占道经营"})


_WHISTLE_IN = {"level": "advance", "reason": "emergency", "title": "爆管抢修", "text": "主管道爆裂", "departments": ["law"]}


# --- street16 ---
def _cu3(rest: str, a1: str, a2: str, b1: str) -> list[tuple[Any, dict[str, int]]]:
    """culture: a route on the show held yesterday at each place's venue (tests/scenarios/culture/matrix.py)."""
    def at(place: str) -> Any:
        return lambda w, role: (f"/api/communities/{w.slugs[place]}/culture/shows/{w.places[place]['cu_held_show_id']}{rest}", None)
    return [(at("a1"), _row(a1)), (at("a2"), _row(a2)), (at("b1"), _row(b1))]


def _mk3(rest: str, a1: str, a2: str, b1: str) -> list[tuple[Any, dict[str, int]]]:
    """markets: a route on the market day held a week ago in each place's community (tests/scenarios/markets/matrix.py)."""
    def at(place: str) -> Any:
        return lambda w, role: (f"/api/communities/{w.slugs[place]}/markets/days/{w.places[place]['mk_past_day_id']}{rest}", None)
    return [(at("a1"), _row(a1)), (at("a2"), _row(a2)), (at("b1"), _row(b1))]
# --- end street16 ---


GOVERNANCE_ROUTES: dict[tuple[str, str], list[tuple[Any, dict[str, int]]]] = {
    ("GET", f"{GV}/events"): [(lambda w, role: ("/api/communities/alpha/governance/events", None), _row("200 200 200 200 200 200 200")),
                               (lambda w, role: ("/api/communities/beta/governance/events", None), _row("200 403 403 403 403 403 200"))],
    ("POST", f"{GV}/events"): [(_report_in("a1"), _row("201 201 201 201 201 201 403")), (_report_in("a2"), _row("201 201 404 404 404 404 403")),
                                (_report_in("b1"), _row("201 403 403 403 403 403 403"))],
    ("GET", f"{GV}/events/categories"): [(lambda w, role: ("/api/communities/alpha/governance/events/categories", None),
                                          _row("200 200 200 200 200 200 200"))],
    # the dispatched event: the department sees it in both communities; an event not sent to it is 404 as if missing
    ("GET", f"{GV}/events/{{event_id}}"): [
        *_gv3("/events/{gv_sent}", "200 200 200 200 200 200 200", "200 200 404 404 404 404 200", "200 403 403 403 403 403 200"),
        (_gv("a1", "/events/{gv_reg}"), _row("200 200 200 200 200 200 404"))],
    ("POST", f"{GV}/events/{{event_id}}/register"): _gv3(
        "/events/{gv_new}/register", "200 200 200 403 403 403 403", "200 200 404 403 403 403 403", "200 403 403 403 403 403 403", {}),
    ("POST", f"{GV}/events/{{event_id}}/dismiss"): _gv3(
        "/events/{gv_new}/dismiss", "200 200 200 403 403 403 403", "200 200 404 403 403 403 403", "200 403 403 403 403 403 403", {"reason": "重复上报"}),
    # --- gov4 ---: withdraw the just-reported event (reported by the system: no role is its reporter). The command (the street,
    # the community's admins, the grid's leader) may; the grid's team sees it but may not (403); another grid and a department
    # with no order for it: 404 as a missing event.
    ("POST", f"{GV}/events/{{event_id}}/withdraw"): _gv3(
        "/events/{gv_new}/withdraw", "204 204 204 403 403 403 404", "204 204 404 404 404 404 404", "204 403 403 403 403 403 404",
        {"reason": "重复上报"}),
    # --- end gov4 ---
    ("POST", f"{GV}/events/{{event_id}}/dispatch"): _gv3(
        "/events/{gv_reg}/dispatch", "200 200 200 403 403 403 403", "200 200 404 403 403 403 403", "200 403 403 403 403 403 403", {"department": "law"}),
    # no grid worker when the world's events were reported: the admins check; the event is not fed back yet (409)
    ("POST", f"{GV}/events/{{event_id}}/check"): _gv3(
        "/events/{gv_sent}/check", "409 409 403 403 403 403 403", "409 409 404 404 404 404 403", "409 403 403 403 403 403 403", {"passed": True}),
    ("POST", f"{GV}/events/{{event_id}}/close"): _gv3(
        "/events/{gv_sent}/close", "409 409 409 403 403 403 403", "409 409 404 403 403 403 403", "409 403 403 403 403 403 403"),
    ("GET", f"{GV}/orders"): [(lambda w, role: ("/api/communities/alpha/governance/orders", None), _row("200 200 200 200 200 200 200")),
                               (lambda w, role: ("/api/communities/beta/governance/orders", None), _row("200 403 403 403 403 403 200"))],
    ("GET", f"{GV}/orders/{{order_id}}"): _gv3(
        "/orders/{gv_order}", "200 200 200 200 200 200 200", "200 200 404 404 404 404 200", "200 403 403 403 403 403 200"),
    # an order to a department is its staff's to sign, return and feed back (the street and the grid team: 403)
    ("POST", f"{GV}/orders/{{order_id}}/sign"): _gv3(
        "/orders/{gv_order}/sign", "403 403 403 403 403 403 200", "403 403 404 404 404 404 200", "403 403 403 403 403 403 200"),
    ("POST", f"{GV}/orders/{{order_id}}/return"): _gv3(
        "/orders/{gv_order}/return", "403 403 403 403 403 403 200", "403 403 404 404 404 404 200", "403 403 403 403 403 403 200",
        {"reason": "不属本部门职责"}),
    ("POST", f"{GV}/orders/{{order_id}}/feedback"): _gv3(
        "/orders/{gv_order}/feedback", "403 403 403 403 403 403 409", "403 403 404 404 404 404 409", "403 403 403 403 403 403 409",
        {"text": "已处理"}),
    ("GET", f"{GV}/whistles"): [(lambda w, role: ("/api/communities/alpha/governance/whistles", None), _row("200 200 200 200 200 200 200")),
                                 (lambda w, role: ("/api/communities/beta/governance/whistles", None), _row("200 403 403 403 403 403 200"))],
    ("POST", f"{GV}/whistles"): [(lambda w, role: ("/api/communities/alpha/governance/whistles", _WHISTLE_IN), _row("201 201 403 403 403 403 403")),
                                  (lambda w, role: ("/api/communities/beta/governance/whistles", _WHISTLE_IN), _row("201 403 403 403 403 403 403"))],
    ("GET", f"{GV}/whistles/{{whistle_id}}"): _gv3(
        "/whistles/{gv_whistle}", "200 200 200 200 200 200 200", "200 200 404 404 404 404 200", "200 403 403 403 403 403 200"),
    ("POST", f"{GV}/calls/{{call_id}}/sign"): _gv3(
        "/calls/{gv_call}/sign", "403 403 403 403 403 403 200", "403 403 403 403 403 403 200", "403 403 403 403 403 403 200"),
    ("POST", f"{GV}/calls/{{call_id}}/contact"): _gv3(
        "/calls/{gv_call}/contact", "403 403 403 403 403 403 409", "403 403 403 403 403 403 409", "403 403 403 403 403 403 409"),
    ("POST", f"{GV}/calls/{{call_id}}/report"): _gv3(
        "/calls/{gv_call}/report", "403 403 403 403 403 403 409", "403 403 403 403 403 403 409", "403 403 403 403 403 403 409",
        {"kind": "on_site", "text": "已到场"}),
    ("POST", f"{GV}/calls/{{call_id}}/rate"): _gv3(
        "/calls/{gv_call}/rate", "409 409 403 403 403 403 403", "409 409 403 403 403 403 403", "409 403 403 403 403 403 403",
        {"speed": 5, "quality": 5}),
    # patrols: the grid team's (the department's staff and the X sent down do not patrol); a patrol is one's own
    ("GET", f"{GV}/patrols"): _gv3("/patrols", "200 200 200 200 200 403 403", "200 200 200 200 200 403 403", "200 403 403 403 403 403 403"),
    ("POST", f"{GV}/patrols"): [
        (lambda w, role: ("/api/communities/alpha/governance/patrols", {"grid_id": w.places["a1"]["grid_id"]}), _row("201 403 201 201 201 403 403")),
        (lambda w, role: ("/api/communities/alpha/governance/patrols", {"grid_id": w.places["a2"]["grid_id"]}), _row("201 403 404 404 404 403 403")),
        (lambda w, role: ("/api/communities/beta/governance/patrols", {"grid_id": w.places["b1"]["grid_id"]}), _row("201 403 403 403 403 403 403"))],
    ("GET", f"{GV}/patrols/missing"): _gv3(
        "/patrols/missing", "200 200 200 200 200 403 403", "200 200 200 200 200 403 403", "200 403 403 403 403 403 403"),
    ("GET", f"{GV}/patrols/plans"): _gv3(
        "/patrols/plans", "200 200 200 200 200 403 403", "200 200 200 200 200 403 403", "200 403 403 403 403 403 403"),
    # the grid worker of a1 planned in a1; in b1 they are of no grid team (404 naming staff_id)
    ("POST", f"{GV}/patrols/plans"): [
        (lambda w, role: ("/api/communities/alpha/governance/patrols/plans",
                          {"grid_id": w.places["a1"]["grid_id"], "staff_id": w.staff["grid_worker"]}), _row("200 200 200 403 403 403 403")),
        (lambda w, role: ("/api/communities/beta/governance/patrols/plans",
                          {"grid_id": w.places["b1"]["grid_id"], "staff_id": w.staff["grid_worker"]}), _row("404 403 403 403 403 403 403"))],
    # the whole community's figures: its admins
    ("GET", f"{GV}/figures"): _gv3("/figures", "200 200 403 403 403 403 403", "200 200 403 403 403 403 403", "200 403 403 403 403 403 403"),
    ("GET", f"{GV}/figures/departments"): _gv3(
        "/figures/departments", "200 200 403 403 403 403 403", "200 200 403 403 403 403 403", "200 403 403 403 403 403 403"),
    # --- governance2 (helper) ---
    # 回访 once the event is closed: the world's dispatched event is not (409) where one may call back and sees it
    ("POST", f"{GV}/events/{{event_id}}/callbacks"): _gv3(
        "/events/{gv_sent}/callbacks", "409 409 409 403 403 403 403", "409 409 404 403 403 403 403", "409 403 403 403 403 403 403",
        {"result": "satisfied", "contacted": True, "resolved": True}),
    ("GET", f"{GV}/figures/grids"): _gv3(
        "/figures/grids", "200 200 403 403 403 403 403", "200 200 403 403 403 403 403", "200 403 403 403 403 403 403"),
    # --- end governance2 ---
    # --- gov3: photos of grid events: the event's scope first (as GET events/{id}); an empty upload is a 400, an
    # attachment the event does not have a 404 ---
    ("GET", f"{GV}/events/{{row_id}}/attachments"): _gv3(
        "/events/{gv_sent}/attachments", "200 200 200 200 200 200 200", "200 200 404 404 404 404 200", "200 403 403 403 403 403 200"),
    ("POST", f"{GV}/events/{{row_id}}/attachments"): _gv3(
        "/events/{gv_sent}/attachments", "400 400 400 400 400 400 400", "400 400 404 404 404 404 400", "400 403 403 403 403 403 400"),
    ("GET", f"{GV}/events/{{row_id}}/attachments/{{attachment_id}}"): _gv3(
        "/events/{gv_sent}/attachments/999999", "404 404 404 404 404 404 404", "404 404 404 404 404 404 404",
        "404 403 403 403 403 403 404"),
    ("DELETE", f"{GV}/events/{{row_id}}/attachments/{{attachment_id}}"): _gv3(
        "/events/{gv_sent}/attachments/999999", "404 404 404 404 404 404 404", "404 404 404 404 404 404 404",
        "404 403 403 403 403 403 404"),
    # --- end gov3 ---
}


# --- health (helper) ---
# The routes that read or write health data: only the patient's doctor team (no world staff member is on one)
# and health.reading.read (the street) pass the service's check — the grid team and the X sent down get 403
# inside their scope, 404 outside it (as if missing), 403 in another community. tests/scenarios/health/matrix.py.
#                 street comm leader worker part disp dept
HL = "/api/communities/{slug}/health"


def _hl(place: str, rest: str, body: Any = None) -> Any:
    return lambda w, role: (f"/api/communities/{w.slugs[place]}/health{rest.format(**w.places[place])}", body)


def _hl3(rest: str, a1: str, a2: str, b1: str, body: Any = None) -> list[tuple[Any, dict[str, int]]]:
    return [(_hl("a1", rest, body), _row(a1)), (_hl("a2", rest, body), _row(a2)), (_hl("b1", rest, body), _row(b1))]


def _check_in(place: str) -> Any:
    return lambda w, role: (f"/api/communities/{w.slugs[place]}/health/checks", {"resident_id": w.places[place]["resident_id"],
                                                                                "items": {"血压": "130/80"}})


HEALTH_ROUTES: dict[tuple[str, str], list[tuple[Any, dict[str, int]]]] = {
    ("GET", f"{HL}/patients/{{patient_id}}/follow-ups"): _hl3(
        "/patients/{hl_patient_id}/follow-ups", "200 403 403 403 403 403 403", "200 403 404 404 404 404 403", "200 403 403 403 403 403 403"),
    ("POST", f"{HL}/patients/{{patient_id}}/follow-ups"): _hl3(
        "/patients/{hl_patient_id}/follow-ups", "201 403 403 403 403 403 403", "201 403 403 403 403 404 403", "201 403 403 403 403 403 403",
        {"systolic": 130, "diastolic": 80}),
    ("POST", f"{HL}/checks"): [(_check_in("a1"), _row("201 403 403 403 403 403 403")), (_check_in("a2"), _row("201 403 403 403 403 404 403")),
                               (_check_in("b1"), _row("201 403 403 403 403 403 403"))],
    # --- elder3 (helper): a referral's concern is health data: the doctor team and health.reading.read close it ---
    ("POST", f"{HL}/referrals/{{referral_id}}/close"): _hl3(
        "/referrals/{hl_referral_id}/close", "200 403 403 403 403 403 403", "200 403 404 404 404 404 403", "200 403 403 403 403 403 403",
        {"outcome": "已上门"}),
    # --- end elder3 ---
}


# --- education (branch education) ---
# Sessions are the community's (every staff role there reads them); an enrolment is placed by its resident's grid
# (another grid: 404 as if missing; another community: the kernel's 403); enrolling or cancelling for someone else
# needs education.enrol, checking in education.attendance.record — on 5 October 2030 the check-in is not open yet
# (409 for whoever passes every other check). A learner's record: one's own, or anyone's with education.report.read
# (404 as for nobody). The world: tests/scenarios/education/matrix.py.
#                 street comm leader worker part disp dept


def _edu(place: str, rest: str, body: Any = None) -> Any:
    return lambda w, role: (f"/api/communities/{w.slugs[place]}/education{rest.format(**w.places[place])}", body)


def _edu3(rest: str, a1: str, a2: str, b1: str, body: Any = None) -> list[tuple[Any, dict[str, int]]]:
    return [(_edu("a1", rest, body), _row(a1)), (_edu("a2", rest, body), _row(a2)), (_edu("b1", rest, body), _row(b1))]


def _learner(place: str, whose: str) -> Any:
    return lambda w, role: (f"/api/communities/{w.slugs[place]}/education/learners/{w.staff[role if whose == 'own' else whose]}", None)


EDUCATION_ROUTES: dict[tuple[str, str], list[tuple[Any, dict[str, int]]]] = {
    ("GET", "/api/communities/{slug}/education/sessions/{session_id}"): [
        (_edu("a1", "/sessions/{ed_session_id}"), _row("200 200 200 200 200 200 403")),
        (_edu("b1", "/sessions/{ed_session_id}"), _row("200 403 403 403 403 403 403"))],
    ("GET", "/api/communities/{slug}/education/sessions/{session_id}/enrolments"): [
        (_edu("a1", "/sessions/{ed_session_id}/enrolments"), _row("200 200 200 200 200 200 403")),
        (_edu("b1", "/sessions/{ed_session_id}/enrolments"), _row("200 403 403 403 403 403 403"))],
    ("POST", "/api/communities/{slug}/education/sessions/{session_id}/cancel"): [
        (_edu("a1", "/sessions/{ed_session_id}/cancel", {"reason": "场地检修"}), _row("200 200 403 403 403 403 403")),
        (_edu("b1", "/sessions/{ed_session_id}/cancel", {"reason": "场地检修"}), _row("200 403 403 403 403 403 403"))],
    # enrolling the place's resident for someone else (education.enrol): on the session already, so 409 where every check passes
    ("POST", "/api/communities/{slug}/education/sessions/{session_id}/enrolments"): [
        (lambda w, role: (f"/api/communities/alpha/education/sessions/{w.places['a1']['ed_session_id']}/enrolments",
                          {"resident_id": w.places["a1"]["resident_id"]}), _row("409 409 409 403 403 403 403")),
        (lambda w, role: (f"/api/communities/alpha/education/sessions/{w.places['a2']['ed_session_id']}/enrolments",
                          {"resident_id": w.places["a2"]["resident_id"]}), _row("409 409 404 403 403 403 403")),
        (lambda w, role: (f"/api/communities/beta/education/sessions/{w.places['b1']['ed_session_id']}/enrolments",
                          {"resident_id": w.places["b1"]["resident_id"]}), _row("409 403 403 403 403 403 403"))],
    ("POST", "/api/communities/{slug}/education/enrolments/{enrolment_id}/cancel"): _edu3(
        "/enrolments/{ed_enrolment_id}/cancel", "200 200 200 403 403 403 403", "200 200 404 404 404 404 403", "200 403 403 403 403 403 403"),
    ("POST", "/api/communities/{slug}/education/enrolments/{enrolment_id}/check-in"): _edu3(
        "/enrolments/{ed_enrolment_id}/check-in", "409 409 409 403 403 403 403", "409 409 404 403 403 403 403", "409 403 403 403 403 403 403"),
    ("POST", "/api/communities/{slug}/education/enrolments/{enrolment_id}/check-out"): _edu3(
        "/enrolments/{ed_enrolment_id}/check-out", "409 409 409 403 403 403 403", "409 409 404 403 403 403 403", "409 403 403 403 403 403 403"),
    # one's own record (the street admin holds no role in alpha: nobody to report on), then the grid worker's
    ("GET", "/api/communities/{slug}/education/learners/{staff_id}"): [
        (_learner("a1", "own"), _row("404 200 200 200 200 200 403")),
        (_learner("a1", "grid_worker"), _row("200 200 404 200 404 404 403")),
        (_learner("b1", "grid_worker"), _row("404 403 403 403 403 403 403"))],
}
# --- end education ---


# --- commerce (helper) ---
# A complaint's hand-over to governance: each place's complaint was handed over already, so whoever reaches it with
# commerce.complaint.write meets 409 (the answer does not depend on governance taking hand-overs); another grid of a
# reached community is 404 as if missing, another community the kernel's 403. tests/scenarios/commerce/matrix.py.
#                 street comm leader worker part disp dept
def _cm_hand_over(place: str) -> Any:
    return lambda w, role: (f"/api/communities/{w.slugs[place]}/commerce/complaints/{w.places[place]['cm_complaint_id']}/hand-over", None)


COMMERCE_ROUTES: dict[tuple[str, str], list[tuple[Any, dict[str, int]]]] = {
    ("POST", "/api/communities/{slug}/commerce/complaints/{complaint_id}/hand-over"): [
        (_cm_hand_over("a1"), _row("409 409 409 409 409 403 403")),
        (_cm_hand_over("a2"), _row("409 409 404 404 404 403 403")),
        (_cm_hand_over("b1"), _row("409 403 403 403 403 403 403")),
    ],
}


# --- educom2 ---
# A reschedule whose end is before its start: 400 for whoever passes the guard and finds the session (nothing changes);
# another community's session under its own path is the kernel's 403.
#                 street comm leader worker part disp dept
def _cm_attended(place: str) -> Any:
    return lambda w, role: (f"/api/communities/{w.slugs[place]}/commerce/bookings/{w.places[place]['cm_booking_id']}/attended",
                            {"came": True})


_BACKWARDS = {"starts_at": "2030-10-12T09:00:00", "ends_at": "2030-10-12T08:00:00", "reason": "场地检修"}
EDUCOM2_ROUTES: dict[tuple[str, str], list[tuple[Any, dict[str, int]]]] = {
    ("POST", "/api/communities/{slug}/education/sessions/{session_id}/reschedule"): [
        (_edu("a1", "/sessions/{ed_session_id}/reschedule", _BACKWARDS), _row("400 400 403 403 403 403 403")),
        (_edu("b1", "/sessions/{ed_session_id}/reschedule", _BACKWARDS), _row("400 403 403 403 403 403 403"))],
    # 到场确认 of the place's booking: its slot (5 October 2030) has not begun, so 409 for whoever reaches it with
    # commerce.booking.write; another grid is 404 as if missing, another community the kernel's 403
    ("POST", "/api/communities/{slug}/commerce/bookings/{booking_id}/attended"): [
        (_cm_attended("a1"), _row("409 409 409 409 409 403 403")),
        (_cm_attended("a2"), _row("409 409 404 404 404 403 403")),
        (_cm_attended("b1"), _row("409 403 403 403 403 403 403"))],
}
# --- end educom2 ---


ORGANISATION_ROUTES: dict[tuple[str, str], list[tuple[Any, dict[str, int]]]] = {
    ("GET", "/api/communities"): [(lambda w, role: ("/api/communities", None), _row("200 200 200 200 200 200 200"))],
    # street only (meihao.community.manage, meihao.department.manage)
    ("POST", "/api/communities"): [
        (lambda w, role: ("/api/communities", {"slug": "gamma", "name": "丙社区"}), _row("201 403 403 403 403 403 403"))],
    ("GET", "/api/communities/{slug}"): [(lambda w, role: ("/api/communities/beta", None), _row("200 200 200 200 200 200 200"))],
    # a community's scenarios and settings: staff whose scope reaches it (department staff reach no community)
    ("GET", "/api/communities/{slug}/scenarios"): [
        (lambda w, role: ("/api/communities/alpha/scenarios", None), _row("200 200 200 200 200 200 403")),
        (lambda w, role: ("/api/communities/beta/scenarios", None), _row("200 403 403 403 403 403 403"))],
    ("GET", "/api/departments"): [(lambda w, role: ("/api/departments", None), _row("200 200 200 200 200 200 200"))],
    ("POST", "/api/departments"): [
        (lambda w, role: ("/api/departments", {"code": "health", "name": "卫健办", "kind": "health"}), _row("201 403 403 403 403 403 403"))],
    ("GET", "/api/plugins"): [(lambda w, role: ("/api/plugins", None), _row("200 200 200 200 200 200 200"))],
    ("GET", "/api/permissions"): [(lambda w, role: ("/api/permissions", None), _row("200 200 200 200 200 200 200"))],
    ("GET", "/api/auth/me"): [(lambda w, role: ("/api/auth/me", None), _row("200 200 200 200 200 200 200"))],
    ("POST", "/api/auth/logout"): [(lambda w, role: ("/api/auth/logout", None), _row("204 204 204 204 204 204 204"))],
    # one's own password (tests/access/test_sessions.py): the world's staff all use Factories' default password
    ("POST", "/api/auth/password"): [(lambda w, role: (
        "/api/auth/password", {"current_password": "correct horse battery", "new_password": "a new long password"}),
        _row("204 204 204 204 204 204 204"))],
    # street only (meihao.staff.manage): tests/access/test_sessions.py
    ("POST", "/api/staff/{staff_id}/deactivate"): [(lambda w, role: (
        f"/api/staff/{w.staff['grid_part_time']}/deactivate", None), _row("200 403 403 403 403 403 403"))],
    # which staff and which roles a community admin may give: tests/access/test_staff.py
    ("GET", "/api/staff"): [(lambda w, role: ("/api/staff", None), _row("200 200 403 403 403 403 403"))],
    ("POST", "/api/staff"): [(lambda w, role: ("/api/staff", {
        "username": f"new-{role}", "password": "correct-horse-battery", "name": "新兼职网格员",
        "assignments": [{"role": "grid_part_time", "grid_id": w.places["a2"]["grid_id"]}]}), _row("201 201 403 403 403 403 403"))],
    ("POST", "/api/staff/{staff_id}/assignments"): [(lambda w, role: (
        f"/api/staff/{w.staff['grid_part_time']}/assignments", {"role": "grid_part_time", "grid_id": w.places["a2"]["grid_id"]}),
        _row("201 201 403 403 403 403 403"))],
    ("GET", "/api/audit"): [(lambda w, role: ("/api/audit", None), _row("200 403 403 403 403 403 403"))],
    ("GET", "/api/jobs"): [(lambda w, role: ("/api/jobs", None), _row("200 403 403 403 403 403 403"))],
    # the register in and out (tests/test_register_import.py): the .xlsx export is scoped like the CSV (checked there,
    # its cells are zipped); an import into a community one does not manage is a 403, an empty file a 400 report
    ("GET", "/api/residents/export.xlsx"): [(lambda w, role: ("/api/residents/export.xlsx", None), _row("200 200 403 403 403 403 403"))],
    ("GET", "/api/residents/import-template"): [
        (lambda w, role: ("/api/residents/import-template", None), _row("200 200 403 403 403 403 403"))],
    ("POST", "/api/communities/{slug}/residents/import"): [
        (lambda w, role: ("/api/communities/alpha/residents/import?format=csv", None), _row("422 422 403 403 403 403 403")),
        (lambda w, role: ("/api/communities/beta/residents/import?format=csv", None), _row("422 403 403 403 403 403 403")),
    ],
    # activities: community notices (masked previews and the rest: tests/reminders/test_routes.py)
    ("POST", "/api/communities/{slug}/activities"): [
        # the whole community's elders: grid staff may remind their own grids only (meihao.activity.audience.community)
        (lambda w, role: ("/api/communities/alpha/activities", _ACTIVITY), _row("201 201 403 403 403 403 403")),
        (lambda w, role: ("/api/communities/alpha/activities", {**_ACTIVITY, "audience": {"grids": [w.places["a1"]["grid_id"]]}}),
         _row("201 201 201 201 403 403 403")),
        (lambda w, role: ("/api/communities/beta/activities", _ACTIVITY), _row("201 403 403 403 403 403 403")),
    ],
    ("GET", "/api/activities/{activity_id}"): [
        (_activity("a1"), _row("200 200 200 200 200 200 403")), (_activity("b1"), _row("200 404 404 404 404 404 403"))],
    ("PATCH", "/api/activities/{activity_id}"): [
        (lambda w, role: (f"/api/activities/{w.places['a1']['activity_id']}", {"title": "中秋游园会"}), _row("200 200 200 200 403 403 403")),
        (lambda w, role: (f"/api/activities/{w.places['b1']['activity_id']}", {"title": "中秋游园会"}), _row("200 404 404 404 403 403 403")),
    ],
    ("POST", "/api/activities/{activity_id}/cancel"): [
        (_activity("a1", "/cancel"), _row("200 200 200 200 403 403 403")), (_activity("b1", "/cancel"), _row("200 404 404 404 403 403 403"))],
    ("POST", "/api/activities/{activity_id}/occurrences/{key}/cancel"): [
        (_activity("a1", f"/occurrences/{_OCCURRENCE}/cancel"), _row("200 200 200 200 403 403 403")),
        (_activity("b1", f"/occurrences/{_OCCURRENCE}/cancel"), _row("200 404 404 404 403 403 403")),
    ],
    ("GET", "/api/activities/{activity_id}/occurrences"): [
        (_activity("a1", "/occurrences"), _row("200 200 200 200 200 200 403")),
        (_activity("b1", "/occurrences"), _row("200 404 404 404 404 404 403")),
    ],
    ("GET", "/api/activities/{activity_id}/preview"): [
        (_activity("a1", "/preview"), _row("200 200 200 200 200 200 403")), (_activity("b1", "/preview"), _row("200 404 404 404 404 404 403"))],
    ("GET", "/api/activities/{activity_id}/reminders"): [
        (_activity("a1", "/reminders"), _row("200 200 200 200 200 200 403")),
        (_activity("b1", "/reminders"), _row("200 404 404 404 404 404 403")),
    ],
    # residents' sign-ups (报名), of the residents in the caller's scope (tests/console/test_residents.py)
    ("GET", "/api/activities/{activity_id}/signups"): [
        (_activity("a1", "/signups"), _row("200 200 200 200 200 200 403")),
        (_activity("b1", "/signups"), _row("200 404 404 404 404 404 403")),
    ],
    # staff cancel a sign-up for a resident (the world has none: 404 with the permission; a real one in
    # tests/reminders/test_occurrence_cancellation.py, scope included)
    ("POST", "/api/activities/{activity_id}/signups/{signup_id}/cancel"): [
        (lambda w, role: (f"/api/activities/{w.places['a1']['activity_id']}/signups/999999/cancel", {"reason": "电话告知"}),
         _row("404 404 404 404 403 403 403")),
        (lambda w, role: (f"/api/activities/{w.places['b1']['activity_id']}/signups/999999/cancel", {"reason": "电话告知"}),
         _row("404 404 404 404 403 403 403")),
    ],
    # the working calendar: read by all staff, changed by the street only (tests/test_calendar.py)
    ("GET", "/api/working-calendar"): [(lambda w, role: ("/api/working-calendar", None), _row("200 200 200 200 200 200 200"))],
    ("GET", "/api/working-calendar/overrides"): [
        (lambda w, role: ("/api/working-calendar/overrides", None), _row("200 200 200 200 200 200 200"))],
    ("PUT", "/api/working-calendar/overrides/{day}"): [(lambda w, role: (
        "/api/working-calendar/overrides/2030-10-12", {"open": False, "reason": "台风停工", "community": None}), _row("200 403 403 403 403 403 403"))],
    # no override on that day in the world: the street passes the guard and finds none
    ("DELETE", "/api/working-calendar/overrides/{day}"): [
        (lambda w, role: ("/api/working-calendar/overrides/2030-10-13", None), _row("404 403 403 403 403 403 403"))],
    # the caller's own inbox and setting: one's own message, then another's (404 as if missing)
    ("GET", "/api/me/inbox"): [(lambda w, role: ("/api/me/inbox", None), _row("200 200 200 200 200 200 200"))],
    ("POST", "/api/me/inbox/{message_id}/read"): [
        (lambda w, role: (f"/api/me/inbox/{w.messages[role]}/read", None), _row("204 204 204 204 204 204 204")),
        (lambda w, role: (f"/api/me/inbox/{w.messages['department_staff' if role != 'department_staff' else 'street_admin']}/read", None),
         _row("404 404 404 404 404 404 404")),
    ],
    ("PUT", "/api/me/reminder-digest"): [(lambda w, role: ("/api/me/reminder-digest", {"hour": 7}), _row("200 200 200 200 200 200 200"))],
    ("DELETE", "/api/me/reminder-digest"): [(lambda w, role: ("/api/me/reminder-digest", None), _row("200 200 200 200 200 200 200"))],
    **GOVERNANCE_ROUTES,
    **HEALTH_ROUTES,
    **EDUCATION_ROUTES,
    **COMMERCE_ROUTES,
    **EDUCOM2_ROUTES,
    # --- street16 ---: the street's part of a scene (tests/hooks/test_street.py, tests/scenarios/culture/test_street16.py):
    # its street settings are read by all staff and changed by the street only; its street routes are the street's (403)
    ("GET", "/api/street/settings/{scenario}"): [(lambda w, role: ("/api/street/settings/culture", None), _row("200 200 200 200 200 200 200"))],
    ("PUT", "/api/street/settings/{scenario}"): [
        (lambda w, role: ("/api/street/settings/culture", {"settings": {"shows_per_year": 6}}), _row("200 403 403 403 403 403 403"))],
    ("GET", "/api/street/culture/report"): [(lambda w, role: ("/api/street/culture/report", None), _row("200 403 403 403 403 403 403"))],
    # photos of a show held yesterday: the show's scope first (as GET shows/{id}); an empty upload is a 400, an attachment
    # the show does not have a 404
    ("GET", "/api/communities/{slug}/culture/shows/{row_id}/attachments"): _cu3(
        "/attachments", "200 200 200 200 200 200 403", "200 200 404 404 404 404 403", "200 403 403 403 403 403 403"),
    ("POST", "/api/communities/{slug}/culture/shows/{row_id}/attachments"): _cu3(
        "/attachments", "400 400 400 400 403 403 403", "400 400 404 404 403 403 403", "400 403 403 403 403 403 403"),
    ("GET", "/api/communities/{slug}/culture/shows/{row_id}/attachments/{attachment_id}"): _cu3(
        "/attachments/999999", "404 404 404 404 404 404 403", "404 404 404 404 404 404 403", "404 403 403 403 403 403 403"),
    ("DELETE", "/api/communities/{slug}/culture/shows/{row_id}/attachments/{attachment_id}"): _cu3(
        "/attachments/999999", "404 404 404 404 403 403 403", "404 404 404 404 403 403 403", "404 403 403 403 403 403 403"),
    # photos of a market day (the community's, no grid: a2's staff of alpha reach it as a1's do)
    ("GET", "/api/communities/{slug}/markets/days/{row_id}/attachments"): _mk3(
        "/attachments", "200 200 200 200 200 200 403", "200 200 200 200 200 200 403", "200 403 403 403 403 403 403"),
    ("POST", "/api/communities/{slug}/markets/days/{row_id}/attachments"): _mk3(
        "/attachments", "400 400 400 400 403 403 403", "400 400 400 400 403 403 403", "400 403 403 403 403 403 403"),
    ("GET", "/api/communities/{slug}/markets/days/{row_id}/attachments/{attachment_id}"): _mk3(
        "/attachments/999999", "404 404 404 404 404 404 403", "404 404 404 404 404 404 403", "404 403 403 403 403 403 403"),
    ("DELETE", "/api/communities/{slug}/markets/days/{row_id}/attachments/{attachment_id}"): _mk3(
        "/attachments/999999", "404 404 404 404 403 403 403", "404 404 404 404 403 403 403", "404 403 403 403 403 403 403"),
    # --- end street16 ---
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
    # --- sms (helper) ---: the providers' delivery receipts, behind the secret in the address (tests/plugins/test_sms.py)
    ("POST", "/api/sms/receipts/{provider}/{token}"),
    # --- end sms ---
    # --- wechat ---: WeChat's server callback (follow, scan, unfollow), signed by WeChat (tests/plugins/test_wechat.py)
    ("GET", "/api/wechat/callback"),
    ("POST", "/api/wechat/callback"),
    # --- end wechat ---
}


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
        path = builder(w, "a1")[0] if builder else ORGANISATION_ROUTES[(method, template)][0][0](w, "street_admin")[0]
        assert "{" not in path, path
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
    allowed = _allowed(route, role)
    headers = {"Authorization": f"Bearer {w.tokens[role]}"}
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
            # the same answer as for a resident that does not exist (meihao.testing.access's rule)
            call = Call(path, body)  # the resident id is the last number in the path
            missing = call.missing()
            nothing = await client.request(route[0], missing.path, json=missing.body, headers=headers)
            assert same_as_missing(response, nothing, call.record_id()) is None
    for place in sorted(REACH[role] & {"a1"}):
        path, body = RECORD_ROUTES[route](w, place)
        response = await client.request(route[0], path, json=body, headers=headers)
        assert response.status_code in ((200, 201, 204) if allowed else (403,)), response.text
        assert _leaks(response.text, w, role) == []


@pytest.mark.parametrize(("route", "role"), _case_ids(LIST_ROUTES))
async def test_list_routes(world, route, role):
    mh, client, w = world
    allowed = _allowed(route, role)
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
    allowed = _allowed(route, role)
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
    allowed = _allowed(route, role)
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
            hidden_id, missing_id = next((a, b) for a, b in zip(path.split("/"), missing.split("/")) if a != b)
            assert same_as_missing(response, nothing, int(hidden_id), int(missing_id)) is None
    for place in sorted(REACH[role] & {"a1"}):
        path, body = SCENARIO_RECORD_ROUTES[route](w, place)
        response = await client.request(route[0], path, json=body, headers=headers)
        assert response.status_code in ((200, 201, 204) if allowed else (403,)), response.text
        assert _leaks(response.text, w, role) == []


async def _scenario_snapshot() -> list[Any]:
    tables = tuple(t for scene in SCENE_MATRICES for t in scene.TABLES)
    return [*await _snapshot()] + [await t.select().order_by(t.id) for t in tables]


@pytest.mark.parametrize(("route", "role"), _case_ids(ORGANISATION_ROUTES))
async def test_organisation_routes(world, route, role):
    mh, client, w = world
    headers = {"Authorization": f"Bearer {w.tokens[role]}"}
    for build, expected in ORGANISATION_ROUTES[route]:
        path, body = build(w, role)
        assert "{" not in path, path
        response = await client.request(route[0], path, json=body, headers=headers)
        assert response.status_code == expected[role], (path, response.text)
        assert _leaks(response.text, w, role) == []


async def test_scene_routes_answer_404_where_the_scene_is_off(world):
    """meihao.testing.access's rule 2, for every scene: switched off in beta, its routes there are 404 for everyone."""
    from meihao.register.community_scenarios import disable

    mh, client, w = world
    scenes = sorted({template.split("/")[4] for _, template in SCENARIO_RECORD_ROUTES} | {"lantern", "governance"})
    for scene in scenes:
        await disable(mh, "beta", scene)
    routes = _routes(client.app)
    checked = 0
    for (method, template), _ in routes.items():
        parts = template.split("/")
        if len(parts) > 4 and parts[:4] == ["", "api", "communities", "{slug}"] and parts[4] in scenes:
            response = await client.request(method, fill_path(template, "beta"), headers={"Authorization": f"Bearer {w.tokens['street_admin']}"})
            assert response.status_code == 404, (method, template, response.text)
            checked += 1
    assert checked >= 40
