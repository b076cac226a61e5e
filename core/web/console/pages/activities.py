"""Console pages: activities (活动) — month and week calendars, a list, create / reschedule / cancel, audience
preview, and an activity's page with its reminder log.

Every page goes through the same services, permissions and scopes as ``/api/.../activities``:
reading needs ``meihao.activity.read``, changing ``meihao.activity.write``; an activity of a
community the visitor does not reach is the 404 page; the flood limits' 400s are shown at the
form's field.
"""

from __future__ import annotations

import calendar as month_calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from babel.support import Translations
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from meihao.access.principals import Principal
from meihao.errors import Forbidden, InvalidInput, MeihaoError, NotFound
from meihao.hooks.declarations import SCENES
from meihao.register.calendar import working_calendar
from meihao.register.communities import get_community, list_communities, list_grids
from meihao.register.schemas import CommunityInfo
from meihao.reminders import activities as activity_service
from meihao.reminders import commands, notices
from meihao.reminders.activities import ActivityIn, ActivityPatch, audience_of, occurrence_start
from meihao.reminders.audiences import WHOLE_COMMUNITY, check_reach, parse_audience, preview, principal_scope
from meihao.reminders.commands import community_in_reach
from meihao.reminders.history import reminded_people, reminder_log
from meihao.reminders.policy import cancellation_notices_on
from meihao.runtime import Meihao
from meihao.time.recurrence import lunar_date_of, validate_rule
from meihao.web.console.i18n import N_, load_translations, locale_folders
from meihao.web.console.rendering import page_user, render_page, request_language
from meihao.web.console.session import page_requires

READ = page_requires("meihao.activity.read")
WRITE = page_requires("meihao.activity.write")

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
#: The simple recurrences the form offers, each mapped to an RRULE; "advanced" takes one as written.
REPEATS = (
    ("once", N_("Once")),
    ("daily", N_("Every day")),
    ("weekly", N_("Every week on the days ticked")),
    ("monthly_day", N_("Every month on the same date")),
    ("monthly_weekday", N_("Every month on the same weekday (e.g. the 2nd Saturday)")),
    ("lunar_yearly", N_("Every year on a lunar date (e.g. the Mid-Autumn Festival, the 15th of the 8th lunar month)")),
    ("advanced", N_("Advanced: an RRULE")),
)
#: The lunar months and days as people say them (正月 … 腊月, 初一 … 三十 in Chinese).
LUNAR_MONTHS = tuple((n, name) for n, name in enumerate((
    N_("1st lunar month"), N_("2nd lunar month"), N_("3rd lunar month"), N_("4th lunar month"), N_("5th lunar month"),
    N_("6th lunar month"), N_("7th lunar month"), N_("8th lunar month"), N_("9th lunar month"), N_("10th lunar month"),
    N_("11th lunar month"), N_("12th lunar month")), start=1))
LUNAR_DAYS = tuple((n, name) for n, name in enumerate((
    N_("lunar day 1"), N_("lunar day 2"), N_("lunar day 3"), N_("lunar day 4"), N_("lunar day 5"), N_("lunar day 6"),
    N_("lunar day 7"), N_("lunar day 8"), N_("lunar day 9"), N_("lunar day 10"), N_("lunar day 11"), N_("lunar day 12"),
    N_("lunar day 13"), N_("lunar day 14"), N_("lunar day 15"), N_("lunar day 16"), N_("lunar day 17"), N_("lunar day 18"),
    N_("lunar day 19"), N_("lunar day 20"), N_("lunar day 21"), N_("lunar day 22"), N_("lunar day 23"), N_("lunar day 24"),
    N_("lunar day 25"), N_("lunar day 26"), N_("lunar day 27"), N_("lunar day 28"), N_("lunar day 29"), N_("lunar day 30")), start=1))
#: How many coming dates the form's preview lists.
PREVIEW_DATES = 5


def lunar_date_words(month: int, day: int, t: Translations) -> str:
    """八月十五 (in English: 8th lunar month, lunar day 15)."""
    _ = t.gettext
    return _("%(month)s %(day)s") % {"month": _(LUNAR_MONTHS[month - 1][1]), "day": _(LUNAR_DAYS[day - 1][1])}


