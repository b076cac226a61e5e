"""``meihao doctor``: checks configuration, plugins, database, migrations and the scheduler, and says what to fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from meihao.errors import ConfigurationError, DatabaseUnavailable, MeihaoError

Status = Literal["ok", "warning", "error", "skipped"]

#: A schedule whose next fire after its last run is this much in the past has been missed.
MISSED_AFTER = timedelta(minutes=15)
#: A job run still marked running after this long has died with its process.
STUCK_AFTER = timedelta(hours=1)
#: Reminders due this long ago and not yet fanned out mean no worker is delivering.
BACKLOG_AFTER = timedelta(minutes=10)
RECENT = timedelta(hours=24)


@dataclass
class Check:
    """One line of the report: what was checked, how it went, and what to do about it."""

    name: str
    status: Status
    summary: str
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def diagnose(
    environ: dict[str, str] | None = None,
    *,
    boot: Callable[..., Any] | None = None,
    now: datetime | None = None,
) -> list[Check]:
    """Run every check in order; a check that cannot run because an earlier one failed is skipped."""
    from meihao.config import load_settings
    from meihao.runtime import boot as default_boot

    checks: list[Check] = []
    try:
        settings = load_settings(environ)
    except ConfigurationError as err:
        checks.append(Check("configuration", "error", err.message, _config_fix(err)))
        return checks + [Check(name, "skipped", "needs a valid configuration") for name in ("plugins", "database", "migrations", "scheduler")]
    kind = "SQLite" if settings.is_sqlite else "PostgreSQL"
    checks.append(Check("configuration", "ok", f"{settings.mode} mode, {kind} database"))
    if settings.mode == "demo" and not settings.is_sqlite:
        checks[-1] = Check(
            "configuration", "warning", f"demo mode on {kind}: `meihao demo` may fill this database with generated people",
            "set MEIHAO_MODE=production for a real deployment",
        )

    try:
        mh = (boot or default_boot)(settings)
    except MeihaoError as err:
        checks.append(Check("plugins", "error", err.message, "fix or uninstall the plugin, or list it in MEIHAO_DISABLED_PLUGINS"))
        return checks + [Check(name, "skipped", "needs the plugins loaded") for name in ("database", "migrations", "scheduler")]
    scenarios = sorted(mh.plugins.scenarios)
    checks.append(Check("plugins", "ok", f"{len(mh.plugins.loaded)} loaded; scenarios: {', '.join(scenarios) or 'none'}"))

    if settings.is_sqlite and not settings.sqlite_path.exists():
        checks.append(Check("database", "error", f"no database file at {settings.sqlite_path} yet", "run `meihao migrate` (or `meihao demo`)"))
        return checks + [Check(name, "skipped", "needs the database") for name in ("migrations", "scheduler")]
    try:
        await mh.start()
    except DatabaseUnavailable as err:
        checks.append(Check("database", "error", err.message, _database_fix(settings, err.message)))
        return checks + [Check(name, "skipped", "needs the database") for name in ("migrations", "scheduler")]
    try:
        checks.append(Check("database", "ok", f"{mh.db.describe()} answers"))
        pending = await mh.db.pending_migrations()
        if pending:
            listed = ", ".join(f"{p.app}:{p.migration_id}" for p in pending[:5]) + (" …" if len(pending) > 5 else "")
            checks.append(Check("migrations", "error", f"{len(pending)} pending ({listed})", "run `meihao migrate` (once, from one machine)"))
            checks.append(Check("scheduler", "skipped", "needs the migrations applied"))
            return checks
        checks.append(Check("migrations", "ok", "all applied"))
        now = now or mh.clock.now()
        checks.append(await _data_key_check(mh))
        checks.append(await _calendar_check(mh, now))
        checks.extend(await _scheduler_checks(mh, now))
        checks.extend(await _plugin_checks(mh))
    finally:
        await mh.close()
    return checks


async def _plugin_checks(mh: Any) -> list[Check]:
    """The plugins' own lines (``meihao_doctor``); a plugin whose check raises is one error line naming it."""
    try:
        answers = await mh.plugins.doctor(mh)
    except MeihaoError as err:
        return [Check("plugin checks", "error", err.message, "fix or uninstall the plugin, or list it in MEIHAO_DISABLED_PLUGINS")]
    return [Check(check.name, check.status, check.summary, check.fix) for _, check in answers]


