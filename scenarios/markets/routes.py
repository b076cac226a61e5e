"""HTTP routes of the markets scenario, mounted by the kernel under /api/communities/{slug}/markets.

Handlers are thin: a permission guard, then a service function that scopes its SQL.
"""

from __future__ import annotations

from datetime import date

from litestar import Controller, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from meihao import Caller, CurrentCommunity, QueryYear, Runtime, error_response, requires

from .schemas import (
    ApplicationIn,
    ApplicationOut,
    CommunityProceedsOut,
    MarketDayOut,
    MarketDayPatch,
    MarketIn,
    MarketOut,
    MarketPatch,
    MarketProceedsOut,
    MerchantIn,
    MerchantOut,
    MerchantPatch,
    OptionalReasonIn,
    PointsPaymentIn,
    PointsPaymentOut,
    ProceedsIn,
    ProceedsOut,
    ReasonIn,
    StatementOut,
    WaiverIn,
)
from .services import applications, days, markets, merchants, points, proceeds

READ = "markets.market.read"
MANAGE = "markets.market.manage"
APPLY = "markets.application.write"
READ_APPLICATIONS = "markets.application.read"
DECIDE = "markets.application.decide"
RECORD = "markets.proceeds.record"
READ_PROCEEDS = "markets.proceeds.read"


