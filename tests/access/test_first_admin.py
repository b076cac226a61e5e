"""`meihao demo` creates the first street admin and prints the password once; it logs in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from litestar.testing import AsyncTestClient

from meihao.config import load_settings
from meihao.runtime import boot
from meihao.web.app import create_app


def _demo(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MEIHAO_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db"}
    env.pop("MEIHAO_DATA_KEY", None)
    command = [str(Path(sys.executable).with_name("meihao")), "demo", "--residents", "60", "--quiet"]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


async def test_demo_prints_the_first_admin_once_and_it_can_log_in(tmp_path):
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stderr
    found = re.search(r"username 'admin', password '([^']+)' \(shown only this once\)", first.stdout)
    assert found, first.stdout
    second = _demo(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "password" not in second.stdout

    mh = boot(load_settings(environ={"MEIHAO_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db"}))
    async with AsyncTestClient(app=create_app(mh)) as client:
        wrong = await client.post("/api/auth/login", json={"username": "admin", "password": "guess-guess"})
        right = await client.post("/api/auth/login", json={"username": "admin", "password": found.group(1)})
        me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {right.json()['token']}"})
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert me.json()["roles"] == ["street_admin"]
