"""The markets scene's page for residents, behind her inbox link (``/r/{token}/markets/stalls``): apply for a stall, see and withdraw her own.

Residents used to apply through their grid team; here she does it herself. The page calls the
same service as the API (``applications.apply``) as the resident acting through her link
(``resident.principal(...)``: her own grid, audited as ``resident <id> (inbox link)``), and the
applicant is always the link's resident, never an id from the form.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from meihao import CommunityInfo, Conflict, CurrentCommunity, CurrentResident, InvalidInput, NotFound, Principal, ResidentLink, render_page

from .pages import APPLICATION_STATUS, N_
from .routes import APPLY
from .schemas import ApplicationIn
from .services import applications, days, markets
from .services.common import LIVE
from .tables import Application

#: The longest description of the goods (the API's limit).
GOODS_MAX = 200
#: Why the resident withdrew, as staff read it on the application.
WITHDRAWN_REASON = "居民通过消息链接撤回 withdrawn by the resident through her link"

MESSAGES = {
    "goods": N_("Say what you will sell, e.g. hand-knitted coasters."),
    "goods_long": N_("That is too long: at most 200 characters."),
    "duplicate": N_("You have already applied for this market day."),
    "closed": N_("Applications for this market day are closed."),
    "not_pending": N_("This application is no longer waiting for a decision; it cannot be withdrawn here. Please ask your community worker."),
}


def _on_her_own(resident: ResidentLink, grid_id: int | None, *permissions: str) -> Principal:
    """She acting on one of her own applications (the caller checked it is hers): scoped to the grid it was placed in,
    which is not her grid any more once her household moved."""
    return replace(resident.principal(*permissions), grid_ids={grid_id} if grid_id is not None else set())


def _stalls(resident: ResidentLink) -> str:
    return f"/r/{quote(resident.token)}/markets/stalls"


async def _open_days(mh: Any, community: CommunityInfo) -> list[dict[str, Any]]:
    """The community's market days still taking applications (open, before their deadline), in time order."""
    now = mh.clock.now()
    found = []
    for market in await markets.list_markets(mh, community):
        if market.status != "active":
            continue
        for day in await days.list_days(mh, community, market.id, None, None):
            if day.status == "open" and now < day.applications_close_at:
                found.append({"market": market, "day": day, "starts": day.starts_at.astimezone(community.tz),
                              "ends": day.ends_at.astimezone(community.tz), "closes": day.applications_close_at.astimezone(community.tz)})
    return sorted(found, key=lambda d: (d["day"].starts_at, d["market"].id))


async def _mine(mh: Any, community: CommunityInfo, resident: ResidentLink) -> list[dict[str, Any]]:
    """Her applications for market days not over yet, soonest first."""
    now = mh.clock.now()
    rows = await Application.select(Application.id, Application.grid, Application.market.name.as_alias("market"),
                                    Application.market_day.starts_at.as_alias("starts_at")).where(
        Application.resident == resident.resident_id, Application.community == community.id, Application.market_day.ends_at > now,
    ).order_by(Application.market_day.starts_at).order_by(Application.id)
    return [{"market": r["market"], "starts": r["starts_at"].astimezone(community.tz),
             "application": await applications.get_application(mh, community, r["id"], _on_her_own(resident, r["grid"]))} for r in rows]


async def _page(request: Request[Any, Any, Any], resident: ResidentLink, community: CommunityInfo, *, status_code: int = 200,
                done: str = "", problem: dict[str, Any] | None = None) -> Response[str]:
    mh = request.app.state.meihao
    mine = await _mine(mh, community, resident)
    applied = {m["application"].market_day_id for m in mine if m["application"].status in LIVE}
    open_days = await _open_days(mh, community)
    problem = problem or {}
    # a form for a day no longer listed (it closed meanwhile, or never was hers to apply for): the message goes above the list
    stray = problem["message"] if "day" in problem and problem["day"] not in {d["day"].id for d in open_days} else ""
    return render_page(request, "markets/resident_stalls.html", status_code=status_code, resident=resident, community=community,
                       open_days=open_days, mine=mine, applied=applied, done=done, problem=problem, stray=stray,
                       statuses=APPLICATION_STATUS, messages=MESSAGES, goods_max=GOODS_MAX)


@get("/stalls")
async def stalls_page(request: Request[Any, Any, Any], resident: CurrentResident, community: CurrentCommunity, done: FromQuery[str] = "") -> Response[str]:
    """The open market days of her community with a form each, and her own applications with their status."""
    return await _page(request, resident, community, done=done if done in ("applied", "withdrawn") else "")


@post("/stalls/apply")
async def apply_for_stall(request: Request[Any, Any, Any], resident: CurrentResident, community: CurrentCommunity) -> Response[Any]:
    """Apply for a stall on one market day, as the link's resident (a ``resident_id`` in the form is ignored)."""
    mh = request.app.state.meihao
    form = await request.form()
    try:
        day_id = int(str(form.get("day", "")))
    except ValueError:
        raise InvalidInput("day: must be a number", field="day") from None
    goods = " ".join(str(form.get("goods", "")).split())
    problem = {"day": day_id, "goods": goods}
    if not goods:
        return await _page(request, resident, community, status_code=400, problem={**problem, "message": "goods"})
    if len(goods) > GOODS_MAX:
        return await _page(request, resident, community, status_code=400, problem={**problem, "message": "goods_long"})
    try:
        await applications.apply(mh, community, day_id, ApplicationIn(resident_id=resident.resident_id, goods=goods), resident.principal(APPLY))
    except Conflict as err:
        message = "duplicate" if err.field == "resident_id" else "closed"
        return await _page(request, resident, community, status_code=409, problem={**problem, "message": message})
    except NotFound:  # a day of another community, or one that does not exist: not open to her
        return await _page(request, resident, community, status_code=409, problem={**problem, "message": "closed"})
    return Redirect(f"{_stalls(resident)}?done=applied#mine", status_code=303)


@post("/stalls/{application_id:int}/withdraw")
async def withdraw_application(request: Request[Any, Any, Any], resident: CurrentResident, community: CurrentCommunity,
                               application_id: FromPath[int]) -> Response[Any]:
    """Withdraw her own application while it waits for a decision; anyone else's is the "link not valid" page."""
    mh = request.app.state.meihao
    row = await Application.select(Application.status, Application.grid).where(
        Application.id == application_id, Application.resident == resident.resident_id, Application.community == community.id,
    ).first()
    if row is None:
        raise NotFound(f"application {application_id} not found")
    if row["status"] != "pending":
        return await _page(request, resident, community, status_code=409,
                           problem={"application": application_id, "message": "not_pending"})
    try:
        await applications.cancel_application(mh, community, application_id, WITHDRAWN_REASON, _on_her_own(resident, row["grid"], APPLY))
    except Conflict:  # decided meanwhile, or the day has begun
        return await _page(request, resident, community, status_code=409,
                           problem={"application": application_id, "message": "not_pending"})
    return Redirect(f"{_stalls(resident)}?done=withdrawn#mine", status_code=303)


HANDLERS: list[Any] = [stalls_page, apply_for_stall, withdraw_application]
