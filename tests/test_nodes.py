"""Nodes of a cluster: stable names with heartbeats, one scheduler per SQLite store, one run per fire, roles, migrate.

Real processes where the behaviour is between processes (``meihao migrate`` twice at once,
``meihao serve --role …`` side by side); otherwise the node table and the scheduler in-process.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from apscheduler import Job as FireJob
from apscheduler import current_job
from cryptography.fernet import Fernet
from piccolo.querystring import QueryString

from meihao import Job, hookimpl
from meihao.config import load_settings
from meihao.errors import ConfigurationError
from meihao.operations.doctor import diagnose, healthy
from meihao.runtime import configured_plugins
from meihao.scheduling.jobs import job_overview
from meihao.scheduling.nodes import NodeRegistration, list_nodes, node_lock_path
from meihao.scheduling.scheduler import Scheduler
from meihao.scheduling.store import CLUSTER_SCHEMA
from meihao.scheduling.tables import JobRun, Node
from meihao.testing import boot_for_tests, settings_for_tests
from tests.commands import MEIHAO, run, run_all
from tests.commands import environment as _environment

REPO = Path(__file__).resolve().parents[1]
HOST = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())
KEY = Fernet.generate_key().decode()


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Non-zero exit, no traceback, and exactly one ``Error:`` line holding ``words``; returns that line."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output and "ExceptionGroup" not in output, output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    for word in words:
        assert word in errors[0], output
    return errors[0]


def _ago(seconds: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


async def _row(node_id: str) -> dict:
    return await Node.select().where(Node.node_id == node_id).first()


# -- 1. node names -------------------------------------------------------------------------


async def test_a_live_name_is_refused_naming_its_holder(make_meihao):
    mh = await make_meihao(node_heartbeat_seconds=50)  # no background beat during the test
    holder = NodeRegistration(mh, role="scheduler")
    await holder.start()
    try:
        second = NodeRegistration(mh, role="scheduler")
        assert second.node_id == holder.node_id == f"{HOST}-scheduler"
        with pytest.raises(ConfigurationError) as refused:
            await second.start()
        assert f"node id {holder.node_id!r} is in use by pid {os.getpid()} on {socket.gethostname()}" in refused.value.message
        assert "MEIHAO_NODE_ID" in refused.value.message and refused.value.field == "node_id"
        assert not second.holding
        # the holder keeps its name: its row is untouched and it still beats
        row = await _row(holder.node_id)
        assert (row["boot"], row["pid"], row["stopped_at"]) == (holder.boot, os.getpid(), None)
        assert await holder.beat() is True
        # a name silent for a little less than the timeout is still held
        await Node.update({Node.last_seen: _ago(mh.settings.node_timeout_seconds - 20)}).where(Node.node_id == holder.node_id)
        with pytest.raises(ConfigurationError, match="is in use by pid"):
            await NodeRegistration(mh, role="scheduler").start()
    finally:
        await holder.stop()


async def test_a_name_is_free_once_its_holder_stopped_cleanly(make_meihao):
    mh = await make_meihao(node_heartbeat_seconds=50)
    first = NodeRegistration(mh, role="web", port=8001)
    await first.start()
    await first.stop()
    assert (await _row(first.node_id))["stopped_at"] is not None
    second = NodeRegistration(mh, role="web", port=8001)
    await second.start()
    try:
        assert second.holding
        row = await _row(second.node_id)
        assert (row["boot"], row["stopped_at"], row["role"]) == (second.boot, None, "web")
        assert await Node.count().where(Node.node_id == second.node_id) == 1  # one row per name, reused
        assert await first.beat() is False and await second.beat() is True
    finally:
        await second.stop()


async def test_a_silent_holder_loses_its_name_and_learns_it_at_its_next_beat(make_meihao):
    mh = await make_meihao(node_heartbeat_seconds=50)
    old = NodeRegistration(mh, role="scheduler")
    await old.start()
    try:
        # the old holder hung (or its machine did): no heartbeat for longer than the timeout
        await Node.update({Node.last_seen: _ago(mh.settings.node_timeout_seconds + 5)}).where(Node.node_id == old.node_id)
        new = NodeRegistration(mh, role="scheduler")
        await new.start()
        try:
            assert new.holding and (await _row(new.node_id))["boot"] == new.boot
            assert await old.beat() is False  # presumed dead: its heartbeat no longer lands
            assert await new.beat() is True
            # the old process stopping later does not mark the new holder stopped
            await old.stop()
            assert (await _row(new.node_id))["stopped_at"] is None
        finally:
            await new.stop()
    finally:
        await old.stop()


async def test_the_heartbeat_task_notices_its_name_was_taken(make_meihao):
    mh = await make_meihao(node_heartbeat_seconds=0.05)
    lost: list[str] = []
    node = NodeRegistration(mh, role="both", port=8003, on_lost=lambda: lost.append("stop"))
    await node.start()
    try:
        first_seen = (await _row(node.node_id))["last_seen"]
        for _ in range(400):  # bounded wait for the background task's beats
            if (await _row(node.node_id))["last_seen"] > first_seen:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the heartbeat task never wrote last_seen")
        await Node.update({Node.boot: "another-process"}).where(Node.node_id == node.node_id)  # as a takeover does
        for _ in range(400):
            if not node.holding:
                break
            await asyncio.sleep(0.05)
        assert not node.holding
        assert lost == ["stop"]  # told once: serve and worker shut down then
    finally:
        await node.stop()
    assert (await _row(node.node_id))["stopped_at"] is None  # the row is the other process's now


async def test_list_nodes_marks_alive_and_dead(make_meihao):
    mh = await make_meihao(node_heartbeat_seconds=50)
    live = NodeRegistration(mh, role="scheduler")
    stopped = NodeRegistration(mh, role="web", port=8001)
    silent = NodeRegistration(mh, role="both", port=8002)
    for node in (live, stopped, silent):
        await node.start()
    await stopped.stop()
    await Node.update({Node.last_seen: _ago(mh.settings.node_timeout_seconds + 5)}).where(Node.node_id == silent.node_id)
    try:
        nodes = await list_nodes(mh)
        by_id = {n["node_id"]: n for n in nodes}
        assert {k: (v["alive"], v["runs_scheduler"]) for k, v in by_id.items()} == {
            live.node_id: (True, True),
            stopped.node_id: (False, False),
            silent.node_id: (False, True),
        }
        assert nodes[-1]["node_id"] == silent.node_id  # newest heartbeat first
        later = datetime.now(timezone.utc) + timedelta(seconds=mh.settings.node_timeout_seconds + 1)
        assert not any(n["alive"] for n in await list_nodes(mh, later))
    finally:
        await live.stop()
        await silent.stop()


def test_default_node_id_is_host_role_and_port(tmp_path, monkeypatch):
    monkeypatch.setattr(socket, "gethostname", lambda: "rack 7_ü.example")
    web = settings_for_tests(tmp_path / "x.db", role="web")
    assert web.default_node_id(8001) == "rack-7_-.example-web-8001"
    assert settings_for_tests(tmp_path / "x.db", role="scheduler").default_node_id() == "rack-7_-.example-scheduler"
    named = settings_for_tests(tmp_path / "x.db", role="web", node_id="edge-1.hepan:8000")
    assert named.default_node_id(8001) == "edge-1.hepan:8000"


@pytest.mark.parametrize(
    ("variables", "field", "named"),
    [
        ({"MEIHAO_NODE_ID": "web 1"}, "node_id", "MEIHAO_NODE_ID"),
        ({"MEIHAO_NODE_ID": "-web"}, "node_id", "MEIHAO_NODE_ID"),
        ({"MEIHAO_NODE_ID": "节点一"}, "node_id", "MEIHAO_NODE_ID"),
        ({"MEIHAO_NODE_ID": "n" * 101}, "node_id", "MEIHAO_NODE_ID"),
        ({"MEIHAO_NODE_HEARTBEAT_SECONDS": "60", "MEIHAO_NODE_TIMEOUT_SECONDS": "60"}, "node_heartbeat_seconds", "MEIHAO_NODE_HEARTBEAT_SECONDS"),
        ({"MEIHAO_NODE_HEARTBEAT_SECONDS": "90"}, "node_heartbeat_seconds", "MEIHAO_NODE_TIMEOUT_SECONDS (60)"),
        ({"MEIHAO_NODE_HEARTBEAT_SECONDS": "0"}, "node_heartbeat_seconds", "MEIHAO_NODE_HEARTBEAT_SECONDS"),
    ],
)
def test_bad_node_settings_are_refused_naming_the_setting(tmp_path, monkeypatch, variables, field, named):
    monkeypatch.chdir(tmp_path)  # no meihao.toml
    environ = {"MEIHAO_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "MEIHAO_DATA_KEY": KEY, **variables}
    with pytest.raises(ConfigurationError) as refused:
        load_settings(environ=environ)
    assert named in refused.value.message and refused.value.field == field


def test_good_node_settings_are_accepted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    environ = {"MEIHAO_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "MEIHAO_DATA_KEY": KEY, "MEIHAO_NODE_ID": "n" * 100,
               "MEIHAO_NODE_HEARTBEAT_SECONDS": "5", "MEIHAO_NODE_TIMEOUT_SECONDS": "20"}
    settings = load_settings(environ=environ)
    assert (settings.node_id, settings.node_heartbeat_seconds, settings.node_timeout_seconds) == ("n" * 100, 5.0, 20.0)


def test_a_bad_node_id_option_is_one_line(tmp_path):
    for result in run_all(tmp_path, [(("serve", "--node-id", "web 1"), {}), (("worker", "--node-id", "web/1"), {})]):
        assert_one_line_error(result, "MEIHAO_NODE_ID must be")


# -- 2. migrate on PostgreSQL ----------------------------------------------------------------


async def _pg(url: str, sql: str, *args: object) -> list:
    import asyncpg

    connection = await asyncpg.connect(url, timeout=10)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def _scheduler_schema_exists(url: str) -> bool:
    return bool(await _pg(url, "SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", CLUSTER_SCHEMA))


@pytest.mark.meihao_db("postgresql")
def test_two_migrate_runs_at_once_on_a_new_postgresql_database(meihao_db_backend, tmp_path):
    url = meihao_db_backend.new_database()
    env = {"MEIHAO_DATABASE_URL": url, "MEIHAO_DATA_KEY": KEY}
    results = run_all(tmp_path, [(("migrate",), env), (("migrate",), env)])
    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
    stdout = "".join(r.stdout for r in results)
    assert stdout.count(f"created the scheduler's tables in schema {CLUSTER_SCHEMA}") == 1
    applied = [line for line in stdout.splitlines() if line.startswith("applied ")]
    assert applied and len(applied) == len(set(applied))  # no migration applied by both
    assert sum("Nothing to migrate in" in r.stdout for r in results) == 1  # the second waited, then found nothing

    async def facts() -> tuple[list, int, set[str]]:
        duplicates = await _pg(url, "SELECT app_name, name FROM migration GROUP BY app_name, name HAVING count(*) > 1")
        count = (await _pg(url, "SELECT count(*) AS n FROM migration"))[0]["n"]
        tables = {r["table_name"] for r in await _pg(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", CLUSTER_SCHEMA)}
        return duplicates, count, tables

    duplicates, count, tables = asyncio.run(facts())
    assert duplicates == [] and count == len(applied)
    assert {"metadata", "schedules", "jobs", "tasks"} <= tables

    again = run(tmp_path, "migrate", **env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Nothing to migrate in postgresql://") and len(again.stdout.splitlines()) == 1
    assert asyncio.run(facts())[1] == count


@pytest.mark.meihao_db("postgresql")
async def test_a_node_refuses_to_start_without_the_scheduler_tables_and_creates_nothing(meihao_db_backend, tmp_path):
    url = meihao_db_backend.new_database()
    mh = boot_for_tests(settings_for_tests(url))
    await mh.start()
    try:
        assert await mh.db.migrate()  # the kernel's and plugins' tables only: not what `meihao migrate` does
        scheduler = Scheduler(mh)
        with pytest.raises(ConfigurationError) as refused:
            await scheduler.start()
        assert f"the scheduler's tables are missing (schema {CLUSTER_SCHEMA}" in refused.value.message
        assert "run `meihao migrate`" in refused.value.message
        assert not scheduler.running
    finally:
        await mh.close()
    assert not await _scheduler_schema_exists(url)

    result = await asyncio.to_thread(run, tmp_path, "worker", "--node-id", "worker-1", MEIHAO_DATABASE_URL=url, MEIHAO_DATA_KEY=mh.settings.data_key)
    assert_one_line_error(result, "the scheduler's tables are missing", "run `meihao migrate`")
    assert not await _scheduler_schema_exists(url)
    rows = await _pg(url, "SELECT node_id, stopped_at FROM meihao_node")
    assert [r["node_id"] for r in rows] == ["worker-1"] and rows[0]["stopped_at"] is not None  # its name is free again


# -- 3. one scheduler per SQLite store --------------------------------------------------------

_START_SCHEDULER = textwrap.dedent(
    """
    import asyncio, sys
    from meihao.errors import ConfigurationError
    from meihao.scheduling.scheduler import Scheduler
    from meihao.testing import boot_for_tests, settings_for_tests

    async def main(database, store, key):
        mh = boot_for_tests(settings_for_tests(database, data_key=key))
        await mh.start()
        try:
            scheduler = Scheduler(mh, data_store_url=store)
            try:
                await scheduler.start()
            except ConfigurationError as err:
                print("refused:", err.message)
                return
            print("started" if scheduler.running else "not running")
            await scheduler.stop()
        finally:
            await mh.close()

    asyncio.run(main(*sys.argv[1:]))
    """
)


def _scheduler_in_another_process(mh, store: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _START_SCHEDULER, mh.settings.database_url, store, mh.settings.data_key],
        cwd=REPO, capture_output=True, text=True, timeout=90,
    )


@pytest.mark.meihao_db("sqlite")
async def test_one_scheduler_per_sqlite_store(meihao, tmp_path):
    store_file = tmp_path / "sched.db"
    store = f"sqlite+aiosqlite:///{store_file}"
    first = Scheduler(meihao, data_store_url=store)
    await first.start()
    try:
        with pytest.raises(ConfigurationError, match="a meihao scheduler is already running in this process"):
            await Scheduler(meihao, data_store_url=store).start()
        other = await asyncio.to_thread(_scheduler_in_another_process, meihao, store)
        assert other.returncode == 0, other.stderr
        lines = other.stdout.splitlines()
        assert len(lines) == 1 and lines[0].startswith("refused: another process already runs the scheduler on "), other.stdout
        assert f"(lock {store_file}.lock)" in lines[0] and "--role web" in lines[0]
        assert first.running  # the refused ones did not disturb it
    finally:
        await first.stop()

    other = await asyncio.to_thread(_scheduler_in_another_process, meihao, store)
    assert other.stdout.strip() == "started", other.stdout + other.stderr
    again = Scheduler(meihao, data_store_url=store)
    await again.start()
    try:
        assert again.running
    finally:
        await again.stop()


# -- 4. one run per scheduled fire -----------------------------------------------------------

RINGS: list[tuple[datetime | None, datetime]] = []


async def ring(scheduled_at: datetime | None, now: datetime) -> None:
    RINGS.append((scheduled_at, now))


class Bell:
    """A throwaway plugin with one street-wide job that never fires by itself during a test."""

    @hookimpl
    def meihao_jobs(self) -> list[Job]:
        return [Job("bell.ring", ring, ("cron", {"month": 1, "day": 1, "hour": 4}))]


async def _as_a_fire(scheduler: Scheduler, fire: datetime) -> None:
    """Run the job as APScheduler runs it for the fire at ``fire`` (as every node taking that fire would)."""
    token = current_job.set(FireJob(task_id="meihao:bell.ring", schedule_id="meihao:bell.ring", scheduled_fire_time=fire, executor="async"))
    try:
        await scheduler.execute("bell.ring", None)
    finally:
        current_job.reset(token)


async def test_a_scheduled_fire_runs_once_and_runs_by_hand_always_run(make_meihao):
    RINGS.clear()
    mh = await make_meihao(plugins=[("bell", Bell())])
    scheduler = Scheduler(mh)  # the default store: a SQLite file of its own, or the cluster store on PostgreSQL
    await scheduler.start()
    try:
        fire = datetime(2027, 1, 1, 4, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        await _as_a_fire(scheduler, fire)
        await _as_a_fire(scheduler, fire)  # the same fire taken again (a lease ran out): not run again
        assert [at for at, _ in RINGS] == [fire]
        await _as_a_fire(scheduler, fire + timedelta(days=365))  # the next fire runs
        await scheduler.execute("bell.ring", None)  # by hand: no scheduled time, never deduplicated
        await scheduler.execute("bell.ring", None)
    finally:
        await scheduler.stop()
    assert [at for at, _ in RINGS] == [fire, fire + timedelta(days=365), None, None]
    assert all(now.tzinfo is not None for _, now in RINGS)
    runs = await JobRun.select(JobRun.scheduled_at, JobRun.outcome).where(JobRun.schedule_id == "meihao:bell.ring").order_by(JobRun.id)
    assert [(r["scheduled_at"], r["outcome"]) for r in runs] == [
        (fire, "success"), (fire + timedelta(days=365), "success"), (None, "success"), (None, "success"),
    ]


# -- 5. serve with a role ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(folder: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    log = folder / f"serve-{time.monotonic_ns()}.log"
    with log.open("w") as out:
        process = subprocess.Popen([MEIHAO, "serve", *args], cwd=folder, env=_environment(folder, {}), stdout=out, stderr=subprocess.STDOUT, text=True)
    return process, log


def _health(process: subprocess.Popen[str], log: Path, port: int) -> httpx.Response:
    deadline = time.monotonic() + 40
    while True:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer on port {port}:\n{log.read_text()}") from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen[str], log: Path) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    return log.read_text()


def test_serve_roles_side_by_side_on_sqlite(tmp_path):
    migrated = run(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    scheduler_port, web_port = _free_port(), _free_port()
    scheduler, scheduler_log = _start_server(tmp_path, "--role", "scheduler", "--port", str(scheduler_port))
    web = web_log = None
    try:
        response = _health(scheduler, scheduler_log, scheduler_port)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "role": "scheduler", "node": f"{HOST}-scheduler-{scheduler_port}", "scheduler": "running"}
        base = f"http://127.0.0.1:{scheduler_port}"
        assert httpx.get(f"{base}/api/communities", timeout=5).status_code == 404  # no API on a scheduler node
        metrics = httpx.get(f"{base}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert re.search(r'^meihao_info\{[^}]*role="scheduler"[^}]*\} 1\.0$', metrics.text, re.MULTILINE), metrics.text

        # a second scheduler on the same SQLite database, and a node taking the scheduler's name: one line each
        both, clash = run_all(tmp_path, [
            (("serve", "--role", "both", "--port", str(_free_port())), {}),
            (("serve", "--role", "web", "--port", str(_free_port()), "--node-id", f"{HOST}-scheduler-{scheduler_port}"), {}),
        ])
        assert_one_line_error(both, "another process already runs the scheduler", "--role web")
        assert_one_line_error(clash, f"is in use by pid {scheduler.pid}", "MEIHAO_NODE_ID")
        assert scheduler.poll() is None

        web, web_log = _start_server(tmp_path, "--role", "web", "--port", str(web_port))
        response = _health(web, web_log, web_port)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "role": "web", "node": f"{HOST}-web-{web_port}"}
        assert httpx.get(f"http://127.0.0.1:{web_port}/api/communities", timeout=5).status_code == 401  # the API, behind sign-in
        assert _health(scheduler, scheduler_log, scheduler_port).json()["scheduler"] == "running"
    finally:
        outputs = [_stop(scheduler, scheduler_log)] + ([_stop(web, web_log)] if web is not None else [])
    # uvicorn shuts down cleanly, then ends by the signal it was sent (systemd counts that as a clean stop)
    assert scheduler.returncode in (0, -signal.SIGTERM) and web.returncode in (0, -signal.SIGTERM), outputs
    assert all("Application shutdown complete" in output and "Traceback" not in output for output in outputs), outputs
    with sqlite3.connect(tmp_path / "x.db") as database:
        rows = dict(database.execute("SELECT node_id, stopped_at FROM meihao_node").fetchall())
    # the scheduler, the web node and the refused `both` node (it registered, then stopped on the lock)
    assert len(rows) == 3 and {f"{HOST}-scheduler-{scheduler_port}", f"{HOST}-web-{web_port}"} <= set(rows), rows
    assert any(name.startswith(f"{HOST}-both-") for name in rows), rows
    assert all(stopped is not None for stopped in rows.values()), rows


# -- 6. MEIHAO_PLUGINS -------------------------------------------------------------------------


def test_meihao_plugins_loads_a_module_by_import_path(tmp_path):
    settings = settings_for_tests(tmp_path / "x.db", plugins=[" lantern = tests.sample_plugins.lantern "])
    assert configured_plugins(settings) == [("lantern", "tests.sample_plugins.lantern")]
    mh = boot_for_tests(settings)
    assert mh.plugins.loaded["lantern"].source == "registered" and "lantern" in mh.plugins.scenarios


def test_meihao_plugins_in_the_environment_reaches_every_command(tmp_path):
    env = {"MEIHAO_PLUGINS": "lantern=tests.sample_plugins.lantern", "PYTHONPATH": str(REPO)}
    migrated = run(tmp_path, "migrate", **env)
    assert migrated.returncode == 0, migrated.stderr
    assert "applied lantern:" in migrated.stdout
    listed = run(tmp_path, "plugins", "--json", **env)
    assert listed.returncode == 0, listed.stderr
    lantern = {p["name"]: p for p in json.loads(listed.stdout)}["lantern"]
    assert (lantern["source"], lantern["scene"]) == ("registered", "neighbourhood")
    without = run(tmp_path, "plugins", "--json", PYTHONPATH=str(REPO))
    assert without.returncode == 0, without.stderr
    assert "lantern" not in {p["name"] for p in json.loads(without.stdout)}


def test_a_malformed_meihao_plugins_entry_is_one_line(tmp_path):
    cases = [
        ({"MEIHAO_PLUGINS": "tests.sample_plugins.lantern"}, ("MEIHAO_PLUGINS", "'tests.sample_plugins.lantern' must read name=package.module")),
        ({"MEIHAO_PLUGINS": "=tests.sample_plugins.lantern"}, ("MEIHAO_PLUGINS",)),
        ({"MEIHAO_PLUGINS": "lantern=tests.sample_plugins.lantern,ghost="}, ("MEIHAO_PLUGINS", "'ghost='")),
        ({"MEIHAO_PLUGINS": "ghost=tests.sample_plugins.no_such_module"}, ("plugin 'ghost'", "failed to import")),
    ]
    results = run_all(tmp_path, [(("plugins",), {**variables, "PYTHONPATH": str(REPO)}) for variables, _ in cases])
    for result, (_, words) in zip(results, cases):
        assert_one_line_error(result, *words)
        assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, result.stderr


# -- 7. doctor on PostgreSQL -------------------------------------------------------------------


def _doctor_environ(url: str, key: str) -> dict[str, str]:
    return {"MEIHAO_DATABASE_URL": url, "MEIHAO_DATA_KEY": key, "MEIHAO_ROLE": "web"}


@pytest.mark.meihao_db("postgresql")
async def test_doctor_says_to_run_migrate_when_the_scheduler_tables_are_missing(meihao_db_backend):
    url = meihao_db_backend.new_database()
    mh = boot_for_tests(settings_for_tests(url))
    await mh.start()
    try:
        await mh.db.migrate()
    finally:
        await mh.close()
    checks = await diagnose(_doctor_environ(url, mh.settings.data_key), boot=boot_for_tests)
    found = {c.name: c for c in checks}
    assert found["migrations"].status == "ok"
    assert found["scheduler"].status == "error" and not healthy(checks)
    assert "the scheduler's tables are missing" in found["scheduler"].summary
    assert "run `meihao migrate`" in found["scheduler"].fix
    assert not await _scheduler_schema_exists(url)  # the doctor only looks


@pytest.mark.meihao_db("postgresql")
async def test_doctor_warns_about_a_schedule_overdue_in_the_schedulers_store(meihao):
    scheduler = Scheduler(meihao)
    await scheduler.start()
    await scheduler.stop()
    before = await diagnose(_doctor_environ(meihao.settings.database_url, meihao.settings.data_key), boot=boot_for_tests)
    assert "overdue in the scheduler's store" not in {c.name: c for c in before}["scheduler"].summary

    sid = "meihao:meihao.forget_old_job_runs"
    due = datetime.now(timezone.utc) - timedelta(hours=2)
    await meihao.db.engine.run_querystring(
        QueryString(f'UPDATE "{CLUSTER_SCHEMA}"."schedules" SET "next_fire_time" = {{}} WHERE "id" = {{}}', due, sid)
    )
    checks = await diagnose(_doctor_environ(meihao.settings.database_url, meihao.settings.data_key), boot=boot_for_tests)
    found = {c.name: c for c in checks}
    assert found["scheduler"].status == "warning" and healthy(checks)
    assert f"1 schedule(s) overdue in the scheduler's store: {sid} (due {due:%Y-%m-%d %H:%M} UTC)" in found["scheduler"].summary
    assert "--role scheduler" in found["scheduler"].fix


@pytest.mark.meihao_db("postgresql")
async def test_any_node_lists_the_next_fire_times_the_shared_store_holds(meihao):
    scheduler = Scheduler(meihao)
    await scheduler.start()
    await scheduler.stop()
    sid = "meihao:meihao.forget_old_job_runs"
    held = datetime(2031, 5, 4, 3, 2, 1, tzinfo=timezone.utc)  # no trigger computes this
    await meihao.db.engine.run_querystring(
        QueryString(f'UPDATE "{CLUSTER_SCHEMA}"."schedules" SET "next_fire_time" = {{}} WHERE "id" = {{}}', held, sid)
    )
    # a web node or the CLI runs no scheduler, and still shows what the cluster will do
    overview = {row["id"]: row for row in await job_overview(meihao)}
    assert overview[sid]["next_fire_time"] == held
    assert overview["meihao:meihao.reminders.digest"]["next_fire_time"] != held


def test_a_worker_whose_name_was_taken_over_stops(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    worker = subprocess.Popen(
        [MEIHAO, "worker", "--node-id", "sched-1"], cwd=tmp_path, env=_environment(tmp_path, {"MEIHAO_NODE_HEARTBEAT_SECONDS": "0.2"}),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        database = sqlite3.connect(tmp_path / "x.db", timeout=30)
        for _ in range(600):  # bounded: until it has registered
            if database.execute("SELECT count(*) FROM meihao_node WHERE node_id = 'sched-1'").fetchone()[0]:
                break
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.05)
        # another process claims the name, as after this one was silent past the timeout
        database.execute("UPDATE meihao_node SET boot = 'another-process' WHERE node_id = 'sched-1'")
        database.commit()
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, output
    assert "another process took this node's name over" in output and "Traceback" not in output
    row = database.execute("SELECT boot, stopped_at FROM meihao_node WHERE node_id = 'sched-1'").fetchone()
    assert row == ("another-process", None)  # it left the other holder's row alone


def test_a_served_node_whose_name_was_taken_over_shuts_down(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    port = _free_port()
    server = subprocess.Popen(
        [MEIHAO, "serve", "--role", "web", "--port", str(port), "--node-id", "web-1"], cwd=tmp_path,
        env=_environment(tmp_path, {"MEIHAO_NODE_HEARTBEAT_SECONDS": "0.2"}), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        for _ in range(600):  # bounded: until it answers
            assert server.poll() is None, server.stdout.read()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json().get("node") == "web-1":
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        database = sqlite3.connect(tmp_path / "x.db", timeout=30)
        database.execute("UPDATE meihao_node SET boot = 'another-process' WHERE node_id = 'web-1'")
        database.commit()
        output, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode in (0, -signal.SIGTERM), output  # uvicorn re-raises the SIGTERM it handled
    assert "another process took this node's name over" in output and "Application shutdown complete" in output


def test_the_nodes_command_lists_who_runs_and_who_stopped(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    assert run(tmp_path, "nodes").stdout.strip() == "No node has run against this database yet."
    worker = subprocess.Popen([MEIHAO, "worker", "--node-id", "sched-1"], cwd=tmp_path, env=_environment(tmp_path, {}),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(600):  # bounded: until it has registered
            listed = json.loads(run(tmp_path, "nodes", "--json").stdout)
            if listed:
                break
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.1)
        [node] = listed
        assert (node["node_id"], node["role"], node["pid"], node["alive"], node["runs_scheduler"]) == ("sched-1", "scheduler", worker.pid, True, True)
        table = run(tmp_path, "nodes").stdout.splitlines()
        assert table[0].split()[:3] == ["node", "role", "host"]
        assert table[1].split()[0] == "sched-1" and table[1].endswith("alive")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert run(tmp_path, "nodes").stdout.splitlines()[1].endswith("stopped")


# -- 7. a killed node restarts at once (issue 11, item 18) ----------------------------------------

#: A stand-in for a node's process: holds the node's lock file when given one (as a node on
#: SQLite does), says so, then sleeps until it is killed.
HOLDER = (
    "import fcntl, os, sys, time\n"
    "if sys.argv[1]:\n"
    "    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
    "    fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "print('ready', flush=True)\n"
    "time.sleep(120)\n"
)


def _holder(lock: str | None) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, lock or ""], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    return process


async def _record(node_id: str, pid: int, boot: str, *, host: str | None = None, started: datetime | None = None) -> None:
    """A node row as a running process writes it: heartbeat now, not stopped."""
    now = datetime.now(timezone.utc)
    await Node.insert(
        Node(node_id=node_id, role="scheduler", host=host or socket.gethostname(), pid=pid, version="0", boot=boot,
             started_at=started or now, last_seen=now, stopped_at=None)
    )


async def test_a_killed_local_holder_is_taken_over_at_once_and_never_listed_alive(make_meihao):
    mh = await make_meihao(node_heartbeat_seconds=50)
    node_id = f"{HOST}-scheduler"
    holder = _holder(node_lock_path(mh.settings, node_id))
    try:
        await _record(node_id, holder.pid, "killed-boot")
        # alive (and, on SQLite, holding its lock file): refused, listed alive
        with pytest.raises(ConfigurationError, match=f"is in use by pid {holder.pid} "):
            await NodeRegistration(mh, role="scheduler").start()
        [listed] = await list_nodes(mh)
        assert (listed["alive"], listed["dead"]) == (True, False)
        # SIGKILL: not reaped yet, the pid is a zombie, and already dead
        holder.send_signal(signal.SIGKILL)
        for _ in range(200):  # bounded: until the kernel has made it a zombie
            if not (await list_nodes(mh))[0]["alive"]:
                break
            time.sleep(0.01)
        [listed] = await list_nodes(mh)
        assert (listed["alive"], listed["dead"], listed["stopped_at"]) == (False, True, None)
    finally:
        holder.kill()
        holder.wait()
    [listed] = await list_nodes(mh)  # reaped: the pid is gone
    assert (listed["alive"], listed["dead"]) == (False, True)
    # the doctor does not call it alive either
    check = await _doctor_nodes(mh)
    assert (check.status, check.summary) == ("warning", "alive: none; none runs the scheduler, so no job runs and no reminder is sent")
    # well within the heartbeat timeout (the holder beat just now), the name is taken at once
    new = NodeRegistration(mh, role="scheduler")
    await new.start()
    try:
        row = await _row(node_id)
        assert (row["pid"], row["boot"], row["stopped_at"]) == (os.getpid(), new.boot, None)
        [listed] = await list_nodes(mh)
        assert (listed["alive"], listed["dead"]) == (True, False)
        check = await _doctor_nodes(mh)
        assert (check.status, check.summary) == ("ok", f"alive: {node_id} (scheduler)")
    finally:
        await new.stop()


async def test_an_earlier_process_with_this_pid_is_dead(make_meihao):
    """A container restarted after a SIGKILL often gets the same pid (1): a row with this process's
    pid and a boot no registration of this process holds was written by the process before."""
    mh = await make_meihao(node_heartbeat_seconds=50)
    await _record("sched-1", os.getpid(), "earlier-incarnation")
    node = NodeRegistration(mh, role="scheduler")
    node.node_id = "sched-1"
    await node.start()
    try:
        assert (await _row("sched-1"))["boot"] == node.boot
    finally:
        await node.stop()


async def test_a_reused_pid_does_not_keep_a_dead_holder_alive(make_meihao):
    """The pid recorded is alive, but that process started after the row did: another program got the pid."""
    mh = await make_meihao(node_heartbeat_seconds=50)
    stranger = _holder(None)
    try:
        await _record("sched-1", stranger.pid, "dead-boot", started=_ago(3600))
        assert [n["dead"] for n in await list_nodes(mh)] == [True]
        node = NodeRegistration(mh, role="scheduler")
        node.node_id = "sched-1"
        await node.start()
        await node.stop()
        # a row started after the process with that pid is that process: alive by its pid. On
        # SQLite the lock file (left by the node just stopped) is free, which says dead anyway.
        await Node.delete().where(Node.node_id == "sched-1")
        await _record("sched-1", stranger.pid, "live-boot", started=_ago(0))
        assert [n["alive"] for n in await list_nodes(mh)] == ([False] if mh.db.is_sqlite else [True])
    finally:
        stranger.kill()
        stranger.wait()


@pytest.mark.meihao_db("postgresql")
async def test_a_holder_on_another_host_waits_for_its_heartbeat_to_time_out(make_meihao):
    """On PostgreSQL the nodes are on several machines: a pid is judged only on its own host."""
    mh = await make_meihao(node_heartbeat_seconds=50)
    await _record(f"{HOST}-scheduler", 2**22 + 7, "far-boot", host="other-machine")  # no such pid here: irrelevant
    with pytest.raises(ConfigurationError, match="is in use by pid 4194311 on other-machine"):
        await NodeRegistration(mh, role="scheduler").start()
    assert [(n["alive"], n["dead"]) for n in await list_nodes(mh)] == [(True, False)]


@pytest.mark.meihao_db("sqlite")
async def test_on_sqlite_a_free_lock_file_means_its_holder_is_dead(make_meihao):
    """On SQLite every node runs beside the database file: a holder that does not hold its lock
    file is dead, whatever host name or pid namespace (another container) it wrote."""
    mh = await make_meihao(node_heartbeat_seconds=50)
    node_id = f"{HOST}-scheduler"
    lock = node_lock_path(mh.settings, node_id)
    assert lock == f"{mh.settings.sqlite_path}.node-{node_id}.lock"
    holder = _holder(lock)
    try:
        await _record(node_id, 4194311, "container-boot", host="container-1")
        with pytest.raises(ConfigurationError, match="is in use by pid 4194311 on container-1"):
            await NodeRegistration(mh, role="scheduler").start()
        assert [(n["alive"], n["dead"]) for n in await list_nodes(mh)] == [(True, False)]
    finally:
        holder.kill()
        holder.wait()
    assert [(n["alive"], n["dead"]) for n in await list_nodes(mh)] == [(False, True)]
    node = NodeRegistration(mh, role="scheduler")
    await node.start()
    await node.stop()


async def _doctor_nodes(mh):
    environ = {"MEIHAO_DATABASE_URL": mh.settings.database_url, "MEIHAO_DATA_KEY": mh.settings.data_key, "MEIHAO_ROLE": "web"}
    return {c.name: c for c in await diagnose(environ, boot=boot_for_tests)}["nodes"]


def test_a_killed_worker_is_listed_dead_and_restarts_at_once(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    worker = subprocess.Popen([MEIHAO, "worker", "--node-id", "sched-1"], cwd=tmp_path, env=_environment(tmp_path, {}),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    restarted = None
    try:
        for _ in range(600):  # bounded: until it has registered
            listed = json.loads(run(tmp_path, "nodes", "--json").stdout)
            if listed:
                break
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.1)
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=30)
        [node] = json.loads(run(tmp_path, "nodes", "--json").stdout)
        assert (node["node_id"], node["pid"], node["alive"], node["dead"], node["stopped_at"]) == ("sched-1", worker.pid, False, True, None)
        assert run(tmp_path, "nodes").stdout.splitlines()[1].endswith("dead (its process is gone)")
        # restarted at once, as systemd does (RestartSec=2): it takes the name instead of refusing for a minute
        began = time.monotonic()
        restarted = subprocess.Popen([MEIHAO, "worker", "--node-id", "sched-1"], cwd=tmp_path, env=_environment(tmp_path, {}),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        database = sqlite3.connect(tmp_path / "x.db", timeout=30)
        for _ in range(600):  # bounded: until the new process holds the name
            if database.execute("SELECT pid FROM meihao_node WHERE node_id = 'sched-1'").fetchone()[0] == restarted.pid:
                break
            assert restarted.poll() is None, restarted.stdout.read()
            time.sleep(0.05)
        assert time.monotonic() - began < 30  # the refusal lasted 60 s (node_timeout_seconds); start-up alone is seconds
        [node] = json.loads(run(tmp_path, "nodes", "--json").stdout)
        assert (node["pid"], node["alive"], node["dead"]) == (restarted.pid, True, False)
    finally:
        for process in (worker, restarted):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.communicate(timeout=60)
    output = restarted.stdout.read() if restarted.stdout and not restarted.stdout.closed else ""
    assert restarted.returncode == 0, output


def _dead_pid() -> int:
    """The pid of a process of this host that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def test_a_killed_holder_on_this_host_is_taken_over_at_once(make_meihao):
    mh = await make_meihao(node_heartbeat_seconds=50)
    killed = NodeRegistration(mh, role="scheduler")
    await killed.start()
    killed.holding = False  # it never stops cleanly: SIGKILL
    await Node.update({Node.pid: _dead_pid(), Node.last_seen: _ago(1)}).where(Node.node_id == killed.node_id)
    assert [n["alive"] for n in await list_nodes(mh)] == [False]  # never called alive: its pid is gone
    restarted = NodeRegistration(mh, role="scheduler")
    await restarted.start()  # at once, not after node_timeout_seconds
    try:
        row = await _row(restarted.node_id)
        assert (row["boot"], row["pid"], row["stopped_at"]) == (restarted.boot, os.getpid(), None)
        assert [n["alive"] for n in await list_nodes(mh)] == [True]
    finally:
        await restarted.stop()


async def test_a_live_holder_on_another_host_is_still_refused(make_meihao):
    mh = await make_meihao(node_heartbeat_seconds=50)
    other = NodeRegistration(mh, role="scheduler")
    await other.start()
    other.holding = False
    await Node.update({Node.host: "another-host", Node.pid: _dead_pid(), Node.last_seen: _ago(1)}).where(Node.node_id == other.node_id)
    with pytest.raises(ConfigurationError, match="is in use by pid"):  # its pid means nothing here
        await NodeRegistration(mh, role="scheduler").start()
