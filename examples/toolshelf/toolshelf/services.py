"""toolshelf's work, as plain functions taking the caller (a :class:`meihao.Principal`).

Tools are the community's (no personal data); loans name residents, so they are scoped in SQL
to the residents the caller reaches in this community, and a loan outside that scope is a 404
like a missing one. Lending takes a lock on the community's shelf inside the write
transaction: "one loan per tool" and "at most N loans per resident" then hold under concurrent
requests on PostgreSQL as on SQLite.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    Meihao,
    NotFound,
    Principal,
    audit,
    community_today,
    paginate,
    scenario_settings,
    scope_where,
    scoped_resident,
    scoped_row,
    transaction,
    working_calendar,
)

from .schemas import LoanIn, LoanOut, LoanPage, ToolIn, ToolOut
from .tables import Loan, Tool

READ = "toolshelf.read"
LEND = "toolshelf.lend"
MANAGE = "toolshelf.manage"


# -- tools ---------------------------------------------------------------------------------


async def list_tools(community: CommunityInfo) -> list[ToolOut]:
    tools = await Tool.select(Tool.id, Tool.name, Tool.active).where(Tool.community == community.id).order_by(Tool.id)
    due = {
        row["tool"]: row["due_on"]
        for row in await Loan.select(Loan.tool, Loan.due_on).where(Loan.tool.community == community.id, Loan.returned_at.is_null())
    }
    return [ToolOut(**tool, on_loan_until=due.get(tool["id"])) for tool in tools]


async def add_tool(mh: Meihao, principal: Principal, community: CommunityInfo, data: ToolIn) -> ToolOut:
    async with transaction(mh):
        rows = await Tool.insert(Tool(community=community.id, name=data.name, active=True)).returning(Tool.id)
        await audit(principal, "toolshelf.tool.create", "toolshelf_tool", rows[0]["id"], community_id=community.id)
    return ToolOut(id=rows[0]["id"], name=data.name, active=True)


# -- loans ---------------------------------------------------------------------------------


def _loans() -> Any:
    return Loan.select(
        Loan.id,
        Loan.tool.as_alias("tool_id"),
        Loan.tool.name.as_alias("tool_name"),
        Loan.resident.as_alias("resident_id"),
        Loan.resident.name.as_alias("resident_name"),
        Loan.lent_at,
        Loan.due_on,
        Loan.returned_at,
    )


def _in_scope(principal: Principal, community: CommunityInfo) -> list[Any]:
    return [Loan.tool.community == community.id, *scope_where(principal, community, Loan.resident)]


async def list_loans(
    mh: Meihao, principal: Principal, community: CommunityInfo, *, open: bool | None, overdue: bool, page: int, page_size: int | None
) -> LoanPage:
    query = _loans().where(*_in_scope(principal, community))
    if open is not None:
        query = query.where(Loan.returned_at.is_null() if open else Loan.returned_at.is_not_null())
    if overdue:
        query = query.where(Loan.returned_at.is_null(), Loan.due_on < community_today(mh, community))
    result = await paginate(mh, query.order_by(Loan.id), page=page, page_size=page_size)
    return LoanPage(items=[LoanOut(**row) for row in result.rows], total=result.total, page=result.page, page_size=result.page_size)


async def get_loan(principal: Principal, community: CommunityInfo, loan_id: int) -> LoanOut:
    await scoped_row(Loan, loan_id, principal, community, via=Loan.resident)
    return LoanOut(**await _loans().where(Loan.id == loan_id).first())


async def lend(mh: Meihao, principal: Principal, community: CommunityInfo, data: LoanIn) -> LoanOut:
    resident = await scoped_resident(principal, community, data.resident_id, field="resident_id")
    settings = await scenario_settings(mh, community.id, "toolshelf")
    calendar = await working_calendar(mh, community)
    due_on = calendar.add_working_days(community_today(mh, community), settings.loan_working_days)
    async with transaction(mh, lock=("toolshelf.shelf", community.id)):
        tool = await Tool.select(Tool.id, Tool.name).where(Tool.id == data.tool_id, Tool.community == community.id, Tool.active.eq(True)).first()
        if tool is None:
            raise NotFound(f"tool_id: tool {data.tool_id} not found", field="tool_id")
        if await Loan.exists().where(Loan.tool == tool["id"], Loan.returned_at.is_null()):
            raise Conflict(f"tool_id: {tool['name']} is on loan", field="tool_id")
        on_loan = await Loan.count().where(Loan.resident == resident["id"], Loan.returned_at.is_null())
        if on_loan >= settings.max_loans_per_resident:
            raise Conflict(f"resident_id: already borrows {on_loan} tools (at most {settings.max_loans_per_resident})", field="resident_id")
        rows = await Loan.insert(
            Loan(tool=tool["id"], resident=resident["id"], lent_at=mh.clock.now(), due_on=due_on, calendar_version=calendar.version)
        ).returning(Loan.id)
        await audit(principal, "toolshelf.loan.create", "toolshelf_loan", rows[0]["id"], community_id=community.id)
    return await get_loan(principal, community, rows[0]["id"])


async def give_back(mh: Meihao, principal: Principal, community: CommunityInfo, loan_id: int) -> LoanOut:
    await scoped_row(Loan, loan_id, principal, community, via=Loan.resident)
    async with transaction(mh):
        returned = await Loan.update({Loan.returned_at: mh.clock.now()}).where(Loan.id == loan_id, Loan.returned_at.is_null()).returning(Loan.id)
        if not returned:
            raise Conflict(f"loan {loan_id} was returned already")
        await audit(principal, "toolshelf.loan.return", "toolshelf_loan", loan_id, community_id=community.id)
    return await get_loan(principal, community, loan_id)


# -- for the job, the audience and the dashboard -------------------------------------------


async def open_loans(community: CommunityInfo) -> list[dict[str, Any]]:
    return await Loan.select(Loan.id, Loan.resident, Loan.due_on, Loan.tool.name.as_alias("tool_name")).where(
        Loan.tool.community == community.id, Loan.returned_at.is_null()
    ).order_by(Loan.id)


def overdue_borrowers(community_id: int, today: date) -> Any:
    """The audience ``toolshelf.overdue``: residents with a loan past its due day (a sub-select, never awaited here)."""
    return Loan.select(Loan.resident).where(Loan.tool.community == community_id, Loan.returned_at.is_null(), Loan.due_on < today)


async def resident_data(resident_id: int) -> dict[str, Any] | None:
    """The resident's loans, for their data export (PIPL)."""
    rows = await Loan.select(Loan.tool.name.as_alias("tool"), Loan.lent_at, Loan.due_on, Loan.returned_at).where(
        Loan.resident == resident_id
    ).order_by(Loan.id)
    return {"loans": rows} if rows else None


async def figures(community: CommunityInfo, today: date) -> dict[str, int]:
    open_ = [Loan.tool.community == community.id, Loan.returned_at.is_null()]
    return {
        "tools": await Tool.count().where(Tool.community == community.id, Tool.active.eq(True)),
        "on_loan": await Loan.count().where(*open_),
        "overdue": await Loan.count().where(*open_, Loan.due_on < today),
    }