def _config_fix(err: ConfigurationError) -> str:
    if err.field:
        return f"correct MEIHAO_{err.field.upper()} (or {err.field} in meihao.toml); deploy/meihao.example.toml explains every setting"
    return "correct the configuration; deploy/meihao.example.toml explains every setting"


def _database_fix(settings: Any, message: str) -> str:
    if settings.is_sqlite:
        return "check that the folder in MEIHAO_DATABASE_URL exists and is writable"
    if "does not exist" in message:
        return "create the database (createdb) or correct the name in MEIHAO_DATABASE_URL"
    if "password" in message or "role" in message or "authentication" in message.lower():
        return "correct the user and password in MEIHAO_DATABASE_URL, or the server's pg_hba.conf"
    return "start PostgreSQL, or correct host and port in MEIHAO_DATABASE_URL"


async def _data_key_check(mh: Any) -> Check:
    """The key must read the personal data already stored (a wrong key makes every reveal fail)."""
    from meihao.register.tables import Resident

    row = await Resident.select(Resident.id_card_cipher).where(Resident.id_card_cipher != "").first()
    if row is None:
        return Check("data key", "ok", "set; no encrypted data stored yet")
    try:
        mh.codec.decrypt(row["id_card_cipher"])
    except Exception:
        return Check(
            "data key", "error", "MEIHAO_DATA_KEY does not decrypt the ID-card numbers stored in this database",
            "use the key the data was written with (every node must share one key)",
        )
    return Check("data key", "ok", "reads the stored personal data")


#: From this month on, next year's official schedule should be loaded (the State Council
#: publishes it in November, usually late in the month).
CALENDAR_WARN_FROM_MONTH = 11


async def _calendar_check(mh: Any, now: datetime) -> Check:
    """The working calendar knows this year's official schedule, and from November next year's."""
    from zoneinfo import ZoneInfo

    from meihao.register.calendar import official_years

    today = now.astimezone(ZoneInfo(mh.settings.default_timezone)).date()
    loaded = {row["year"] for row in await official_years()}
    fix = "load it: `meihao calendar load FILE` (the file format is in docs/plugins.md, \"Working calendar\")"
    if today.year not in loaded:
        return Check("calendar", "warning", f"no official schedule for {today.year}: holidays and 调休 make-up workdays are not counted, "
                     "weekdays count as workdays", fix)
    if today.month >= CALENDAR_WARN_FROM_MONTH and today.year + 1 not in loaded:
        return Check("calendar", "warning", f"{today.year + 1}'s official schedule is not loaded yet (published each November); "
                     f"deadlines that run into {today.year + 1} ignore its holidays", fix)
    years = sorted(y for y in loaded if y >= today.year)
    return Check("calendar", "ok", f"official schedule loaded for {', '.join(map(str, years))}")


