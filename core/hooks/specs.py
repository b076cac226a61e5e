"""Every hook of meihao, grouped by lifecycle: the contract between the kernel and its plugins.

A plugin is a module or object with functions marked ``@meihao.hookimpl`` whose names
are the hooks below. A hook implementation may take any subset of the arguments listed,
by name. Hooks marked *awaitable* may return either a value or an awaitable; the kernel
awaits what needs it. Unless a hook says ``firstresult``, every plugin is asked and the
kernel collects all answers; ``None`` means "nothing from this plugin".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable

import pluggy

if TYPE_CHECKING:
    import click
    from litestar.types import ControllerRouterHandler

    from meihao.access.principals import Principal
    from meihao.hooks.declarations import Audience, Channel, ConsolePages, DoctorCheck, Intake, Job, Metric, Permission, Scenario
    from meihao.register.schemas import CommunityInfo
    from meihao.runtime import Meihao

hookspec = pluggy.HookspecMarker("meihao")
hookimpl = pluggy.HookimplMarker("meihao")


# ---------------------------------------------------------------------------
# boot: asked once while the kernel starts; answers are validated before serving
# ---------------------------------------------------------------------------


@hookspec
def meihao_scenario() -> Scenario | None:
    """Declare the scenario this plugin provides.

    :return: a :class:`meihao.Scenario` whose ``name`` equals the plugin's name, or
        ``None`` when the plugin is not a scenario (a delivery channel, say).
    """


@hookspec
def meihao_piccolo_apps() -> list[str] | None:
    """Name the plugin's Piccolo apps.

    :return: dotted module paths of ``piccolo_app`` modules (each with an ``APP_CONFIG``),
        usually one: ``["my_scene.piccolo_app"]``. Their migrations run with
        ``meihao migrate``. ``None``: the plugin has no tables.
    """


@hookspec
def meihao_street_route_handlers() -> list[ControllerRouterHandler] | None:
    """Give a scenario's street routes: what belongs to the street (the sub-district) rather than one community.

    Mounted under ``/api/street/{scenario}``; they answer 404 while no community runs the
    scenario and 403 to a caller who is not street staff, unless the handler says
    ``opt={"community_staff": True}`` (then any staff member holding its ``requires(...)``
    permission). ``meihao.street_communities(mh, scenario, principal)`` lists the communities
    running the scenario that the caller reaches. Only a scenario plugin may give them.
    :return: a list of handlers, or ``None`` for none.
    """


@hookspec
def meihao_route_handlers() -> list[ControllerRouterHandler] | None:
    """Give Litestar controllers, routers or handlers to mount.

    A scenario plugin's handlers are mounted under
    ``/api/communities/{slug}/{scenario}``; they answer 404 in a community that has not
    enabled the scenario, and may ask for ``community`` (a :class:`meihao.CommunityInfo`)
    as a dependency (``meihao.CurrentCommunity``), as for ``meihao`` (``meihao.Runtime``) and
    ``principal`` (``meihao.Caller``). Other plugins' handlers are mounted under ``/api``.
    :return: a list of handlers, or ``None`` for none.
    """


@hookspec
def meihao_jobs() -> list[Job] | None:
    """Declare scheduled jobs.

    :return: :class:`meihao.Job` declarations with ids unique within the plugin, or ``None``.
    """


@hookspec
def meihao_audiences() -> list[Audience] | None:
    """Declare named audiences (``elder_care.living_alone``) that resolve to residents.

    :return: :class:`meihao.Audience` values whose names start with the plugin's name, or ``None``.
    """


@hookspec
def meihao_channels() -> list[Channel] | None:
    """Declare delivery channels (the kernel's inbox is one, declared the same way).

    :return: :class:`meihao.Channel` values, or ``None``.
    """


@hookspec
def meihao_permissions() -> list[Permission] | None:
    """Declare the permissions this plugin checks.

    :return: :class:`meihao.Permission` values whose names start with ``<plugin>.``, or ``None``.
    """


@hookspec
def meihao_intakes() -> list[Intake] | None:
    """Declare the kinds of matter this scenario takes over from other scenes (hand-overs, 转办).

    :return: :class:`meihao.Intake` values whose names start with ``<scenario>.``, or ``None``.
        Another scene passes a matter with :func:`meihao.hand_over`; the kernel calls the
        intake only where this scenario is switched on.
    """


@hookspec
def meihao_cli(cli: click.Group) -> None:
    """Add commands to the ``meihao`` command line.

    :param cli: the ``meihao`` click group; call ``cli.add_command`` or decorate with
        ``@cli.command()``. Names the kernel uses cannot be replaced.
    """


# ---------------------------------------------------------------------------
# community lifecycle: a community switches a scenario on or off
# ---------------------------------------------------------------------------


@hookspec
def meihao_community_enabled(
    community: CommunityInfo, scenario: str, settings: Any, meihao: Meihao
) -> Awaitable[None] | None:
    """A community switched this plugin's scenario on (or changed its settings); set up what it needs.

    Asked only of the plugin that provides ``scenario`` (a plugin that is not a scenario may
    not implement it; to hear of every switch, implement ``meihao_scenario_switched``).
    *Awaitable.* Runs inside the transaction that records the switch: raising undoes it.

    :param community: the community (:class:`meihao.CommunityInfo`: ``id``, ``slug``, ``name``,
        ``brand_name``, ``brand_slogan``, ``timezone`` and ``tz``).
    :param scenario: the scenario's name.
    :param settings: the validated settings Struct of that scenario.
    :param meihao: the running instance (database, clock, plugins), for set-up that needs the
        kernel's services (creating an activity, say).
    """


@hookspec
def meihao_community_disabled(community: CommunityInfo, scenario: str, meihao: Meihao) -> Awaitable[None] | None:
    """A community switched this plugin's scenario off; tear down what enabling set up.

    Asked only of the plugin that provides ``scenario``. The scenario's data stays (re-enabling brings it back); remove schedules and other
    running things only. *Awaitable.* Same arguments as ``meihao_community_enabled``.
    """


@hookspec
def meihao_scenario_switched(community: CommunityInfo, scenario: str, enabled: bool, meihao: Meihao) -> Awaitable[None] | None:
    """A community switched any scenario on (``enabled`` True, also a change of settings) or off.

    For kernel extensions that react to every switch (the scheduler adds or drops the
    scenario's per-community jobs); every plugin is told, after the scenario's own
    ``meihao_community_enabled``/``_disabled``. *Awaitable.* Runs inside the transaction that
    records the switch: raising undoes it.
    """


# ---------------------------------------------------------------------------
# delivery: a reminder is about to be sent
# ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def meihao_render_reminder(reminder: dict[str, Any], recipient: dict[str, Any], language: str) -> str | None:
    """Write the message text of one reminder for one recipient.

    Asked only of the scenario that owns the activity (the one whose code created it, or
    sent the notice: ``reminder["activity"]["scenario"]``), so a scenario needs no
    ``if activity["scene"] != …`` guard; ``None`` leaves it to the kernel's default, which
    renders a notice as written and anything else as title, time and venue.

    :param reminder: the reminder with its activity (title, venue, starts_at, scene, scenario, source, …).
    :param recipient: the resident or staff member (name, preferred language).
    :param language: ``zh`` or ``en``.
    :return: the text, or ``None`` to leave it to the next plugin.
    """


# ---------------------------------------------------------------------------
# demo and dashboard
# ---------------------------------------------------------------------------


@hookspec
def meihao_demo_data(
    community: CommunityInfo, scenario: str, settings: Any, seed: int, meihao: Meihao
) -> Awaitable[None] | None:
    """Fill one community with realistic data for this plugin's scenario (``meihao demo``).

    Asked only of the plugin that provides ``scenario``, after the community's residents
    exist and the scenario is enabled. *Awaitable.*

    :param community: the community to fill (:class:`meihao.CommunityInfo`).
    :param seed: a number to seed random choices with, so demo runs are repeatable.
    :param meihao: the running instance (database, clock, plugins).
    """


@hookspec
def meihao_metrics(
    community: CommunityInfo, scenario: str, meihao: Meihao, principal: Principal
) -> Awaitable[list[Metric]] | list[Metric] | None:
    """Give the scenario's key figures for one community (the dashboard), as one viewer may see them.

    Asked only of the plugin that provides ``scenario``, for a community that enabled it.
    *Awaitable.* ``community`` is a :class:`meihao.CommunityInfo`; ``meihao`` is the running
    instance (``meihao.community_today(meihao, community)`` says what "today" is there);
    ``principal`` is the viewer (a :class:`meihao.Principal`; ``Principal.system()`` for the
    kernel itself): count only the rows the viewer's scope reaches (``scope_where``) and leave
    out a figure whose data needs a permission the viewer lacks (proceeds, say), exactly as
    the scene's routes would answer that viewer.
    :return: :class:`meihao.Metric` values, or ``None``.
    """


# ---------------------------------------------------------------------------
# the console: pages for people (Jinja2 + htmx), served by meihao
# ---------------------------------------------------------------------------


@hookspec
def meihao_console_pages() -> ConsolePages | None:
    """Give the plugin's console pages, menu links and dashboard cards.

    Asked once at load. A scenario's page handlers are mounted under ``/c/{slug}/{scenario}``
    behind the same guards as its routes (a logged-in staff member, the scenario switched on
    in the community, the viewer's scope reaching it); add ``meihao.page_requires(permission)``
    where a route would have ``meihao.requires``. A page renders with
    ``meihao.render_page(request, "<plugin>/<template>", **context)``.
    :return: a :class:`meihao.ConsolePages`, or ``None`` for none.
    """


# ---------------------------------------------------------------------------
# data rights: a resident asks for their data, or for it to be erased (PIPL)
# ---------------------------------------------------------------------------


@hookspec
def meihao_resident_data(resident_id: int, meihao: Meihao) -> Awaitable[dict[str, Any] | None] | dict[str, Any] | None:
    """Give everything this plugin holds about one resident, for the resident's copy of their data.

    Every plugin is asked (also scenarios no community runs any more: their rows stay), after
    the caller's permission and scope were checked. *Awaitable.* Unmasked: the export is the
    resident's own copy, and the request is audited as a whole.

    :param resident_id: the resident (``meihao.tables.Resident``).
    :param meihao: the running instance.
    :return: a JSON-ready dict (str keys; lists, numbers, strings, dates), under the plugin's
        name in the export; ``None`` when the plugin holds nothing about the resident.
    """


@hookspec
def meihao_erase_resident(resident_id: int, meihao: Meihao) -> Awaitable[dict[str, int] | None] | dict[str, int] | None:
    """Erase this plugin's personal data about one resident, keeping what is counted.

    Every plugin is asked, inside the transaction that anonymises the resident's register
    entry (raising undoes the whole erasure). Blank the free texts that describe the person
    (notes, findings, contact people and numbers) and keep the rows that aggregate figures
    count (a visit, a stall, an attendance): the resident row itself stays, anonymised, so
    foreign keys keep pointing at it. *Awaitable.*

    :return: how many records of each kind were erased or blanked (``{"visit_notes": 3}``),
        written to the audit log; ``None`` when the plugin held nothing.
    """


@hookspec
def meihao_doctor(meihao: Meihao) -> Awaitable[list[DoctorCheck] | None] | list[DoctorCheck] | None:
    """Add lines to ``meihao doctor``: what this plugin checked of its own set-up and figures.

    Every plugin is asked, after the kernel's checks, with the database started and migrated.
    *Awaitable.* Keep it quick and read-only; name no personal data.

    :param meihao: the running instance (its settings, the database).
    :return: :class:`meihao.DoctorCheck` values, or ``None``.
    """
