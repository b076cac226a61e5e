"""Start-up: boot to first healthy response of ``meihao serve``, against a bare Litestar app under uvicorn.

Each server is started as a subprocess on a free loopback port and ``GET /health`` is polled
until it answers 200; the time is measured from just before the process is started. The
baseline is a Litestar app with one route run by ``uvicorn.run`` — what ``meihao serve`` does
once it has loaded its plugins and built its app — started and polled the same way, in the same
run, interleaved with the meihao runs. Writes the ``startup`` section of docs/performance.md.

    .venv/bin/python bench/startup.py [--repeat 7] [--no-write]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _perfdoc import VENV_BIN, free_port, machine_facts, median, seconds, stop_process, update_section

TARGET_SECONDS = 2.0

BARE_APP = '''
import sys

import uvicorn
from litestar import Litestar, get


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[health])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="info")
'''


#: Times the steps `meihao serve` takes before uvicorn starts listening, in a fresh process.
PHASES = """
import json, time
started = time.perf_counter()
import meihao.cli
imported = time.perf_counter()
from meihao.runtime import boot
mh = boot()
booted = time.perf_counter()
from meihao.web.app import create_app
create_app(mh)
app_built = time.perf_counter()
import asyncio
from meihao.cli import _pending
asyncio.run(_pending(mh))
checked = time.perf_counter()
print(json.dumps({
    "import meihao.cli": imported - started,
    "boot(): settings, plugins, database": booted - imported,
    "create_app(): routes, OpenAPI, guards": app_built - booted,
    "pending-migrations check": checked - app_built,
}))
"""


def clean_environment(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    env["MEIHAO_DATABASE_URL"] = f"sqlite:///{database}"
    return env


def time_to_healthy(command: list[str], env: dict[str, str], cwd: Path, port: int, timeout: float = 60.0) -> float:
    """Seconds from starting ``command`` to the first 200 from GET /health on ``port``; stops the server after."""
    log = cwd / "server.log"
    with log.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        try:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}:\n{log.read_text()[-2000:]}")
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    connection.request("GET", "/health")
                    response = connection.getresponse()
                    response.read()
                    connection.close()
                    if response.status == 200:
                        return time.perf_counter() - started
                except OSError:
                    pass
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"{' '.join(command)} did not answer /health within {timeout} s")
                time.sleep(0.005)
        finally:
            stop_process(process)


def meihao(*args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run([str(VENV_BIN / "meihao"), *args], env=env, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"meihao {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each server (after one untimed warm-up)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    options = parser.parse_args()
    facts = machine_facts()

    with tempfile.TemporaryDirectory(prefix="meihao-bench-startup-") as tmp:
        work = Path(tmp)
        (work / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
        empty, demo = work / "empty", work / "demo"
        empty.mkdir()
        demo.mkdir()
        meihao("migrate", env=clean_environment(empty / "meihao.db"), cwd=empty)
        meihao("demo", "--quiet", env=clean_environment(demo / "meihao.db"), cwd=demo)
        plugins = json.loads(meihao("plugins", "--json", env=clean_environment(empty / "meihao.db"), cwd=empty))
        scenarios = sorted(p["name"] for p in plugins if p.get("scene"))
        phases: dict[str, list[float]] = {}
        for _ in range(options.repeat):
            result = subprocess.run(
                [sys.executable, "-c", PHASES], env=clean_environment(empty / "meihao.db"), cwd=empty, capture_output=True, text=True
            )
            if result.returncode != 0:
                sys.exit(f"timing the start-up steps failed:\n{result.stderr}")
            for step, value in json.loads(result.stdout.strip().splitlines()[-1]).items():
                phases.setdefault(step, []).append(value)

        servers = {
            "baseline": ("bare Litestar app, one route, `uvicorn.run` (baseline)", work, None),
            "empty": ("`meihao serve`, migrated empty SQLite file", empty, empty / "meihao.db"),
            "demo": ("`meihao serve`, SQLite with the default demo (20,000 residents) built", demo, demo / "meihao.db"),
        }
        timings: dict[str, list[float]] = {key: [] for key in servers}
        for run in range(options.repeat + 1):
            for key, (_, cwd, database) in servers.items():
                port = free_port()
                if database is None:
                    command, env = [sys.executable, str(work / "bare_app.py"), str(port)], clean_environment(work / "unused.db")
                else:
                    command, env = [str(VENV_BIN / "meihao"), "serve", "--port", str(port)], clean_environment(database)
                elapsed = time_to_healthy(command, env, cwd, port)
                if run > 0:  # the first round warms the file cache and writes .pyc files
                    timings[key].append(elapsed)
                print(f"{'warm-up' if run == 0 else f'run {run}'}: {key:8} {elapsed:.3f} s", flush=True)

    baseline = median(timings["baseline"])
    rows = []
    for key, (label, _, _) in servers.items():
        values = timings[key]
        ratio = "1.00×" if key == "baseline" else f"{median(values) / baseline:.2f}×"
        rows.append(f"| {label} | {seconds(median(values))} | {seconds(min(values))} | {seconds(max(values))} | {ratio} |")
    worst = max(median(timings["empty"]), median(timings["demo"]))
    verdict = f"under {TARGET_SECONDS:.0f} s" if worst < TARGET_SECONDS else f"NOT under {TARGET_SECONDS:.0f} s"
    body = f"""
Boot to first healthy response: from starting the process to the first `200` from
`GET /health`, on a free loopback port; median of {options.repeat} runs each, after one
untimed warm-up round, the servers taking turns. Measured by `bench/startup.py`.

Machine: {facts}.
Scenarios installed: {len(scenarios)} of 9{' (' + ', '.join(scenarios) + ')' if scenarios else ''}.

| server | median | fastest | slowest | median vs baseline |
|---|---|---|---|---|
{chr(10).join(rows)}

Where `meihao serve`'s time goes before uvicorn listens (empty database; median of
{options.repeat} fresh processes):

| step | median |
|---|---|
{chr(10).join(f"| {step} | {seconds(median(values))} |" for step, values in phases.items())}

Design target: boot to first healthy response well under {TARGET_SECONDS:.0f} s with all nine
scenarios. Here: slowest meihao median {seconds(worst)}, {verdict}{'' if len(scenarios) == 9 else f' — but with {len(scenarios)} of the nine scenarios installed, so not yet the full target'}.
"""
    print(body)
    if not options.no_write:
        update_section("startup", "Start-up", body)


if __name__ == "__main__":
    main()
