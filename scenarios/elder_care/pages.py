"""elder_care's console pages (``meihao_console_pages``): visits due, an elder, recording a visit on a phone, alerts.

The pages call the same services as the API with the same permissions, so a page shows only
the elders its viewer reaches (another grid's elder is the 404 page) and a visit's findings
and notes only to holders of ``elder_care.visit.notes.read``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from meihao import (
    Caller,
    CardFigure,
    CommunityInfo,
    ConsoleCard,
    ConsolePages,
    CurrentCommunity,
    InvalidInput,
    NavLink,
    NotFound,
    PathId,
    Principal,
    QueueItem,
    Runtime,
    community_today,
    get_community,
    page_requires,
    render_page,
)
from meihao.tables import Community, Resident

from .routes import READ, RECORD
from .schemas import CARE_LEVELS, CHECKLIST, VisitIn
from .services import alerts, due, register, visits
from .tables import Elder

HERE = Path(__file__).parent


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it when shown."""
    return message


NOTES_READ = visits.NOTES_READ
#: The checklist's answers in the form: one tap each, nothing chosen until the visitor chooses.
AREA_ANSWERS = ("ok", "concern")
#: How the visitor was in contact (``Visit.method``), as shown.
METHODS: dict[str, tuple[str, str]] = {"home": ("上门入户", "Home visit"), "phone": ("电话", "Phone call"), "video": ("视频", "Video call")}
#: The service needs a visit may name (``schemas.NEEDS``), as shown.
NEED_TITLES: dict[str, tuple[str, str]] = {
    "care": ("生活照料", "daily care"), "rehabilitation": ("康复护理", "rehabilitation"), "companionship": ("精神慰藉", "companionship"),
    "home_adaptation": ("适老化改造", "home adaptation"), "meals": ("助餐", "meals"), "medical": ("就医", "medical care"),
}
ALERT_LEVELS: dict[str, tuple[str, str]] = {"visitor": ("超期提醒", "Reminder to the visitor"), "escalation": ("超期上报", "Escalated")}


def _labels() -> dict[str, Any]:
    """What every template shows from codes: care levels, checklist areas, methods, needs, alert levels."""
    return {"care_levels": CARE_LEVELS, "checklist": CHECKLIST, "methods": METHODS, "need_titles": NEED_TITLES, "alert_levels": ALERT_LEVELS}


def _base(community: CommunityInfo) -> str:
    return f"/c/{community.slug}/elder_care"


# -- visits due -----------------------------------------------------------------------------------


@get(["/", "/due"], guards=[page_requires(READ)])
async def due_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, recorded: FromQuery[int | None] = None
) -> Response[str]:
    """Elders overdue, due today and due soon, in the viewer's scope, with a button to record each visit."""
    lists = await due.due_elders(meihao, principal, community)
    done = None
    if recorded is not None and 0 < recorded < 2**63:  # a row id; anything else shows no confirmation
        try:
            done = await register.get_elder(meihao, principal, community, recorded, sensitive=False)
        except NotFound:
            done = None
    return render_page(
        request, "elder_care/due.html", community=community, base=_base(community), lists=lists, soon_days=due.SOON_DAYS,
        today=community_today(meihao, community), recorded=done, can_record=principal.can(RECORD), **_labels(),
    )


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
            errors[f"area_{area}"] = N_("Tap Fine or Concern.")
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


@get("/alerts", guards=[page_requires(READ)])
async def alerts_page(request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime) -> Response[str]:
    """Open overdue alerts (escalations first) and the last month's visits that found a concern or asked for a follow-up."""
    open_alerts = await alerts.list_alerts(meihao, principal, community)
    open_alerts.sort(key=lambda a: (a.level != "escalation", a.due_on, a.id))
    found = await due.concerns(meihao, principal, community)
    return render_page(
        request, "elder_care/alerts.html", community=community, base=_base(community), alerts=open_alerts, concerns=found, **_labels(),
    )


# -- cards and the queue --------------------------------------------------------------------------


async def visit_figures(meihao: Any, principal: Principal, community: CommunityInfo) -> list[CardFigure]:
    counts = await due.due_counts(meihao, principal, community)
    return [
        CardFigure("探访超期", "Overdue", counts["overdue"], "alert" if counts["overdue"] else "ok"),
        CardFigure("今日应访", "Due today", counts["today"], "warn" if counts["today"] else "ok"),
        CardFigure(f"{due.SOON_DAYS}天内到期", f"Due within {due.SOON_DAYS} days", counts["soon"], "ok"),
    ]


async def alert_figures(meihao: Any, principal: Principal, community: CommunityInfo) -> list[CardFigure]:
    open_alerts = await alerts.list_alerts(meihao, principal, community)
    escalations = sum(1 for a in open_alerts if a.level == "escalation")
    found = await due.concerns(meihao, principal, community)
    return [
        CardFigure("超期上报", "Escalations", escalations, "alert" if escalations else "ok"),
        CardFigure("近30天发现问题", "Concerns, last 30 days", len(found), "warn" if found else "ok"),
    ]


async def visit_queue(meihao: Any, principal: Principal) -> list[QueueItem]:
    """The viewer's visits: overdue (red), due today, due within a few days (yellow), for elders they visit."""
    if not principal.can(RECORD):
        return []
    with_elders = Resident.select(Resident.community).where(Resident.id.is_in(Elder.select(Elder.resident).where(Elder.active.eq(True))))
    communities = await Community.select(Community.id, Community.slug).where(Community.id.is_in(with_elders)).order_by(Community.id)
    items: list[QueueItem] = []
    for row in communities:
        if not principal.reaches_community(row["id"]):
            continue
        community = await get_community(row["slug"])
        today = community_today(meihao, community)
        for elder in await due.responsible_due(meihao, principal, community):
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
    handlers=[due_page, elder_page, visit_form, record_visit, alerts_page],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[
        NavLink("探访", "Visits due", "due", permission=READ),
        NavLink("预警", "Alerts", "alerts", permission=READ),
    ],
    cards=[
        ConsoleCard("visits", "探访关爱", "Welfare visits", visit_figures, link="due", permission=READ),
        ConsoleCard("alerts", "探访预警", "Visit alerts", alert_figures, link="alerts", permission=READ),
    ],
    queue=visit_queue,
)
