"""Console pages: the list of activities (活动列表) beside the month and week calendars — filters by community,
scene, status and period with their counts, paging, and a CSV or Excel sheet of what the filter shows.

One row per activity (not per date) of the communities the visitor reaches, as ``GET
/api/communities/{slug}/activities?include_cancelled=true`` lists them; an activity is in a period when
one of its dates (holiday policy applied, cancelled dates left out) starts in it, in its community's time.
The counts are made in Python over the visitor's activities (a street has hundreds, not millions): the
periods need each activity's recurrence, which SQL cannot expand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.response import Stream

from meihao.errors import InvalidInput
from meihao.hooks.declarations import SCENES
from meihao.register.calendar import working_calendar
from meihao.reminders import activities as activity_service
from meihao.runtime import Meihao
from meihao.web.console.i18n import N_
from meihao.web.console.lists import Facet, ListQuery, csv_download, facet, pager, xlsx_download
from meihao.web.console.pages.activities import READ, STATUS_NAMES, reachable_communities, repeat_words, translator
from meihao.web.console.rendering import page_user, render_page, request_language

PATH = "/activities/list"
KEYS = ("community", "scene", "status", "period")
PAGE_SIZE = 50
#: The periods offered, each a span of local days from today (first, last), both included.
PERIODS = (
    ("week", N_("This week")),
    ("month", N_("This month")),
    ("next30", N_("The next 30 days")),
    ("past30", N_("The last 30 days")),
)
STATUSES = ("scheduled", "cancelled")
#: The columns of the spreadsheet (English message ids, translated for the visitor).
COLUMNS = (N_("Activity"), N_("Community"), N_("Scene"), N_("Status"), N_("First start"), N_("Repeats"), N_("Venue"), N_("Next date"),
           N_("Dates in the period"))


def period_days(period: str, today: date) -> tuple[date, date]:
    """The local days ``period`` spans around ``today``: this week is Monday to Sunday, this month the 1st to its last day."""
    if period == "week":
        first = today - timedelta(days=today.weekday())
        return first, first + timedelta(days=6)
    if period == "month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    if period == "next30":
        return today, today + timedelta(days=29)
    return today - timedelta(days=30), today - timedelta(days=1)


@dataclass
class Row:
    activity: dict[str, Any]
    community_name: str
    #: Dates (occurrence starts, UTC) in each period.
    in_period: dict[str, int]
    next_start: datetime | None


async def load_rows(mh: Meihao, communities: Iterable[Any]) -> list[Row]:
    rows = []
    now = mh.clock.now()
    for community in communities:
        zone = community.tz
        today = now.astimezone(zone).date()
        working = await working_calendar(mh, community)
        for activity in await activity_service.list_activities(community.slug, include_cancelled=True):
            counts = {}
            for name, _title in PERIODS:
                first, last = period_days(name, today)
                start = datetime.combine(first, time(0), tzinfo=zone).astimezone(timezone.utc)
                end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
                counts[name] = len(activity_service.activity_occurrences(activity, start, end, 2000, calendar=working))
            following = activity_service.activity_occurrences(activity, now, now + timedelta(days=800), 1, calendar=working) \
                if activity["status"] == "scheduled" else []
            rows.append(Row(activity, community.name, counts, following[0]["starts_at"] if following else None))
    return sorted(rows, key=lambda r: (r.next_start is None, r.next_start or r.activity["starts_at"], r.activity["id"]))


def _matches(row: Row, query: ListQuery, skip: str = "") -> bool:
    wanted = {k: v for k, v in query.values.items() if k != skip}
    if "community" in wanted and row.activity["community_slug"] != wanted["community"]:
        return False
    if "scene" in wanted and row.activity["scene"] != wanted["scene"]:
        return False
    if "status" in wanted and row.activity["status"] != wanted["status"]:
        return False
    return not ("period" in wanted and not row.in_period.get(wanted["period"]))


def check(query: ListQuery, communities: list[Any]) -> None:
    """A value the filter does not offer is a 400 naming it (not an empty list that looks like "no activities")."""
    offered = {"community": {c.slug for c in communities}, "status": set(STATUSES), "period": {p for p, _ in PERIODS}}
    for name, values in offered.items():
        if query.get(name) is not None and query.get(name) not in values:
            raise InvalidInput(f"{name}: {query.get(name)!r} is not one of {', '.join(sorted(values))}", field=name)


def facets(query: ListQuery, rows: list[Row], communities: list[Any], language: str) -> list[Facet]:
    def count(name: str, test: Any) -> int:
        return sum(1 for r in rows if _matches(r, query, skip=name) and test(r))

    scenes = sorted({r.activity["scene"] for r in rows})
    found = []
    if len(communities) > 1:
        found.append(facet(query, PATH, "community", N_("Community"),
                           [(c.slug, c.name, count("community", lambda r, c=c: r.activity["community_slug"] == c.slug)) for c in communities]))
    found.append(facet(query, PATH, "scene", N_("Scene"), [
        (s, SCENES[s][0 if language == "zh_CN" else 1] if s in SCENES else s, count("scene", lambda r, s=s: r.activity["scene"] == s))
        for s in scenes]))
    found.append(facet(query, PATH, "status", N_("Status"), [
        (s, STATUS_NAMES[s], count("status", lambda r, s=s: r.activity["status"] == s)) for s in STATUSES], translate=True))
    found.append(facet(query, PATH, "period", N_("Period"), [
        (p, title, count("period", lambda r, p=p: bool(r.in_period[p]))) for p, title in PERIODS], translate=True, keep_empty=True))
    return found


async def _filtered(request: Request[Any, Any, Any]) -> tuple[ListQuery, list[Row], list[Row], list[Any]]:
    mh: Meihao = request.app.state.meihao
    query = ListQuery.read(request, KEYS)
    communities = await reachable_communities(page_user(request))
    check(query, communities)
    rows = await load_rows(mh, communities)
    return query, rows, [r for r in rows if _matches(r, query)], communities


@get(PATH, guards=[READ], include_in_schema=False)
async def list_page(request: Request[Any, Any, Any]) -> Response[Any]:
    query, rows, shown, communities = await _filtered(request)
    t = translator(request)
    page = pager(query, PATH, len(shown), PAGE_SIZE)
    visible = shown[(page.page - 1) * PAGE_SIZE: page.page * PAGE_SIZE]
    language = request_language(request)
    return render_page(
        request, "activities/list.html", query=query, facets=facets(query, rows, communities, language), pager=page,
        total=len(shown), rows=[_present(r, query, t, language) for r in visible], several=len(communities) > 1,
        can_write=page_user(request).can("meihao.activity.write"), list_path=PATH,
    )


def _present(row: Row, query: ListQuery, t: Any, language: str) -> dict[str, Any]:
    a = row.activity
    zone = ZoneInfo(a["timezone"])
    scene = SCENES.get(a["scene"])
    return {
        "id": a["id"], "title": a["title"], "community": row.community_name, "venue": a["venue"], "status": a["status"],
        "scene": (scene[0] if language == "zh_CN" else scene[1]) if scene else a["scene"], "repeat": repeat_words(a, t),
        "starts": a["starts_at"].astimezone(zone), "next": row.next_start.astimezone(zone) if row.next_start else None,
        "in_period": row.in_period.get(query.get("period") or "", None),
    }


async def _export(request: Request[Any, Any, Any], kind: str) -> tuple[AsyncIterator[list[Any]], str]:
    query, _rows, shown, _communities = await _filtered(request)
    t = translator(request)
    language = request_language(request)
    period = query.get("period")

    async def rows() -> AsyncIterator[list[Any]]:
        yield [t.gettext(c) for c in COLUMNS]
        for row in shown:
            r = _present(row, query, t, language)
            yield [r["title"], r["community"], r["scene"], t.gettext(STATUS_NAMES[r["status"]]), r["starts"].strftime("%Y-%m-%d %H:%M"),
                   r["repeat"], r["venue"], r["next"].strftime("%Y-%m-%d %H:%M") if r["next"] else "",
                   r["in_period"] if period else ""]

    return rows(), f"activities.{kind}"


@get(f"{PATH}.csv", guards=[READ], include_in_schema=False)
async def list_csv(request: Request[Any, Any, Any]) -> Stream:
    rows, filename = await _export(request, "csv")
    return csv_download(rows, filename)


@get(f"{PATH}.xlsx", guards=[READ], include_in_schema=False)
async def list_xlsx(request: Request[Any, Any, Any]) -> Response[Any]:
    rows, filename = await _export(request, "xlsx")
    return await xlsx_download(rows, filename, sheet="activities")


HANDLERS = [list_page, list_csv, list_xlsx]
