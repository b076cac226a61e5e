"""The declarative values plugins hand to the kernel: scenarios, permissions, jobs, audiences, channels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Literal

import msgspec

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

#: The languages meihao speaks to people in (a resident's or staff member's preferred language).
Language = Literal["zh", "en"]

#: The nine scenes of the source (九大场景); a third-party scenario may bring a new scene key.
SCENES: dict[str, tuple[str, str]] = {
    "service": ("服务", "service"),
    "governance": ("治理", "governance"),
    "neighbourhood": ("邻里", "neighbourhood"),
    "health": ("健康", "health"),
    "education": ("教育", "education"),
    "commerce": ("商业", "commerce"),
    "elder_care": ("养老", "elder care"),
    "markets": ("市集", "neighbourhood markets"),
    "culture": ("文化", "theatre outreach"),
}


class NoSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings schema of a scenario that has nothing to configure."""


@dataclass(frozen=True)
class Scenario:
    """A scene a community can switch on. ``name`` equals the plugin's (and its folder's) name."""

    name: str
    title_zh: str
    title_en: str
    scene: str
    version: str
    #: msgspec Struct with a default for every field; validated when a community enables the scenario.
    settings: type[msgspec.Struct] = NoSettings
    #: Names of plugins this one needs; start-up stops when one is missing.
    dependencies: tuple[str, ...] = ()
    description: str = ""
    #: Department staff (``department_staff``: no community of their own) reach this scenario's routes
    #: and pages in every community that runs it, as governance's orders to departments need; the
    #: scene then scopes their rows to their department (a row outside it is a 404 as if missing).
    departments: bool = False
    #: The scene's settings that belong to the street (the sub-district) rather than one community (a yearly
    #: target, a shared register's rules): a msgspec Struct with a default for every field, stored once for
    #: the street; ``None`` for none. Read with ``await meihao.street_settings(mh, name)``; street staff change
    #: them with ``PUT /api/street/settings/{name}`` or the console's ``/street/settings/{name}``.
    street_settings: type[msgspec.Struct] | None = None


@dataclass(frozen=True)
class Permission:
    """A named permission (``elder_care.visit.record``) that a plugin checks.

    ``roles`` are the staff roles that hold it by default (street admins hold every
    permission): ``community_admin``, ``grid_leader``, ``grid_worker``, ``grid_part_time``,
    ``dispatched``, ``department_staff``.
    """

    name: str
    description: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Job:
    """A scheduled job a plugin declares; the kernel's scheduler registers it as a schedule.

    ``trigger`` is ``("cron", {"hour": 7})``, ``("interval", {"minutes": 5})`` or
    ``("date", {"run_time": datetime})``; cron fields are read in the community's time zone
    (``per_community``) or the default time zone. With ``per_community`` the job runs once for
    each community that enabled the plugin's scenario (every community, for a plugin that
    is not a scenario). ``func`` may take any of ``meihao`` (the running
    :class:`~meihao.runtime.Meihao`), ``community`` (a :class:`~meihao.CommunityInfo`, per-community jobs
    only), ``now`` (when the run started, aware UTC, from the kernel's clock) and
    ``scheduled_at`` (the fire time the scheduler scheduled, aware UTC; ``None`` for a run
    started by hand); it may be async. Each scheduled fire runs once in the whole cluster.

    A fire missed while the system was down runs once on restart if it is at most
    ``misfire_grace_time`` late (``None``: however late); several missed fires run once.
    Jobs must be short and idempotent: one that blocks the event loop past its lease may
    run twice (the kernel still runs one fire at most once: see ``scheduled_at``).
    """

    id: str
    func: Callable[..., Awaitable[Any] | Any]
    trigger: tuple[Literal["cron", "interval", "date"], dict[str, Any]]
    per_community: bool = False
    description: str = ""
    misfire_grace_time: timedelta | None = timedelta(hours=1)
    #: Several fires found due at once (the scheduler was down or late) run once, as the
    #: latest; ``False`` runs each of them (a job that must see every fire time).
    coalesce: bool = True


@dataclass(frozen=True)
class Audience:
    """A named set of residents (``elder_care.living_alone``) resolved to a SQL selection.

    ``select`` receives the community's id and returns a Piccolo ``Select`` of one column,
    resident ids (``Resident.select(Resident.id).where(...)``, or a select on the plugin's
    own table). It is used as a sub-query of the fan-out's ``INSERT … SELECT``, so it must
    not be awaited or run.

    A function that also names ``activity_id`` (and ``occurrence``, the occurrence's key) is
    given the activity being fanned out, for audiences kept in the plugin's own records per
    activity (the stallholders of one market day): changing who they are needs no change to
    the activity. In a preview, outside a fan-out, ``occurrence`` is None. A function that
    names ``today`` gets the community's local date the audience is taken on (count ages
    from it, never from the machine's date), and one that names ``meihao`` the running
    instance (its settings).
    """

    name: str
    title_zh: str
    title_en: str
    select: Callable[[int], Any]


