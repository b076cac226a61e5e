"""The street overview (``/``): the communities the visitor reaches, their brand, scenes and the scenes' cards."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from meihao.register.communities import enabled_scenarios, list_communities
from meihao.register.schemas import CommunityInfo
from meihao.runtime import Meihao
from meihao.web.console.rendering import page_user, render_page


async def scene_cards(mh: Meihao, principal: Any, community: CommunityInfo, scenes: list[str]) -> list[dict[str, Any]]:
    """The cards of the scenes a community runs, each counting only what the viewer may read."""
    cards = []
    for plugin, pages in mh.plugins.console_pages():
        if plugin not in scenes:
            continue
        for card in pages.cards:
            if card.permission and not principal.can(card.permission):
                continue
            figures = await card.figures(mh, principal, community)
            link = f"/c/{community.slug}/{plugin}/{card.link}" if card.link else ""
            cards.append({"plugin": plugin, "card": card, "figures": figures, "link": link})
    return cards


def scene_menu(mh: Meihao, principal: Any, slug: str, scenes: list[str]) -> list[dict[str, Any]]:
    """Links to the pages of the scenes a community runs that the viewer may open."""
    links = []
    for plugin, pages in mh.plugins.console_pages():
        if plugin not in scenes:
            continue
        for link in pages.nav:
            if not link.permission or principal.can(link.permission):
                links.append({"plugin": plugin, "link": link, "href": f"/c/{slug}/{plugin}/{link.path}".rstrip("/")})
    return links


@get("/", include_in_schema=False)
async def overview(request: Request[Any, Any, Any]) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    communities = [c for c in await list_communities() if principal.reaches_community(c["id"])]
    scenes = await enabled_scenarios([c["id"] for c in communities])
    rows = []
    for row in communities:
        community = CommunityInfo.from_row(row)
        enabled = sorted(scenes.get(community.id, []))
        rows.append({
            "community": community,
            "scenes": [mh.plugins.scenarios[name] for name in enabled if name in mh.plugins.scenarios],
            "menu": scene_menu(mh, principal, community.slug, enabled),
            "cards": await scene_cards(mh, principal, community, enabled),
        })
    return render_page(request, "overview.html", communities=rows)


HANDLERS = [overview]
