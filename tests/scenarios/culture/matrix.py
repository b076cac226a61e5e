"""The culture scenario in the access matrix (tests/access/test_matrix.py): its world and its routes.

Each community of the matrix world gets a troupe and a tour plan; each place gets a venue in
its grid, a show there in ten days and one held yesterday (for the record). Builders use the
place's own community, so a place in another community meets the kernel's 403 and a place in
another grid the plugin's 404.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from meihao import Principal, community_today
from meihao.scenarios.culture.schemas import PlanIn, PlayIn, ShowIn, TroupeIn, VenueIn
from meihao.scenarios.culture.services import plans, shows, troupes, venues
from meihao.scenarios.culture.tables import Play, Show, TourPlan, Troupe, Venue, VenueGrid

C = "/api/communities/{slug}/culture"
TABLES = (Troupe, Play, Venue, VenueGrid, TourPlan, Show)


def _c(w: Any, p: str, rest: str) -> str:
    return f"/api/communities/{w.slugs[p]}/culture{rest}"


async def populate(mh: Any, world: Any, places: tuple[str, ...]) -> None:
    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import enable

    system = Principal.system()
    for slug in ("alpha", "beta"):
        await enable(mh, slug, "culture", {})
        community = await get_community(slug)
        today = community_today(mh, community)
        troupe = await troupes.create_troupe(mh, community, TroupeIn(
            name="济阳区吕剧团", repertoire=[PlayIn(title="李二嫂改嫁", genre="吕剧")]), system)
        play = troupe.repertoire[0]
        plan = await plans.create_plan(mh, community, PlanIn(
            name="送戏下乡", season_start=today - timedelta(days=30), season_end=today + timedelta(days=60)), system)
        for place in (p for p in places if world.slugs[p] == slug):
            ids = world.places[place]
            venue = await venues.create_venue(mh, community, VenueIn(name=f"{place}文体广场", grid_id=ids["grid_id"]), system)
            show = await shows.create_show(mh, community, plan.id, ShowIn(
                venue_id=venue.id, troupe_id=troupe.id, play_id=play.id,
                starts_at=datetime.combine(today + timedelta(days=10), time(14, 30))), system)
            yesterday = datetime.combine(today - timedelta(days=1), time(19, 0), tzinfo=community.tz)
            held = Show(community=community.id, plan=plan.id, venue=venue.id, grid=ids["grid_id"], troupe=troupe.id, play=play.id,
                        day=yesterday.date(), starts_at=yesterday, ends_at=yesterday + timedelta(hours=2), status="scheduled", activity=0)
            await held.save()
            ids.update(cu_troupe_id=troupe.id, cu_play_id=play.id, cu_plan_id=plan.id, cu_venue_id=venue.id,
                       cu_show_id=show.id, cu_held_show_id=held.id, cu_day=str(today + timedelta(days=12)))


RECORD_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{C}/venues/{{venue_id}}"): lambda w, p: (_c(w, p, f"/venues/{w.places[p]['cu_venue_id']}"), None),
    ("POST", f"{C}/plans/{{plan_id}}/shows"): lambda w, p: (_c(w, p, f"/plans/{w.places[p]['cu_plan_id']}/shows"), {
        "venue_id": w.places[p]["cu_venue_id"], "troupe_id": w.places[p]["cu_troupe_id"], "play_id": w.places[p]["cu_play_id"],
        "starts_at": f"{w.places[p]['cu_day']}T15:00:00"}),
    ("GET", f"{C}/shows/{{show_id}}"): lambda w, p: (_c(w, p, f"/shows/{w.places[p]['cu_show_id']}"), None),
    ("PATCH", f"{C}/shows/{{show_id}}"): lambda w, p: (
        _c(w, p, f"/shows/{w.places[p]['cu_show_id']}"), {"starts_at": f"{w.places[p]['cu_day']}T14:30:00"}),
    ("POST", f"{C}/shows/{{show_id}}/cancel"): lambda w, p: (_c(w, p, f"/shows/{w.places[p]['cu_show_id']}/cancel"), {"reason": "大风天气"}),
    ("PUT", f"{C}/shows/{{show_id}}/record"): lambda w, p: (
        _c(w, p, f"/shows/{w.places[p]['cu_held_show_id']}/record"), {"attendance": 180, "satisfaction": "satisfied"}),
}

COMMUNITY_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{C}/places"): lambda w, p: (_c(w, p, "/places"), None),
    ("POST", f"{C}/places"): lambda w, p: (_c(w, p, "/places"), {"name": "回河村", "kind": "village"}),
    ("GET", f"{C}/troupes"): lambda w, p: (_c(w, p, "/troupes"), None),
    ("POST", f"{C}/troupes"): lambda w, p: (_c(w, p, "/troupes"), {"name": "山东省京剧院", "level": "province"}),
    ("GET", f"{C}/troupes/{{troupe_id}}"): lambda w, p: (_c(w, p, f"/troupes/{w.places[p]['cu_troupe_id']}"), None),
    ("POST", f"{C}/troupes/{{troupe_id}}/repertoire"): lambda w, p: (
        _c(w, p, f"/troupes/{w.places[p]['cu_troupe_id']}/repertoire"), {"title": "小姑贤", "genre": "吕剧"}),
    ("GET", f"{C}/plans"): lambda w, p: (_c(w, p, "/plans"), None),
    ("POST", f"{C}/plans"): lambda w, p: (_c(w, p, "/plans"), {"name": "秋季", "season_start": "2030-10-01", "season_end": "2030-11-30"}),
    ("GET", f"{C}/plans/{{plan_id}}"): lambda w, p: (_c(w, p, f"/plans/{w.places[p]['cu_plan_id']}"), None),
    ("PATCH", f"{C}/plans/{{plan_id}}"): lambda w, p: (_c(w, p, f"/plans/{w.places[p]['cu_plan_id']}"), {"procurement_lot": "JY-2030-02"}),
    # lists scoped to the caller's grids
    ("GET", f"{C}/venues"): lambda w, p: (_c(w, p, "/venues"), None),
    ("GET", f"{C}/shows"): lambda w, p: (_c(w, p, "/shows"), None),
    ("GET", f"{C}/summary"): lambda w, p: (_c(w, p, "/summary"), None),
    ("POST", f"{C}/venues"): lambda w, p: (_c(w, p, "/venues"), {"name": "新广场", "grid_id": w.places[p]["grid_id"]}),
}