@dataclass(frozen=True)
class Message:
    """One rendered reminder for one recipient, handed to a channel's ``send``.

    ``delivery_id`` is stable across retries and restarts: receivers deduplicate on it.
    ``sent_at`` is the kernel's time of the delivery round that sends it (``meihao.clock``,
    a FakeClock's in tests); None where a message is made outside one.
    """

    delivery_id: str
    recipient_kind: str
    recipient_id: int
    recipient_name: str
    address: str
    language: str
    subject: str
    body: str
    unsubscribe_url: str
    activity: dict[str, Any]
    community: str
    reminder_id: int = 0
    sent_at: datetime | None = None
    #: Where a mail client's RFC 8058 one-click unsubscribe POSTs (no form token, no page):
    #: the API's address, while ``unsubscribe_url`` is the resident's page that says what it
    #: switches off and offers to undo it. Empty: use ``unsubscribe_url``.
    list_unsubscribe_url: str = ""
    #: A resident's own page (her inbox link, ``{base_url}/r/inbox/{token}``), for a channel whose message
    #: carries a link (WeChat's template messages); empty for staff.
    page_url: str = ""
    #: The channel's own settings: its table in meihao.toml (``[channels.sms]``), ``{}`` when it has none.
    settings: dict[str, Any] = field(default_factory=dict)


class PermanentFailure(Exception):
    """Raised by a channel's ``send`` when retrying cannot help (a refused address); the reminder fails at once."""


@dataclass(frozen=True)
class Channel:
    """A delivery channel (inbox, email, webhook…): ``send(message)`` delivers one rendered message.

    ``send`` is async and raises on failure (retried with backoff) or :class:`PermanentFailure`.
    ``needs_address``: recipients are reached only if they have a contact address for the
    channel (``meihao_contact``); the inbox needs none. ``for_residents`` False: staff only.
    ``check_address``: an async function given an address before it is saved; it raises
    ``InvalidInput`` (naming the field ``address``) for one the channel will not deliver to.
    """

    name: str
    title_zh: str
    title_en: str
    send: Callable[[Message], Awaitable[None]]
    for_residents: bool = True
    needs_address: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    check_address: Callable[[str], Awaitable[None]] | None = None


@dataclass(frozen=True)
class DoctorCheck:
    """One line a plugin adds to ``meihao doctor`` (``meihao_doctor``): what it checked, how it went, what to do.

    ``status`` is ``ok``, ``warning`` or ``error`` (an error makes doctor exit non-zero).
    """

    name: str
    status: Literal["ok", "warning", "error"]
    summary: str
    fix: str = ""


@dataclass(frozen=True)
class Metric:
    """One key figure of a scenario for a community's dashboard."""

    key: str
    title_zh: str
    title_en: str
    value: float | int
    at: datetime | None = None
    window: timedelta | None = None


# ---------------------------------------------------------------------------
# the console: pages and dashboard cards a plugin brings (meihao_console_pages)
# ---------------------------------------------------------------------------

#: How a figure on a card is coloured: plain, good, needs attention (yellow), overdue (red).
Tone = Literal["", "ok", "warn", "alert"]


@dataclass(frozen=True)
class CardFigure:
    """One figure on a dashboard card: a label in both languages, a value, a tone."""

    label_zh: str
    label_en: str
    value: int | float | str
    tone: Tone = ""


@dataclass(frozen=True)
class ConsoleCard:
    """A card on a community's page and the street overview.

    ``figures(meihao, principal, community)`` is awaited for each community that runs the
    scenario and that the viewer reaches; it must count only what the viewer may read (the
    principal's scope), like the plugin's routes. ``link`` is a path under the scenario's
    pages (``"due"`` → ``/c/{slug}/{scenario}/due``), or empty.
    """

    key: str
    title_zh: str
    title_en: str
    figures: Callable[[Any, Any, Any], Awaitable[list[CardFigure]]]
    link: str = ""
    permission: str = ""


@dataclass(frozen=True)
class NavLink:
    """A link to one of the plugin's pages in a community's menu; shown when the viewer holds ``permission`` (if any)."""

    title_zh: str
    title_en: str
    path: str
    permission: str = ""


