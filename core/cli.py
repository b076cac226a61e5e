"""The ``meihao`` command: migrate, serve, demo, plugins, community enable/disable, and plugins' own commands."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import timezone
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from meihao.config import ROLES
from meihao.errors import MeihaoError

T = TypeVar("T")

#: Commands the kernel owns; plugins cannot replace them.
KERNEL_COMMANDS = (
    "migrate", "serve", "demo", "plugins", "plugin", "community", "user", "keygen", "makemigrations", "jobs", "job", "nodes", "remind",
    "worker", "doctor", "calendar", "backup", "restore", "resident", "register",
)


class MeihaoGroup(click.Group):
    """Turns MeihaoError into one line on stderr and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MeihaoError as err:
            raise click.ClickException(err.message) from err

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name in self.commands and name in KERNEL_COMMANDS:
            raise MeihaoError(f"command {name!r} belongs to the kernel and cannot be replaced by a plugin")
        super().add_command(cmd, name)


def run_async(func: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return asyncio.run(func(*args, **kwargs))

    return wrapper


def _meihao():
    """The instance booted by ``main`` (plugins are loaded once per command run), with its data key.

    ``main`` boots without the key when the command line only inspects (``--help``, ``plugins``);
    should a command that needs it run all the same, the key is loaded (or refused) here.
    """
    from meihao.config import load_settings
    from meihao.privacy import PersonalDataCodec
    from meihao.runtime import boot

    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.obj is None:
        return boot()
    mh = ctx.obj
    if not mh.settings.data_key:
        mh.settings = load_settings()
        mh.codec = PersonalDataCodec(mh.settings.data_key)
    return mh


async def _started(*, migrated: bool = True):
    """Connect; unless ``migrated=False``, refuse to go on with migrations pending."""
    mh = _meihao()
    await mh.start()
    if migrated:
        pending = await mh.db.pending_migrations()
        if pending:
            await mh.close()
            raise MeihaoError(f"{len(pending)} migration(s) pending in {mh.db.describe()}; run `meihao migrate` first")
    return mh


@click.group(cls=MeihaoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="meihao")
def cli() -> None:
    """meihao 美好: community services for an urban sub-district."""


@cli.command()
@run_async
async def migrate() -> None:
    """Apply every pending migration of the kernel and all plugins, and (PostgreSQL) create the scheduler's tables.

    Safe to run again, and safe to run twice at once: on PostgreSQL the second waits for the first.
    """
    from meihao.operations.migrate import migrate as migrate_database
    from meihao.scheduling.store import CLUSTER_SCHEMA

    mh = await _started(migrated=False)
    try:
        result = await migrate_database(mh)
    finally:
        await mh.close()
    if not result.applied and not result.scheduler_tables:
        click.echo(f"Nothing to migrate in {mh.db.describe()}.")
    for item in result.applied:
        click.echo(f"applied {item.app}: {item.migration_id}")
    if result.scheduler_tables:
        click.echo(f"created the scheduler's tables in schema {CLUSTER_SCHEMA}")
    for load in result.calendar_files:
        click.echo(f"calendar {load.year} from {load.path}: " + ("loaded" if load.changed else "already loaded, unchanged"))


@cli.command()
@click.argument("app")
@click.option("--description", "-d", default="", help="What the migration does.")
@run_async
async def makemigrations(app: str, description: str) -> None:
    """Write a new migration for a plugin's Piccolo app from the changes in its tables."""
    from piccolo.apps.migrations.commands.new import new

    mh = _meihao()
    if app not in {c.app_name for c in mh.db.app_configs}:
        raise MeihaoError(f"no Piccolo app named {app!r}; known: {', '.join(c.app_name for c in mh.db.app_configs)}")
    await new(app_name=app, auto=True, desc=description, auto_input="y")


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default from MEIHAO_HOST, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default from MEIHAO_PORT, 8000).")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=None,
    help="web: the API; scheduler: jobs and reminders, with only /health and /metrics on the port; "
    "both: everything (default from MEIHAO_ROLE, both).",
)
@click.option("--node-id", default=None, help="This node's stable name (default from MEIHAO_NODE_ID, else <host>-<role>-<port>).")
def serve(host: str | None, port: int | None, role: str | None, node_id: str | None) -> None:
    """Run a node: the web app, the scheduler, or both (embedded mode) in this process."""
    import uvicorn

    from meihao.web.app import create_app
    from meihao.web.safety import uvicorn_log_config

    mh = _with_settings(_meihao(), role=role, node_id=node_id, host=host, port=port)
    host, port = mh.settings.host, mh.settings.port
    app = create_app(mh, port=port)
    pending = asyncio.run(_pending(mh))
    if pending:
        raise MeihaoError(f"{len(pending)} migration(s) pending; run `meihao migrate` first")
    node = mh.settings.default_node_id(port)
    what = {"web": "the API", "scheduler": "the scheduler (only /health and /metrics over HTTP)", "both": "the API and the scheduler"}
    click.echo(f"meihao node {node} ({mh.settings.role}: {what[mh.settings.role]}) on http://{host}:{port}")
    if mh.settings.serves_api:
        click.echo("OpenAPI at /schema, API docs at /schema/swagger")

    async def refusals_in_one_line(scope: Any, receive: Any, send: Any) -> None:
        # Drop the traceback uvicorn would log for a start-up refusal; it is raised below as one line.
        async def forward(message: Any) -> None:
            if message["type"] == "lifespan.startup.failed" and "refused" in app.state:
                message = {**message, "message": ""}
            await send(message)

        await app(scope, receive, forward if scope["type"] == "lifespan" else send)

    try:
        # X-Forwarded-For only from the configured proxies (uvicorn alone would trust 127.0.0.1).
        trusted = mh.settings.trusted_proxies
        uvicorn.run(
            refusals_in_one_line,
            host=host,
            port=port,
            log_level="info",
            proxy_headers=bool(trusted),
            forwarded_allow_ips=",".join(trusted) if trusted else "",
            log_config=uvicorn_log_config(),  # secret-link tokens kept out of the access log
        )
    except SystemExit:
        if "refused" in app.state:
            raise app.state["refused"] from None
        raise


