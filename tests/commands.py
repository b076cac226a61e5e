"""Running the ``meihao`` command as an operator does: real processes on a SQLite file in a folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MEIHAO = str(Path(sys.executable).with_name("meihao"))


def environment(cwd: Path, env: dict[str, str]) -> dict[str, str]:
    """The test's environment without its MEIHAO_* variables, on ``cwd/x.db``, plus ``env``."""
    values = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    values.update({"MEIHAO_DATABASE_URL": f"sqlite:///{cwd}/x.db", **env})
    return values


def run(cwd: Path, *args: str, timeout: float = 90, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEIHAO, *args], cwd=cwd, env=environment(cwd, env), capture_output=True, text=True, timeout=timeout)


def run_all(cwd: Path, runs: list[tuple[tuple[str, ...], dict[str, str]]], timeout: float = 90) -> list[subprocess.CompletedProcess[str]]:
    """Start several commands at once (start-up is most of their time); their results in the given order."""
    started = [
        (args, subprocess.Popen([MEIHAO, *args], cwd=cwd, env=environment(cwd, env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for args, env in runs
    ]
    results = []
    for args, process in started:
        stdout, stderr = process.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess([MEIHAO, *args], process.returncode, stdout, stderr))
    return results
