"""meihao doctor: each check finds the real problem on SQLite and PostgreSQL and says what to fix;
commands against a database that does not answer say so in one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from meihao import DoctorCheck, hookimpl
from meihao.operations.doctor import diagnose, healthy, render
from meihao.scheduling.nodes import NodeRegistration
from meihao.scheduling.tables import JobRun, Node
from meihao.testing import Factories, boot_for_tests

MEIHAO = str(Path(sys.executable).with_name("meihao"))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environ(mh, **extra: str) -> dict[str, str]:
    return {"MEIHAO_DATABASE_URL": mh.settings.database_url, "MEIHAO_DATA_KEY": mh.settings.data_key,
            "MEIHAO_ROLE": "web", **extra}


async def _diagnose(environ: dict[str, str]):
    checks = await diagnose(environ, boot=boot_for_tests)
    return {c.name: c for c in checks}, checks


async def test_a_healthy_installation_passes_every_check(meihao):
    node = NodeRegistration(meihao, role="both", port=8000)
    await node.start()
    try:
        found, checks = await _diagnose(_environ(meihao))
    finally:
        await node.stop()
    assert healthy(checks)
    # the kernel's checks, then the plugins' own (meihao_doctor, the last registered first): the WeChat and SMS channels'
    assert [c.name for c in checks] == [
        "configuration", "plugins", "database", "migrations", "data key", "calendar", "nodes", "scheduler", "wechat", "sms"]
    assert {found[n].status for n in ("database", "migrations", "nodes", "scheduler", "sms")} == {"ok"}
    assert found["sms"].summary == "not set up ([channels.sms] is missing): reminders on the sms channel fail at once, saying so"
    assert found["wechat"].summary == "not set up ([channels.wechat] is missing): reminders on the wechat channel fail at once, saying so"
    assert "[ok  ] migrations: all applied" in render(checks)
    assert found["nodes"].summary == f"alive: {node.node_id} (both)"


async def test_no_live_node_running_the_scheduler_is_a_warning_that_says_what_to_start(meihao):
    found, checks = await _diagnose(_environ(meihao))
    assert found["nodes"].status == "warning" and healthy(checks)
    assert "no node has run against this database yet" in found["nodes"].summary
    web = NodeRegistration(meihao, role="web", port=8001)
    await web.start()
    try:
        found, _ = await _diagnose(_environ(meihao))
    finally:
        await web.stop()
    assert found["nodes"].status == "warning"
    assert f"alive: {web.node_id} (web); none runs the scheduler" in found["nodes"].summary
    assert "--role scheduler" in found["nodes"].fix


async def test_a_node_that_died_without_stopping_is_named(meihao):
    scheduler = NodeRegistration(meihao, role="scheduler")
    await scheduler.start()
    dead = NodeRegistration(meihao, role="web", port=8002)
    await dead.start()
    await dead.stop()
    # the web node was killed: it never wrote its stop, and its last heartbeat is old
    await Node.update({Node.stopped_at: None, Node.last_seen: datetime.now(timezone.utc) - timedelta(minutes=5)}).where(
        Node.node_id == dead.node_id
    )
    try:
        found, _ = await _diagnose(_environ(meihao))
    finally:
        await scheduler.stop()
    assert found["nodes"].status == "warning"
    assert f"alive: {scheduler.node_id} (scheduler); stopped without saying so" in found["nodes"].summary
    assert dead.node_id in found["nodes"].summary and "logs" in found["nodes"].fix


async def test_a_wrong_setting_is_named_and_the_rest_is_skipped(meihao):
    found, checks = await _diagnose(_environ(meihao, MEIHAO_DEFAULT_PAGE_SIZE="0"))
    assert not healthy(checks)
    assert found["configuration"].status == "error" and "MEIHAO_DEFAULT_PAGE_SIZE" in found["configuration"].summary
    assert "MEIHAO_DEFAULT_PAGE_SIZE" in found["configuration"].fix
    assert {found[n].status for n in ("plugins", "database", "migrations", "scheduler")} == {"skipped"}


async def test_a_postgresql_that_does_not_answer_says_to_start_it():
    environ = {"MEIHAO_DATABASE_URL": f"postgresql://meihao:secret@127.0.0.1:{_closed_port()}/meihao",
               "MEIHAO_DATA_KEY": Fernet.generate_key().decode()}
    found, checks = await _diagnose(environ)
    assert found["database"].status == "error"
    assert "cannot reach" in found["database"].summary and "secret" not in render(checks)
    assert "start PostgreSQL" in found["database"].fix
    assert found["migrations"].status == "skipped"


async def test_pending_migrations_are_listed_with_the_command_that_applies_them(meihao_db_backend, tmp_path):
    key = Fernet.generate_key().decode()
    if meihao_db_backend.name == "sqlite":
        url = f"sqlite:///{tmp_path}/new.db"
        found, _ = await _diagnose({"MEIHAO_DATABASE_URL": url, "MEIHAO_DATA_KEY": key})
        assert found["database"].status == "error" and "meihao migrate" in found["database"].fix  # no file yet: not created by doctor
        assert not (tmp_path / "new.db").exists()
        import sqlite3

        sqlite3.connect(tmp_path / "new.db").close()
    else:
        import asyncio

        url = await asyncio.to_thread(meihao_db_backend.new_database)  # empty; dropped when the run ends
    found, checks = await _diagnose({"MEIHAO_DATABASE_URL": url, "MEIHAO_DATA_KEY": key})
    assert found["database"].status == "ok"
    assert found["migrations"].status == "error" and "pending" in found["migrations"].summary
    assert "meihao:" in found["migrations"].summary and found["migrations"].fix.startswith("run `meihao migrate`")
    assert found["scheduler"].status == "skipped" and not healthy(checks)


async def test_a_data_key_that_does_not_read_the_stored_numbers_is_an_error(meihao):
    f = Factories(meihao)
    place = await f.place("hepan")
    await f.resident(place["household_id"], birth_date=date(1960, 5, 17))
    found, checks = await _diagnose(_environ(meihao, MEIHAO_DATA_KEY=Fernet.generate_key().decode()))
    assert found["data key"].status == "error" and "every node must share one key" in found["data key"].fix
    assert not healthy(checks)
    found, _ = await _diagnose(_environ(meihao))
    assert found["data key"].status == "ok" and "reads the stored personal data" in found["data key"].summary


async def test_failed_and_stuck_job_runs_are_warnings_that_say_where_to_look(meihao):
    now = meihao.clock.now()
    await JobRun.insert(
        JobRun(schedule_id="meihao:elder_care.visits:hepan", job_id="elder_care.visits", outcome="error",
               started_at=now - timedelta(hours=1), finished_at=now - timedelta(hours=1), error="ValueError: no visitor"),
        JobRun(schedule_id="meihao:markets.open", job_id="markets.open", outcome="running", started_at=now - timedelta(hours=3)),
    )
    found, checks = await _diagnose(_environ(meihao))
    scheduler = found["scheduler"]
    assert scheduler.status == "warning" and healthy(checks)  # warnings alone do not fail
    assert "1 job run(s) failed" in scheduler.summary and "ValueError: no visitor" in scheduler.summary
    assert "1 job run(s) marked running for more than an hour" in scheduler.summary
    assert "--role scheduler" in scheduler.fix


# -- the command -----------------------------------------------------------------------


def _run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    environment.update(env)
    return subprocess.run([MEIHAO, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=60)


def test_the_command_exits_1_and_says_what_to_fix(tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/meihao"
    key = Fernet.generate_key().decode()
    result = _run(tmp_path, "doctor", MEIHAO_DATABASE_URL=url, MEIHAO_DATA_KEY=key)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "[FAIL] database: cannot reach the database" in result.stdout
    assert "fix: start PostgreSQL" in result.stdout
    as_json = _run(tmp_path, "doctor", "--json", MEIHAO_DATABASE_URL=url, MEIHAO_DATA_KEY=key)
    checks = {c["name"]: c for c in json.loads(as_json.stdout)}
    assert checks["database"]["status"] == "error" and checks["migrations"]["status"] == "skipped"
    # a broken setting, which stops every other command before it starts, still gets a report
    broken = _run(tmp_path, "doctor", MEIHAO_PORT="eighty", MEIHAO_DATABASE_URL=url, MEIHAO_DATA_KEY=key)
    assert broken.returncode == 1 and "[FAIL] configuration: MEIHAO_PORT" in broken.stdout


def test_migrate_against_a_closed_port_is_one_line_and_exit_1(tmp_path):
    url = f"postgresql://meihao:secret@127.0.0.1:{_closed_port()}/meihao"
    result = _run(tmp_path, "migrate", MEIHAO_DATABASE_URL=url, MEIHAO_DATA_KEY=Fernet.generate_key().decode())
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "Warning" not in output and "secret" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: cannot reach the database at postgresql://127.0.0.1:"), output


@pytest.mark.meihao_db("postgresql")
def test_migrate_against_a_missing_postgresql_database_is_one_line(meihao_db_backend, tmp_path):
    from meihao.testing.databases import postgres_admin_url, with_database

    url = with_database(postgres_admin_url(), "meihao_test_no_such_database")
    result = _run(tmp_path, "migrate", MEIHAO_DATABASE_URL=url, MEIHAO_DATA_KEY=Fernet.generate_key().decode())
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and 'database "meihao_test_no_such_database" does not exist' in lines[0]


class _Checked:
    """A plugin adding its own lines to doctor (meihao_doctor), one good and one warning."""

    @staticmethod
    @hookimpl
    async def meihao_doctor(meihao):
        return [DoctorCheck("lantern", "ok", "3 lanterns lit"), DoctorCheck("lantern stock", "warning", "2 left", "order more")]


class _Broken:
    @staticmethod
    @hookimpl
    def meihao_doctor(meihao):
        return "all fine"


async def test_hook_meihao_doctor(meihao):
    """Plugins add their own lines to meihao doctor; a wrong answer is one error naming the plugin."""
    found, checks = await _check_with(meihao, [("lantern", _Checked)])
    assert (found["lantern"].status, found["lantern"].summary) == ("ok", "3 lanterns lit")
    assert (found["lantern stock"].status, found["lantern stock"].fix) == ("warning", "order more")
    assert "[warn] lantern stock: 2 left" in render(checks)
    found, checks = await _check_with(meihao, [("lantern", _Broken)])
    assert found["plugin checks"].status == "error"
    assert found["plugin checks"].summary == "plugin 'lantern': meihao_doctor must return a list, got str"
    assert not healthy(checks)


async def _check_with(mh, plugins):
    checks = await diagnose(_environ(mh), boot=lambda settings: boot_for_tests(settings, plugins))
    return {c.name: c for c in checks}, checks