async def _scheduler_checks(mh: Any, now: datetime) -> list[Check]:
    from meihao.reminders.tables import DueReminder
    from meihao.scheduling import scheduler, store
    from meihao.scheduling.tables import JobRun

    checks: list[Check] = [await _node_check(mh, now)]
    if not mh.db.is_sqlite:
        try:
            await store.check_cluster_store(mh)
        except ConfigurationError as err:
            checks.append(Check("scheduler", "error", err.message, "run `meihao migrate` (once, from one machine)"))
            return checks
    problems: list[str] = []
    failed = await JobRun.select(JobRun.schedule_id, JobRun.error).where(
        JobRun.outcome == "error", JobRun.started_at >= now - RECENT
    ).order_by(JobRun.id, ascending=False)
    if failed:
        first = failed[0]
        problems.append(f"{len(failed)} job run(s) failed in the last 24 h (latest: {first['schedule_id']}: {first['error'][:120]})")
    stuck = await JobRun.count().where(JobRun.outcome == "running", JobRun.started_at < now - STUCK_AFTER)
    if stuck:
        problems.append(f"{stuck} job run(s) marked running for more than an hour (their process died)")
    missed = []
    for planned in await scheduler.planned_schedules(mh):
        last = await JobRun.select(JobRun.started_at).where(JobRun.schedule_id == planned.id).order_by(JobRun.id, ascending=False).first()
        if last is None:
            continue
        due = scheduler.next_fire_time(planned, last["started_at"] + timedelta(seconds=1))
        if due is not None and due < now - MISSED_AFTER:
            missed.append(f"{planned.id} (due {due.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC)")
    backlog = await DueReminder.count().where(DueReminder.status.is_in(["pending", "fanning"]), DueReminder.due_at < now - BACKLOG_AFTER)
    overdue = await store.overdue_cluster_schedules(mh, now - MISSED_AFTER)
    if overdue:
        names = ", ".join(f"{row['id']} (due {row['next_fire_time'].astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC)" for row in overdue[:3])
        problems.append(f"{len(overdue)} schedule(s) overdue in the scheduler's store: {names}")
    if missed:
        problems.append(f"{len(missed)} schedule(s) missed a fire time: {', '.join(missed[:3])}")
    if backlog:
        problems.append(f"{backlog} reminder(s) due more than 10 minutes ago are still waiting")
    if problems:
        fix = "make sure one node runs the scheduler (`meihao serve --role scheduler` or `both`) and read its log; `meihao jobs` lists recent runs"
        checks.append(Check("scheduler", "warning", "; ".join(problems), fix))
    else:
        checks.append(Check("scheduler", "ok", "no failed, stuck, missed or overdue jobs; no overdue reminders"))
    return checks


async def _node_check(mh: Any, now: datetime) -> Check:
    """Which nodes are alive, whether one of them runs the scheduler, and which died without stopping lately."""
    from meihao.scheduling.nodes import list_nodes

    nodes = await list_nodes(mh, now)
    alive = [n for n in nodes if n["alive"]]
    died = [n for n in nodes if not n["alive"] and n["stopped_at"] is None and n["last_seen"] >= now - RECENT]
    listed = ", ".join(f"{n['node_id']} ({n['role']})" for n in alive) or "none"
    start = "start one: `meihao serve` (embedded) or `meihao serve --role scheduler`"
    if not nodes:
        return Check("nodes", "warning", "no node has run against this database yet: nothing delivers reminders", start)
    if not any(n["runs_scheduler"] for n in alive):
        return Check("nodes", "warning", f"alive: {listed}; none runs the scheduler, so no job runs and no reminder is sent", start)
    if died:
        gone = ", ".join(f"{n['node_id']} (last seen {n['last_seen'].astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC)" for n in died[:3])
        return Check(
            "nodes", "warning", f"alive: {listed}; stopped without saying so in the last 24 h: {gone}",
            "read those nodes' logs (killed? out of memory?); their work was taken over when their leases ran out",
        )
    return Check("nodes", "ok", f"alive: {listed}")


def render(checks: list[Check]) -> str:
    marks = {"ok": "ok  ", "warning": "warn", "error": "FAIL", "skipped": "skip"}
    lines = []
    for check in checks:
        lines.append(f"[{marks[check.status]}] {check.name}: {check.summary}")
        if check.fix:
            lines.append(f"       fix: {check.fix}")
    return "\n".join(lines)


def healthy(checks: list[Check]) -> bool:
    return not any(c.status == "error" for c in checks)
