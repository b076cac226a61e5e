"""The lantern plugin's console page and card (``meihao_console_pages``), for the kernel's tests."""

from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect

from meihao import (
    CardFigure,
    ConsoleCard,
    ConsolePages,
    CurrentCommunity,
    NavLink,
    QueueItem,
    community_today,
    get_community,
    page_requires,
    render_page,
)

from .tables import Riddle

HERE = Path(__file__).parent


@get("/riddles", guards=[page_requires("lantern.riddle.read")])
async def riddles_page(request: Request[Any, Any, Any], community: CurrentCommunity) -> Response[str]:
    rows = await Riddle.select(Riddle.id, Riddle.question).where(Riddle.community == community.id).order_by(Riddle.id)
    return render_page(request, "lantern/riddles.html", community=community, riddles=rows)


async def riddle_figures(meihao: Any, principal: Any, community: Any) -> list[CardFigure]:
    count = await Riddle.count().where(Riddle.community == community.id)
    return [CardFigure("灯谜", "Riddles", count, "ok" if count else "warn")]


@post("/riddles/{riddle_id:int}/solve", guards=[page_requires("lantern.riddle.write")])
async def solve_riddle(
    riddle_id: FromPath[int], community: CurrentCommunity, data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Redirect:
    """A one-tap action of the queue: the riddle was guessed, it leaves the board (and the queue)."""
    await Riddle.delete().where(Riddle.id == riddle_id, Riddle.community == community.id)
    target = data.get("next", "")
    return Redirect(target if target.startswith("/") and not target.startswith("//") else f"/c/{community.slug}/lantern/riddles", status_code=303)


async def riddle_queue(meihao: Any, principal: Any) -> list[QueueItem]:
    """Each riddle on the board of a community the viewer reaches, to be guessed by 19:00 on the lantern night (today).

    The kernel shows only the items of communities that run lantern."""
    if not principal.can("lantern.riddle.read"):
        return []
    query = Riddle.select(Riddle.id, Riddle.question, Riddle.community.slug.as_alias("slug")).order_by(Riddle.id)
    if not principal.street:
        query = query.where(Riddle.community.is_in(sorted(principal.community_ids | principal.grid_community_ids) or [0]))
    items = []
    for riddle in await query:
        community = await get_community(riddle["slug"])
        night = datetime.combine(community_today(meihao, community), time(19), community.tz)
        action = ("猜中了", "Solved", f"riddles/{riddle['id']}/solve") if principal.can("lantern.riddle.write") else None
        items.append(QueueItem(f"灯谜：{riddle['question']}", f"Riddle: {riddle['question']}", "riddles", riddle["slug"], night, action=action))
    return items


PAGES = ConsolePages(
    handlers=[riddles_page, solve_riddle],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[NavLink("灯谜", "Riddles", "riddles", permission="lantern.riddle.read")],
    cards=[ConsoleCard("riddles", "灯谜", "Lantern riddles", riddle_figures, link="riddles", permission="lantern.riddle.read")],
    queue=riddle_queue,
)
