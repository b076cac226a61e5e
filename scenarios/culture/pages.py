"""The culture scene's console pages (戏曲进乡村 opera to the villages): the plan, the shows, recording a show; its card and queue.

Pages call the same service functions as the API routes, with the same permissions, so that
a page shows exactly the shows the viewer could read through the API (out of scope = the 404 page).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Stream

from meihao import (
    Caller,
    CardFigure,
    CommunityInfo,
    ConsoleCard,
    ConsolePages,
    CurrentCommunity,
    ListQuery,
    MeihaoError,
    NavLink,
    Principal,
    QueueItem,
    Runtime,
    audit,
    csv_download,
    facet,
    page_requires,
    render_page,
    scope_where,
    xlsx_download,
    yuan_to_fen,
)
from meihao.tables import Community

from .manage_pages import HANDLERS as MANAGE_HANDLERS
from .routes import MANAGE, READ, RECORD
from .schemas import ShowOut, ShowRecordIn
from .services import figures, listing, plans, shows
from .street_pages import STREET_HANDLERS, STREET_NAV
from .tables import Show

HERE = Path(__file__).parent
SCENE = "culture"


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it where it is shown."""
    return message


SATISFACTION = {"satisfied": N_("Satisfied"), "basically_satisfied": N_("Basically satisfied"), "unsatisfied": N_("Unsatisfied")}
STATUS = {"scheduled": N_("Scheduled"), "delivered": N_("Held and recorded"), "cancelled": N_("Cancelled"), "to_record": N_("Held, not recorded")}
STATUS_TONE = {"scheduled": "ok", "delivered": "ok", "cancelled": "alert", "to_record": "alert"}
LEVELS = {"province": N_("provincial troupe"), "city": N_("city troupe"), "county": N_("county troupe"), "folk": N_("folk troupe")}
MESSAGES = {
    "attendance": N_("Enter the head count, a whole number from 0 to 100000."),
    "satisfaction": N_("Choose one of the answers."),
    "feedback": N_("At most 200 characters."),
    "confirmed_by": N_("At most 64 characters."),
    "subsidy": N_("Enter the subsidy in yuan, e.g. 5000 or 4800.50, or leave it empty."),
    "not_begun": N_("The show has not begun yet: record it after it took place."),
    "cancelled": N_("This show was cancelled: there is nothing to record."),
}
FIELDS = ("attendance", "satisfaction", "feedback", "confirmed_by", "subsidy")


def state(show: ShowOut, now: datetime) -> str:
    """The show's state as a worker reads it: a scheduled show that has begun is waiting for its record."""
    return "to_record" if show.status == "scheduled" and show.starts_at <= now else show.status


def _local(value: datetime | None, community: CommunityInfo) -> datetime | None:
    return value.astimezone(community.tz) if value is not None else None


def _rows(shows_: list[ShowOut], community: CommunityInfo, now: datetime) -> list[dict[str, Any]]:
    return [{"show": s, "starts": _local(s.starts_at, community), "state": state(s, now)} for s in shows_]


# -- the plan ---------------------------------------------------------------------------------------


@get(["/", "/plan"], guards=[page_requires(READ)])
async def plan_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """The tour plans with their shows done and to come, and the coming shows in the viewer's area."""
    now = meihao.clock.now()
    today = now.astimezone(community.tz).date()
    scheduled = await shows.list_shows(community, principal, status="scheduled")
    coming = [s for s in scheduled if s.starts_at > now]
    to_record = len(scheduled) - len(coming)
    year = figures.this_year(meihao, community)
    summary = await figures.summary(meihao, community, year, principal)
    return render_page(request, "culture/plan.html", community=community, plans=await plans.list_plans(community, principal),
                       coming=_rows(coming, community, now), to_record=to_record, summary=summary, year=year, today=today,
                       status=STATUS, tone=STATUS_TONE, can_record=principal.can(RECORD))


#: The shows list's filter keys: the year, then month, venue, state (``status``) and genre (剧种) with their counts.
SHOW_KEYS = ("year", "month", "venue", "status", "genre")
GROUP_TITLES = {
    "to_record": N_("Held, waiting for their record"), "scheduled": N_("Coming"), "delivered": N_("Held and recorded"), "cancelled": N_("Cancelled"),
}
MONTHS = {m: label for m, label in enumerate((
    N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"), N_("August"), N_("September"),
    N_("October"), N_("November"), N_("December")), start=1)}


def _show_filter(query: ListQuery, this_year: int) -> listing.ShowFilter:
    """The list's filter; a value that is not a whole number in range, or not a state, is a 400 naming its field."""
    return listing.ShowFilter(
        year=query.integer("year", 2000, this_year + 1) or this_year, month=query.integer("month", 1, 12),
        venue_id=query.integer("venue", 1, 2**31 - 1), state=query.get("status"), genre=query.get("genre"),
    )


