"""Shared by the benchmarks: facts about the machine, timing helpers, and writing one section of docs/performance.md."""

from __future__ import annotations

import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERFORMANCE_MD = ROOT / "docs" / "performance.md"
VENV_BIN = Path(sys.executable).parent

HEADER = """# Performance

Measured numbers, written by the scripts in `bench/` (see `bench/README.md`). Each script
rewrites only its own section, between its `bench:<name>` markers; everything else in this
page is left alone. Every number is compared with a baseline measured in the same run on the
same machine, because absolute numbers depend on the machine and on what else it was doing.
"""


def machine_facts() -> str:
    """One line: CPUs (nproc), load, Python, SQLite, OS, date."""
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{now}; `nproc` {nproc}; load average {load} (1/5/15 min) at the start; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; {platform.system()} {platform.release()}"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def postgres_database(name: str, *, drop: bool = False) -> str:
    """A fresh throwaway database ``name`` on the local PostgreSQL (dropped first if left over), or with ``drop`` only
    dropped; returns its URL."""
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def median(values: list[float]) -> float:
    return statistics.median(values)


def seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def update_section(name: str, title: str, body: str) -> None:
    """Replace the ``name`` section of docs/performance.md (create the page or append the section if missing)."""
    begin, end = f"<!-- bench:{name} begin -->", f"<!-- bench:{name} end -->"
    section = f"{begin}\n## {title}\n\n{body.strip()}\n{end}"
    text = PERFORMANCE_MD.read_text(encoding="utf-8") if PERFORMANCE_MD.exists() else HEADER
    if begin in text and end in text:
        before, _, rest = text.partition(begin)
        _, _, after = rest.partition(end)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    PERFORMANCE_MD.parent.mkdir(parents=True, exist_ok=True)
    PERFORMANCE_MD.write_text(text, encoding="utf-8")
    print(f"wrote the {name!r} section of {PERFORMANCE_MD.relative_to(ROOT)}")


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 15 s; only this process, by its id."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def start_server(command: list[str], env: dict[str, str], cwd: Path, port: int, log_name: str, stack: ExitStack) -> subprocess.Popen:
    """Start a server (its output in ``cwd/log_name``), stopped when ``stack`` closes; wait until ``/health`` answers 200."""
    log = stack.enter_context((cwd / log_name).open("wb"))
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    stack.callback(stop_process, process)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited with {process.returncode}:\n{(cwd / log_name).read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:  # refused, reset, timed out, or an HTTP error status
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{command[0]} did not answer /health within 60 s")
        time.sleep(0.1)
