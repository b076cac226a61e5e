"""The neighbourhood page for residents, behind her inbox link (``/r/{token}/neighbourhood/motions``): propose a motion
(议题) to one of her community's bodies, second (附议) the motions of her grid that wait for seconds, see her own.

The page calls the API's services as the resident acting through her link (``resident.principal(...)``: her own grid,
audited as ``resident <id> (inbox link)``); the proposer and the seconder are always the link's resident, never an id
from the form.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from meihao import CommunityInfo, CurrentCommunity, CurrentResident, MeihaoError, ResidentLink, render_page

from .pages import BODY_KINDS, N_, STAGES
from .schemas import MotionIn
from .services import council
from .tables import Second

PROPOSE = "neighbourhood.motion.write"
TITLE_MAX = 200
TEXT_MAX = 4000
MESSAGES = {
    "title": N_("Say in a few words what you propose (up to 200 characters)."),
    "text": N_("The explanation is too long: at most 4000 characters."),
    "body": N_("Choose where your motion goes."),
    "own": N_("You proposed this motion: it needs the seconds of other residents."),
    "twice": N_("You have seconded this motion already."),
    "closed": N_("This motion no longer takes seconds."),
}


def _here(resident: ResidentLink) -> str:
    return f"/r/{quote(resident.token)}/neighbourhood/motions"


async def _page(request: Request[Any, Any, Any], resident: ResidentLink, community: CommunityInfo, *, status_code: int = 200,
                done: str = "", problem: dict[str, Any] | None = None) -> Response[str]:
    mh = request.app.state.meihao
    principal = resident.principal(PROPOSE)
    motions = await council.list_motions(mh, principal, community)
    seconded = {r["motion"] for r in await Second.select(Second.motion).where(Second.resident == resident.resident_id)}
    problem = problem or {}
    waiting = [m for m in motions if m.state == "proposed" and m.proposer != resident.resident_id]
    # a motion not listed here (her own, or no longer taking seconds): the message goes above the list
    stray = problem["message"] if "motion" in problem and problem["motion"] not in {m.id for m in waiting} else ""
    return render_page(
        request, "neighbourhood/resident_motions.html", status_code=status_code, resident=resident, community=community,
        bodies=[b for b in await council.list_bodies(community) if b.kind in ("council", "design_committee")],
        waiting=waiting, mine=[m for m in motions if m.proposer == resident.resident_id], seconded=seconded, done=done, problem=problem,
        stray=stray,
        messages=MESSAGES, stages=STAGES, body_kinds=BODY_KINDS, title_max=TITLE_MAX, text_max=TEXT_MAX,
    )


@get("/motions")
async def motions_page(request: Request[Any, Any, Any], resident: CurrentResident, community: CurrentCommunity,
                       done: FromQuery[str] = "") -> Response[str]:
    """The motions of her grid waiting for seconds, a form to propose one, and her own with their stage."""
    return await _page(request, resident, community, done=done if done in ("proposed", "seconded") else "")


@post("/motions/propose")
async def propose(request: Request[Any, Any, Any], resident: CurrentResident, community: CurrentCommunity) -> Response[Any]:
    mh = request.app.state.meihao
    form = await request.form()
    title = " ".join(str(form.get("title", "")).split())
    text = str(form.get("text", "")).strip()
    body = str(form.get("body", ""))
    values = {"title": title, "text": text, "body": body}
    field = ("title" if not title or len(title) > TITLE_MAX else "text" if len(text) > TEXT_MAX
             else "body" if not (body.isascii() and body.isdigit()) else "")
    if not field:
        try:
            await council.propose(mh, resident.principal(PROPOSE), community,
                                  MotionIn(body_id=int(body), title=title, text=text, proposer_id=resident.resident_id))
        except MeihaoError as err:
            if err.status_code not in (400, 404):
                raise
            field = "body" if err.field == "body_id" else "title"
    if field:
        return await _page(request, resident, community, status_code=400, problem={"form": "propose", "field": field, **values})
    return Redirect(f"{_here(resident)}?done=proposed#mine", status_code=303)


@post("/motions/{motion_id:int}/second")
async def second(request: Request[Any, Any, Any], resident: CurrentResident, community: CurrentCommunity,
                 motion_id: FromPath[int]) -> Response[Any]:
    """附议 as the link's resident; a motion outside her grid is the "link not valid" page, as a missing one."""
    mh = request.app.state.meihao
    try:
        await council.second(mh, resident.principal(PROPOSE), community, motion_id, resident.resident_id)
    except MeihaoError as err:
        if err.status_code != 409:
            raise
        message = "own" if "proposer" in err.message else "twice" if err.field == "resident_id" else "closed"
        return await _page(request, resident, community, status_code=409, problem={"motion": motion_id, "message": message})
    return Redirect(f"{_here(resident)}?done=seconded#m{motion_id}", status_code=303)


HANDLERS: list[Any] = [motions_page, propose, second]