def _with_settings(mh: Any, **options: Any) -> Any:
    """``mh`` with the command's options that were given put over its settings, checked as settings
    from the environment are (a wrong ``--node-id`` or ``--port`` is one line)."""
    import msgspec

    given = {name: value for name, value in options.items() if value is not None}
    if given:
        mh.settings = msgspec.structs.replace(mh.settings, **given)
        mh.settings.__post_init__()
    return mh


async def _pending(mh: Any) -> list[Any]:
    await mh.start()
    try:
        return await mh.db.pending_migrations()
    finally:
        await mh.close()


@cli.command()
@click.option("--residents", default=20_000, show_default=True, type=click.IntRange(min=0), help="How many residents to generate.")
@click.option("--seed", default=1169, show_default=True, help="Random seed (same seed, same demo).")
@click.option("--profile", default=None, type=click.Path(exists=True, dir_okay=False), help="A TOML file describing the communities.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--enable", "enables", multiple=True, metavar="NAME@SLUG",
    help="Also switch the installed scenario NAME on in the profile's community SLUG, with its demo data (repeatable), "
    "e.g. --enable bookshelf@hepan.",
)
@run_async
async def demo(residents: int, seed: int, profile: str | None, quiet: bool, enables: tuple[str, ...]) -> None:
    """Build the demo sub-district: five branded communities, grids, buildings, households, residents.

    Run again, it adds no residents; scenarios wanted and installed since (or named with --enable)
    are switched on with their demo data.
    """
    from meihao.demo import build_demo, load_profile, with_enabled
    from meihao.operations.migrate import migrate as migrate_database

    mh = _meihao()
    wanted = with_enabled(load_profile(profile), enables, mh.plugins.scenarios)  # checked before the database is touched
    mh = await _started(migrated=False)
    try:
        await migrate_database(mh)
        summary = await build_demo(mh, wanted, residents=residents, seed=seed, progress=not quiet)
        from meihao.access.staff import FIRST_ADMIN, ensure_first_admin

        password = await ensure_first_admin(mh)
    finally:
        await mh.close()
    click.echo(summary)
    if password:
        click.echo(f"First street admin: username {FIRST_ADMIN!r}, password {password!r} (shown only this once)")


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@run_async
async def plugins_command(as_json: bool) -> None:
    """List plugins: name, version, scene, source, loaded or blocked (MEIHAO_DISABLED_PLUGINS), and the
    communities that enable each when there is a database. Needs no database and writes no file."""
    from meihao.operations.plugin_list import enabled_by_scenario, plugin_rows, render_plugins

    mh = click.get_current_context().obj or _meihao()
    rows = plugin_rows(mh, await enabled_by_scenario(mh))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(render_plugins(rows))
    if rows and rows[0]["communities"] is None:
        click.echo(f"(no migrated database at {mh.db.describe()}: the communities are not shown)", err=True)


