"""The lantern plugin's console page and card (``meihao_console_pages``), for the kernel's tests."""

from pathlib import Path
from typing import Any

from litestar import Request, Response, get

from meihao import CardFigure, ConsoleCard, ConsolePages, CurrentCommunity, NavLink, page_requires, render_page

from .tables import Riddle

HERE = Path(__file__).parent


@get("/riddles", guards=[page_requires("lantern.riddle.read")])
async def riddles_page(request: Request[Any, Any, Any], community: CurrentCommunity) -> Response[str]:
    rows = await Riddle.select(Riddle.id, Riddle.question).where(Riddle.community == community.id).order_by(Riddle.id)
    return render_page(request, "lantern/riddles.html", community=community, riddles=rows)


async def riddle_figures(meihao: Any, principal: Any, community: Any) -> list[CardFigure]:
    count = await Riddle.count().where(Riddle.community == community.id)
    return [CardFigure("灯谜", "Riddles", count, "ok" if count else "warn")]


PAGES = ConsolePages(
    handlers=[riddles_page],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[NavLink("灯谜", "Riddles", "riddles", permission="lantern.riddle.read")],
    cards=[ConsoleCard("riddles", "灯谜", "Lantern riddles", riddle_figures, link="riddles", permission="lantern.riddle.read")],
)
