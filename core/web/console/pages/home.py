"""The street overview (``/``): for each community the visitor reaches, its brand, scenes, activities, reminders, figures and charts.

Every figure comes from the services the API uses, within the visitor's scope: activities of the
communities they reach (``meihao.activity.read``, as ``GET /api/communities/{slug}/activities``),
reminders of the recipients they may see (as an activity's reminder log), each scene's cards
counting what they may read. The scenes' dashboard metrics (``meihao_metrics``) count the whole
community, so they are shown only to who manages it (the street, its community admin).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from meihao.access.principals import Principal
from meihao.register.calendar import calendar_stamp, working_calendar
from meihao.register.communities import list_communities
from meihao.register.schemas import CommunityInfo
from meihao.reminders import stats
from meihao.reminders.activities import activity_occurrences, scheduled_activities_of
from meihao.runtime import Meihao
from meihao.web.console.rendering import page_user, render_page

#: Days of reminders sent shown in the chart, and months of activities per scene.
CHART_DAYS = 14
CHART_MONTHS = 6
#: How many of the day's and the week's activities are listed (the count says how many there are).
LISTED = 6
#: Activities with failed reminders listed per community (the most failures first).
FAILURES_LISTED = 5


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


def street_menu(mh: Meihao, principal: Any, running: set[str]) -> list[dict[str, Any]]:
    """The street section's links (street staff): each running scene's street pages (``street_nav``) the viewer may open,
    and the form of its street settings (``Scenario.street_settings``) for who may change them."""
    links = []
    for plugin, pages in mh.plugins.console_pages():
        if plugin not in running:
            continue
        for link in pages.street_nav:
            if not link.permission or principal.can(link.permission):
                links.append({"scenario": mh.plugins.scenarios[plugin], "title_zh": link.title_zh, "title_en": link.title_en,
                              "href": f"/street/{plugin}/{link.path}".rstrip("/")})
    if principal.can("meihao.scenario.manage"):
        for name in sorted(running):
            scenario = mh.plugins.scenarios.get(name)
            if scenario is not None and scenario.street_settings is not None:
                links.append({"scenario": scenario, "title_zh": "街道设置", "title_en": "Street settings", "href": f"/street/settings/{name}"})
    return links


@dataclass
class Days:
    """The community's local today, its week (Monday to Sunday) and the days and months the charts show."""

    today: date
    week_start: date
    chart_days: list[date]
    months: list[date]  # first days, oldest first

    @classmethod
    def of(cls, now: datetime, community: CommunityInfo) -> Days:
        today = now.astimezone(community.tz).date()
        months = [today.replace(day=1)]
        while len(months) < CHART_MONTHS:
            months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
        return cls(today, today - timedelta(days=today.weekday()), [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)], months)

    def at(self, day: date, community: CommunityInfo) -> datetime:
        return stats.local_midnight(day, community.timezone)


@dataclass
class CommunityActivities:
    today: list[dict[str, Any]] = field(default_factory=list)
    week: list[dict[str, Any]] = field(default_factory=list)
    #: scenario (the activity's owner) -> count per month of :attr:`Days.months`
    by_month: dict[str, list[int]] = field(default_factory=dict)