@cli.group()
def plugin() -> None:
    """Plugin authors' tools."""


@plugin.command(name="check")
@click.argument("name", required=False)
def plugin_check(name: str | None) -> None:
    """Check plugin NAME (default: every installed plugin that is not blocked) before it runs.

    Hooks answer with the right types, table names carry the plugin's prefix, the migrations
    make the tables, settings have defaults, every route is guarded or public, every permission
    checked is declared, and only the public API is imported. Needs no database. One line per
    check when it passes; exits 1 listing each problem in one line, 2 when NAME is not installed.
    """
    from meihao.config import load_settings
    from meihao.operations.plugin_check import check_installed, installed_plugins

    ctx = click.get_current_context()
    settings = ctx.obj.settings if ctx.obj is not None else load_settings(with_data_key=False)
    lines = check_installed(settings, name)
    if lines is None:
        known = ", ".join(sorted(installed_plugins(settings))) or "none"
        click.echo(f"Error: no plugin named {name!r} is installed (installed: {known})", err=True)
        sys.exit(2)
    for line in lines:
        click.echo(line)
    if any(" ok (" not in line and " skipped (" not in line for line in lines):
        sys.exit(1)


@plugin.command(name="new")
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--scene", default="neighbourhood", show_default=True, help="The scene it belongs to: service, governance, neighbourhood, …")
@click.option("--title-zh", default=None, help="Its Chinese title (default: the scene's).")
@click.option("--title-en", default=None, help="Its English title (default: from NAME).")
def plugin_new(name: str, directory: Path | None, scene: str, title_zh: str | None, title_en: str | None) -> None:
    """Make a new scene plugin NAME as a pip-installable package in DIRECTORY (default ./meihao-NAME).

    It has a Scenario with settings, one table and its first migration, scoped list and create
    routes, a job, an audience, demo data and tests on meihao's fixtures that pass as generated,
    on SQLite and PostgreSQL. Needs no database; writes nothing when the answers are wrong or
    DIRECTORY exists and is not empty.
    """
    from meihao.operations.scaffold import create, plan

    new = plan(name, scene, title_zh, title_en)
    target = directory or Path(new.dist)
    files = create(new, target)
    click.echo(f"made the plugin {name!r} ({new.dist}, scene {scene}) in {target}: {len(files)} files")
    click.echo(f"next: pip install -e '{target}[test]' && (cd {target} && pytest) && meihao plugin check {name}")


@cli.group()
def community() -> None:
    """Switch scenarios on and off for a community."""


@community.command()
@click.argument("slug")
@click.argument("scenario")
@click.option("--settings", "settings_json", default=None, help='Settings as JSON, e.g. \'{"threshold_age": 65}\'.')
@run_async
async def enable(slug: str, scenario: str, settings_json: str | None) -> None:
    """Enable SCENARIO for the community SLUG."""
    from meihao.register.community_scenarios import enable as enable_scenario

    settings = None
    if settings_json is not None:
        try:
            settings = json.loads(settings_json)
        except json.JSONDecodeError as err:
            raise MeihaoError(f"--settings is not valid JSON: {err}") from err
        if not isinstance(settings, dict):
            raise MeihaoError("--settings must be a JSON object")
    mh = await _started()
    try:
        state = await enable_scenario(mh, slug, scenario, settings)
    finally:
        await mh.close()
    click.echo(f"{scenario} enabled in {slug} with settings {json.dumps(state['settings'], ensure_ascii=False)}")


@community.command()
@click.argument("slug")
@click.argument("scenario")
@run_async
async def disable(slug: str, scenario: str) -> None:
    """Disable SCENARIO for the community SLUG (its data is kept)."""
    from meihao.register.community_scenarios import disable as disable_scenario

    mh = await _started()
    try:
        await disable_scenario(mh, slug, scenario)
    finally:
        await mh.close()
    click.echo(f"{scenario} disabled in {slug}; its data is kept")