#: Reminder points offered as ticks (minutes before the start); others go in the free field.
OFFSET_CHOICES = (
    (10080, N_("1 week before")),
    (4320, N_("3 days before")),
    (1440, N_("1 day before")),
    (120, N_("2 hours before")),
    (60, N_("1 hour before")),
    (30, N_("30 minutes before")),
    (0, N_("At the start")),
)
HOLIDAY_POLICIES = (
    ("keep", N_("Keep it on the holiday")),
    ("skip", N_("Skip it")),
    ("next_workday", N_("Move it to the next working day")),
    ("previous_workday", N_("Move it to the previous working day")),
)
STATUS_NAMES = {
    "pending": N_("Waiting"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "held": N_("Held (quiet hours or digest)"),
    "missed": N_("Missed"),
    "cancelled": N_("Cancelled"),
    "scheduled": N_("Scheduled"),
}
STATUS_TONES = {"sent": "ok", "pending": "warn", "sending": "warn", "held": "warn", "failed": "alert", "missed": "alert"}
DAY_KINDS = {
    "holiday": N_("Holiday"),
    "makeup_workday": N_("Make-up workday"),
    "closed": N_("Closed"),
    "opened": N_("Extra working day"),
}
#: Which part of the form a service's error belongs to (the field it names).
FORM_FIELD = {
    "title": "title", "venue": "venue", "description": "description", "scene": "scene", "starts_at": "start",
    "ends_at": "duration", "rrule": "repeat", "lunar_month": "lunar", "lunar_day": "lunar", "recurrence_until": "repeat", "holiday_policy": "holiday_policy",
    "reminder_offsets": "offsets", "channels": "channels", "status": "title",
}
#: The frequencies of an RRULE in words (``MEIHAO_FINEST_RECURRENCE`` names one of them).
FREQUENCY_WORDS = {
    "yearly": N_("once a year"), "monthly": N_("once a month"), "weekly": N_("once a week"), "daily": N_("once a day"),
    "hourly": N_("every hour"), "minutely": N_("every minute"), "secondly": N_("every second"),
}
VIEWS = ("month", "week", "list")
#: How many occurrences of one activity a calendar page draws at most.
OCCURRENCES_PER_PAGE = 400


# -- translation of what the services say ------------------------------------------------

def translator(request: Request[Any, Any, Any]) -> Translations:
    mh: Meihao = request.app.state.meihao
    cache: dict[str, Translations] = vars(mh).setdefault("_activity_page_translations", {})
    language = request_language(request)
    if language not in cache:
        cache[language] = load_translations(locale_folders(mh), language)
    return cache[language]


def explain(err: MeihaoError, t: Translations) -> str:
    """A service's message (English, for the API) in the visitor's words where it is one of the known ones."""
    _ = t.gettext
    message = err.message
    found = re.search(r"FREQ=(\w+) repeats more often than this installation allows \((\w+)", message)
    if found:
        finest, freq = found.group(2).lower(), found.group(1).lower()
        return _("This repeats too often: at most %(finest)s here (asked: %(freq)s).") % {
            "finest": _(FREQUENCY_WORDS.get(finest, finest)), "freq": _(FREQUENCY_WORDS.get(freq, freq))}
    found = re.search(r"(\d+) occurrences (?:a day|on (\S+));? ?at most (\d+)", message)
    if found:
        return _("Too many times on one day: %(n)s; at most %(most)s a day.") % {"n": found.group(1), "most": found.group(3)}
    found = re.search(r"at most (\d+) reminder points$", message)
    if found:
        return _("Too many reminders: at most %(most)s reminder points.") % {"most": found.group(1)}
    found = re.search(r"(\d+) reminder points on (\S+); at most (\d+) a day per activity", message)
    if found:
        return _("Too many reminders on %(day)s: %(n)s; at most %(most)s a day for one activity.") % {
            "day": found.group(2), "n": found.group(1), "most": found.group(3)}
    found = re.search(r"the community would have (\d+) reminder points on (\S+); at most (\d+)", message)
    if found:
        return _("The community would send %(n)s reminders on %(day)s; at most %(most)s a day.") % {
            "n": found.group(1), "day": found.group(2), "most": found.group(3)}
    found = re.search(r"audience: reaches (\d+) people; one activity of grid staff may remind at most (\d+)", message)
    if found:
        return _("This audience reaches %(n)s people; grid staff may remind at most %(most)s with one activity.") % {
            "n": found.group(1), "most": found.group(2)}
    if message.startswith("audience: selects nobody"):
        return _("Choose who is reminded: everyone, or some grids, tags, ages or groups.")
    if message.startswith("ends_at: must be after"):
        return _("The duration must be at least one minute.")
    if message.startswith("title: must not be empty"):
        return _("Give the activity a title.")
    if message.startswith("reminder_offsets: distinct minutes"):
        return _("Reminder points are different numbers of minutes, from 0 up to 60 days.")
    if "you may remind residents of your own grids only" in message or "name your grids" in message:
        return _("You may remind residents of your own grids only: choose your grids.")
    if message.startswith("lunar_month: a lunar date is month"):
        return _("A lunar date is in the 1st to the 12th month, on the 1st to the 30th day.")
    if message.startswith("status: a cancelled activity"):
        return _("A cancelled activity cannot be changed.")
    return message.split(": ", 1)[1] if ": " in message else message


def form_field_of(err: MeihaoError) -> str:
    name = err.field or err.message.split(":", 1)[0]
    return "audience" if name.startswith("audience") else FORM_FIELD.get(name, "title")


# -- scope -------------------------------------------------------------------------------

async def reachable_communities(principal: Principal) -> list[CommunityInfo]:
    return [CommunityInfo.from_row(c) for c in await list_communities() if principal.reaches_community(c["id"])]


def today_in(mh: Meihao, communities: list[CommunityInfo]) -> date:
    zone = communities[0].tz if communities else ZoneInfo("Asia/Shanghai")
    return mh.clock.now().astimezone(zone).date()


# -- the calendar ------------------------------------------------------------------------

@dataclass
class Entry:
    """One occurrence on the calendar, in its community's time."""

    activity_id: int
    title: str
    venue: str
    community: str
    starts: datetime
    ends: datetime
    moved_from: str | None
    #: The occurrence's key (its original start): what cancelling one date names.
    key: str = ""
    recurring: bool = False


@dataclass
class Day:
    day: date
    in_range: bool
    today: bool
    kind: str = ""
    label: str = ""
    entries: list[Entry] = field(default_factory=list)


def day_range(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first shown, last shown, first of the period, last of the period): months are whole weeks, Monday first."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=6), first, first + timedelta(days=6)
    first = anchor.replace(day=1)
    last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
    if view == "list":
        return first, last, first, last
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday()), first, last


