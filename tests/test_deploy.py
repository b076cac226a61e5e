"""deploy/: the example configuration explains every setting, the compose file and proxy agree,
and the local-cluster script runs several nodes against one PostgreSQL database."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest
import yaml

from meihao.config import Settings, load_settings
from meihao.testing.databases import with_database

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SETTINGS = set(Settings.__struct_fields__)


def test_the_example_configuration_explains_every_setting_and_loads():
    text = (DEPLOY / "meihao.example.toml").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s*([a-z_]+) = ", text, flags=re.MULTILINE)) & SETTINGS
    assert SETTINGS - named == set(), "settings missing from deploy/meihao.example.toml"
    for name in SETTINGS:  # each has a comment right above it (or above its group)
        lines = text.splitlines()
        index = next(i for i, line in enumerate(lines) if re.match(rf"^#?\s*{name} = ", line))
        assert any(lines[j].startswith("#") for j in range(max(0, index - 3), index)), name
    values = tomllib.loads(text)
    assert set(values) <= SETTINGS
    settings = load_settings(environ={"MEIHAO_DATA_KEY": "x" * 43 + "="}, config_file=DEPLOY / "meihao.example.toml")
    assert settings.mode == "production" and settings.role == "web" and not settings.is_sqlite


def test_compose_runs_postgresql_two_web_nodes_one_scheduler_and_a_proxy():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "migrate", "web1", "web2", "scheduler", "proxy"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    names = set()
    for node, role in (("web1", "web"), ("web2", "web"), ("scheduler", "scheduler")):
        command = services[node]["command"]
        assert command[:3] == ["serve", "--role", role] and "--port" in command
        names.add(services[node]["environment"]["MEIHAO_NODE_ID"])  # container host names are not stable
        assert services[node]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "/health" in " ".join(services[node]["healthcheck"]["test"])
    assert names == {"web1", "web2", "scheduler1"}
    assert services["migrate"]["command"] == ["migrate"]
    for service in ("migrate", "web1", "web2", "scheduler"):
        env = services[service]["environment"]
        unknown = {k for k in env if k.startswith("MEIHAO_")} - {f"MEIHAO_{s.upper()}" for s in SETTINGS}
        assert not unknown, (service, unknown)
        assert env["MEIHAO_DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["MEIHAO_DATABASE_URL"]
    proxy_conf = (DEPLOY / services["proxy"]["volumes"][0].split(":")[0]).read_text()
    assert "server web1:8000" in proxy_conf and "server web2:8000" in proxy_conf
    assert "location = /metrics { return 404; }" in proxy_conf


def test_service_units_run_the_commands_that_exist():
    from meihao.cli import cli

    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text()
        for command, role in re.findall(r"^Exec\w*=\S*meihao (\w+)(?: --role (\w+))?", text, flags=re.MULTILINE):
            assert command in cli.commands, (unit.name, command)
            assert not role or role in ("web", "scheduler", "both"), (unit.name, role)
        assert "EnvironmentFile=/etc/meihao/meihao.env" in text
    web = (DEPLOY / "systemd" / "meihao-web@.service").read_text()
    assert "serve --role web" in web and "--port %i" in web
    scheduler = (DEPLOY / "systemd" / "meihao-scheduler.service").read_text()
    assert "serve --role scheduler" in scheduler


# -- the local cluster -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, token: str | None = None, body: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST" if body is not None else "GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        request.add_header("Content-Type", "application/json")
        data = json.dumps(body).encode()
    try:
        with urllib.request.urlopen(request, data=data, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.meihao_db("postgresql")
def test_the_local_cluster_script_runs_nodes_that_share_one_database(meihao_db_backend, tmp_path):
    url = meihao_db_backend.new_database()  # empty; the script migrates it, the run drops it
    ports = [_free_port(), _free_port()]
    scheduler_port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    env.update(
        MEIHAO_CLUSTER_DATABASE_URL=url,
        MEIHAO_CLUSTER_NODES=f"web:{ports[0]} web:{ports[1]} scheduler:{scheduler_port}",
        MEIHAO_CLUSTER_DIR=str(tmp_path / "cluster"),
        MEIHAO=str(Path(sys.executable).with_name("meihao")),
    )
    script = str(DEPLOY / "local-cluster.sh")

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", script, *args], env={**env, **extra}, capture_output=True, text=True, timeout=120)

    started = run("start")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert started.stdout.count("web       http://127.0.0.1:") == 2, started.stdout
        assert f"scheduler http://127.0.0.1:{scheduler_port}" in started.stdout and f"node cluster-scheduler-{scheduler_port}" in started.stdout
        status = run("status")
        assert status.returncode == 0, status.stdout
        pids = {line.split()[0]: int(line.split()[2]) for line in status.stdout.splitlines()}
        assert set(pids) == {f"web-{ports[0]}", f"web-{ports[1]}", f"scheduler-{scheduler_port}"}

        # A staff account made with the CLI logs in on one node; its token works on the other.
        key = (tmp_path / "cluster" / "data.key").read_text().strip()
        cli_env = {**env, "MEIHAO_DATABASE_URL": url, "MEIHAO_DATA_KEY": key, "MEIHAO_MODE": "production"}
        made = subprocess.run(
            [env["MEIHAO"], "user", "create", "chief", "--name", "街道管理员", "--role", "street_admin", "--password", "correct horse battery"],
            env=cli_env, capture_output=True, text=True, timeout=60,
        )
        assert made.returncode == 0, made.stderr
        status, body = _get(ports[0], "/api/auth/login", body={"username": "chief", "password": "correct horse battery"})
        assert status in (200, 201), body
        token = json.loads(body)["token"]
        status, body = _get(ports[1], "/api/communities", token, body={"slug": "hepan", "name": "荷畔社区"})
        assert status in (200, 201), body
        status, body = _get(ports[0], "/api/communities/hepan", token)
        assert status == 200 and "荷畔社区" in body

        for port, role in ((ports[0], "web"), (ports[1], "web"), (scheduler_port, "scheduler")):
            status, text = _get(port, "/metrics")
            assert status == 200
            assert f'meihao_info{{database="postgresql",role="{role}",version=' in text
            assert re.search(r"^meihao_communities 1\.0$", text, flags=re.MULTILINE)
            assert re.search(r'^meihao_nodes_alive\{role="web"\} 2\.0$', text, flags=re.MULTILINE)
        # the scheduler node serves no API, only its health and metrics
        assert _get(scheduler_port, "/api/communities/hepan", token)[0] == 404
        status, body = _get(scheduler_port, "/health")
        assert status == 200 and json.loads(body) == {
            "status": "ok", "role": "scheduler", "node": f"cluster-scheduler-{scheduler_port}", "scheduler": "running"
        }

        doctor = subprocess.run([env["MEIHAO"], "doctor"], env=cli_env, capture_output=True, text=True, timeout=60)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert "[ok  ] migrations: all applied" in doctor.stdout
        assert "[ok  ] nodes: alive: " in doctor.stdout and f"cluster-scheduler-{scheduler_port} (scheduler)" in doctor.stdout
    finally:
        stopped = run("stop")
    assert stopped.returncode == 0 and "stopped 3 node(s)" in stopped.stdout, stopped.stdout + stopped.stderr
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    for port in (*ports, scheduler_port):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
    assert "stopped 0 node(s)" in run("stop").stdout  # stopping again is harmless


@pytest.mark.meihao_db("postgresql")
def test_the_script_says_in_one_line_when_postgresql_does_not_answer(meihao_db_backend, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    env.update(
        MEIHAO_CLUSTER_DATABASE_URL=with_database(f"postgresql://postgres@127.0.0.1:{_free_port()}/x", "x"),
        MEIHAO_CLUSTER_DIR=str(tmp_path / "cluster"),
        MEIHAO=str(Path(sys.executable).with_name("meihao")),
    )
    result = subprocess.run(["bash", str(DEPLOY / "local-cluster.sh"), "start"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "PostgreSQL does not answer" in result.stderr


def test_long_running_units_restart_a_killed_node_within_seconds():
    """A node killed with SIGKILL takes its name back at once (tests/reminders/test_restarts.py): the
    units restart it after a death by signal (on-failure counts SIGKILL, not a clean SIGTERM stop) and
    soon, well inside the 60 s node timeout that restarts used to wait out."""
    settings = {}
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        text = unit.read_text()
        settings[unit.name] = (
            re.findall(r"^Restart=(\S+)$", text, flags=re.MULTILINE),
            re.findall(r"^RestartSec=(\S+)$", text, flags=re.MULTILINE),
        )
    assert settings == {
        "meihao-migrate.service": ([], []),  # runs once (Type=oneshot)
        "meihao-scheduler.service": (["on-failure"], ["5"]),
        "meihao-web@.service": (["on-failure"], ["2"]),
    }
    compose = (DEPLOY / "compose.yaml").read_text()
    assert compose.count("restart: unless-stopped") == 3  # the nodes (through the shared block), the database, the proxy
    assert {"MEIHAO_NODE_ID: web1", "MEIHAO_NODE_ID: web2", "MEIHAO_NODE_ID: scheduler1"} <= set(map(str.strip, compose.splitlines()))