@cli.group()
def user() -> None:
    """Staff accounts."""


@user.command(name="create")
@click.argument("username")
@click.option("--name", required=True, help="The person's name as shown to others.")
@click.option("--role", required=True, help="street_admin, community_admin, grid_leader, grid_worker, grid_part_time, dispatched or department_staff.")
@click.option("--community", default=None, help="Community slug (community roles).")
@click.option("--grid", "grid_id", default=None, type=int, help="Grid id (grid roles).")
@click.option("--department", default=None, help="Department code (dispatched and department staff).")
@click.option("--email", default="", help="E-mail address for reminders.")
@click.password_option(help="The password (asked for when not given).")
@run_async
async def create_user(username: str, name: str, role: str, community: str | None, grid_id: int | None,
                      department: str | None, email: str, password: str) -> None:
    """Create a staff account USERNAME holding one role."""
    from meihao.access.principals import Principal
    from meihao.access.staff import AssignmentSpec, create_staff

    mh = await _started()
    try:
        staff = await create_staff(mh, Principal.system("meihao user create"), username=username, password=password, name=name,
                                   assignments=[AssignmentSpec(role, community, grid_id, department)], email=email)
    finally:
        await mh.close()
    click.echo(f"created staff {staff['id']} {username!r} with role {role}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@run_async
async def doctor(as_json: bool) -> None:
    """Check configuration, plugins, database, migrations and the scheduler; say what to fix.

    Exits 1 when a check fails (warnings alone exit 0).
    """
    from meihao.operations.doctor import diagnose, healthy, render

    checks = await diagnose()
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in checks], ensure_ascii=False, indent=2))
    else:
        click.echo(render(checks))
    if not healthy(checks):
        sys.exit(1)


@cli.command()
def keygen() -> None:
    """Print a new key for MEIHAO_DATA_KEY."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


# -- backup and restore, residents' data rights -------------------------------------


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@run_async
async def backup(file: Path) -> None:
    """Write a backup of the database to FILE (SQLite: online backup API; PostgreSQL: pg_dump), safe while serving."""
    from meihao.operations.backup import backup as make_backup

    mh = await _started()
    try:
        info = await make_backup(mh, file)
    finally:
        await mh.close()
    click.echo(f"backed up {info.database} to {file} ({info.size} bytes, data key {info.key_fingerprint})")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Restore even though live nodes use the database.")
@run_async
async def restore(file: Path, force: bool) -> None:
    """Replace the database with the backup in FILE; it must have been made with the configured data key."""
    from meihao.operations.backup import restore as restore_backup

    mh = await _started(migrated=False)
    try:
        info = await restore_backup(mh, file, force=force)
    finally:
        await mh.close()
    click.echo(f"restored {mh.db.describe()} from {file} (made {info.created_at} by meihao {info.meihao_version}); run `meihao migrate` next")


@cli.group()
def resident() -> None:
    """A resident's rights over their personal data (PIPL): export, erase."""


@resident.command(name="export")
@click.argument("resident_id", type=click.IntRange(min=1))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the JSON here (default: standard output).")
@run_async
async def resident_export(resident_id: int, output: Path | None) -> None:
    """Everything meihao and its plugins hold about one resident, as JSON (audited)."""
    from meihao.register.rights import export_resident

    mh = await _started()
    try:
        data = await export_resident(mh, resident_id)
    finally:
        await mh.close()
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        output.chmod(0o600)
        click.echo(f"wrote resident {resident_id}'s data to {output}")


@resident.command(name="erase")
@click.argument("resident_id", type=click.IntRange(min=1))
@click.option("--reason", required=True, help="Why (the request's reference); written to the audit log.")
@run_async
async def resident_erase(resident_id: int, reason: str) -> None:
    """Anonymise one resident: personal data gone, counts (visits, stalls, attendance) kept (audited)."""
    from meihao.register.rights import erase_resident

    mh = await _started()
    try:
        result = await erase_resident(mh, resident_id, reason)
    finally:
        await mh.close()
    parts = "; ".join(f"{part}: " + ", ".join(f"{k} {v}" for k, v in counts.items()) for part, counts in result["erased"].items())
    click.echo(f"erased resident {resident_id} ({parts})")


