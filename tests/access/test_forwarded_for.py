"""X-Forwarded-For is believed only from MEIHAO_TRUSTED_PROXIES, through a real ``meihao serve``
(uvicorn on its own would believe it from 127.0.0.1, letting any local caller choose the address
the login limits count)."""

from __future__ import annotations

import http.client
import json
import os
import sqlite3
import subprocess
import time

import pytest

from meihao.testing import _TEST_DATA_KEY
from tests.cluster.local import MEIHAO, ROOT, free_port

pytestmark = pytest.mark.meihao_db("sqlite")


def _login_from(tmp_path, extra_env: dict[str, str]) -> list[str]:
    database = tmp_path / "meihao.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEIHAO_", "FORWARDED_ALLOW_IPS"))}
    env.update({"MEIHAO_DATABASE_URL": f"sqlite:///{database}", "MEIHAO_DATA_KEY": _TEST_DATA_KEY, "PYTHONPATH": str(ROOT), **extra_env})
    subprocess.run([MEIHAO, "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True, timeout=300)
    port = free_port()
    server = subprocess.Popen([MEIHAO, "serve", "--role", "web", "--port", str(port)], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):  # bounded: 30 s
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        body = json.dumps({"username": "nobody", "password": "wrong-wrong"})
        connection.request("POST", "/api/auth/login", body=body, headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"})
        assert connection.getresponse().status == 401
    finally:
        server.terminate()
        server.wait(timeout=20)
    with sqlite3.connect(database) as db:
        return [row[0] for row in db.execute("SELECT address FROM meihao_login_attempt")]


def test_forwarded_for_is_ignored_without_trusted_proxies(tmp_path):
    # uvicorn's own FORWARDED_ALLOW_IPS does not open it either
    assert _login_from(tmp_path, {"FORWARDED_ALLOW_IPS": "*"}) == ["127.0.0.1"]


def test_forwarded_for_is_believed_from_a_trusted_proxy(tmp_path):
    assert _login_from(tmp_path, {"MEIHAO_TRUSTED_PROXIES": "127.0.0.1"}) == ["203.0.113.9"]


def test_a_trusted_proxy_setting_must_be_an_address(tmp_path):
    from meihao.config import load_settings
    from meihao.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="MEIHAO_TRUSTED_PROXIES: 'proxy.local' is not an address or network"):
        load_settings(environ={"MEIHAO_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local", "MEIHAO_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
