"""API throughput: requests per second and latency of simple staff reads on a real `meihao serve --role web`, against a bare Litestar app doing one SQLite query per request.

A fresh SQLite file gets the default demo (``meihao demo --residents 20000``) in a temporary
folder; the street admin's password is parsed from its output. Then, one after the other,
on free loopback ports, each started as a subprocess and polled until it answers:

- **meihao**: ``meihao serve --role web`` (the API only, no scheduler), as deployed.
- **baseline**: a bare Litestar app with one route, ``GET /api/residents/{id}``, that reads
  one resident row through raw ``aiosqlite`` on one connection kept open for the whole run,
  served by ``uvicorn.run`` with its access log on, as ``meihao serve`` does. It says what
  one request costs with no authentication, no ORM and no per-request connection.

The load is a separate process (asyncio + httpx, ``N`` clients, each logged in with its own
token for meihao) reading back to back for a fixed time after a short warm-up. Against
meihao: ``GET /api/residents?page_size=20`` (a random page of the first 50), ``GET
/api/residents/{id}`` and ``GET /api/communities/{slug}`` in turn; against the baseline, its
one route with the same resident ids. It counts requests per second and latency
percentiles; the server's CPU use comes from ``/proc``. The load average is recorded at the
start and end of each target (the machine may be shared).

``--profile`` also profiles the same three reads in-process (cProfile, Litestar's
``AsyncTestClient`` on a copy of the demo file) and prints the functions with the most
time, own and cumulative.

Writes the ``api_throughput`` section of docs/performance.md.

    .venv/bin/python bench/api_throughput.py [--seconds 20] [--clients 8] [--profile] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _perfdoc import VENV_BIN, cpu_seconds, free_port, load_average, machine_facts, start_server, stop_process, update_section  # noqa: E402

WARMUP_SECONDS = 3

#: The load generator, its own process: N clients reading back to back for a fixed time,
#: then one JSON line with what they measured. ``USERNAME`` empty: no login (the baseline).
LOAD_GENERATOR = '''
import asyncio, json, random, sys, time

import httpx

BASE, USERNAME, PASSWORD, CLIENTS, SECONDS, WARMUP = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
IDS, SLUGS = json.loads(sys.argv[7]), json.loads(sys.argv[8])


def summary(values):
    values = sorted(values)
    if not values:
        return {}
    pick = lambda p: values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]
    return {"count": len(values), "p50": pick(50), "p95": pick(95), "p99": pick(99), "max": values[-1]}


async def main():
    limits = httpx.Limits(max_connections=CLIENTS + 4, max_keepalive_connections=CLIENTS + 4)
    async with httpx.AsyncClient(base_url=BASE, timeout=60, limits=limits) as http:
        tokens = []
        for _ in range(CLIENTS):
            if USERNAME:
                answer = await http.post("/api/auth/login", json={"username": USERNAME, "password": PASSWORD})
                answer.raise_for_status()
                tokens.append(answer.json()["token"])
            else:
                tokens.append("")
        latencies = {}
        errors = {}
        measuring = False

        async def client(token, seed, until):
            rng = random.Random(seed)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            turn = seed
            while time.perf_counter() < until:
                turn += 1
                if not USERNAME or turn % 3 == 0:
                    kind, url = "resident", f"/api/residents/{rng.choice(IDS)}"
                elif turn % 3 == 1:
                    kind, url = "residents page", f"/api/residents?page_size=20&page={rng.randint(1, 50)}"
                else:
                    kind, url = "community", f"/api/communities/{rng.choice(SLUGS)}"
                started = time.perf_counter()
                try:
                    answer = await http.get(url, headers=headers)
                except httpx.HTTPError as err:
                    errors[type(err).__name__] = errors.get(type(err).__name__, 0) + 1
                    continue
                if not measuring:
                    continue
                latencies.setdefault(kind, []).append(time.perf_counter() - started)
                if answer.status_code != 200:
                    errors[str(answer.status_code)] = errors.get(str(answer.status_code), 0) + 1

        warm = time.perf_counter() + WARMUP
        await asyncio.gather(*(client(token, seed, warm) for seed, token in enumerate(tokens)))
        measuring = True
        print("measuring", file=sys.stderr, flush=True)
        started = time.perf_counter()
        await asyncio.gather(*(client(token, seed, started + SECONDS) for seed, token in enumerate(tokens)))
        elapsed = time.perf_counter() - started
    every = [v for values in latencies.values() for v in values]
    print(json.dumps({
        "seconds": elapsed, "requests": len(every), "errors": errors, "all": summary(every),
        "kinds": {kind: summary(values) for kind, values in sorted(latencies.items())},
    }), flush=True)


asyncio.run(main())
'''

#: The baseline server: one route, one query on one kept aiosqlite connection, under uvicorn.
BASELINE_APP = '''
import sqlite3, sys

import aiosqlite
import uvicorn
from litestar import Litestar, get
from litestar.exceptions import NotFoundException

DATABASE, PORT = sys.argv[1], int(sys.argv[2])
state = {}


async def open_connection():
    connection = await aiosqlite.connect(DATABASE, timeout=30, isolation_level=None)
    connection.row_factory = sqlite3.Row
    state["db"] = connection


async def close_connection():
    await state["db"].close()


@get("/api/residents/{resident_id:int}")
async def resident(resident_id: int) -> dict:
    async with state["db"].execute(
        "SELECT id, name, gender, birth_date, community, grid, household FROM meihao_resident WHERE id = ?", (resident_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise NotFoundException()
    return dict(row)


@get("/health")
async def health() -> dict:
    return {"status": "ok"}


app = Litestar([resident, health], on_startup=[open_connection], on_shutdown=[close_connection])
uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="info")
'''

#: ``--profile``: the three reads in-process under cProfile, on a copy of the demo file. The app
#: runs in this thread's event loop (httpx's ASGI transport, the app's own lifespan), so that the
#: profile sees it; what runs in aiosqlite's threads shows up only as waiting.
PROFILER = '''
import asyncio, cProfile, io, json, pstats, random, sys, time

import httpx

from meihao.access.logins import issue_token
from meihao.runtime import boot
from meihao.tables import StaffAssignment
from meihao.web.app import create_app

REQUESTS, IDS, SLUGS = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])


async def main():
    mh = boot()
    app = create_app(mh, register_node=False)
    rng = random.Random(1)
    urls = [[f"/api/residents?page_size=20&page={rng.randint(1, 50)}", f"/api/residents/{rng.choice(IDS)}",
             f"/api/communities/{rng.choice(SLUGS)}"][turn % 3] for turn in range(REQUESTS)]
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        admin = await StaffAssignment.select(StaffAssignment.staff).where(StaffAssignment.role == "street_admin").first()
        client.headers["Authorization"] = f"Bearer {await issue_token(mh, admin['staff'])}"
        for url in urls[:30]:
            (await client.get(url)).raise_for_status()
        profiler = cProfile.Profile()
        started, cpu = time.perf_counter(), time.process_time()
        profiler.enable()
        for url in urls:
            (await client.get(url)).raise_for_status()
        profiler.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(60)
    print(json.dumps({"requests": REQUESTS, "wall": wall, "cpu": cpu}))
    print(out.getvalue())


asyncio.run(main())
'''


def clean_environment(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    env["MEIHAO_DATABASE_URL"] = f"sqlite:///{database}"
    return env


def meihao(*args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run([str(VENV_BIN / "meihao"), *args], env=env, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"meihao {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def run_load(server: subprocess.Popen, base: str, username: str, password: str, clients: int, seconds: int,
             ids: list[int], slugs: list[str], cwd: Path) -> dict[str, Any]:
    script = cwd / "load_generator.py"
    script.write_text(LOAD_GENERATOR, encoding="utf-8")
    load_start = load_average()
    process = subprocess.Popen(
        [sys.executable, str(script), base, username, password, str(clients), str(seconds), str(WARMUP_SECONDS),
         json.dumps(ids), json.dumps(slugs)],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = process.stderr.readline()  # after logging in and warming up
        if line.strip() != "measuring":
            process.wait(timeout=30)
            raise RuntimeError(f"the load generator did not start:\n{line}{process.stderr.read()[-3000:]}")
        server_cpu = cpu_seconds(server.pid)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_cpu = cpu_seconds(process.pid)
        out, err = process.communicate(timeout=seconds + 120)  # reaps it: its CPU moves to RUSAGE_CHILDREN
        if process.returncode != 0:
            raise RuntimeError(f"the load generator failed:\n{err[-3000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        result["server_cpu"] = (cpu_seconds(server.pid) - server_cpu) / result["seconds"]
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["load_cpu"] = (reaped.ru_utime + reaped.ru_stime - children.ru_utime - children.ru_stime - load_cpu) / result["seconds"]
    finally:
        stop_process(process)
    result["load_average"] = f"{load_start} → {load_average()}"
    return result


def read_world(database: Path) -> tuple[list[int], list[str]]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM meihao_resident ORDER BY random() LIMIT 2000")]
        slugs = [r[0] for r in db.execute("SELECT slug FROM meihao_community ORDER BY id")]
    return ids, slugs


def profile(database: Path, env: dict[str, str], work: Path, ids: list[int], slugs: list[str], requests: int) -> str:
    copy = work / "profile.db"
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    result = subprocess.run(
        [sys.executable, "-c", PROFILER, str(requests), json.dumps(ids[:200]), json.dumps(slugs)],
        env={**clean_environment(copy), "MEIHAO_ROLE": "web"}, cwd=work, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the profiler failed:\n{result.stderr[-3000:]}")
    return result.stdout


def build_demo(work: Path, database: Path, residents: int) -> tuple[dict[str, str], str, str]:
    """``meihao demo`` on a fresh SQLite file in ``work``: the environment to run meihao on it, and the street admin's username and password."""
    env = clean_environment(database)
    summary = meihao("demo", "--residents", str(residents), "--quiet", env=env, cwd=work)
    found = re.search(r"First street admin: username '([^']+)', password '([^']+)'", summary)
    if found is None:
        raise RuntimeError(f"meihao demo printed no street admin:\n{summary[-2000:]}")
    username, password = found.groups()
    return env, username, password