async def community_activities(mh: Meihao, community: CommunityInfo, days: Days, rows: list[dict[str, Any]],
                               calendar_version: tuple[Any, ...] | None = None) -> CommunityActivities:
    """The occurrences of the community's scheduled activities (``rows``) today, this week, and per month and scene (the last months).
    ``calendar_version``: the working calendar's :func:`~meihao.register.calendar.calendar_stamp`, read once for every community."""
    result = CommunityActivities()
    start = days.at(days.months[0], community)
    week_end = days.at(days.week_start + timedelta(days=7), community)
    tomorrow = days.at(days.today + timedelta(days=1), community)
    today_start = days.at(days.today, community)
    week_start = days.at(days.week_start, community)
    if not rows:
        return result
    calendar = await working_calendar(mh, community, stamp=calendar_version)
    for activity in rows:
        for occurrence in activity_occurrences(activity, min(start, week_start), max(week_end, tomorrow), limit=2000, calendar=calendar):
            begins = occurrence["starts_at"]
            item = {"id": activity["id"], "title": activity["title"], "venue": activity["venue"], "scene": activity["scene"],
                    "starts_at": begins.astimezone(community.tz), "ends_at": occurrence["ends_at"].astimezone(community.tz)}
            if today_start <= begins < tomorrow:
                result.today.append(item)
            if week_start <= begins < week_end:
                result.week.append(item)
            local = begins.astimezone(community.tz).date().replace(day=1)
            if begins >= start and local in days.months and activity["scenario"]:
                counts = result.by_month.setdefault(activity["scenario"], [0] * len(days.months))
                counts[days.months.index(local)] += 1
    result.today.sort(key=lambda a: a["starts_at"])
    result.week.sort(key=lambda a: a["starts_at"])
    return result


async def red_queue_items(mh: Meihao, principal: Principal, scenes: set[str]) -> dict[str, list[Any]]:
    """The viewer's overdue items (red in their queue), by community slug, from the scenes that keep a queue
    (their ``overdue`` where they give one: the red items only)."""
    found: dict[str, list[Any]] = {}
    for plugin, pages in mh.plugins.console_pages():
        read = pages.overdue or pages.queue
        if read is None or plugin not in scenes:
            continue
        for item in await read(mh, principal):
            if item.urgency == "red":
                found.setdefault(item.community, []).append(item)
    return found


async def reminder_figures(principal: Principal, communities: list[CommunityInfo], days_of: dict[int, Days], now: datetime) -> dict[int, dict[str, Any]]:
    """Per community: reminders due/sent/failed today and in the last 7 days, waiting now, sent per day (chart), failures by
    activity. Two queries per time zone the communities are in (usually one zone): the counts, the failures."""
    figures: dict[int, dict[str, Any]] = {}
    by_zone: dict[str, list[CommunityInfo]] = {}
    for c in communities:
        by_zone.setdefault(c.timezone, []).append(c)
    for zone, members in by_zone.items():
        ids = [c.id for c in members]
        days = days_of[members[0].id]
        periods = stats.Periods.of(days.today, days.chart_days, zone, now)
        figures.update(await stats.reminder_counts(principal, ids, periods))
        for cid in ids:
            figures[cid]["failures"] = []
        for row in await stats.failures_by_activity(principal, ids, periods.week, limit=50):
            figures[row["community"]]["failures"].append(row)
    for cid in figures:
        del figures[cid]["failures"][FAILURES_LISTED:]
    return figures


def day_bars(days: list[date], counts: list[int]) -> list[tuple[str, int, str]]:
    """Bars of a chart by day: the label is the day of the month (with the month on the first day and on the 1st), the tooltip the date."""
    return [
        (f"{d.month}/{d.day}" if i == 0 or d.day == 1 else str(d.day), n, f"{d.month}/{d.day}")
        for i, (d, n) in enumerate(zip(days, counts))
    ]