@get("/shows", guards=[page_requires(READ)])
async def shows_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[str]:
    """The shows of a year in the viewer's area, with counts per month, venue, state and genre: those waiting for their record
    first, then the coming ones, then the rest; spreadsheets of what is shown."""
    now = meihao.clock.now()
    this_year = figures.this_year(meihao, community)
    query = ListQuery.read(request, SHOW_KEYS)
    filters = _show_filter(query, this_year)
    path = f"/c/{community.slug}/{SCENE}/shows"
    rows = _rows(await listing.matching(principal, community, filters, now), community, now)
    groups = [
        ("to_record", GROUP_TITLES["to_record"], [r for r in rows if r["state"] == "to_record"]),
        ("scheduled", GROUP_TITLES["scheduled"], [r for r in rows if r["state"] == "scheduled"]),
        ("delivered", GROUP_TITLES["delivered"], list(reversed([r for r in rows if r["state"] == "delivered"]))),
        ("cancelled", GROUP_TITLES["cancelled"], [r for r in rows if r["state"] == "cancelled"]),
    ]
    counts = await listing.facet_counts(principal, community, filters, now)
    facets = [
        facet(query, path, "status", N_("State"), [(k, STATUS[k], counts["status"][k]) for k in listing.STATES], translate=True),
        facet(query, path, "month", N_("Month"), [(m, MONTHS[m], counts["month"][m]) for m in MONTHS], translate=True),
        facet(query, path, "venue", N_("Venue"), [(v, name, n) for v, (name, n) in counts["venue"].items()]),
        facet(query, path, "genre", N_("Genre"), [(g, g, n) for g, n in counts["genre"].items()]),
    ]
    return render_page(request, "culture/shows.html", community=community, groups=groups, year=filters.year,
                       years=list(range(this_year, this_year - 4, -1)), status=STATUS, tone=STATUS_TONE, can_record=principal.can(RECORD),
                       query=query, list_path=path, facets=facets, total=len(rows))


async def _show_rows(request: Request[Any, Any, Any], meihao: Any, community: CommunityInfo, principal: Principal, kind: str) -> Any:
    query = ListQuery.read(request, SHOW_KEYS)
    filters = _show_filter(query, figures.this_year(meihao, community))
    await audit(principal, "culture.show.export", "culture.show", "", community_id=community.id, detail={**query.values, "format": kind})
    return listing.export_rows(principal, community, filters, meihao.clock.now())


