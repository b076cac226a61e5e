"""toolshelf's routes, under /api/communities/{slug}/toolshelf/. Thin: the work is in services."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody

from meihao import Caller, CurrentCommunity, PageNumber, PageSize, PathId, Runtime, requires

from . import services
from .schemas import LoanIn, LoanOut, LoanPage, ToolIn, ToolOut


class ToolController(Controller):
    path = "/tools"
    tags = ["toolshelf"]

    @get("/", guards=[requires(services.READ)])
    async def list_tools(self, community: CurrentCommunity) -> list[ToolOut]:
        """The shelf: every tool, with the due day of its open loan."""
        return await services.list_tools(community)

    @post("/", guards=[requires(services.MANAGE)])
    async def add_tool(self, meihao: Runtime, principal: Caller, community: CurrentCommunity, data: JSONBody[ToolIn]) -> ToolOut:
        return await services.add_tool(meihao, principal, community, data)


class LoanController(Controller):
    path = "/loans"
    tags = ["toolshelf"]

    @get("/", guards=[requires(services.READ)])
    async def list_loans(
        self,
        meihao: Runtime,
        principal: Caller,
        community: CurrentCommunity,
        open: FromQuery[bool | None] = None,
        overdue: FromQuery[bool] = False,
        page: PageNumber = 1,
        page_size: PageSize = None,
    ) -> LoanPage:
        """Loans of residents in the caller's scope, oldest first; ``overdue=true``: open and past the due day."""
        return await services.list_loans(meihao, principal, community, open=open, overdue=overdue, page=page, page_size=page_size)

    @post("/", guards=[requires(services.LEND)])
    async def lend(self, meihao: Runtime, principal: Caller, community: CurrentCommunity, data: JSONBody[LoanIn]) -> LoanOut:
        """Lend a tool (409 when it is out, or the resident has max_loans_per_resident already)."""
        return await services.lend(meihao, principal, community, data)

    @get("/{loan_id:int}", guards=[requires(services.READ)])
    async def get_loan(self, principal: Caller, community: CurrentCommunity, loan_id: PathId) -> LoanOut:
        return await services.get_loan(principal, community, loan_id)

    @post("/{loan_id:int}/return", guards=[requires(services.LEND)], status_code=200)
    async def give_back(self, meihao: Runtime, principal: Caller, community: CurrentCommunity, loan_id: PathId) -> LoanOut:
        return await services.give_back(meihao, principal, community, loan_id)