@get("/", include_in_schema=False)
async def overview(request: Request[Any, Any, Any]) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    principal: Principal = page_user(request)
    reached = [c for c in await list_communities() if principal.reaches_community(c["id"])]
    communities = [CommunityInfo.from_row(c) for c in reached]
    scenes = {c["id"]: c["scenarios"] for c in reached}
    now = mh.clock.now()
    days_of = {c.id: Days.of(now, c) for c in communities}
    reads_activities = principal.can("meihao.activity.read")
    reminders = await reminder_figures(principal, communities, days_of, now) if reads_activities else {}
    overdue = await red_queue_items(mh, principal, {name for names in scenes.values() for name in names})
    activity_rows: dict[int, list[dict[str, Any]]] = {}
    for activity in await scheduled_activities_of([c.id for c in communities]) if reads_activities else []:
        activity_rows.setdefault(activity["community"], []).append(activity)
    calendar_version = await calendar_stamp() if activity_rows else None
    rows = []
    for community in communities:
        enabled = [name for name in sorted(scenes.get(community.id, [])) if name in mh.plugins.scenarios]
        days = days_of[community.id]
        activities = await community_activities(mh, community, days, activity_rows.get(community.id, []), calendar_version)
        # the scenes' cards, metrics and charts come in a fragment of their own (scene_panels), one per community, which
        # htmx asks for once the page is there: the page's first byte does not wait for nine scenes' figures
        scene_rows = [{"scenario": mh.plugins.scenarios[name]} for name in enabled]
        figures = reminders.get(community.id, {})
        rows.append({
            "community": community,
            "scenes": scene_rows,
            "menu": scene_menu(mh, principal, community.slug, enabled),
            "activities": activities,
            "reminders": figures,
            "per_day": day_bars(days.chart_days, figures.get("per_day", [])),
            "overdue": overdue.get(community.slug, []),
        })
    street = None
    if principal.street and rows:
        street = street_summary(rows, days_of[communities[0].id], reads_activities)
        street["menu"] = street_menu(mh, principal, {name for r in rows for name in (s["scenario"].name for s in r["scenes"])})
    return render_page(request, "home/overview.html", communities=rows, street=street, reads_activities=reads_activities,
                       listed=LISTED, now=now)


@get("/overview/{slug:str}/scenes", include_in_schema=False)
async def scene_panels(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    """One community's scene panels on the overview (htmx swaps them in): each scene's cards and dashboard metrics,
    counted in the viewer's scope, and its activities per month. A community the viewer does not reach: 404."""
    mh: Meihao = request.app.state.meihao
    principal: Principal = page_user(request)
    found = [c for c in await list_communities() if c["slug"] == slug and principal.reaches_community(c["id"])]
    if not found:
        raise NotFoundException(f"community {slug!r} not found")
    community = CommunityInfo.from_row(found[0])
    enabled = [name for name in sorted(found[0]["scenarios"]) if name in mh.plugins.scenarios]
    days = Days.of(mh.clock.now(), community)
    by_month: dict[str, list[int]] = {}
    if principal.can("meihao.activity.read"):
        rows = await scheduled_activities_of([community.id])
        by_month = (await community_activities(mh, community, days, rows, await calendar_stamp() if rows else None)).by_month
    cards = await scene_cards(mh, principal, community, enabled)
    scenes = []
    for name in enabled:
        # each scene counts what this viewer may read (a grid worker: their grid's)
        metrics = await mh.plugins.metrics(community, name, mh, principal)
        months = by_month.get(name, [])
        scenes.append({
            "scenario": mh.plugins.scenarios[name],
            "cards": [c for c in cards if c["plugin"] == name],
            "metrics": metrics,
            "months": [(m.month, n) for m, n in zip(days.months, months)] if any(months) else [],
        })
    return render_page(request, "home/_scene_panels.html", community=community, scenes=scenes)


def street_summary(rows: list[dict[str, Any]], days: Days, reads_activities: bool) -> dict[str, Any]:
    """The street's totals over its communities (the rows' own figures added up)."""
    total: dict[str, Any] = {
        "communities": len(rows),
        "scenes": sum(len(r["scenes"]) for r in rows),
        "today": sum(len(r["activities"].today) for r in rows),
        "week": sum(len(r["activities"].week) for r in rows),
        "overdue": sum(len(r["overdue"]) for r in rows),
    }
    if reads_activities:
        for period in ("today", "week"):
            total[f"reminders_{period}"] = {k: sum(r["reminders"][period][k] for r in rows) for k in ("due", "sent", "failed")}
        total["waiting"] = sum(r["reminders"]["waiting"] for r in rows)
        per_day = [sum(r["reminders"]["per_day"][i] for r in rows) for i in range(len(days.chart_days))]
        total["per_day"] = day_bars(days.chart_days, per_day)
    return total


HANDLERS = [overview, scene_panels]