# -- the register in and out (人口台账) --------------------------------------------


@cli.group(name="register")
def register_group() -> None:
    """The register in and out: the import template, and importing a community's existing register (人口台账)."""


@register_group.command(name="template")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def register_template(file: Path) -> None:
    """Write the import template to FILE (.xlsx with how to fill each column, or .csv with the header line)."""
    from meihao.register.importing import template_csv, template_xlsx

    suffix = file.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise click.ClickException(f"{file}: the template is an .xlsx or a .csv file")
    file.write_bytes(template_xlsx() if suffix == ".xlsx" else template_csv())
    click.echo(f"wrote the register template to {file}")


@register_group.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--community", "slug", required=True, help="The community's slug; grids, buildings and households are matched within it.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@run_async
async def register_import(file: Path, slug: str, dry_run: bool) -> None:
    """Import FILE (.xlsx, or .csv in UTF-8 or GBK) into a community: every row, or none when any row is wrong."""
    from meihao.register.importing import import_register

    try:
        data = file.read_bytes()
    except OSError as err:
        raise click.ClickException(f"{file}: {err.strerror or err}") from err
    mh = await _started()
    try:
        report = await import_register(mh, slug, data, file.name, dry_run=dry_run)
    finally:
        await mh.close()
    for problem in report.problems:
        click.echo(problem.line(), err=True)
    if report.problems:
        raise click.ClickException(f"{len(report.problems)} problem(s) in {report.rows} row(s) of {file}; nothing was written")
    made = f"{report.residents} resident(s), {report.grids} new grid(s), {report.buildings} new building(s), {report.households} new household(s)"
    click.echo(f"{file}: {report.rows} row(s) are good; would import {made} (dry run: nothing written)" if dry_run
               else f"imported {made} into {slug} from {file}")


# -- the working calendar --------------------------------------------------------


@cli.group(name="calendar")
def calendar_group() -> None:
    """The working calendar: official schedules per year (holidays, 调休 make-up workdays) and the street's overrides."""


@calendar_group.command(name="load")
@click.argument("file", type=click.Path(dir_okay=False))
@run_async
async def calendar_load(file: str) -> None:
    """Load one year's official schedule from FILE (TOML or JSON; format in docs/plugins.md), replacing that year."""
    from meihao.register.calendar import load_official_year, read_schedule_file, working_calendar

    schedule = read_schedule_file(file)  # a bad file stops here, before any connection
    mh = await _started()
    try:
        before = (await working_calendar(mh)).version
        await load_official_year(mh, schedule)
        after = (await working_calendar(mh)).version
    finally:
        await mh.close()
    change = f"version {before} → {after}" if before != after else f"version {after}, unchanged"
    click.echo(f"loaded {schedule.year}: {len(schedule.holidays)} holiday day(s), {len(schedule.workdays)} make-up workday(s); {change}")


@calendar_group.command(name="show")
@click.argument("year", type=int, required=False)
@run_async
async def calendar_show(year: int | None) -> None:
    """List the loaded years, or YEAR's holidays, make-up workdays and overrides."""
    from meihao.register.calendar import list_overrides, official_days, official_years, working_calendar

    mh = await _started()
    try:
        version = (await working_calendar(mh)).version
        years = await official_years()
        days = await official_days(year) if year is not None else []
        overrides = await list_overrides(year)
    finally:
        await mh.close()
    if year is None:
        click.echo(f"working calendar version {version}; hours {', '.join(mh.settings.working_hours)}")
        for row in years:
            click.echo(f"{row['year']}  {row['holidays']:3} holiday day(s)  {row['workdays']:2} make-up workday(s)  {row['source']}")
        if not years:
            click.echo("no official schedule loaded: only the weekly windows count")
    else:
        known = next((r for r in years if r["year"] == year), None)
        if known is None:
            click.echo(f"{year}: no official schedule loaded (weekdays count as workdays); load it with `meihao calendar load FILE`")
        else:
            click.echo(f"{year} ({known['source'] or 'no source given'}), calendar version {version}")
        for row in days:
            what = "holiday" if row["kind"] == "holiday" else "make-up workday"
            click.echo(f"{row['day']:%Y-%m-%d %a}  {what:16} {row['name']}")
    for row in overrides:
        where = row["community"] or "whole street"
        click.echo(f"{row['day']:%Y-%m-%d %a}  {'opened' if row['open'] else 'closed':16} {where}: {row['reason']} (by {row['created_by']})")