def measure(seconds: int, clients: int, residents: int, with_profile: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="meihao-bench-throughput-") as tmp:
        work = Path(tmp)
        database = work / "meihao.db"
        env, username, password = build_demo(work, database, residents)
        ids, slugs = read_world(database)
        results: dict[str, Any] = {}

        print(f"meihao serve --role web, {clients} clients, {seconds} s …", flush=True)
        with ExitStack() as stack:
            port = free_port()
            server = start_server([str(VENV_BIN / "meihao"), "serve", "--role", "web", "--port", str(port)],
                                  env, work, port, "meihao.log", stack)
            results["meihao"] = run_load(server, f"http://127.0.0.1:{port}", username, password, clients, seconds, ids, slugs, work)
        print(f"baseline (bare Litestar + one kept aiosqlite connection), {clients} clients, {seconds} s …", flush=True)
        with ExitStack() as stack:
            port = free_port()
            script = work / "baseline_app.py"
            script.write_text(BASELINE_APP, encoding="utf-8")
            server = start_server([sys.executable, str(script), str(database), str(port)], env, work, port, "baseline.log", stack)
            results["baseline"] = run_load(server, f"http://127.0.0.1:{port}", "", "", clients, seconds, ids, slugs, work)
        if with_profile:
            print("profiling in-process …", flush=True)
            results["profile"] = profile(database, env, work, ids, slugs, 300)
        return results


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def rows(name: str, result: dict[str, Any]) -> str:
    rps = result["requests"] / result["seconds"]
    lines = [
        f"| {name} | all | {result['requests']:,} | **{rps:,.0f}** | {ms(result['all'].get('p50'))} | {ms(result['all'].get('p99'))} "
        f"| {result['server_cpu']:.0%} | {result['errors'] or 'none'} | {result['load_average']} |"
    ]
    if len(result["kinds"]) > 1:
        for kind, s in result["kinds"].items():
            lines.append(f"| {name} | {kind} | {s['count']:,} | {s['count'] / result['seconds']:,.0f} | {ms(s['p50'])} | {ms(s['p99'])} | | | |")
    return "\n".join(lines)


