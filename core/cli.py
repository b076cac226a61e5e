"""The ``meihao`` command: migrate, serve, demo, plugins, community enable/disable, and plugins' own commands."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import timezone
from functools import wraps
from typing import Any, TypeVar

import click

from meihao.config import ROLES
from meihao.errors import MeihaoError

T = TypeVar("T")

#: Commands the kernel owns; plugins cannot replace them.
KERNEL_COMMANDS = ("migrate", "serve", "demo", "plugins", "community", "user", "keygen", "makemigrations", "jobs", "nodes", "remind", "worker", "doctor")


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
    """The instance booted by ``main`` (plugins are loaded once per command run)."""
    from meihao.runtime import boot

    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.obj is not None:
        return ctx.obj
    return boot()


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
@run_async
async def demo(residents: int, seed: int, profile: str | None, quiet: bool) -> None:
    """Build the demo sub-district: five branded communities, grids, buildings, households, residents."""
    from meihao.demo import build_demo, load_profile
    from meihao.operations.migrate import migrate as migrate_database

    mh = await _started(migrated=False)
    try:
        await migrate_database(mh)
        summary = await build_demo(mh, load_profile(profile), residents=residents, seed=seed, progress=not quiet)
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
    """List plugins: name, version, scene, where it comes from, which communities enable it."""
    from meihao.register.community_scenarios import plugin_overview

    mh = await _started()
    try:
        rows = await plugin_overview(mh)
    finally:
        await mh.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'name':28} {'version':9} {'scene':14} {'source':22} communities")
    for r in rows:
        click.echo(f"{r['name']:28} {r['version']:9} {r['scene'] or '-':14} {r['source']:22} {', '.join(r['communities']) or '-'}")


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
        state = "alive" if row["alive"] else ("stopped" if row["stopped_at"] else "gone (no heartbeat)")
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


def main(argv: list[str] | None = None) -> None:
    """Boot once (a broken plugin or setting stops here with one line), add plugins' commands, run."""
    from meihao.runtime import boot

    args = sys.argv[1:] if argv is None else argv
    try:
        mh = boot()
        mh.plugins.extend_cli(cli)
    except MeihaoError as err:
        if args[:1] in (["keygen"], ["doctor"]):  # making the missing key, or saying what is wrong, works without one
            mh = None
        else:
            click.echo(f"Error: {err.message}", err=True)
            sys.exit(1)
    cli.main(args=args, prog_name="meihao", obj=mh)
