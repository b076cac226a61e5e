"""The markets scene's page of a market day's public statement (公示): its figures and text to print, and publishing it.

It goes through the API's service functions under the API's permissions (``GET``/``POST /days/{id}/statement``);
what the service refuses is said on the page, and a day of another community is the 404 page.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from meihao import (
    Caller,
    CommunityInfo,
    CurrentCommunity,
    FormFields,
    MeihaoError,
    Principal,
    Runtime,
    page_requires,
    render_page,
    zh_date,
)

from .routes import MANAGE, READ_PROCEEDS
from .services import days, markets, proceeds

SCENE = "markets"


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it where it is shown."""
    return message


#: Problems with a waiver or a publication, in words a community worker reads.
MESSAGES = {
    "not_held": N_("The statement is made once the market day has been held."),
    "receiving_charity": N_("Name the beneficiary project and the receiving charity on the market's page first: "
                            "the statement says who received the money."),
}
DONE = {
    "published": N_("The statement is published; the day's stallholders are told in their inbox."),
}


def _day_path(community: CommunityInfo, day_id: int, suffix: str = "") -> str:
    return f"/c/{community.slug}/{SCENE}/days/{day_id}{suffix}"


# -- the public statement (公示) ----------------------------------------------------------------------


async def _statement_page(
    request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, day_id: int, *,
    status_code: int = 200, problem: str = "",
) -> Response[str]:
    day = await days.get_day(mh, community, day_id)
    market = await markets.get_market(mh, community, day.market_id)
    held = day.status != "cancelled" and day.starts_at <= mh.clock.now()
    figures = await proceeds.statement(mh, community, day_id) if held else None
    published = day.statement_published_at.astimezone(community.tz) if day.statement_published_at else None
    return render_page(
        request, "markets/statement.html", status_code=status_code, community=community, market=market, day=day,
        starts=day.starts_at.astimezone(community.tz), figures=figures, published=published,
        can_publish=held and principal.can(MANAGE), problem=MESSAGES.get(problem or ("" if held else "not_held"), ""),
        done=DONE.get(request.query_params.get("done", ""), "") if status_code == 200 else "",
        free_service=market.kind in ("free_clinic", "convenience"), day_words=zh_date(day.day),
    )


@get("/days/{day_id:int}/statement", guards=[page_requires(READ_PROCEEDS)])
async def statement_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, day_id: FromPath[int]
) -> Response[str]:
    """The day's public statement: what was raised, from how many stalls, waivers, where the money goes; printable."""
    return await _statement_page(request, meihao, community, principal, day_id)


@post("/days/{day_id:int}/statement", guards=[page_requires(MANAGE)])
async def publish_statement(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, day_id: FromPath[int]
) -> Response[Any]:
    """POST /days/{id}/statement of the API: the text is kept as published, the stallholders told; again replaces it."""
    await days.get_day(meihao, community, day_id)  # another community's day: the 404 page before anything else
    await FormFields.read(request)
    try:
        await proceeds.publish_statement(meihao, community, day_id, principal)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        problem = "receiving_charity" if err.field == "receiving_charity" else "not_held"
        return await _statement_page(request, meihao, community, principal, day_id, status_code=409, problem=problem)
    return Redirect(_day_path(community, day_id, "/statement?done=published"), status_code=303)


HANDLERS = [statement_page, publish_statement]
