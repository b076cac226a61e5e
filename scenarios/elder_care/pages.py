"""elder_care's console pages (``meihao_console_pages``): visits due, an elder, recording a visit on a phone, alerts.

The pages call the same services as the API with the same permissions, so a page shows only
the elders its viewer reaches (another grid's elder is the 404 page) and a visit's findings
and notes only to holders of ``elder_care.visit.notes.read``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Stream

from meihao import (
    BulkAction,
    Caller,
    CardFigure,
    CommunityInfo,
    ConsoleCard,
    ConsolePages,
    CurrentCommunity,
    Facet,
    InvalidInput,
    ListQuery,
    NavLink,
    NotFound,
    PathId,
    Principal,
    QueueItem,
    Runtime,
    audit,
    bulk_action,
    community_today,
    csv_download,
    facet,
    list_views,
    page_requires,
    pager,
    render_page,
    saved_view_handlers,
    scoped_staff,
    xlsx_download,
)
from meihao.tables import Community, Resident

from .routes import READ, RECORD, WRITE
from .schemas import CAMPAIGN_GROUPS, CAMPAIGN_REASONS, CARE_LEVELS, CHECKLIST, ElderPatch, VisitIn
from .services import alerts, campaigns, due, follow_ups, listing, metrics, register, visits
from .services.common import TEAM_ROLES
from .tables import Elder

HERE = Path(__file__).parent


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it when shown."""
    return message


NOTES_READ = visits.NOTES_READ
#: The checklist's answers in the form: one tap each, nothing chosen until the visitor chooses; 未查 (not checked) is
#: an answer of its own, never recorded as fine (issue 16).
AREA_ANSWERS = ("ok", "concern", "not_checked")
#: How the visitor was in contact (``Visit.method``), as shown.
METHODS: dict[str, tuple[str, str]] = {"home": ("上门入户", "Home visit"), "phone": ("电话", "Phone call"), "video": ("视频", "Video call")}
#: The service needs a visit may name (``schemas.NEEDS``), as shown.
NEED_TITLES: dict[str, tuple[str, str]] = {
    "care": ("生活照料", "daily care"), "rehabilitation": ("康复护理", "rehabilitation"), "companionship": ("精神慰藉", "companionship"),
    "home_adaptation": ("适老化改造", "home adaptation"), "meals": ("助餐", "meals"), "medical": ("就医", "medical care"),
}
ALERT_LEVELS: dict[str, tuple[str, str]] = {"visitor": ("超期提醒", "Reminder to the visitor"), "escalation": ("超期上报", "Escalated")}


#: A follow-up's state and flag as shown.
FOLLOW_UP_STATES: dict[str, tuple[str, str]] = {"open": ("待跟进", "Open"), "done": ("已办结", "Done"), "cancelled": ("已取消", "Cancelled")}


def _labels() -> dict[str, Any]:
    """What every template shows from codes: care levels, checklist areas, methods, needs, alert levels, follow-up states."""
    return {"care_levels": CARE_LEVELS, "checklist": CHECKLIST, "methods": METHODS, "need_titles": NEED_TITLES, "alert_levels": ALERT_LEVELS,
            "follow_up_states": FOLLOW_UP_STATES}


def _base(community: CommunityInfo) -> str:
    return f"/c/{community.slug}/elder_care"


# -- visits due: the elders list ----------------------------------------------------------------

#: The list's filter keys; none chosen lists the visits due now and soon.
KEYS = ("grid", "care_level", "age", "living_alone", "status")
#: The saved views of the list are kept under this name.
AREA = "elder_care.due"
PAGE_SIZE = 50
STATUS_LABELS = {"overdue": N_("Overdue"), "due_today": N_("Due today"), "soon": N_("Due soon"), "later": N_("Not due yet")}
CARE_LABELS = {"high_risk": N_("High risk"), "key": N_("Key"), "general": N_("General")}
AGE_LABELS = {"0-69": N_("Under 70"), "70-79": N_("70 to 79"), "80-89": N_("80 to 89"), "90-": N_("90 and over")}
ALONE_LABELS = {"yes": N_("Lives alone"), "no": N_("Lives with others")}
#: What the bulk action does to every elder the filter matches: name their responsible visitor.
BULK_ACTIONS = ("assign",)