async def occurrences_in(mh: Meihao, communities: list[CommunityInfo], first: date, last: date) -> list[Entry]:
    """Every occurrence (holiday policy applied) starting on the local days ``first``..``last`` of each community."""
    found: list[Entry] = []
    for community in communities:
        zone = community.tz
        start = datetime.combine(first, time(0), tzinfo=zone).astimezone(timezone.utc)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
        working = await working_calendar(mh, community)
        for row in await activity_service.list_activities(community.slug):
            for o in activity_service.activity_occurrences(row, start, end, OCCURRENCES_PER_PAGE, calendar=working):
                found.append(Entry(row["id"], row["title"], row["venue"], community.name, o["starts_at"].astimezone(zone),
                                   o["ends_at"].astimezone(zone), o["moved_from"], o["key"], is_recurring(row)))
    return sorted(found, key=lambda e: (e.starts, e.title, e.activity_id))


def is_recurring(row: dict[str, Any]) -> bool:
    return bool(row["rrule"] or row["lunar_month"])


async def calendar_days(mh: Meihao, community: CommunityInfo | None, first: date, last: date, period: tuple[date, date],
                        today: date, entries: list[Entry], t: Translations) -> list[Day]:
    working = await working_calendar(mh, community)
    by_day: dict[date, list[Entry]] = {}
    for entry in entries:
        by_day.setdefault(entry.starts.date(), []).append(entry)
    days = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        kind = working.day_kind(day)
        label = ""
        if kind == "holiday":
            label = working.holidays.get(day, "") or t.gettext(DAY_KINDS[kind])
        elif kind == "makeup_workday":
            label = t.gettext(DAY_KINDS[kind])
        elif kind in ("closed", "opened"):
            label = t.gettext(DAY_KINDS[kind])
        days.append(Day(day, period[0] <= day <= period[1], day == today, kind if label else "", label, by_day.get(day, [])))
    return days


@get("/activities", guards=[READ], include_in_schema=False)
async def calendar_page(
    request: Request[Any, Any, Any], view: FromQuery[str] = "month", d: FromQuery[str] = "", community: FromQuery[str] = ""
) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    t = translator(request)
    reachable = await reachable_communities(principal)
    chosen = [c for c in reachable if c.slug == community] if community else reachable
    if community and not chosen:
        raise NotFound(f"community {community!r} not found")
    view = view if view in VIEWS else "month"
    today = today_in(mh, chosen or reachable)
    try:
        anchor = date.fromisoformat(d) if d else today
    except ValueError:
        raise InvalidInput("d: a date as YYYY-MM-DD", field="d") from None
    first, last, period_start, period_end = day_range(view, anchor)
    entries = await occurrences_in(mh, chosen, first, last)
    days = await calendar_days(mh, chosen[0] if len(chosen) == 1 else None, first, last, (period_start, period_end), today,
                               entries, t)
    if view == "week":
        previous, following = anchor - timedelta(days=7), anchor + timedelta(days=7)
    else:
        previous, following = period_start - timedelta(days=1), period_end + timedelta(days=1)

    def link(**changes: Any) -> str:
        params = {"view": view, "d": anchor.isoformat(), "community": community, **changes}
        return "/activities?" + urlencode({k: v for k, v in params.items() if v})

    return render_page(
        request, "activities/calendar.html",
        view=view, anchor=anchor, days=days, weeks=[days[i:i + 7] for i in range(0, len(days), 7)],
        period=(period_start, period_end), entries=[e for e in entries if period_start <= e.starts.date() <= period_end],
        communities=reachable, community=community, weekday_names=WEEKDAY_NAMES, link=link,
        previous=link(d=previous.isoformat()), following=link(d=following.isoformat()), this_period=link(d=today.isoformat()),
        can_write=principal.can("meihao.activity.write"), several=len({e.community for e in entries}) > 1 or len(chosen) > 1,
    )


# -- the form ----------------------------------------------------------------------------

@dataclass
class ActivityForm:
    """What the form shows and was sent, as text (re-rendered with the errors at their fields)."""

    title: str = ""
    venue: str = ""
    description: str = ""
    scene: str = "service"
    start_date: str = ""
    start_time: str = "09:00"
    duration: str = "60"
    repeat: str = "once"
    weekdays: list[str] = field(default_factory=list)
    count: str = ""
    until: str = ""
    rrule: str = ""
    holiday_policy: str = "keep"
    lunar_month: str = "8"
    lunar_day: str = "15"
    #: The activity was on a lunar date before this change (a one-off then needs a rule that clears it).
    was_lunar: bool = False
    who: str = "everyone"
    grids: list[str] = field(default_factory=list)
    tags: str = ""
    min_age: str = ""
    max_age: str = ""
    named: list[str] = field(default_factory=list)
    offsets: list[str] = field(default_factory=lambda: ["1440"])
    more_offsets: str = ""
    channels: list[str] = field(default_factory=lambda: ["inbox"])