def report(results: dict[str, Any], facts: str, seconds: int, clients: int, residents: int) -> str:
    meihao_rps = results["meihao"]["requests"] / results["meihao"]["seconds"]
    baseline_rps = results["baseline"]["requests"] / results["baseline"]["seconds"]
    return f"""
Requests per second of simple staff reads on a real `meihao serve --role web` (the API only), on a
fresh SQLite file with the default demo ({residents:,} residents), logged in as the street admin:
`GET /api/residents?page_size=20` (a random page of the first 50), `GET /api/residents/{{id}}`
and `GET /api/communities/{{slug}}` in turn, by {clients} concurrent clients (a separate process,
asyncio + httpx, keep-alive), back to back for {seconds} s after {WARMUP_SECONDS} s of warm-up. Baseline, same run: a bare
Litestar app with one route, `GET /api/residents/{{id}}`, reading one resident row through raw
`aiosqlite` on one kept connection, under `uvicorn.run` with its access log on (as `meihao serve`),
the same load. Server CPU: user + system time of the server process (all threads) over the
phase, from `/proc`. Measured by `bench/api_throughput.py`.

Machine: {facts}. The machine is shared: the load average includes other work.

| server | request | count | requests/s | p50 | p99 | server CPU | errors | load average (1/5/15 min), start → end |
|---|---|---|---|---|---|---|---|---|
{rows("meihao", results["meihao"])}
{rows("baseline", results["baseline"])}

meihao serves {meihao_rps / baseline_rps:.0%} of the baseline's requests per second. The load generator used
{results["meihao"]["load_cpu"]:.0%} (against meihao) and {results["baseline"]["load_cpu"]:.0%} (against the baseline) of a CPU.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="seconds of measured load against each server")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true", help="also profile the three reads in-process (cProfile)")
    parser.add_argument("--notes", type=Path, default=None, help="a file whose text is appended to the section (before/after, profile)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    facts = machine_facts()
    results = measure(args.seconds, args.clients, args.residents, args.profile)
    body = report(results, facts, args.seconds, args.clients, args.residents)
    print(body)
    if "profile" in results:
        print(results["profile"])
    if args.notes is not None:
        body += "\n" + args.notes.read_text(encoding="utf-8")
    if not args.no_write:
        update_section("api_throughput", "API throughput (simple staff reads)", body)


if __name__ == "__main__":
    main()
