"""HTTP routes of the culture scenario, mounted by the kernel under /api/communities/{slug}/culture.

Handlers are thin: a permission guard, then a service function that scopes its SQL.
"""

from __future__ import annotations

from datetime import date

from litestar import Controller, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from meihao import Caller, CurrentCommunity, QueryYear, Runtime, requires

from .schemas import (
    CancelIn,
    PlaceIn,
    PlaceOut,
    PlanIn,
    PlanOut,
    PlanPatch,
    PlayIn,
    ShowIn,
    ShowOut,
    ShowPatch,
    ShowRecordIn,
    SummaryOut,
    TroupeIn,
    TroupeOut,
    VenueIn,
    VenueOut,
)
from .services import figures, places, plans, shows, troupes, venues

READ = "culture.read"
MANAGE = "culture.manage"
RECORD = "culture.show.record"


class CultureController(Controller):
    path = "/"
    tags = ["culture"]

    # -- troupes ----------------------------------------------------------------------

    @get("/troupes", guards=[requires(READ)])
    async def list_troupes(self, community: CurrentCommunity) -> list[TroupeOut]:
        """Troupes (剧团) and their repertoire (剧目, 剧种); contact phones masked."""
        return await troupes.list_troupes(community)

    @post("/troupes", guards=[requires(MANAGE)])
    async def create_troupe(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[TroupeIn]) -> TroupeOut:
        return await troupes.create_troupe(meihao, community, data, principal)

    @get("/troupes/{troupe_id:int}", guards=[requires(READ)])
    async def get_troupe(self, community: CurrentCommunity, troupe_id: FromPath[int]) -> TroupeOut:
        return await troupes.get_troupe(community, troupe_id)

    @post("/troupes/{troupe_id:int}/repertoire", guards=[requires(MANAGE)])
    async def add_play(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, troupe_id: FromPath[int], data: JSONBody[PlayIn]) -> TroupeOut:
        return await troupes.add_play(meihao, community, troupe_id, data, principal)

    # -- venues -----------------------------------------------------------------------

    @get("/places", guards=[requires(READ)])
    async def list_places(self, community: CurrentCommunity) -> list[PlaceOut]:
        """Villages, 村改居 and urban communities whose shows "一村一年一场戏" counts."""
        return await places.list_places(community)

    @post("/places", guards=[requires(MANAGE)])
    async def create_place(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[PlaceIn]) -> PlaceOut:
        return await places.create_place(meihao, community, data, principal)

    @get("/venues", guards=[requires(READ)])
    async def list_venues(self, community: CurrentCommunity, principal: Caller) -> list[VenueOut]:
        """Venues in the caller's scope, with the grids whose residents they serve."""
        return await venues.list_venues(community, principal)

    @post("/venues", guards=[requires(MANAGE)])
    async def create_venue(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[VenueIn]) -> VenueOut:
        return await venues.create_venue(meihao, community, data, principal)

    @get("/venues/{venue_id:int}", guards=[requires(READ)])
    async def get_venue(self, community: CurrentCommunity, principal: Caller, venue_id: FromPath[int]) -> VenueOut:
        return await venues.get_venue(community, venue_id, principal)

    # -- tour plans and shows -------------------------------------------------------------

    @get("/plans", guards=[requires(READ)])
    async def list_plans(self, community: CurrentCommunity, principal: Caller) -> list[PlanOut]:
        return await plans.list_plans(community, principal)

    @post("/plans", guards=[requires(MANAGE)])
    async def create_plan(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[PlanIn]) -> PlanOut:
        """A tour plan (巡演计划): a season of shows, one procurement lot, an organiser asked for attendance."""
        return await plans.create_plan(meihao, community, data, principal)

    @get("/plans/{plan_id:int}", guards=[requires(READ)])
    async def get_plan(self, community: CurrentCommunity, principal: Caller, plan_id: FromPath[int]) -> PlanOut:
        return await plans.get_plan(community, plan_id, principal)

    @patch("/plans/{plan_id:int}", guards=[requires(MANAGE)])
    async def update_plan(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, plan_id: FromPath[int], data: JSONBody[PlanPatch]) -> PlanOut:
        """Change a tour plan's name, season, procurement lot or organiser; its shows must stay inside the season."""
        return await plans.update_plan(meihao, community, plan_id, data, principal)

    @post("/plans/{plan_id:int}/shows", guards=[requires(MANAGE)])
    async def create_show(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, plan_id: FromPath[int], data: JSONBody[ShowIn]) -> ShowOut:
        """A show: its audience (the residents of the venue's grids) is reminded the day before and on the day."""
        return await shows.create_show(meihao, community, plan_id, data, principal)

    @get("/shows", guards=[requires(READ)])
    async def list_shows(
        self,
        community: CurrentCommunity,
        principal: Caller,
        plan_id: FromQuery[int | None] = None,
        start: FromQuery[date | None] = None,
        end: FromQuery[date | None] = None,
        status: FromQuery[str | None] = None,
    ) -> list[ShowOut]:
        """Shows at venues in the caller's scope, in time order."""
        return await shows.list_shows(community, principal, plan_id=plan_id, start=start, end=end, status=status)

    @get("/shows/{show_id:int}", guards=[requires(READ)])
    async def get_show(self, community: CurrentCommunity, principal: Caller, show_id: FromPath[int]) -> ShowOut:
        return await shows.get_show(community, show_id, principal)

    @patch("/shows/{show_id:int}", guards=[requires(MANAGE)])
    async def reschedule_show(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, show_id: FromPath[int], data: JSONBody[ShowPatch]) -> ShowOut:
        return await shows.reschedule_show(meihao, community, show_id, data, principal)

    @post("/shows/{show_id:int}/cancel", guards=[requires(MANAGE)], status_code=200)
    async def cancel_show(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, show_id: FromPath[int], data: JSONBody[CancelIn]) -> ShowOut:
        """Cancel a show; ``weather: true`` tells the residents of the venue's grids at once (a notice)."""
        return await shows.cancel_show(meihao, community, show_id, data.reason, principal, weather=data.weather)

    @put("/shows/{show_id:int}/record", guards=[requires(RECORD)])
    async def record_show(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, show_id: FromPath[int], data: JSONBody[ShowRecordIn]) -> ShowOut:
        """After the show: attendance, satisfaction and feedback, the committee's confirmation, the subsidy."""
        return await shows.record_show(meihao, community, show_id, data, principal)

    @get("/summary", guards=[requires(READ)])
    async def summary(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, year: QueryYear = None) -> SummaryOut:
        """The year's figures (default: this year) within the caller's scope."""
        year = year or figures.this_year(meihao, community)
        return await figures.summary(meihao, community, year, principal)
