"""My queue (``/queue``): a staff member's open items across scenes, most urgent first, with one-tap actions.

The items come from every scene the viewer's communities run (``ConsolePages.queue``) and
from the kernel (failed reminders of activities the viewer planned, activities today). A
scene whose queue raises is named in a notice; the others still show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from litestar import Request, Response, get

from meihao.hooks.declarations import QueueItem
from meihao.register.communities import list_communities
from meihao.register.schemas import CommunityInfo
from meihao.reminders.queue import activities_today, failed_reminders
from meihao.runtime import Meihao
from meihao.web.console.i18n import N_
from meihao.web.console.rendering import page_user, render_page

log = logging.getLogger("meihao.console.queue")

#: Urgencies from the most urgent; "" is later (or undated).
URGENCIES = ("red", "yellow", "today", "")
#: An item without an urgency of its own is "due soon" (yellow) from this long before its due time.
SOON = timedelta(hours=2)
#: The heading of each urgency's group.
GROUPS = {"red": N_("Overdue"), "yellow": N_("Due soon"), "today": N_("Due today"), "": N_("Later")}


@dataclass(frozen=True)
class Entry:
    """One row of the queue as shown: the item, where it comes from, how urgent it is, its links."""

    kind: str  # "scene", "failed" (reminders that failed), "today" (an activity today)
    urgency: str
    due: datetime | None  # aware, for ordering; None last
    due_text: str  # the due time on the community's clock
    community: CommunityInfo
    scene: tuple[str, str] | None  # the scene's title (zh, en); None for the kernel's items
    title: tuple[str, str]  # for a scene's item; the kernel's are worded by the template
    href: str
    action: tuple[str, str, str] | None  # (label_zh, label_en, URL to POST to)
    data: Any = None  # the kernel's record behind its item


def urgency_of(item_urgency: str, due: date | datetime | None, now: datetime, community: CommunityInfo) -> str:
    """The item's own urgency if it has one, else from its due time on the community's clock.

    Before now: overdue (red). From now until :data:`SOON` later (due exactly now included): due
    soon (yellow). Later today: due today. A date is overdue before today and due today on it.
    Tomorrow and later, or no due time: later ("").
    """
    if item_urgency:
        return item_urgency
    if due is None:
        return ""
    local_now = now.astimezone(community.tz)
    if isinstance(due, datetime):
        due = due if due.tzinfo else due.replace(tzinfo=community.tz)
        if due < now:
            return "red"
        if due - now <= SOON:
            return "yellow"
        return "today" if due.astimezone(community.tz).date() == local_now.date() else ""
    if due < local_now.date():
        return "red"
    return "today" if due == local_now.date() else ""


def _moment(due: date | datetime | None, community: CommunityInfo) -> datetime | None:
    """A due time to order by: a date counts from the start of its day in the community."""
    if due is None:
        return None
    if isinstance(due, datetime):
        return due if due.tzinfo else due.replace(tzinfo=community.tz)
    return datetime.combine(due, time(), community.tz)


def _due_text(due: date | datetime | None, community: CommunityInfo, now: datetime) -> str:
    if due is None:
        return ""
    if isinstance(due, datetime):
        local = (due if due.tzinfo else due.replace(tzinfo=community.tz)).astimezone(community.tz)
        if local.date() == now.astimezone(community.tz).date():
            return local.strftime("%H:%M")
        return local.strftime("%m-%d %H:%M")
    return due.strftime("%Y-%m-%d")


def _order(entry: Entry) -> tuple[Any, ...]:
    """Most urgent first, then the earliest due (undated last), then by community; ties keep the scene's own order."""
    far = datetime.max.replace(tzinfo=entry.community.tz)
    return URGENCIES.index(entry.urgency), entry.due or far, entry.community.id


def scene_link(href: str, slug: str, plugin: str) -> str:
    """A scene's link: a path on this site as it is, a relative one under the scene's pages; never another site."""
    if not href or "://" in href or href.startswith("//") or "\\" in href or ":" in href.split("/")[0]:
        return ""
    return href if href.startswith("/") else f"/c/{slug}/{plugin}/{href}"


def action_url(path: str, slug: str, plugin: str) -> str:
    path = path.lstrip("/")
    if not path or "://" in path or ".." in path.split("/") or "\\" in path:
        return ""
    return f"/c/{slug}/{plugin}/{path}"


async def collect(mh: Meihao, principal: Any) -> tuple[list[Entry], list[tuple[str, str]]]:
    """Every open item of the viewer, most urgent first, and the titles of the scenes whose queue failed."""
    now = mh.clock.now()
    reached = [row for row in await list_communities() if principal.reaches_community(row["id"])]
    communities = {row["slug"]: CommunityInfo.from_row(row) for row in reached}
    running = {row["slug"]: set(row["scenarios"]) for row in reached}
    entries: list[Entry] = []
    failed: list[tuple[str, str]] = []
    for plugin, pages in mh.plugins.console_pages():
        if pages.queue is None or not any(plugin in scenes for scenes in running.values()):
            continue
        scenario = mh.plugins.scenarios.get(plugin)
        scene = (scenario.title_zh, scenario.title_en) if scenario else (plugin, plugin)
        try:
            items = list(await pages.queue(mh, principal))
            for item in items:
                if not isinstance(item, QueueItem):
                    raise TypeError(f"queue items must be QueueItem, got {type(item).__name__}")
        except Exception:
            log.exception("plugin %r: its queue failed for staff %s", plugin, principal.staff_id)
            failed.append(scene)
            continue
        for item in items:
            community = communities.get(item.community)
            if community is None or plugin not in running[item.community]:
                continue  # beyond the viewer's reach, or the scene is off there: never shown
            action = None
            if item.action:
                url = action_url(item.action[2], community.slug, plugin)
                action = (item.action[0], item.action[1], url) if url else None
            entries.append(Entry(
                kind="scene", urgency=urgency_of(item.urgency, item.due, now, community), due=_moment(item.due, community),
                due_text=_due_text(item.due, community, now), community=community, scene=scene,
                title=(item.title_zh, item.title_en), href=scene_link(item.href, community.slug, plugin), action=action,
            ))
    by_slug = list(communities.values())
    for record in await failed_reminders(mh, principal, by_slug):
        community = communities[record.community]
        entries.append(Entry(
            kind="failed", urgency="red", due=record.first_due, due_text=_due_text(record.first_due, community, now),
            community=community, scene=None, title=(record.title, record.title), href=f"/activities/{record.activity_id}",
            action=None, data=record,
        ))
    for record in await activities_today(mh, principal, by_slug):
        community = communities[record.community]
        urgency = "yellow" if record.starts_at - now <= SOON else "today"
        entries.append(Entry(
            kind="today", urgency=urgency, due=record.starts_at, due_text=_due_text(record.starts_at, community, now),
            community=community, scene=None, title=(record.title, record.title), href=f"/activities/{record.activity_id}",
            action=None, data=record,
        ))
    entries.sort(key=_order)
    return entries, failed


@get("/queue", include_in_schema=False)
async def queue_page(request: Request[Any, Any, Any]) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    entries, failed = await collect(mh, page_user(request))
    groups = [(urgency, GROUPS[urgency], [e for e in entries if e.urgency == urgency]) for urgency in URGENCIES]
    return render_page(request, "queue/queue.html", groups=[g for g in groups if g[2]], total=len(entries), failed=failed)


HANDLERS = [queue_page]