#: How urgent an item of a staff member's queue is: overdue (red), due soon (yellow), due today, or later.
Urgency = Literal["red", "yellow", "today", ""]


@dataclass(frozen=True)
class QueueItem:
    """One open item of a staff member's queue (``/queue``), across scenes: what to do, where, by when.

    ``href`` is the page where it is done; ``action`` (a label pair and a path under the scene's
    pages to POST to) makes it a one-tap action on a phone, or is empty.
    """

    title_zh: str
    title_en: str
    href: str
    community: str  # the community's slug
    due: Any = None  # a date or an aware datetime, or None
    urgency: Urgency = ""
    action: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class ConsolePages:
    """What a plugin adds to the console (``meihao_console_pages``).

    ``handlers`` are Litestar handlers (or controllers, routers) mounted under
    ``/c/{slug}/{scenario}`` for a scenario, behind a logged-in staff member, the scenario
    switched on for the community in the path, and the viewer's scope reaching it. They
    render with :func:`meihao.render_page` from ``templates`` (a folder; its templates are
    addressed as ``"<plugin>/<file>"``) and translate with the ``.po`` files under
    ``locale/<language>/LC_MESSAGES/``.

    ``resident_handlers`` are pages for residents (who have no account), mounted under
    ``/r/{token}/{scenario}`` with no login: the token is the resident's inbox link, resolved
    before the handler runs (a wrong or revoked link, or a community that does not run the
    scenario, is the residents' "link not valid" page). They may ask for ``resident`` (a
    :class:`meihao.ResidentLink`) and ``community``. ``resident_nav`` links (paths under
    ``/r/{token}/{scenario}``) are shown on the resident's inbox page when her community runs
    the scenario.
    """

    handlers: list[Any] = field(default_factory=list)
    templates: Any = None  # pathlib.Path of the plugin's templates folder
    locale: Any = None  # pathlib.Path of the plugin's catalogues
    nav: list[NavLink] = field(default_factory=list)
    cards: list[ConsoleCard] = field(default_factory=list)
    #: ``queue(meihao, principal)`` is awaited for the viewer's queue: the scene's open items the
    #: viewer is responsible for (in their scope), as :class:`QueueItem` values.
    queue: Callable[[Any, Any], Awaitable[list[QueueItem]]] | None = None
    #: ``overdue(meihao, principal)``: the red items of ``queue`` only, for the street overview, which
    #: shows nothing else of it; a scene whose queue reads more than its red items (the yellow ones, a
    #: window of days) gives it so that the overview does not. Without it the overview awaits ``queue``
    #: and keeps its red items.
    overdue: Callable[[Any, Any], Awaitable[list[QueueItem]]] | None = None
    resident_handlers: list[Any] = field(default_factory=list)
    resident_nav: list[NavLink] = field(default_factory=list)
    #: Pages of the street (the sub-district), not of one community: mounted under ``/street/{scenario}``
    #: behind a logged-in street staff member (the 403 page for community staff unless the handler says
    #: ``opt={"community_staff": True}``) and the scene switched on in at least one community (the 404 page
    #: otherwise). ``street_nav`` links (paths under ``/street/{scenario}``) are shown in the overview's
    #: street section to street staff holding their permission.
    street_handlers: list[Any] = field(default_factory=list)
    street_nav: list[NavLink] = field(default_factory=list)


@dataclass(frozen=True)
class HandOver:
    """What is handed over: the matter in words, where it is, and where it came from.

    ``source`` names the sender's record as ``"scene.kind:id"`` (``"service.request:42"``): the
    receiver stores it to link back. ``data`` carries what only this intake understands (a
    category, a level); its keys are documented by the receiving scene.
    """

    community: str
    source: str
    title: str
    body: str = ""
    resident_id: int | None = None
    grid_id: int | None = None
    building_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """What the receiving scene created: ``reference`` (``"governance.event:7"``) and the console path to it."""

    reference: str
    path: str = ""
    title: str = ""


@dataclass(frozen=True)
class Intake:
    """A kind of matter a scene takes over from others (``meihao_intakes``).

    ``name`` starts with the receiving scenario's name (``"governance.event"``). ``accept`` is
    ``async (handover, meihao, principal) -> Receipt``; raise ``meihao.InvalidInput`` for a
    hand-over it cannot take (a missing ``data`` key), and the sender's request fails with 400.
    """

    name: str
    title_zh: str
    title_en: str
    accept: Callable[[HandOver, Any, Any], Awaitable[Receipt]]