def _elder_filter(query: ListQuery) -> listing.ElderFilter:
    """The list's filter from the query; a value it does not know is a 400 naming its field."""
    alone = query.get("living_alone")
    if alone is not None and alone not in ALONE_LABELS:
        raise InvalidInput("living_alone: yes or no", field="living_alone")
    return listing.ElderFilter(
        grid_id=query.integer("grid", 1, 2**31 - 1), care_level=query.get("care_level"), age=query.get("age"),
        living_alone=None if alone is None else alone == "yes", status=query.get("status"),
    )


async def _facets(meihao: Any, principal: Principal, community: CommunityInfo, query: ListQuery, filters: listing.ElderFilter,
                  path: str) -> list[Facet]:
    counts = await listing.facet_counts(meihao, principal, community, filters)
    grids = await listing.grid_names(community)
    return [
        facet(query, path, "status", N_("Visit"), [(k, label, counts["status"][k]) for k, label in STATUS_LABELS.items()], translate=True),
        facet(query, path, "grid", N_("Grid"), [(g, name, counts["grid"].get(g, 0)) for g, name in grids.items()]),
        facet(query, path, "care_level", N_("Care level"), [(k, label, counts["care_level"].get(k, 0)) for k, label in CARE_LABELS.items()],
              translate=True),
        facet(query, path, "age", N_("Age"), [(k, label, counts["age"][k]) for k, label in AGE_LABELS.items()], translate=True),
        facet(query, path, "living_alone", N_("Living alone"),
              [("yes", ALONE_LABELS["yes"], counts["living_alone"].get(True, 0)), ("no", ALONE_LABELS["no"], counts["living_alone"].get(False, 0))],
              translate=True),
    ]


@get(["/", "/due"], guards=[page_requires(READ)])
async def due_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, recorded: FromQuery[int | None] = None
) -> Response[str]:
    """Elders overdue, due today and due soon (or as the filter says), in the viewer's scope, with counts per grid, care level,
    age band, living alone and visit state, a button to record each visit, saved views, export and a bulk visitor."""
    query = ListQuery.read(request, KEYS)
    filters = _elder_filter(query)
    path = f"{_base(community)}/due"
    total = await listing.count(meihao, principal, community, filters)
    today = community_today(meihao, community)
    rows = await listing.page_of(meihao, principal, community, filters, query.page, PAGE_SIZE)
    lists = due.DueElders(
        overdue=[e for e in rows if e.plan.next_due_on < today],
        today=[e for e in rows if e.plan.next_due_on == today],
        soon=[e for e in rows if today < e.plan.next_due_on <= today + timedelta(days=due.SOON_DAYS)],
    )
    later = [e for e in rows if e.plan.next_due_on > today + timedelta(days=due.SOON_DAYS)]
    done = None
    if recorded is not None and 0 < recorded < 2**63:  # a row id; anything else shows no confirmation
        try:
            done = await register.get_elder(meihao, principal, community, recorded, sensitive=False)
        except NotFound:
            done = None
    can_assign = principal.can(WRITE)
    return render_page(
        request, "elder_care/due.html", community=community, base=_base(community), lists=lists, later=later, soon_days=due.SOON_DAYS,
        today=today, recorded=done, can_record=principal.can(RECORD), query=query, list_path=path, total=total,
        facets=await _facets(meihao, principal, community, query, filters, path), pager=pager(query, path, total, PAGE_SIZE),
        views=await list_views(principal, AREA), can_assign=can_assign, team=await listing.team(community) if can_assign and total else [],
        **_labels(),
    )


