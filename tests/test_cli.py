"""The ``meihao`` command as an operator runs it: real processes, a real SQLite file, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.commands import MEIHAO, run, run_all


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, output
    for word in words:
        assert word in lines[0], output


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A folder with a migrated x.db (and its demo key beside it) holding the community ``hepan``."""
    folder = tmp_path_factory.mktemp("cli-migrated")
    result = run(folder, "migrate")
    assert result.returncode == 0, result.stderr
    _community(folder, "hepan")
    return folder


@pytest.fixture
def workdir(migrated, tmp_path) -> Path:
    """A private copy of the migrated database, for tests that change it."""
    for name in ("x.db", "x.db.key"):
        shutil.copy(migrated / name, tmp_path / name)
    return tmp_path


def test_migrate_is_idempotent(tmp_path):
    first = run(tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    assert "applied meihao:" in first.stdout
    second = run(tmp_path, "migrate")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == f"Nothing to migrate in {tmp_path}/x.db."


def test_commands_before_migrate_say_to_run_it(tmp_path):
    commands = [("community", "enable", "hepan", "lantern"), ("community", "disable", "hepan", "lantern"), ("serve", "--port", "1")]
    for result in run_all(tmp_path, [(args, {}) for args in commands]):
        assert result.returncode == 1, result.args
        assert_one_line_error(result, "meihao migrate")


KERNEL_PLUGINS = ["meihao.access.hookimpls", "meihao.reminders.hookimpls", "meihao.scheduling.hookimpls", "meihao.workitems.hookimpls",
                  "meihao.volunteering.hookimpls"]


def test_plugins_lists_the_kernel_plugins(migrated):
    result = run(migrated, "plugins")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["name", "version", "scene", "source", "state", "communities"]
    kernel = [row.split() for row in rows if row.split()[3] == "kernel"]
    assert kernel == [[name, "0.1.0", "-", "kernel", "loaded", "-"] for name in KERNEL_PLUGINS]

    listed = json.loads(run(migrated, "plugins", "--json").stdout)
    by_name = {p["name"]: p for p in listed}
    assert by_name["meihao.access.hookimpls"] == {
        "name": "meihao.access.hookimpls", "version": "0.1.0", "source": "kernel", "essential": True, "scene": None, "state": "loaded",
        "communities": [],
    }


def _community(folder: Path, slug: str) -> None:
    """Create a community in the folder's database through the kernel's service function."""
    script = (
        "import asyncio\n"
        "from meihao.runtime import boot\n"
        "from meihao.register.communities import create_community\n"
        "from meihao.register.schemas import CommunityIn\n"
        "async def main():\n"
        "    mh = boot()\n"
        "    await mh.start()\n"
        f"    await create_community(mh, CommunityIn(slug={slug!r}, name='荷畔'))\n"
        "    await mh.close()\n"
        "asyncio.run(main())\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    environment["MEIHAO_DATABASE_URL"] = f"sqlite:///{folder}/x.db"
    subprocess.run([sys.executable, "-c", script], cwd=folder, env=environment, check=True, timeout=60)


def test_community_switch_errors_are_one_line(migrated):
    cases = [
        (("community", "enable", "nowhere", "lantern"), "community 'nowhere' not found"),
        (("community", "disable", "nowhere", "lantern"), "community 'nowhere' not found"),
        (("community", "enable", "hepan", "no_such_scene"), "'no_such_scene' is not installed"),
        (("community", "disable", "hepan", "no_such_scene"), "'no_such_scene' is not installed"),
        (("community", "enable", "hepan", "no_such_scene", "--settings", "{threshold_age: 65}"), "--settings is not valid JSON"),
        (("community", "enable", "hepan", "no_such_scene", "--settings", "[65]"), "--settings must be a JSON object"),
        (("community", "enable", "hepan", "no_such_scene", "--settings", ""), "--settings is not valid JSON"),
    ]
    for result, (_, words) in zip(run_all(migrated, [(args, {}) for args, _ in cases]), cases):
        assert_one_line_error(result, words)


def test_keygen_prints_a_key_that_production_accepts(migrated):
    result = run(migrated, "keygen")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    Fernet(key.encode())
    assert result.stdout == key + "\n"
    production = run(migrated, "plugins", MEIHAO_MODE="production", MEIHAO_DATA_KEY=key)
    assert production.returncode == 0, production.stderr
    assert "meihao.access.hookimpls" in production.stdout


def test_keygen_works_when_the_key_is_missing(tmp_path):
    result = run(tmp_path, "keygen", MEIHAO_MODE="production")
    assert result.returncode == 0, result.stderr
    Fernet(result.stdout.strip().encode())


def test_production_without_a_data_key_refuses_to_start(migrated):
    for result in run_all(migrated, [(args, {"MEIHAO_MODE": "production"}) for args in (("migrate",), ("serve",), ("jobs",))]):
        assert_one_line_error(result, "MEIHAO_DATA_KEY")


def test_plugins_reads_no_personal_data_so_needs_no_data_key(migrated):
    result = run(migrated, "plugins", MEIHAO_MODE="production")
    assert result.returncode == 0, result.stderr
    assert "meihao.access.hookimpls" in result.stdout


def test_bad_settings_are_one_line_naming_the_setting(migrated):
    cases = [
        ({"MEIHAO_PORT": "eighty"}, "MEIHAO_PORT"),
        ({"MEIHAO_PORT": "99999"}, "MEIHAO_PORT"),
        ({"MEIHAO_MODE": "staging"}, "MEIHAO_MODE"),
        ({"MEIHAO_DATA_KEY": "not-a-key"}, "MEIHAO_DATA_KEY"),
        ({"MEIHAO_DATABASE_URL": "mysql://localhost/meihao"}, "MEIHAO_DATABASE_URL"),
        ({"MEIHAO_DEFAULT_TIMEZONE": "Beijing"}, "MEIHAO_DEFAULT_TIMEZONE"),
        ({"MEIHAO_DISABLED_PLUGINS": "meihao.reminders.hookimpls"}, "meihao.reminders.hookimpls"),
    ]
    for result, (_, name) in zip(run_all(migrated, [(("plugins",), variables) for variables, _ in cases]), cases):
        assert_one_line_error(result, name)


def test_bad_meihao_toml_is_one_line(workdir):
    (workdir / "meihao.toml").write_text('port = "eighty"\n', encoding="utf-8")
    assert_one_line_error(run(workdir, "plugins"), "port in meihao.toml")


def test_unusable_database_path_is_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    result = run(tmp_path, "migrate", MEIHAO_DATABASE_URL=f"sqlite:///{tmp_path}/file/x.db")
    assert_one_line_error(result, "MEIHAO_DATABASE_URL")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_answers_health(workdir):
    # its own copy: the scheduler it starts runs the kernel's interval jobs (the work-item check) and records them
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    environment.update(MEIHAO_DATABASE_URL=f"sqlite:///{workdir}/x.db", MEIHAO_PORT=str(port))
    server = subprocess.Popen([MEIHAO, "serve"], cwd=workdir, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60  # start-up took over 20 s on two cores under a load of 50
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert response.status_code == 200
        health = response.json()
        assert health == {"status": "ok", "role": "both", "node": health["node"], "scheduler": "running"}
        assert health["node"].endswith(f"-both-{port}")  # <host>-<role>-<port>
        assert httpx.get(f"http://127.0.0.1:{port}/schema/openapi.json", timeout=5).json()["info"]["title"] == "meihao 美好"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}" in output
    assert "Traceback" not in output


def test_job_run_runs_a_job_as_the_scheduler_does_and_records_it(workdir):
    street = run(workdir, "job", "run", "meihao.forget_old_job_runs")
    assert street.returncode == 0, street.stderr
    assert street.stdout == "job meihao.forget_old_job_runs ran: success (run 1, see `meihao jobs`)\n"
    assert run(workdir, "community", "enable", "hepan", "markets").returncode == 0
    local = run(workdir, "job", "run", "markets.open_days", "--community", "hepan")
    assert local.returncode == 0, local.stderr
    assert local.stdout == "job markets.open_days ran in hepan: success (run 2, see `meihao jobs`)\n"
    listed = {row["id"]: row for row in json.loads(run(workdir, "jobs", "--json").stdout)}
    assert [r["outcome"] for r in listed["meihao:meihao.forget_old_job_runs"]["recent_runs"]] == ["success"]
    assert [r["outcome"] for r in listed["meihao:markets.open_days@hepan"]["recent_runs"]] == ["success"]


def test_job_run_refuses_a_wrong_job_or_community_in_one_line_with_status_2(migrated):
    cases = [
        (("job", "run", "no.such_job"), "job 'no.such_job' is not declared by any loaded plugin"),
        (("job", "run", "markets.open_days"), "job 'markets.open_days' runs per community: name one (--community SLUG)"),
        (("job", "run", "markets.open_days", "--community", "nowhere"), "community 'nowhere' not found"),
        (("job", "run", "markets.open_days", "--community", "hepan"), "scenario 'markets' is not enabled in community 'hepan'"),
        (("job", "run", "meihao.forget_old_job_runs", "--community", "hepan"), "runs for the whole street"),
    ]
    for result, (_, words) in zip(run_all(migrated, [(args, {}) for args, _ in cases]), cases):
        assert result.returncode == 2, (result.args, result.stderr)
        assert_one_line_error(result, words)
    listed = json.loads(run(migrated, "jobs", "--json").stdout)
    assert [row["recent_runs"] for row in listed if row["recent_runs"]] == []  # nothing ran