class MarketsController(Controller):
    path = "/"
    tags = ["markets"]

    # -- merchants ------------------------------------------------------------------

    @get("/merchants", guards=[requires(READ)])
    async def list_merchants(self, community: CurrentCommunity) -> list[MerchantOut]:
        """Partner merchants (合作商户) that may take stalls; contact phones masked."""
        return await merchants.list_merchants(community)

    @post("/merchants", guards=[requires(MANAGE)])
    async def create_merchant(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[MerchantIn]) -> MerchantOut:
        return await merchants.create_merchant(meihao, community, data, principal)

    @get("/merchants/{merchant_id:int}", guards=[requires(READ)])
    async def get_merchant(self, community: CurrentCommunity, merchant_id: FromPath[int]) -> MerchantOut:
        return await merchants.get_merchant(community, merchant_id)

    @patch("/merchants/{merchant_id:int}", guards=[requires(MANAGE)])
    async def update_merchant(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, merchant_id: FromPath[int], data: JSONBody[MerchantPatch]
    ) -> MerchantOut:
        """Change a partner merchant: name, kind, contact, or ``active: false`` to take it off the list."""
        return await merchants.update_merchant(meihao, community, merchant_id, data, principal)

    # -- markets --------------------------------------------------------------------

    @get("/markets", guards=[requires(READ)])
    async def list_markets(self, community: CurrentCommunity, meihao: Runtime) -> list[MarketOut]:
        return await markets.list_markets(meihao, community)

    @post("/markets", guards=[requires(MANAGE)])
    async def create_market(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[MarketIn]) -> MarketOut:
        """A charity market with its recurring schedule; its days for the coming weeks open for applications."""
        return await markets.create_market(meihao, community, data, principal)

    @get("/markets/{market_id:int}", guards=[requires(READ)])
    async def get_market(self, community: CurrentCommunity, meihao: Runtime, market_id: FromPath[int]) -> MarketOut:
        return await markets.get_market(meihao, community, market_id)

    @patch("/markets/{market_id:int}", guards=[requires(MANAGE)])
    async def update_market(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, market_id: FromPath[int], data: JSONBody[MarketPatch]
    ) -> MarketOut:
        return await markets.update_market(meihao, community, market_id, data, principal)

    @post("/markets/{market_id:int}/cancel", guards=[requires(MANAGE)], status_code=200)
    async def cancel_market(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, market_id: FromPath[int], data: JSONBody[ReasonIn]
    ) -> MarketOut:
        return await markets.cancel_market(meihao, community, market_id, data.reason, principal)

    @get("/markets/{market_id:int}/days", guards=[requires(READ)])
    async def list_days(
        self, community: CurrentCommunity, meihao: Runtime, market_id: FromPath[int], start: FromQuery[date | None] = None, end: FromQuery[date | None] = None
    ) -> list[MarketDayOut]:
        """Market days with their stall counts and application deadline."""
        return await days.list_days(meihao, community, market_id, start, end)

    @get("/markets/{market_id:int}/proceeds", guards=[requires(READ_PROCEEDS)])
    async def market_proceeds(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, market_id: FromPath[int], year: QueryYear = None
    ) -> MarketProceedsOut:
        """Charity proceeds of the market per market day of a year (default: this year), and their sum."""
        year = year or proceeds.this_year(meihao, community)
        return await proceeds.market_proceeds(meihao, community, market_id, year, principal)

    @get("/proceeds", guards=[requires(READ_PROCEEDS)])
    async def community_proceeds(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, year: QueryYear = None) -> CommunityProceedsOut:
        """Charity proceeds per market of the community in a year (default: this year), and their sum."""
        year = year or proceeds.this_year(meihao, community)
        return await proceeds.community_proceeds(meihao, community, year, principal)

    # -- market days ------------------------------------------------------------------

    @get("/days/{day_id:int}", guards=[requires(READ)])
    async def get_day(self, community: CurrentCommunity, meihao: Runtime, day_id: FromPath[int]) -> MarketDayOut:
        return await days.get_day(meihao, community, day_id)

    @patch("/days/{day_id:int}", guards=[requires(MANAGE)])
    async def set_day_capacity(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, day_id: FromPath[int], data: JSONBody[MarketDayPatch]
    ) -> MarketDayOut:
        """Change one day's stall capacity (more stalls promote from the waiting list)."""
        return await days.set_day_capacity(meihao, community, day_id, data.capacity, principal)

    @post("/days/{day_id:int}/cancel", guards=[requires(MANAGE)], status_code=200)
    async def cancel_day(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, day_id: FromPath[int], data: JSONBody[ReasonIn]
    ) -> MarketDayOut:
        return await days.cancel_day(meihao, community, day_id, data.reason, principal)

    @get("/days/{day_id:int}/applications", guards=[requires(READ_APPLICATIONS)])
    async def list_applications(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, day_id: FromPath[int], status: FromQuery[str | None] = None
    ) -> list[ApplicationOut]:
        """Stall applications of one day that the caller's scope reaches, in order of application."""
        return await applications.list_applications(meihao, community, day_id, principal, status)

    @post("/days/{day_id:int}/applications", guards=[requires(APPLY)])
    async def apply(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, day_id: FromPath[int], data: JSONBody[ApplicationIn]
    ) -> ApplicationOut:
        """Apply for a stall on behalf of a resident in the caller's scope, or of a partner merchant."""
        return await applications.apply(meihao, community, day_id, data, principal)

    # -- applications --------------------------------------------------------------------

    @get("/applications/{application_id:int}", guards=[requires(READ_APPLICATIONS)])
    async def get_application(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, application_id: FromPath[int]) -> ApplicationOut:
        return await applications.get_application(meihao, community, application_id, principal)

    @post("/applications/{application_id:int}/approve", guards=[requires(DECIDE)], status_code=200)
    async def approve(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, application_id: FromPath[int]) -> ApplicationOut:
        """Approve: a stall if one is free that day, else the waiting list (``status`` says which)."""
        return await applications.approve(meihao, community, application_id, principal)

    @post("/applications/{application_id:int}/refuse", guards=[requires(DECIDE)], status_code=200)
    async def refuse(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, application_id: FromPath[int], data: JSONBody[ReasonIn]
    ) -> ApplicationOut:
        return await applications.refuse(meihao, community, application_id, data.reason, principal)

    @post("/applications/{application_id:int}/cancel", guards=[requires(APPLY)], status_code=200)
    async def cancel_application(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, application_id: FromPath[int], data: JSONBody[OptionalReasonIn]
    ) -> ApplicationOut:
        """Withdraw an application; a freed stall goes to the first on the waiting list."""
        return await applications.cancel_application(meihao, community, application_id, data.reason, principal)

    @put("/applications/{application_id:int}/proceeds", guards=[requires(RECORD)])
    async def record_proceeds(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, application_id: FromPath[int], data: JSONBody[ProceedsIn]
    ) -> ProceedsOut:
        """Record (or correct) the charity proceeds of one stall on its market day."""
        return await proceeds.record_proceeds(meihao, community, application_id, data.amount, data.note, principal, data.people_served)

    @post("/applications/{application_id:int}/points", guards=[requires(RECORD)],
          responses={409: error_response(409, "The balance is smaller, the market takes no points, or the day has not begun")})
    async def pay_with_points(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, application_id: FromPath[int], data: JSONBody[PointsPaymentIn]
    ) -> PointsPaymentOut:
        """A resident pays this stall with volunteer points (积分), taken from her balance through the kernel's ledger."""
        return await points.pay_with_points(meihao, community, application_id, data, principal)

    @get("/applications/{application_id:int}/points", guards=[requires(RECORD)])
    async def stall_points(self, community: CurrentCommunity, principal: Caller, application_id: FromPath[int]) -> list[PointsPaymentOut]:
        """Points paid at this stall, oldest first."""
        return await points.list_payments(community, application_id, principal)

    @put("/applications/{application_id:int}/waiver", guards=[requires(DECIDE)])
    async def set_waiver(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, application_id: FromPath[int], data: JSONBody[WaiverIn]
    ) -> ApplicationOut:
        """Waive (减免) the market's stall fee or contribution for one stall, with the reason; ``waived: false`` takes it back."""
        return await applications.set_waiver(meihao, community, application_id, data.waived, data.reason, principal)

    @get("/days/{day_id:int}/statement", guards=[requires(READ_PROCEEDS)],
         responses={409: error_response(409, "The market day has not been held yet: a statement is made once it has")})
    async def day_statement(self, community: CurrentCommunity, meihao: Runtime, day_id: FromPath[int]) -> StatementOut:
        """The public statement (公示) of a market day held: stalls, fees (waivers apart), proceeds or people served, where the money goes."""
        return await proceeds.statement(meihao, community, day_id)

    @post("/days/{day_id:int}/statement", guards=[requires(MANAGE)], status_code=200)
    async def publish_statement(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, day_id: FromPath[int]) -> StatementOut:
        """Publish the day's statement (公示): its text is kept as published; publishing again replaces it."""
        return await proceeds.publish_statement(meihao, community, day_id, principal)