@calendar_group.command(name="override")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--closed", "state", flag_value="closed", help="Nobody works that day (a typhoon, a local holiday).")
@click.option("--open", "state", flag_value="open", help="An extra working day.")
@click.option("--remove", "state", flag_value="remove", help="Remove the override of that day.")
@click.option("--reason", default="", help="Why; required with --closed and --open.")
@click.option("--community", default=None, help="Only this community (slug); default the whole street.")
@run_async
async def calendar_override(day: Any, state: str | None, reason: str, community: str | None) -> None:
    """Close or open DAY (YYYY-MM-DD) for the whole street or one community, or --remove its override."""
    from meihao.access.principals import Principal
    from meihao.register.calendar import remove_override, set_override

    if state is None:
        raise MeihaoError("say --closed, --open or --remove")
    who = Principal.system("meihao calendar override")
    mh = await _started()
    try:
        if state == "remove":
            await remove_override(mh, day.date(), community=community, principal=who)
        else:
            await set_override(mh, day.date(), open=state == "open", reason=reason, community=community, principal=who)
    finally:
        await mh.close()
    where = community or "the whole street"
    click.echo(f"{day:%Y-%m-%d}: override removed for {where}" if state == "remove" else f"{day:%Y-%m-%d}: {state} for {where}")


# -- scheduling and reminders ----------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@run_async
async def jobs(as_json: bool) -> None:
    """List scheduled jobs: schedule id, next fire time, and the outcome of recent runs."""
    from meihao.scheduling.jobs import job_overview

    mh = await _started()
    try:
        rows = await job_overview(mh)
    finally:
        await mh.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"{'schedule':48} {'next fire (UTC)':20} {'trigger':28} recent runs")
    for row in rows:
        fire = row["next_fire_time"].strftime("%Y-%m-%d %H:%M") if row["next_fire_time"] else "-"
        runs = ", ".join(f"{r['started_at']:%m-%d %H:%M} {r['outcome']}" for r in row["recent_runs"]) or "-"
        click.echo(f"{row['id']:48} {fire:20} {row['trigger']:28} {runs}")


class _BadJobArgument(click.ClickException):
    """A wrong job id or community for ``meihao job run``: one line, exit status 2 (as a usage error)."""

    exit_code = 2


@cli.group()
def job() -> None:
    """One scheduled job, by hand."""


@job.command(name="run")
@click.argument("job_id")
@click.option("--community", default=None, help="Community slug (needed by per-community jobs).")
@run_async
async def run_job(job_id: str, community: str | None) -> None:
    """Run JOB_ID now, as the scheduler would (its run is recorded; see `meihao jobs`)."""
    from meihao.errors import InvalidInput, NotFound
    from meihao.scheduling.runs import job_target, run_job_once

    mh = await _started()
    try:
        try:
            target = await job_target(mh, job_id, community)
        except (NotFound, InvalidInput) as err:
            raise _BadJobArgument(err.message) from err
        try:
            run = await run_job_once(mh, target, community, None)
        except Exception as err:  # the job's own failure, recorded as the run's outcome
            raise click.ClickException(f"job {job_id!r} failed: {type(err).__name__}: {err} (recorded; see `meihao jobs`)") from err
    finally:
        await mh.close()
    assert run is not None  # a run by hand is never a repeated fire
    click.echo(f"job {job_id} ran{' in ' + community if community else ''}: {run['outcome']} (run {run['id']}, see `meihao jobs`)")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@run_async
async def nodes(as_json: bool) -> None:
    """List the nodes that ran against this database: role, host and pid, last heartbeat, alive or not."""
    from meihao.scheduling.nodes import list_nodes

    mh = await _started()
    try:
        rows = await list_nodes(mh)
    finally:
        await mh.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    if not rows:
        click.echo("No node has run against this database yet.")
        return
    click.echo(f"{'node':36} {'role':10} {'host':20} {'pid':>7}  {'last seen (UTC)':20} state")
    for row in rows:
        state = "alive" if row["alive"] else (
            "stopped" if row["stopped_at"] else "dead (its process is gone)" if row.get("dead") else "gone (no heartbeat)"
        )
        seen = row["last_seen"].astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{row['node_id']:36} {row['role']:10} {row['host'][:20]:20} {row['pid']:>7}  {seen:20} {state}")