async def _bulk_step(meihao: Any, principal: Principal, community: CommunityInfo, values: Any,
                     posted: bool) -> tuple[BulkAction, Any, list[int]]:
    """The step, the visitor and the elders it takes: counted and listed once, by the same scoped query."""
    query = ListQuery.parse(dict(values), KEYS)
    ids = await listing.matching_ids(meihao, principal, community, _elder_filter(query))

    async def count() -> int:
        return len(ids)

    bulk = await bulk_action(query, str(values.get("action", "")), BULK_ACTIONS, count, values if posted else None)
    raw = str(values.get("visitor_staff_id", ""))
    staff_id = ListQuery.number("visitor_staff_id", raw, 1, 2**31 - 1) if raw.strip() else None
    if staff_id is None:
        raise InvalidInput("visitor_staff_id: choose the visitor", field="visitor_staff_id")
    visitor = await scoped_staff(principal, community, staff_id, "visitor_staff_id", roles=TEAM_ROLES)  # as the service checks it
    return bulk, visitor, ids


@get("/due/bulk", guards=[page_requires(READ, WRITE)])
async def bulk_confirm(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[str]:
    """How many elders the filter matches, whose responsible visitor would become the one chosen, before anything changes."""
    bulk, visitor, _ = await _bulk_step(meihao, principal, community, request.query_params, posted=False)
    return render_page(request, "elder_care/bulk.html", community=community, base=_base(community), bulk=bulk, visitor=visitor,
                       results=None, list_path=f"{_base(community)}/due")


@post("/due/bulk", guards=[page_requires(READ, WRITE)])
async def bulk_apply(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[str]:
    """Name the visitor of every elder the filter matches now, one by one through the API's service (``PATCH …/elders/{id}``),
    each with its audit row; when the elders matching are no longer the number confirmed, confirm again (409)."""
    values = await request.form()
    bulk, visitor, ids = await _bulk_step(meihao, principal, community, values, posted=True)
    results = None
    if not bulk.stale:
        results = []
        for elder_id in ids:  # exactly those counted now, most urgent first
            before = await register.get_elder(meihao, principal, community, elder_id, sensitive=False)
            unchanged = before.visitor is not None and before.visitor.kind == "staff" and before.visitor.id == visitor["id"]
            if not unchanged:
                await register.update_elder(meihao, principal, community, elder_id, ElderPatch(visitor_staff_id=visitor["id"]))
            results.append({"elder": before, "outcome": "unchanged" if unchanged else "assigned"})
    return render_page(request, "elder_care/bulk.html", status_code=bulk.status_code, community=community, base=_base(community), bulk=bulk,
                       visitor=visitor, results=results, list_path=f"{_base(community)}/due")


async def _export(request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, kind: str) -> Any:
    query = ListQuery.read(request, KEYS)
    filters = _elder_filter(query)
    await audit(principal, "elder_care.elder.export", "elder", "", community_id=community.id, detail={**query.values, "format": kind})
    return listing.export_rows(meihao, principal, community, filters)


@get("/due/export.csv", guards=[page_requires(READ)])
async def export_csv(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Stream:
    """The elders the list shows (its whole filter, every page) as CSV with a BOM: what the list shows, nothing sensitive."""
    rows = await _export(request, meihao, principal, community, "csv")
    return csv_download(rows, f"elders-{community.slug}-{meihao.clock.now():%Y%m%d-%H%M}.csv")


@get("/due/export.xlsx", guards=[page_requires(READ)])
async def export_xlsx(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[Any]:
    rows = await _export(request, meihao, principal, community, "xlsx")
    return await xlsx_download(rows, f"elders-{community.slug}-{meihao.clock.now():%Y%m%d-%H%M}.xlsx", sheet="elders")


# -- one elder ------------------------------------------------------------------------------------


@get("/elders/{elder_id:int}", guards=[page_requires(READ)])
async def elder_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, elder_id: PathId
) -> Response[str]:
    elder = await register.get_elder(meihao, principal, community, elder_id, sensitive=False)
    history = await visits.list_visits(meihao, principal, community, elder_id, limit=20)
    return render_page(
        request, "elder_care/elder.html", community=community, base=_base(community), elder=elder, visits=history,
        can_record=principal.can(RECORD), notes=principal.can(NOTES_READ), today=community_today(meihao, community), **_labels(),
    )


# -- recording a visit ----------------------------------------------------------------------------


def _empty_form() -> dict[str, Any]:
    return {
        "method": "home", "visited_at": "", "areas": {a: "" for a in CHECKLIST}, "area_notes": {a: "" for a in CHECKLIST},
        "needs_list": [], "follow_up_needed": False, "follow_up_note": "",
    }


async def _render_form(
    request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, elder_id: int,
    form: dict[str, Any], errors: dict[str, str], status_code: int = 200,
) -> Response[str]:
    elder = await register.get_elder(meihao, principal, community, elder_id, sensitive=False)
    return render_page(
        request, "elder_care/visit.html", status_code=status_code, community=community, base=_base(community), elder=elder,
        form=form, errors=defaultdict(str, errors), **_labels(),
    )


@get("/elders/{elder_id:int}/visit", guards=[page_requires(RECORD)])
async def visit_form(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, elder_id: PathId
) -> Response[str]:
    """A short form for a phone: how, one tap per checklist area, a note where something is wrong, follow-up."""
    return await _render_form(request, meihao, principal, community, elder_id, _empty_form(), {})


def _read_form(raw: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The submitted form as values to show again, and the problems the page itself finds (an area left unanswered)."""
    form = _empty_form()
    errors: dict[str, str] = {}
    form["method"] = raw.get("method", "")
    if form["method"] not in METHODS:
        errors["method"] = N_("Choose how you were in contact.")
    form["visited_at"] = raw.get("visited_at", "").strip()
    for area in CHECKLIST:
        answer = raw.get(f"area_{area}", "")
        form["areas"][area] = answer if answer in AREA_ANSWERS else ""
        form["area_notes"][area] = raw.get(f"note_{area}", "").strip()
        if not form["areas"][area]:
            errors[f"area_{area}"] = N_("Tap Fine, Concern or Not checked.")
    form["needs_list"] = [n for n in raw.getall("needs_list", []) if n]
    form["follow_up_needed"] = raw.get("follow_up_needed", "") == "yes"
    form["follow_up_note"] = raw.get("follow_up_note", "").strip()
    return form, errors


def _visit_in(form: dict[str, Any]) -> VisitIn:
    visited_at = None
    if form["visited_at"]:
        try:
            visited_at = datetime.fromisoformat(form["visited_at"])
        except ValueError as err:
            raise InvalidInput(N_("Enter a date and time, e.g. 2026-03-10 15:00."), field="visited_at") from err
    body = {
        "method": form["method"],
        "visited_at": visited_at,
        "findings": {
            **{area: {"status": form["areas"][area], "note": form["area_notes"][area] if form["areas"][area] == "concern" else ""}
               for area in CHECKLIST},
            "needs_list": form["needs_list"],
        },
        "follow_up_needed": form["follow_up_needed"],
        "follow_up_note": form["follow_up_note"] if form["follow_up_needed"] else "",
    }
    return msgspec.convert(body, VisitIn)


def _form_field(field: str | None) -> str:
    """The form's field for the service's ``field`` (``findings.health.note`` is the health area's note)."""
    if not field:
        return "form"
    parts = field.split(".")
    if parts[0] == "findings" and len(parts) > 1:
        return "needs_list" if parts[1] == "needs_list" else f"area_{parts[1]}"
    return field if field in ("method", "visited_at", "follow_up_note") else "form"


@post("/elders/{elder_id:int}/visit", guards=[page_requires(RECORD)])
async def record_visit(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, elder_id: PathId
) -> Response[Any]:
    """Record the visit through the API's service; problems are shown at their fields (400), success goes back to the list."""
    raw = await request.form()
    if raw.get("form") != "visit":
        # the queue's one-tap button: open the form for this elder (in scope, else the 404 page)
        await register.get_elder(meihao, principal, community, elder_id, sensitive=False)
        return Redirect(f"{_base(community)}/elders/{elder_id}/visit", status_code=303)
    form, errors = _read_form(raw)
    if not errors:
        try:
            await visits.record_visit(meihao, principal, community, elder_id, _visit_in(form))
        except InvalidInput as err:
            errors[_form_field(err.field)] = _message(err)
    if errors:
        return await _render_form(request, meihao, principal, community, elder_id, form, errors, status_code=400)
    return Redirect(f"{_base(community)}/due?recorded={elder_id}", status_code=303)


#: The service's problems, as messages the page translates (the service speaks to API callers, in English).
SERVICE_PROBLEMS = (
    ("must not be in the future", N_("The time of the visit must not be in the future.")),
    ("at most a year ago", N_("The visit must be at most a year ago.")),
    ("at most 1000 characters", N_("At most 1000 characters.")),
    ("at most 2000 characters", N_("At most 2000 characters.")),
    ("is not one of", N_("Choose from the list.")),
    ("no longer on the register", N_("This elder is no longer on the register.")),
)


def _message(err: InvalidInput) -> str:
    for words, message in SERVICE_PROBLEMS:
        if words in err.message:
            return message
    return err.message


# -- alerts ---------------------------------------------------------------------------------------


#: Open alerts per page of the alerts page (escalations first).
ALERTS_PAGE_SIZE = 50


@get("/alerts", guards=[page_requires(READ)])
async def alerts_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[str]:
    """The month's 月探访率, open overdue alerts (escalations first), open follow-ups (the most urgent due first) and the
    last month's visits that found a concern or asked for a follow-up."""
    query = ListQuery.read(request, ())
    path = f"{_base(community)}/alerts"
    open_alerts = await alerts.list_alerts(meihao, principal, community, urgent_first=True, page=query.page, page_size=ALERTS_PAGE_SIZE)
    found = await due.concerns(meihao, principal, community)
    pending = await follow_ups.list_follow_ups(meihao, principal, community)
    pending.sort(key=lambda f: (f.due_at is None, f.due_at or f.opened_at, f.id))
    return render_page(
        request, "elder_care/alerts.html", community=community, base=_base(community), alerts=open_alerts.items,
        alerts_total=open_alerts.total, alerts_pager=pager(query, path, open_alerts.total, ALERTS_PAGE_SIZE), concerns=found,
        follow_ups=pending, report=await metrics.monthly_report(meihao, principal, community), **_labels(),
    )


# -- 加密探访 campaigns ---------------------------------------------------------------------------


@get("/campaigns", guards=[page_requires(READ)])
async def campaigns_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[str]:
    """The campaigns, running first, then the coming ones and the past, with visited / targets in the viewer's scope."""
    query = ListQuery.read(request, ())
    path = f"{_base(community)}/campaigns"
    found = await campaigns.list_campaigns(meihao, principal, community, page=query.page, page_size=CAMPAIGNS_PAGE_SIZE)
    today = community_today(meihao, community)
    return render_page(request, "elder_care/campaigns.html", community=community, base=_base(community), campaigns=found.items,
                       today=today, pager=pager(query, path, found.total, CAMPAIGNS_PAGE_SIZE), reasons=CAMPAIGN_REASONS,
                       groups=CAMPAIGN_GROUPS, **_labels())


@get("/campaigns/{campaign_id:int}", guards=[page_requires(READ)])
async def campaign_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, campaign_id: PathId,
) -> Response[str]:
    """One campaign's progress: the elders the viewer reaches not visited yet, then those visited (and the day)."""
    campaign = await campaigns.get_campaign(meihao, principal, community, campaign_id)
    return render_page(request, "elder_care/campaign.html", community=community, base=_base(community), campaign=campaign,
                       today=community_today(meihao, community), reasons=CAMPAIGN_REASONS, groups=CAMPAIGN_GROUPS, **_labels())


#: Campaigns per page.
CAMPAIGNS_PAGE_SIZE = 20


# -- cards and the queue --------------------------------------------------------------------------


async def visit_figures(meihao: Any, principal: Principal, community: CommunityInfo) -> list[CardFigure]:
    counts = await due.due_counts(meihao, principal, community)
    return [
        CardFigure("探访超期", "Overdue", counts["overdue"], "alert" if counts["overdue"] else "ok"),
        CardFigure("今日应访", "Due today", counts["today"], "warn" if counts["today"] else "ok"),
        CardFigure(f"{due.SOON_DAYS}天内到期", f"Due within {due.SOON_DAYS} days", counts["soon"], "ok"),
    ]


async def alert_figures(meihao: Any, principal: Principal, community: CommunityInfo) -> list[CardFigure]:
    """Open escalations and the concerns visits found in the last 30 days, all of them counted in SQL (the alerts page
    lists the latest), and this month's visit rate (月探访率)."""
    escalations = await alerts.escalation_count(principal, community)
    found = await due.concern_count(meihao, principal, community)
    month_rate, met_target = await metrics.month_rate(meihao, principal, community)
    figures = [
        CardFigure("超期上报", "Escalations", escalations, "alert" if escalations else "ok"),
        CardFigure("近30天发现问题", "Concerns, last 30 days", found, "warn" if found else "ok"),
    ]
    if month_rate is not None:
        figures.append(CardFigure("本月探访率（%）", "Visited this month (%)", month_rate, "ok" if met_target else "warn"))
    return figures


async def visit_queue(meihao: Any, principal: Principal) -> list[QueueItem]:
    """The viewer's visits: overdue (red), due today, due within a few days (yellow), for elders they visit."""
    return await _visits_due(meihao, principal)


async def overdue_visits(meihao: Any, principal: Principal) -> list[QueueItem]:
    """The red part of :func:`visit_queue` only (the street overview's), chosen in SQL."""
    return await _visits_due(meihao, principal, overdue_only=True)


async def _visits_due(meihao: Any, principal: Principal, *, overdue_only: bool = False) -> list[QueueItem]:
    if not principal.can(RECORD):
        return []
    with_elders = Resident.select(Resident.community).where(Resident.id.is_in(Elder.select(Elder.resident).where(Elder.active.eq(True))))
    communities = await Community.select().where(Community.id.is_in(with_elders)).order_by(Community.id)
    items: list[QueueItem] = []
    for row in communities:
        if not principal.reaches_community(row["id"]):
            continue
        community = CommunityInfo.from_row(row)
        today = community_today(meihao, community)
        # due up to yesterday is overdue: the red items only
        for elder in await due.responsible_due(meihao, principal, community, soon_days=-1 if overdue_only else due.SOON_DAYS):
            when = elder.plan.next_due_on
            urgency = "red" if when < today else ("today" if when == today else "yellow")
            level_zh, level_en = CARE_LEVELS[elder.care_level]
            items.append(QueueItem(
                title_zh=f"探访 {elder.name}（{level_zh}）", title_en=f"Visit {elder.name} ({level_en})",
                href=f"{_base(community)}/elders/{elder.id}", community=community.slug, due=when, urgency=urgency,
                action=("记录探访", "Record the visit", f"elders/{elder.id}/visit"),
            ))
    return items


PAGES = ConsolePages(
    handlers=[
        due_page, bulk_confirm, bulk_apply, export_csv, export_xlsx, elder_page, visit_form, record_visit, alerts_page,
        campaigns_page, campaign_page,
        *saved_view_handlers("/due", AREA, KEYS, READ, check=_elder_filter),
    ],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[
        NavLink("探访", "Visits due", "due", permission=READ),
        NavLink("预警", "Alerts", "alerts", permission=READ),
        NavLink("加密探访", "Extra visits", "campaigns", permission=READ),
    ],
    cards=[
        ConsoleCard("visits", "探访关爱", "Welfare visits", visit_figures, link="due", permission=READ),
        ConsoleCard("alerts", "探访预警", "Visit alerts", alert_figures, link="alerts", permission=READ),
    ],
    queue=visit_queue,
    overdue=overdue_visits,
)
