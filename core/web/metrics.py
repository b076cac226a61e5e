"""Prometheus metrics at ``/metrics``: request latency (Litestar's middleware) and the kernel's own gauges.

What is exposed holds no personal data: request paths are route templates
(``/api/residents/{resident_id:int}``, never an id or a query string), and the kernel's
figures are counts. The endpoint needs no staff login, so that Prometheus can scrape it;
with ``MEIHAO_METRICS_TOKEN`` set it asks for ``Authorization: Bearer <that token>``.
The example reverse-proxy configuration keeps it off the public side either way.

The kernel's gauges are read from the database at scrape time (at most every
``REFRESH_SECONDS`` per process), so every node of a cluster reports the same
cluster-wide figures: aggregate them with ``max``, not ``sum``. Request metrics are per
node.
"""

from __future__ import annotations

import hmac
import time
from datetime import datetime
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotAuthorizedException
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest

from meihao.version import __version__
from meihao.web.auth import PUBLIC

PREFIX = "meihao"
REFRESH_SECONDS = 5.0

INFO = Gauge(f"{PREFIX}_info", "This process: meihao version, database kind and its role (web, scheduler, both).", ["version", "database", "role"])
NODES_ALIVE = Gauge(f"{PREFIX}_nodes_alive", "Nodes that wrote a heartbeat within the node timeout, by role.", ["role"])
DATABASE_UP = Gauge(f"{PREFIX}_database_up", "1 when the database answered the last scrape, else 0.")
COMMUNITIES = Gauge(f"{PREFIX}_communities", "Communities in the register.")
RESIDENTS = Gauge(f"{PREFIX}_residents", "Residents in the register.")
SCENARIOS_ENABLED = Gauge(f"{PREFIX}_scenarios_enabled", "Communities that have each scenario switched on.", ["scenario"])
REMINDERS = Gauge(f"{PREFIX}_reminders", "Reminders in the outbox by delivery status (pending, sending, sent, failed, missed, cancelled).", ["status"])
REMINDERS_DUE = Gauge(f"{PREFIX}_reminders_due_waiting", "Reminders whose due time has passed and that are not fanned out yet.")
REMINDERS_OLDEST_DUE = Gauge(f"{PREFIX}_reminders_oldest_due_age_seconds", "How long the oldest waiting due reminder has waited (0 when none).")
JOB_RUNS = Gauge(f"{PREFIX}_job_runs", "Recorded scheduled-job runs by outcome (kept as long as the job-run history).", ["outcome"])
JOB_LAST_SUCCESS = Gauge(f"{PREFIX}_job_last_success_timestamp_seconds", "When each job last finished successfully (Unix time).", ["job"])
SCRAPE_SECONDS = Gauge(f"{PREFIX}_metrics_refresh_seconds", "How long reading the kernel's figures from the database took.")

REMINDER_STATUSES = ("pending", "sending", "sent", "failed", "missed", "cancelled")
JOB_OUTCOMES = ("running", "success", "error")

_last_refresh = 0.0


def prometheus_config() -> PrometheusConfig:
    """Request count, latency and errors per route template; 404s for unknown paths are left out."""
    return PrometheusConfig(
        app_name="meihao",
        prefix=f"{PREFIX}_http",
        group_path=True,
        exclude_unhandled_paths=True,
        exclude=["^/metrics$"],
    )


async def refresh(mh: Any, *, force: bool = False) -> None:
    """Read the kernel's figures from the database into the gauges."""
    global _last_refresh
    started = time.monotonic()
    if not force and started - _last_refresh < REFRESH_SECONDS:
        return
    _last_refresh = started
    INFO.clear()
    INFO.labels(__version__, "sqlite" if mh.db.is_sqlite else "postgresql", mh.settings.role).set(1)
    try:
        await _read_figures(mh)
    except Exception:  # a scrape must still answer, saying the database is down
        DATABASE_UP.set(0)
        _last_refresh = 0.0
    else:
        DATABASE_UP.set(1)
    SCRAPE_SECONDS.set(time.monotonic() - started)


async def _read_figures(mh: Any) -> None:
    from piccolo.query.functions.aggregate import Count, Max

    from meihao.config import ROLES
    from meihao.register.tables import Community, CommunityScenario, Resident
    from meihao.reminders.tables import DueReminder, Reminder
    from meihao.scheduling.nodes import list_nodes
    from meihao.scheduling.tables import JobRun

    alive = {role: 0 for role in ROLES}
    for node in await list_nodes(mh):
        if node["alive"]:
            alive[node["role"]] = alive.get(node["role"], 0) + 1
    for role, count in alive.items():
        NODES_ALIVE.labels(role).set(count)
    COMMUNITIES.set(await Community.count())
    RESIDENTS.set(await Resident.count())
    SCENARIOS_ENABLED.clear()
    for scenario in mh.plugins.scenarios:
        SCENARIOS_ENABLED.labels(scenario).set(0)
    for row in await CommunityScenario.select(CommunityScenario.scenario, Count(CommunityScenario.id)).where(
        CommunityScenario.enabled.eq(True)
    ).group_by(CommunityScenario.scenario):
        SCENARIOS_ENABLED.labels(row["scenario"]).set(row["count"])
    by_status = {status: 0 for status in REMINDER_STATUSES}
    for row in await Reminder.select(Reminder.status, Count(Reminder.id)).group_by(Reminder.status):
        by_status[row["status"]] = row["count"]
    for status, count in by_status.items():
        REMINDERS.labels(status).set(count)
    now = mh.clock.now()
    waiting = DueReminder.status.is_in(["pending", "fanning"])
    REMINDERS_DUE.set(await DueReminder.count().where(waiting, DueReminder.due_at <= now))
    oldest = await DueReminder.select(DueReminder.due_at).where(waiting, DueReminder.due_at <= now).order_by(DueReminder.due_at).first()
    REMINDERS_OLDEST_DUE.set(max(0.0, (now - oldest["due_at"]).total_seconds()) if oldest else 0)
    by_outcome = {outcome: 0 for outcome in JOB_OUTCOMES}
    for row in await JobRun.select(JobRun.outcome, Count(JobRun.id)).group_by(JobRun.outcome):
        by_outcome[row["outcome"]] = row["count"]
    for outcome, count in by_outcome.items():
        JOB_RUNS.labels(outcome).set(count)
    JOB_LAST_SUCCESS.clear()
    for row in await JobRun.select(JobRun.job_id, Max(JobRun.finished_at, alias="last")).where(JobRun.outcome == "success").group_by(JobRun.job_id):
        last = row["last"]
        if isinstance(last, str):  # SQLite's MAX hands back the stored text
            last = datetime.fromisoformat(last)
        if last is not None:
            JOB_LAST_SUCCESS.labels(row["job_id"]).set(last.timestamp())


class MetricsController(PrometheusController):
    """``GET /metrics`` in Prometheus' text format."""

    path = "/metrics"
    include_in_schema = False

    @get(opt={PUBLIC: True}, include_in_schema=False)
    async def get(self, request: Request[Any, Any, Any]) -> Response:  # type: ignore[override]
        mh = request.app.state["meihao"]
        token = mh.settings.metrics_token
        if token:
            given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise NotAuthorizedException("this endpoint needs the metrics token (MEIHAO_METRICS_TOKEN)")
        await refresh(mh)
        return Response(generate_latest(REGISTRY), status_code=200, headers={"Content-Type": CONTENT_TYPE_LATEST})
