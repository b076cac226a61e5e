"""The elder_care scenario in the access matrix (tests/access/test_matrix.py): its world and its routes.

Each place's resident is an elder with one visit; a second elder-age resident per place
("甲一居民二") waits to be registered; each community has a nursing-home visit with its
places' residents on the roster. Builders use the place's own community, so a place in
another community meets the kernel's 403 and a place in another grid the plugin's 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from meihao import Principal
from meihao.scenarios.elder_care.schemas import CampaignIn, ElderIn, NursingHomeVisitIn, RosterIn, VisitIn
from meihao.scenarios.elder_care.services import campaigns, nursing_home, register, visits
from meihao.scenarios.elder_care.tables import Campaign, CampaignElder, Elder, NursingHomeVisit, RosterEntry, Visit

EC = "/api/communities/{slug}/elder_care"
TABLES = (Elder, Visit, NursingHomeVisit, RosterEntry, Campaign, CampaignElder)


def _ec(w: Any, p: str, rest: str) -> str:
    return f"/api/communities/{w.slugs[p]}/elder_care{rest}"


async def populate(mh: Any, world: Any, places: tuple[str, ...]) -> None:
    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import enable
    from meihao.testing import Factories

    f = Factories(mh)
    system = Principal.system()
    for slug in ("alpha", "beta"):
        await enable(mh, slug, "elder_care", {})
        community = await get_community(slug)
        mine = [p for p in places if world.slugs[p] == slug]
        for place in mine:
            ids = world.places[place]
            # living alone: an elder in special difficulty, the 加密探访's default target (elder3)
            elder = await register.register_elder(mh, system, community, ElderIn(resident_id=ids["resident_id"], living_alone=True))
            ids["elder_id"] = elder.id
            visit = await visits.record_visit(mh, system, community, elder.id, VisitIn(method="phone", follow_up_needed=True,
                                                                                      follow_up_note="联系家庭医生"))
            ids["follow_up_id"] = visit.follow_up_item_id
            second = await f.resident(ids["household_id"], name=f"{world.names[place]}二", birth_date=date(1950, 1, 1))
            ids["resident2_id"] = second["id"]
        visit = await nursing_home.create_nursing_home_visit(
            mh, system, community,
            NursingHomeVisitIn(starts_at=datetime(2030, 10, 1, 9), ends_at=datetime(2030, 10, 1, 11),
                               volunteers=[RosterIn(resident_id=world.places[p]["resident_id"]) for p in mine]),
        )
        for place in mine:
            world.places[place]["nh_visit_id"] = visit.id
        campaign = await campaigns.start_campaign(mh, system, community, CampaignIn(
            title="寒潮降温", reason="weather", starts_on=date(2030, 1, 10), ends_on=date(2030, 1, 12)))
        for place in mine:
            world.places[place]["campaign_id"] = campaign.id


RECORD_ROUTES: dict[tuple[str, str], Any] = {
    ("POST", f"{EC}/elders"): lambda w, p: (_ec(w, p, "/elders"), {"resident_id": w.places[p]["resident2_id"]}),
    ("GET", f"{EC}/elders/{{elder_id}}"): lambda w, p: (_ec(w, p, f"/elders/{w.places[p]['elder_id']}"), None),
    ("PATCH", f"{EC}/elders/{{elder_id}}"): lambda w, p: (_ec(w, p, f"/elders/{w.places[p]['elder_id']}"), {"care_level": "key"}),
    ("GET", f"{EC}/elders/{{elder_id}}/visits"): lambda w, p: (_ec(w, p, f"/elders/{w.places[p]['elder_id']}/visits"), None),
    ("POST", f"{EC}/elders/{{elder_id}}/visits"): lambda w, p: (_ec(w, p, f"/elders/{w.places[p]['elder_id']}/visits"), {"method": "home"}),
    ("POST", f"{EC}/nursing-home-visits"): lambda w, p: (
        _ec(w, p, "/nursing-home-visits"),
        {"starts_at": "2030-10-02T09:00:00", "ends_at": "2030-10-02T11:00:00", "volunteers": [{"resident_id": w.places[p]["resident_id"]}]},
    ),
    ("POST", f"{EC}/nursing-home-visits/{{visit_id}}/roster"): lambda w, p: (
        _ec(w, p, f"/nursing-home-visits/{w.places[p]['nh_visit_id']}/roster"), {"resident_id": w.places[p]["resident2_id"]},
    ),
    ("DELETE", f"{EC}/nursing-home-visits/{{visit_id}}/roster/{{resident_id}}"): lambda w, p: (
        _ec(w, p, f"/nursing-home-visits/{w.places[p]['nh_visit_id']}/roster/{w.places[p]['resident_id']}"), None,
    ),
    ("POST", f"{EC}/follow-ups/{{item_id}}/close"): lambda w, p: (
        _ec(w, p, f"/follow-ups/{w.places[p]['follow_up_id']}/close"), {"note": "已陪同就医"},
    ),
}

# Record routes whose record can also be asked for by an id that does not exist: the answer
# outside the caller's grids must be the same 404.
MISSING_ROUTES: dict[tuple[str, str], Any] = {
    route: (lambda build: lambda w, p: (build(w, p)[0].replace(f"/elders/{w.places[p]['elder_id']}", "/elders/987654"), build(w, p)[1]))(build)
    for route, build in RECORD_ROUTES.items()
    if "{elder_id}" in route[1]
}

COMMUNITY_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{EC}/elders"): lambda w, p: (_ec(w, p, "/elders?page_size=100"), None),
    ("GET", f"{EC}/elders/candidates"): lambda w, p: (_ec(w, p, "/elders/candidates"), None),
    ("GET", f"{EC}/alerts"): lambda w, p: (_ec(w, p, "/alerts?open=false"), None),
    ("GET", f"{EC}/follow-ups"): lambda w, p: (_ec(w, p, "/follow-ups?open=false"), None),
    ("GET", f"{EC}/report/monthly"): lambda w, p: (_ec(w, p, "/report/monthly"), None),
    # --- elder3: 加密探访 ---
    ("GET", f"{EC}/campaigns"): lambda w, p: (_ec(w, p, "/campaigns"), None),
    ("POST", f"{EC}/campaigns"): lambda w, p: (_ec(w, p, "/campaigns"), {
        "title": "春节", "reason": "holiday", "starts_on": "2030-02-01", "ends_on": "2030-02-07", "groups": ["living_alone"]}),
    ("GET", f"{EC}/campaigns/{{campaign_id}}"): lambda w, p: (_ec(w, p, f"/campaigns/{w.places[p]['campaign_id']}"), None),
    ("POST", f"{EC}/campaigns/{{campaign_id}}/cancel"): lambda w, p: (_ec(w, p, f"/campaigns/{w.places[p]['campaign_id']}/cancel"), None),
    # --- end elder3 ---
    ("GET", f"{EC}/nursing-home-visits"): lambda w, p: (_ec(w, p, "/nursing-home-visits"), None),
    ("GET", f"{EC}/nursing-home-visits/{{visit_id}}"): lambda w, p: (_ec(w, p, f"/nursing-home-visits/{w.places[p]['nh_visit_id']}"), None),
    ("POST", f"{EC}/nursing-home-visits/{{visit_id}}/cancel"): lambda w, p: (
        _ec(w, p, f"/nursing-home-visits/{w.places[p]['nh_visit_id']}/cancel"), None,
    ),
}

# Community routes that the community's whole team may write, not only its admins.
TEAM_WRITE_ROUTES = {("POST", f"{EC}/nursing-home-visits/{{visit_id}}/cancel"),
                     # elder3: grid staff start a campaign for the elders they reach (and cancel one)
                     ("POST", f"{EC}/campaigns"), ("POST", f"{EC}/campaigns/{{campaign_id}}/cancel")}