@cli.group()
def remind() -> None:
    """Activities' reminders: who would be reminded."""


@remind.command()
@click.argument("activity", type=int)
@click.option("--sample", default=5, show_default=True, help="How many (masked) residents to show.")
@run_async
async def preview(activity: int, sample: int) -> None:
    """Show who ACTIVITY (an id) would remind: counts and a masked sample."""
    from zoneinfo import ZoneInfo

    from meihao.register.communities import get_community
    from meihao.reminders.activities import audience_of, get_activity
    from meihao.reminders.audiences import preview as audience_preview

    mh = await _started()
    try:
        row = await get_activity(activity)
        community = await get_community(row["community_slug"])
        today = mh.clock.now().astimezone(ZoneInfo(community["timezone"])).date()
        result = await audience_preview(mh, audience_of(row), community, today, sample, activity_id=activity)
    finally:
        await mh.close()
    click.echo(f"{row['title']} ({row['community_slug']}): {result['residents']} residents, {result['staff']} staff; channels {', '.join(row['channels'])}")
    for person in result["sample"]:
        click.echo(f"  #{person['id']:<8} {person['name']:8} {person['phone']:13} grid {person['grid_id']}  {person['language']}")


@cli.command()
@click.option("--node-id", default=None, help="This node's stable name (default from MEIHAO_NODE_ID, else <host>-scheduler).")
@run_async
async def worker(node_id: str | None) -> None:
    """Run the scheduler and deliver reminders without any HTTP (as `serve --role scheduler`, minus /health)."""
    import signal
    from contextlib import AsyncExitStack

    from meihao.scheduling.nodes import NodeRegistration
    from meihao.scheduling.worker import Worker

    _with_settings(_meihao(), role="scheduler", node_id=node_id)
    stop = asyncio.Event()
    async with AsyncExitStack() as running:  # what started is stopped, in reverse, however this ends
        mh = await _started()
        running.push_async_callback(mh.close)
        node = NodeRegistration(mh, on_lost=stop.set)  # another process took the name over: stop
        await node.start()
        running.push_async_callback(node.stop)
        worker = Worker(mh, identity=node.node_id)
        await worker.start()
        running.push_async_callback(worker.stop)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        click.echo(f"meihao worker {node.node_id} running (scheduler and reminders); Ctrl+C stops it")
        await stop.wait()


#: Commands that read no personal data: ``main`` boots them without the data key (no ``.key`` file made).
_INSPECTING = ("plugins", "plugin", "keygen", "doctor")


def _only_inspects(args: list[str]) -> bool:
    """The command line asks for help, the version or a listing: nothing that needs the data key runs.

    Click answers ``--help`` and ``--version`` while parsing, before any command's code runs.
    """
    before_dashes = args[: args.index("--")] if "--" in args else args
    return not args or bool({"-h", "--help", "--version"} & set(before_dashes)) or args[0] in _INSPECTING


def main(argv: list[str] | None = None) -> None:
    """Boot once (a broken plugin or setting stops here with one line), add plugins' commands, run.

    ``--help``, ``--version`` and ``plugins`` boot without the data key and never connect to a
    database they were not asked about: they work before ``meihao migrate`` and write no file.
    """
    from meihao.config import load_settings
    from meihao.runtime import boot

    args = sys.argv[1:] if argv is None else argv
    try:
        mh = boot(load_settings(with_data_key=not _only_inspects(args)))
        mh.plugins.extend_cli(cli)
    except MeihaoError as err:
        # Making the missing key, saying what is wrong, or checking the plugin that stopped the boot works without one.
        if args[:1] in (["keygen"], ["doctor"]) or args[:2] == ["plugin", "check"]:
            mh = None
        else:
            click.echo(f"Error: {err.message}", err=True)
            sys.exit(1)
    cli.main(args=args, prog_name="meihao", obj=mh)