@get("/shows/export.csv", guards=[page_requires(READ)])
async def shows_csv(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Stream:
    """The shows the list shows (its whole filter) as CSV with a BOM."""
    rows = await _show_rows(request, meihao, community, principal, "csv")
    return csv_download(rows, f"shows-{community.slug}-{meihao.clock.now():%Y%m%d-%H%M}.csv")


@get("/shows/export.xlsx", guards=[page_requires(READ)])
async def shows_xlsx(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller) -> Response[Any]:
    rows = await _show_rows(request, meihao, community, principal, "xlsx")
    return await xlsx_download(rows, f"shows-{community.slug}-{meihao.clock.now():%Y%m%d-%H%M}.xlsx", sheet="shows")


# -- one show and its record ----------------------------------------------------------------------------


@get("/shows/{show_id:int}", guards=[page_requires(READ)])
async def show_page(request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, show_id: FromPath[int]) -> Response[str]:
    show = await shows.get_show(community, show_id, principal)
    return _render_show(request, meihao, community, principal, show, done=request.query_params.get("done", ""))


def _render_show(
    request: Request[Any, Any, Any], mh: Any, community: CommunityInfo, principal: Principal, show: ShowOut, *, status_code: int = 200,
    errors: dict[str, str] | None = None, values: dict[str, str] | None = None, done: str = "",
) -> Response[str]:
    now = mh.clock.now()
    if values is None:  # the form starts from what is recorded (entering it again corrects it)
        values = {
            "attendance": "" if show.attendance is None else str(show.attendance), "satisfaction": show.satisfaction,
            "feedback": show.feedback, "confirmed_by": show.confirmed_by, "subsidy": show.subsidy,
        }
    return render_page(
        request, "culture/show.html", status_code=status_code, community=community, show=show, state=state(show, now),
        starts=_local(show.starts_at, community), ends=_local(show.ends_at, community), recorded_at=_local(show.recorded_at, community),
        status=STATUS, tone=STATUS_TONE, satisfaction=SATISFACTION, levels=LEVELS, errors=errors or {}, values=values, done=done,
        can_record=principal.can(RECORD) and show.status != "cancelled" and show.starts_at <= now,
    )


def _read_record(form: dict[str, Any]) -> tuple[ShowRecordIn | None, dict[str, str], dict[str, str]]:
    """The form as the API's body, or the problems at their fields; the values are kept for the form shown again."""
    values = {name: str(form.get(name, "")).strip() for name in FIELDS}
    errors: dict[str, str] = {}
    attendance = values["attendance"]
    if not (attendance.isascii() and attendance.isdigit() and int(attendance) <= 100_000):
        errors["attendance"] = MESSAGES["attendance"]
    if values["satisfaction"] and values["satisfaction"] not in SATISFACTION:
        errors["satisfaction"] = MESSAGES["satisfaction"]
    if len(values["feedback"]) > 200:
        errors["feedback"] = MESSAGES["feedback"]
    if len(values["confirmed_by"]) > 64:
        errors["confirmed_by"] = MESSAGES["confirmed_by"]
    if values["subsidy"]:
        try:
            yuan_to_fen(values["subsidy"], "subsidy")
        except MeihaoError:
            errors["subsidy"] = MESSAGES["subsidy"]
    if errors:
        return None, errors, values
    record = ShowRecordIn(
        attendance=int(attendance), satisfaction=values["satisfaction"] or None, feedback=values["feedback"],  # type: ignore[arg-type]
        confirmed_by=values["confirmed_by"], subsidy=Decimal(values["subsidy"]) if values["subsidy"] else None,
    )
    return record, {}, values


@post("/shows/{show_id:int}/record", guards=[page_requires(RECORD)])
async def record_show(
    request: Request[Any, Any, Any], community: CurrentCommunity, meihao: Runtime, principal: Caller, show_id: FromPath[int]
) -> Response[Any]:
    """Record a show after it took place (attendance, satisfaction, feedback, who confirmed, subsidy): the API's service."""
    show = await shows.get_show(community, show_id, principal)  # out of the viewer's area: the 404 page, before anything else
    record, errors, values = _read_record(dict(await request.form()))
    if record is not None:
        try:
            await shows.record_show(meihao, community, show_id, record, principal)
        except MeihaoError as err:
            if err.status_code != 409:
                raise
            errors = {"attendance": MESSAGES["cancelled" if err.field == "status" else "not_begun"]}
    if errors:
        return _render_show(request, meihao, community, principal, show, status_code=400, errors=errors, values=values)
    return Redirect(f"/c/{community.slug}/{SCENE}/shows/{show_id}?done=recorded", status_code=303)


# -- the card and the queue ---------------------------------------------------------------------------------


async def show_figures(mh: Any, principal: Principal, community: CommunityInfo) -> list[CardFigure]:
    """The next show and the shows held but not recorded, in the viewer's area."""
    now = mh.clock.now()
    scope = scope_where(principal, community, shows.PLACED_BY)
    upcoming = await Show.select(Show.starts_at).where(*scope, Show.status == "scheduled", Show.starts_at > now).order_by(Show.starts_at).first()
    to_record = await Show.count().where(*scope, Show.status == "scheduled", Show.starts_at <= now)
    return [
        CardFigure("下一场演出", "Next show", upcoming["starts_at"].astimezone(community.tz).strftime("%m-%d %H:%M") if upcoming else "—"),
        CardFigure("待录入演出记录", "Shows to record", to_record, "alert" if to_record else "ok"),
    ]


async def running_communities(principal: Principal) -> list[CommunityInfo]:
    """The communities that run the scene and that the viewer's scope reaches."""
    rows = await Community.raw(
        "SELECT c.id, c.slug, c.name, c.timezone FROM meihao_community AS c JOIN meihao_community_scenario AS s ON s.community = c.id "
        "WHERE s.scenario = {} AND s.enabled = {} ORDER BY c.id", SCENE, True,
    )
    return [CommunityInfo(id=r["id"], slug=r["slug"], name=r["name"], timezone=r["timezone"]) for r in rows if principal.reaches_community(r["id"])]


async def queue(mh: Any, principal: Principal) -> list[QueueItem]:
    """Shows held but not recorded (red), for who records shows, in their area."""
    if not principal.can(RECORD):
        return []
    now = mh.clock.now()
    items = []
    for community in await running_communities(principal):
        rows = await Show.select(
            Show.id, Show.starts_at, Show.ends_at, Show.venue.name.as_alias("venue"), Show.play.title.as_alias("play"),
        ).where(*scope_where(principal, community, shows.PLACED_BY), Show.status == "scheduled", Show.starts_at <= now).order_by(Show.starts_at)
        for r in rows:
            local = r["starts_at"].astimezone(community.tz)
            items.append(QueueItem(
                f"录入演出记录：《{r['play']}》，{local:%m月%d日}在{r['venue']}", f"Record the show: {r['play']}, {local:%d %b} at {r['venue']}",
                f"/c/{community.slug}/{SCENE}/shows/{r['id']}", community.slug, r["ends_at"], "red",
            ))
    return items


PAGES = ConsolePages(
    handlers=[plan_page, shows_page, shows_csv, shows_xlsx, show_page, record_show, *MANAGE_HANDLERS],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[NavLink("演出计划", "Tour plan", "plan", permission=READ), NavLink("演出场次", "Shows", "shows", permission=READ),
         NavLink("安排演出", "Plan shows", "manage", permission=MANAGE)],
    cards=[ConsoleCard("culture", "戏曲进乡村", "Opera to the villages", show_figures, link="plan", permission=READ)],
    queue=queue,
    overdue=queue,  # every item of its queue is red
    street_handlers=STREET_HANDLERS,
    street_nav=STREET_NAV,
)