def form_from(data: Any) -> ActivityForm:
    """The form as sent (a multi-dict of the body, or of the query for a preview)."""
    single = {name: str(data.get(name, "") or "").strip() for name in (
        "title", "venue", "description", "scene", "start_date", "start_time", "duration", "repeat", "count", "until", "rrule",
        "holiday_policy", "who", "tags", "min_age", "max_age", "more_offsets", "lunar_month", "lunar_day")}
    return ActivityForm(
        **{k: v for k, v in single.items()
           if v or k not in ("scene", "repeat", "holiday_policy", "who", "start_time", "duration", "lunar_month", "lunar_day")},
        weekdays=[w for w in data.getall("weekdays", []) if w in WEEKDAY_CODES],
        grids=list(data.getall("grids", [])), named=list(data.getall("named", [])),
        offsets=list(data.getall("offsets", [])), channels=list(data.getall("channels", [])),
    )


def form_of_activity(row: dict[str, Any]) -> ActivityForm:
    """The form of a saved activity, with its recurrence in the simple choices where it is one of them."""
    zone = ZoneInfo(row["timezone"])
    starts = row["starts_at"].astimezone(zone)
    audience = row["audience"] or {}
    form = ActivityForm(
        title=row["title"], venue=row["venue"], description=row["description"], scene=row["scene"],
        start_date=starts.date().isoformat(), start_time=starts.strftime("%H:%M"),
        duration=str(int((row["ends_at"] - row["starts_at"]).total_seconds() // 60)), holiday_policy=row["holiday_policy"],
        who="everyone" if audience.get("everyone") and not any(audience.get(k) for k in ("grids", "tags", "named")) else "some",
        grids=[str(g) for g in audience.get("grids", [])], tags=", ".join(audience.get("tags", [])),
        min_age="" if audience.get("min_age") is None else str(audience["min_age"]),
        max_age="" if audience.get("max_age") is None else str(audience["max_age"]),
        named=list(audience.get("named", [])), channels=list(row["channels"]),
        until=row["recurrence_until"].astimezone(zone).date().isoformat() if row["recurrence_until"] else "",
    )
    offered = {str(m) for m, _ in OFFSET_CHOICES}
    form.offsets = [str(m) for m in row["reminder_offsets"] if str(m) in offered]
    form.more_offsets = ", ".join(str(m) for m in row["reminder_offsets"] if str(m) not in offered)
    form.repeat, form.weekdays, form.count = simple_repeat(row["rrule"], starts)
    if row["lunar_month"]:
        form.repeat, form.lunar_month, form.lunar_day, form.was_lunar = "lunar_yearly", str(row["lunar_month"]), str(row["lunar_day"]), True
    if form.repeat == "advanced":
        form.rrule = row["rrule"]
    return form


def simple_repeat(rrule: str, starts: datetime) -> tuple[str, list[str], str]:
    """The form's choice for an RRULE: (repeat, weekdays, count); "advanced" when it is none of the simple ones."""
    if not rrule:
        return "once", [], ""
    parts = dict(p.partition("=")[::2] for p in rrule.upper().removeprefix("RRULE:").split(";") if p)
    count = parts.pop("COUNT", "")
    freq = parts.pop("FREQ", "")
    if count == "1" and not parts:
        return "once", [], ""  # how a lunar activity became a one-off (see rule_of)
    code = WEEKDAY_CODES[starts.weekday()]
    if freq == "DAILY" and not parts:
        return "daily", [], count
    if freq == "WEEKLY" and set(parts) <= {"BYDAY"}:
        days = [d for d in parts.get("BYDAY", code).split(",") if d in WEEKDAY_CODES]
        if days:
            return "weekly", days, count
    if freq == "MONTHLY" and parts == {"BYMONTHDAY": str(starts.day)}:
        return "monthly_day", [], count
    if freq == "MONTHLY" and parts == {"BYDAY": f"{(starts.day - 1) // 7 + 1}{code}"}:
        return "monthly_weekday", [], count
    return "advanced", [], ""


def rule_of(form: ActivityForm, starts: datetime) -> str:
    code = WEEKDAY_CODES[starts.weekday()]
    rule = {
        # An empty rule leaves a lunar date as it was (ActivityPatch): a lunar activity becomes a one-off by a rule of one date.
        "once": "FREQ=DAILY;COUNT=1" if form.was_lunar else "",
        "lunar_yearly": "",
        "daily": "FREQ=DAILY",
        "weekly": "FREQ=WEEKLY;BYDAY=" + ",".join(d for d in WEEKDAY_CODES if d in (form.weekdays or [code])),
        "monthly_day": f"FREQ=MONTHLY;BYMONTHDAY={starts.day}",
        "monthly_weekday": f"FREQ=MONTHLY;BYDAY={(starts.day - 1) // 7 + 1}{code}",
        "advanced": form.rrule.strip().removeprefix("RRULE:"),
    }.get(form.repeat, "")
    if rule and form.repeat != "advanced" and form.count:
        rule += f";COUNT={form.count}"
    return rule


def audience_of_form(form: ActivityForm) -> dict[str, Any]:
    if form.who == "everyone":
        return {"everyone": True}
    audience: dict[str, Any] = {}
    if form.grids:
        audience["grids"] = form.grids
    tags = [t.strip() for t in re.split(r"[,，\s]+", form.tags) if t.strip()]
    if tags:
        audience["tags"] = tags
    for name in ("min_age", "max_age"):
        if getattr(form, name):
            audience[name] = getattr(form, name)
    if form.named:
        audience["named"] = form.named
    return audience


def read_form(form: ActivityForm, t: Translations) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields of ``ActivityIn``/``ActivityPatch`` (times are the community's local time), and the form's own errors."""
    _ = t.gettext
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"title": form.title, "venue": form.venue, "description": form.description,
                              "holiday_policy": form.holiday_policy, "channels": form.channels}
    try:
        starts = datetime.combine(date.fromisoformat(form.start_date), time.fromisoformat(form.start_time))
    except ValueError:
        errors["start"] = _("Give the day and the time it starts.")
        starts = datetime(2000, 1, 3, 9, 0)
    if not form.duration.isdigit() or not 1 <= int(form.duration) <= 60 * 24 * 31:
        errors["duration"] = _("The duration in minutes, from 1 up to 31 days.")
    else:
        values["ends_at"] = starts + timedelta(minutes=int(form.duration))
    values["starts_at"] = starts
    if form.repeat not in dict(REPEATS):
        errors["repeat"] = _("Choose how it repeats.")
    if form.count and not (form.count.isdigit() and 1 <= int(form.count) <= 10_000):
        errors["repeat"] = _("The number of times is a whole number from 1 to 10000.")
    if form.repeat == "advanced" and not form.rrule.strip():
        errors["repeat"] = _("Write the RRULE, e.g. FREQ=WEEKLY;BYDAY=SA;COUNT=10.")
    values["rrule"] = rule_of(form, starts)
    values["lunar_month"] = values["lunar_day"] = None
    if form.repeat == "lunar_yearly":
        month, day = form.lunar_month, form.lunar_day
        if not (month.isdigit() and 1 <= int(month) <= 12):
            errors["lunar"] = _("Choose the lunar month, from the 1st to the 12th.")
        elif not (day.isdigit() and 1 <= int(day) <= 30):
            errors["lunar"] = _("Choose the lunar day, from the 1st to the 30th.")
        else:
            values["lunar_month"], values["lunar_day"] = int(month), int(day)
    values["recurrence_until"] = None
    if form.until and form.repeat != "once":
        try:
            values["recurrence_until"] = datetime.combine(date.fromisoformat(form.until), time(23, 59, 59))
        except ValueError:
            errors["repeat"] = _("The last day is a date.")
    offsets: list[int] = []
    for text in [*form.offsets, *re.split(r"[,，\s]+", form.more_offsets)]:
        if text.strip():
            if not text.strip().isdigit():
                errors["offsets"] = _("Reminder points are minutes before the start, as whole numbers.")
                break
            offsets.append(int(text))
    values["reminder_offsets"] = list(dict.fromkeys(offsets))
    if not values["reminder_offsets"] and "offsets" not in errors:
        errors["offsets"] = _("Tick at least one reminder.")
    if not form.channels:
        errors["channels"] = _("Tick at least one channel.")
    for name in ("min_age", "max_age"):
        if getattr(form, name) and not getattr(form, name).isdigit():
            errors["audience"] = _("Ages are whole numbers of years.")
    values["audience"] = audience_of_form(form)
    return values, errors


async def form_context(mh: Meihao, principal: Principal, community: CommunityInfo) -> dict[str, Any]:
    grids = await list_grids(community.slug, principal)
    return {
        "community": community, "grids": grids, "repeats": REPEATS, "offset_choices": OFFSET_CHOICES,
        "holiday_policies": HOLIDAY_POLICIES, "lunar_months": LUNAR_MONTHS, "lunar_days": LUNAR_DAYS, "weekday_codes": list(zip(WEEKDAY_CODES, WEEKDAY_NAMES, strict=True)),
        "audiences": sorted(mh.plugins.audiences_by_name.values(), key=lambda a: a.name),
        "channels": sorted(mh.plugins.channels_by_name.values(), key=lambda c: (c.name != "inbox", c.name)),
        "scenes": [(name, zh, en) for name, (zh, en) in SCENES.items()],
    }


@get("/activities/new", guards=[WRITE], include_in_schema=False)
async def new_page(request: Request[Any, Any, Any], community: FromQuery[str] = "", d: FromQuery[str] = "") -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    reachable = await reachable_communities(principal)
    if not community and len(reachable) != 1:
        return render_page(request, "activities/choose.html", communities=reachable)
    chosen = await community_in_reach(community or reachable[0].slug, principal)
    form = ActivityForm(start_date=d or (today_in(mh, [chosen]) + timedelta(days=7)).isoformat())
    return render_page(request, "activities/form.html", form=form, errors={}, activity=None, **await form_context(mh, principal, chosen))


async def _form_data(request: Request[Any, Any, Any]) -> Any:
    return await request.form()


@post("/activities/new", guards=[WRITE], include_in_schema=False)
async def create(request: Request[Any, Any, Any], community: FromQuery[str] = "") -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    t = translator(request)
    data = await _form_data(request)
    chosen = await community_in_reach(str(data.get("community") or community), principal)
    form = form_from(data)
    values, errors = read_form(form, t)
    if not errors:
        try:
            row = await commands.plan_activity(mh, principal, chosen.slug, ActivityIn(scene=form.scene, **values))
        except (InvalidInput, Forbidden) as err:
            errors[form_field_of(err)] = explain(err, t)
        else:
            return Redirect(f"/activities/{row['id']}?saved=1", status_code=303)
    return render_page(request, "activities/form.html", status_code=400, form=form, errors=errors, activity=None,
                       **await form_context(mh, principal, chosen))


@get("/activities/preview", guards=[READ], include_in_schema=False)
async def preview_part(request: Request[Any, Any, Any], community: FromQuery[str] = "") -> Response[Any]:
    """The audience's count and a masked sample, as the form stands (htmx swaps it in as the audience changes)."""
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    chosen = await community_in_reach(community, principal)
    form = form_from(request.query_params)
    problem, result = "", None
    try:
        spec = parse_audience(mh, audience_of_form(form))
        await check_reach(principal, spec, chosen.id, WHOLE_COMMUNITY)
        result = await preview(mh, spec, chosen, today_in(mh, [chosen]), sample_scope=principal_scope(principal))
    except (InvalidInput, Forbidden) as err:
        problem = explain(err, translator(request))
    return render_page(request, "activities/_preview.html", result=result, problem=problem, grid_names=await grid_names(chosen, principal))


@get("/activities/dates", guards=[READ], include_in_schema=False)
async def dates_part(request: Request[Any, Any, Any], community: FromQuery[str] = "") -> Response[Any]:
    """The next few dates as the form's "When" stands (htmx swaps it in as it changes): the recurrence, the lunar date
    and the holiday policy read exactly as the service will read them, or what is wrong, at its field."""
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    t = translator(request)
    chosen = await community_in_reach(community, principal)
    form = form_from(request.query_params)
    values, errors = read_form(form, t)
    problem = next((errors[k] for k in ("start", "duration", "repeat", "lunar") if k in errors), "")
    dates: list[dict[str, Any]] = []
    if not problem:
        zone = chosen.tz
        row = {**values, "starts_at": values["starts_at"].replace(tzinfo=zone), "ends_at": values["ends_at"].replace(tzinfo=zone),
               "recurrence_until": values["recurrence_until"].replace(tzinfo=zone) if values["recurrence_until"] else None,
               "exdates": [], "timezone": chosen.timezone}
        try:
            validate_rule(row["rrule"], row["lunar_month"], row["lunar_day"], row["holiday_policy"])
        except InvalidInput as err:
            problem = explain(err, t)
        else:
            working = await working_calendar(mh, chosen)
            start = min(row["starts_at"], mh.clock.now())
            for o in activity_service.activity_occurrences(row, start, start + timedelta(days=366 * 6), PREVIEW_DATES,
                                                            calendar=working):
                local = o["starts_at"].astimezone(zone)
                note = ""
                if row["lunar_month"]:
                    month, day, _leap = lunar_date_of(occurrence_start(o["key"]).astimezone(zone).date())
                    if day != row["lunar_day"]:
                        note = t.gettext("this lunar month has no 30th: on the 29th")
                dates.append({"starts": local, "weekday": WEEKDAY_NAMES[local.weekday()], "moved_from": o["moved_from"], "note": note})
    return render_page(request, "activities/_dates.html", dates=dates, problem=problem, most=PREVIEW_DATES)


async def grid_names(community: CommunityInfo, principal: Principal) -> dict[int, str]:
    return {g["id"]: g["name"] for g in await list_grids(community.slug, principal)}


# -- one activity ------------------------------------------------------------------------

def offset_words(minutes: int, t: Translations) -> str:
    _ = t.gettext
    if minutes == 0:
        return _("At the start")
    for size, one, many in ((1440, N_("1 day before"), N_("%(n)s days before")), (60, N_("1 hour before"), N_("%(n)s hours before"))):
        if minutes % size == 0:
            n = minutes // size
            return _(one) if n == 1 else _(many) % {"n": n}
    return _("%(n)s minutes before") % {"n": minutes}


def repeat_words(row: dict[str, Any], t: Translations) -> str:
    _ = t.gettext
    if row["lunar_month"]:
        return _("Every year on %(date)s of the lunar calendar") % {"date": lunar_date_words(row["lunar_month"], row["lunar_day"], t)}
    starts = row["starts_at"].astimezone(ZoneInfo(row["timezone"]))
    repeat, days, count = simple_repeat(row["rrule"], starts)
    if repeat == "advanced":
        return row["rrule"]
    words = {
        "once": _("Once"),
        "daily": _("Every day"),
        "weekly": _("Every week on %(days)s") % {"days": ", ".join(_(WEEKDAY_NAMES[WEEKDAY_CODES.index(d)]) for d in days)},
        "monthly_day": _("Every month on day %(day)s") % {"day": starts.day},
        "monthly_weekday": _("Every month: %(weekday)s of week %(n)s") % {
            "n": (starts.day - 1) // 7 + 1, "weekday": _(WEEKDAY_NAMES[starts.weekday()])},
    }[repeat]
    if count:
        words += _(", %(n)s times") % {"n": count}
    return words


def audience_words(mh: Meihao, audience: dict[str, Any], grids: dict[int, str], t: Translations, language: str) -> list[str]:
    _ = t.gettext
    parts = []
    if audience.get("everyone") and not any(audience.get(k) for k in ("grids", "tags", "named", "min_age", "max_age")):
        parts.append(_("Every resident of the community"))
    if audience.get("grids"):
        parts.append(_("Grids: %(names)s") % {"names": ", ".join(grids.get(g, str(g)) for g in audience["grids"])})
    if audience.get("tags"):
        parts.append(_("Tags: %(tags)s") % {"tags": ", ".join(audience["tags"])})
    if audience.get("min_age") is not None or audience.get("max_age") is not None:
        low, high = audience.get("min_age"), audience.get("max_age")
        if high is None:
            parts.append(_("Aged %(low)s and over") % {"low": low})
        elif low is None:
            parts.append(_("Aged %(high)s and under") % {"high": high})
        else:
            parts.append(_("Ages %(low)s to %(high)s") % {"low": low, "high": high})
    known = mh.plugins.audiences_by_name
    for name in audience.get("named", []):
        a = known.get(name)
        parts.append((a.title_zh if language == "zh_CN" else a.title_en) if a else name)
    if audience.get("residents"):
        parts.append(_("%(n)s residents by name") % {"n": len(audience["residents"])})
    if audience.get("staff"):
        parts.append(_("%(n)s staff members") % {"n": len(audience["staff"])})
    return parts


@get("/activities/{activity_id:int}", guards=[READ], include_in_schema=False)
async def activity_page(request: Request[Any, Any, Any], activity_id: FromPath[int], status: FromQuery[str] = "",
                        saved: FromQuery[str] = "", cancelled: FromQuery[str] = "") -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    t = translator(request)
    row = await activity_service.activity_in_scope(activity_id, principal)
    community = await get_community(row["community_slug"])
    zone = community.tz
    now = mh.clock.now()
    working = await activity_service.activity_calendar(mh, row)
    coming = activity_service.activity_occurrences(row, now, now + timedelta(days=400), 10, calendar=working) \
        if row["status"] == "scheduled" else []
    names = await grid_names(community, principal)
    audience = await preview(mh, audience_of(row), community, today_in(mh, [community]), activity_id=activity_id,
                             sample_scope=principal_scope(principal))
    log = await reminder_log(principal, activity_id, status=status or None)
    language = request_language(request)
    for r in log["reminders"]:
        r["occurrence_local"] = datetime.fromisoformat(r["occurrence"].replace("Z", "+00:00")).astimezone(zone)
        r["due_local"] = r["due_at"].astimezone(zone) if r["due_at"] else None
        r["sent_local"] = r["sent_at"].astimezone(zone) if r["sent_at"] else None
        r["next_local"] = r["next_attempt_at"].astimezone(zone) if r["next_attempt_at"] else None
        r["channel_title"] = _channel_title(mh, r["channel"], language)
    return render_page(
        request, "activities/detail.html",
        activity=row, community=community, starts=row["starts_at"].astimezone(zone), ends=row["ends_at"].astimezone(zone),
        coming=[{**o, "starts": o["starts_at"].astimezone(zone), "ends": o["ends_at"].astimezone(zone)} for o in coming],
        repeat=repeat_words(row, t), audience_words=audience_words(mh, row["audience"] or {}, names, t, language),
        offsets=[offset_words(m, t) for m in sorted(row["reminder_offsets"], reverse=True)],
        channel_titles=[_channel_title(mh, c, language) for c in row["channels"]],
        scene=SCENES.get(row["scene"], (row["scene"], row["scene"])),
        preview=audience, grid_names=names, log=log, status=status, status_names=STATUS_NAMES, status_tones=STATUS_TONES,
        zone=zone, can_write=principal.can("meihao.activity.write"), saved=bool(saved),
        # the title of the notice notices.cancel_activity sends (written in Chinese there, for residents)
        reminded=await reminded_people(activity_id), notice_title=f"已取消：{row['title']}", notices_on=await cancellation_notices_on(row["community"]),
        policy=dict(HOLIDAY_POLICIES).get(row["holiday_policy"], row["holiday_policy"]),
        recurring=is_recurring(row), cancelled_day=_local_key(cancelled, zone) if cancelled in row["exdates"] else None,
    )


def _local_key(key: str, zone: ZoneInfo) -> datetime:
    return occurrence_start(key).astimezone(zone)


def _channel_title(mh: Meihao, name: str, language: str) -> str:
    channel = mh.plugins.channels_by_name.get(name)
    if channel is None:
        return name
    return channel.title_zh if language == "zh_CN" else channel.title_en


@get("/activities/{activity_id:int}/edit", guards=[WRITE], include_in_schema=False)
async def edit_page(request: Request[Any, Any, Any], activity_id: FromPath[int]) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    row = await activity_service.activity_in_scope(activity_id, principal)
    community = await get_community(row["community_slug"])
    return render_page(request, "activities/form.html", form=form_of_activity(row), errors={}, activity=row,
                       **await form_context(mh, principal, community))


@post("/activities/{activity_id:int}/edit", guards=[WRITE], include_in_schema=False)
async def reschedule(request: Request[Any, Any, Any], activity_id: FromPath[int]) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    t = translator(request)
    row = await activity_service.activity_in_scope(activity_id, principal)
    community = await get_community(row["community_slug"])
    form = form_from(await _form_data(request))
    form.scene = row["scene"]
    form.was_lunar = bool(row["lunar_month"])
    values, errors = read_form(form, t)
    if not errors:
        try:
            patch = msgspec.convert({k: v for k, v in values.items() if v is not None}, ActivityPatch, strict=False)
            await commands.reschedule_activity(mh, principal, activity_id, patch)
        except (InvalidInput, Forbidden) as err:
            errors[form_field_of(err)] = explain(err, t)
        else:
            return Redirect(f"/activities/{activity_id}?saved=1", status_code=303)
    return render_page(request, "activities/form.html", status_code=400, form=form, errors=errors, activity=row,
                       **await form_context(mh, principal, community))


@post("/activities/{activity_id:int}/cancel", guards=[WRITE], include_in_schema=False)
async def cancel(request: Request[Any, Any, Any], activity_id: FromPath[int]) -> Response[Any]:
    """Cancel every coming occurrence; people already reminded are told (the community's setting), as by the API."""
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    await commands.call_off_activity(mh, principal, activity_id)
    return Redirect(f"/activities/{activity_id}", status_code=303)


# -- one date of a recurring activity -------------------------------------------------------

async def _occurrence(mh: Meihao, principal: Principal, activity_id: int, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The activity and its coming (or recent) occurrence ``key``, or the 404 page (outside the scope, no such date)."""
    row = await activity_service.activity_in_scope(activity_id, principal)
    working = await activity_service.activity_calendar(mh, row)
    now = mh.clock.now()
    found = {o["key"]: o for o in activity_service.activity_occurrences(row, now - timedelta(days=1), now + timedelta(days=800), 2000,
                                                                          calendar=working)}
    if row["status"] != "scheduled" or key not in found:
        raise NotFound(f"activity {activity_id} has no coming occurrence {key!r}")
    return row, found[key]


async def _cancel_occurrence_form(request: Request[Any, Any, Any], activity_id: int, key: str, reason: str = "", error: str = "",
                                  status_code: int = 200) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    row, occurrence = await _occurrence(mh, page_user(request), activity_id, key)
    zone = ZoneInfo(row["timezone"])
    people = {(p["recipient_kind"], p["recipient_id"]) for p in await notices.occurrence_people(activity_id, key)}
    return render_page(
        request, "activities/cancel_occurrence.html", status_code=status_code, activity=row, key=key,
        starts=occurrence["starts_at"].astimezone(zone), ends=occurrence["ends_at"].astimezone(zone), reason=reason, error=error,
        told=len(people), notices_on=await cancellation_notices_on(row["community"]), max_reason=commands.MAX_REASON,
        back=request.query_params.get("back", "") if request.query_params.get("back", "").startswith("/activities") else "",
    )


@get("/activities/{activity_id:int}/occurrences/{key:str}/cancel", guards=[WRITE], include_in_schema=False)
async def cancel_occurrence_form(request: Request[Any, Any, Any], activity_id: FromPath[int], key: FromPath[str]) -> Response[Any]:
    """Ask for the reason and say who will be told, before one date of a recurring activity is cancelled."""
    return await _cancel_occurrence_form(request, activity_id, key)


@post("/activities/{activity_id:int}/occurrences/{key:str}/cancel", guards=[WRITE], include_in_schema=False)
async def cancel_one_occurrence(request: Request[Any, Any, Any], activity_id: FromPath[int], key: FromPath[str]) -> Response[Any]:
    """Cancel one date, through the same service as ``POST /api/activities/{id}/occurrences/{key}/cancel``."""
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    t = translator(request)
    await _occurrence(mh, principal, activity_id, key)
    reason = str((await _form_data(request)).get("reason", "") or "").strip()
    if not reason:
        return await _cancel_occurrence_form(request, activity_id, key, reason, t.gettext("Say why this date is cancelled."), 400)
    try:
        await commands.call_off_occurrence(mh, principal, activity_id, key, reason)
    except InvalidInput as err:
        if err.field != "reason":
            raise
        message = t.gettext("At most %(n)s characters.") % {"n": commands.MAX_REASON}
        return await _cancel_occurrence_form(request, activity_id, key, reason, message, 400)
    return Redirect(f"/activities/{activity_id}?{urlencode({'cancelled': key})}", status_code=303)


HANDLERS = [calendar_page, new_page, create, preview_part, dates_part, activity_page, edit_page, reschedule, cancel, cancel_occurrence_form,
            cancel_one_occurrence]
