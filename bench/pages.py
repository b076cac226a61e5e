"""Console pages under load: requests per second and time to first byte of the main pages, against the same data as JSON from the API, on one real `meihao serve --role web`.

A fresh SQLite file gets the default demo (``meihao demo --residents 20000``); the street
admin's password is parsed from its output. One server runs ``meihao serve --role web``; a
separate load process (asyncio + httpx, ``N`` clients, keep-alive) reads one pair at a time,
each for a fixed time after a short warm-up, with the same number of clients as
``bench/api_throughput.py``:

- **overview**: the page ``/`` against ``GET /api/communities`` plus each community's
  ``/api/communities/{slug}/dashboard`` (what the page shows, as JSON);
- **register**: the page ``/register?page=N`` against ``GET /api/residents?page_size=20&page=N``
  (a random page of the first 50);
- **calendar**: the page ``/activities`` (this month's calendar) against
  ``GET /api/communities/{slug}/activities`` for each community.

Pages are read with a console session (logged in through the login form, as a browser does);
the API with a bearer token. It records requests per second, time to first byte (p50/p95/p99)
and the page/API ratio. Writes the ``pages`` section of docs/performance.md.

    .venv/bin/python bench/pages.py [--seconds 15] [--clients 8] [--kinds overview,register,calendar] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _perfdoc import VENV_BIN, free_port, load_average, machine_facts, start_server, stop_process, update_section  # noqa: E402
from api_throughput import build_demo, read_world  # noqa: E402

WARMUP_SECONDS = 3

#: The load process: logs in (form + cookie for pages, bearer token for the API), then N clients read one
#: kind of request back to back; prints one JSON line.
LOAD = '''
import asyncio, json, random, re, sys, time

import httpx

BASE, USERNAME, PASSWORD, CLIENTS, SECONDS, WARMUP, KIND = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
SLUGS = json.loads(sys.argv[8])


def summary(values):
    values = sorted(values)
    pick = lambda p: values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]
    return {"count": len(values), "p50": pick(50), "p95": pick(95), "p99": pick(99), "max": values[-1]} if values else {}


async def page_session(http):
    login = await http.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', login.text).group(1)
    done = await http.post("/login", data={"username": USERNAME, "password": PASSWORD, "_csrf_token": token})
    assert done.status_code == 303, done.text[:500]


def requests_for(kind, rng):
    page = rng.randint(1, 50)
    return {
        # the page, then each community's scene panels (htmx asks for them once the page is there)
        "overview page": [("/", 200)] + [(f"/overview/{slug}/scenes", 200) for slug in SLUGS],
        "overview API": [("/api/communities", 200)] + [(f"/api/communities/{slug}/dashboard", 200) for slug in SLUGS],
        "register page": [(f"/register?page={page}", 200)],
        "register API": [(f"/api/residents?page_size=20&page={page}", 200)],
        "calendar page": [("/activities", 200)],
        "calendar API": [(f"/api/communities/{slug}/activities", 200) for slug in SLUGS],
    }[kind]


async def main():
    limits = httpx.Limits(max_connections=CLIENTS + 4, max_keepalive_connections=CLIENTS + 4)
    clients = []
    for _ in range(CLIENTS):
        http = httpx.AsyncClient(base_url=BASE, timeout=60, limits=limits, follow_redirects=False)
        if KIND.endswith("page"):
            await page_session(http)
        else:
            answer = await http.post("/api/auth/login", json={"username": USERNAME, "password": PASSWORD})
            answer.raise_for_status()
            http.headers["Authorization"] = "Bearer " + answer.json()["token"]
        clients.append(http)
    first_bytes, wholes, errors, measuring = [], [], {}, False

    async def run(http, seed, until):
        rng = random.Random(seed)
        while time.perf_counter() < until:
            started, first = time.perf_counter(), None
            for url, expected in requests_for(KIND, rng):
                try:
                    async with http.stream("GET", url) as answer:
                        chunks = answer.aiter_raw()
                        await chunks.__anext__()  # the first bytes of the body
                        first = first or time.perf_counter()
                        async for _ in chunks:
                            pass
                except httpx.HTTPError as err:
                    errors[type(err).__name__] = errors.get(type(err).__name__, 0) + 1
                    continue
                if answer.status_code != expected:
                    errors[str(answer.status_code)] = errors.get(str(answer.status_code), 0) + 1
            if measuring and first is not None:
                first_bytes.append(first - started)
                wholes.append(time.perf_counter() - started)

    warm = time.perf_counter() + WARMUP
    await asyncio.gather(*(run(http, seed, warm) for seed, http in enumerate(clients)))
    measuring = True
    started = time.perf_counter()
    await asyncio.gather(*(run(http, seed, started + SECONDS) for seed, http in enumerate(clients)))
    elapsed = time.perf_counter() - started
    for http in clients:
        await http.aclose()
    print(json.dumps({"seconds": elapsed, "views": len(first_bytes), "errors": errors, "first_byte": summary(first_bytes), "whole": summary(wholes)}), flush=True)


asyncio.run(main())
'''

KINDS = ("overview", "register", "calendar")


def run_kind(base: str, username: str, password: str, clients: int, seconds: int, kind: str, slugs: list[str], cwd: Path) -> dict[str, Any]:
    script = cwd / "pages_load.py"
    script.write_text(LOAD, encoding="utf-8")
    start = load_average()
    process = subprocess.Popen(
        [sys.executable, str(script), base, username, password, str(clients), str(seconds), str(WARMUP_SECONDS), kind, json.dumps(slugs)],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        out, err = process.communicate(timeout=seconds + 180)
    finally:
        stop_process(process)
    if process.returncode != 0:
        raise RuntimeError(f"the load process failed for {kind}:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["load_average"] = f"{start} → {load_average()}"
    return result


def measure(seconds: int, clients: int, residents: int, kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="meihao-bench-pages-") as tmp:
        work = Path(tmp)
        database = work / "meihao.db"
        env, username, password = build_demo(work, database, residents)
        _, slugs = read_world(database)
        results: dict[str, Any] = {}
        with ExitStack() as stack:
            port = free_port()
            start_server([str(VENV_BIN / "meihao"), "serve", "--role", "web", "--port", str(port)], env, work, port, "meihao.log", stack)
            for kind in kinds:
                for side in ("page", "API"):
                    print(f"{kind} {side}, {clients} clients, {seconds} s …", flush=True)
                    results[f"{kind} {side}"] = run_kind(
                        f"http://127.0.0.1:{port}", username, password, clients, seconds, f"{kind} {side}", slugs, work)
        return results


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f} ms"


def report(results: dict[str, Any], facts: str, seconds: int, clients: int, residents: int) -> str:
    lines = []
    for kind in (k for k in KINDS if f"{k} page" in results):
        page, api = results[f"{kind} page"], results[f"{kind} API"]
        page_rate, api_rate = page["views"] / page["seconds"], api["views"] / api["seconds"]
        for side, r, rate in (("page", page, page_rate), ("API (JSON)", api, api_rate)):
            fb, whole = r["first_byte"], r.get("whole", {})
            lines.append(
                f"| {kind} | {side} | {r['views']:,} | {rate:,.1f} | {ms(fb.get('p50'))} | {ms(fb.get('p95'))} | {ms(fb.get('p99'))} "
                f"| {ms(whole.get('p50'))} | {ms(whole.get('p95'))} | {r['errors'] or 'none'} | {r['load_average']} |"
            )
        lines.append(f"| {kind} | **page ÷ API** | | **{page_rate / api_rate:.2f}** | | | | | | | |")
    table = "\n".join(lines)
    return f"""
The console's main pages on a real `meihao serve --role web`, on a fresh SQLite file with the default
demo ({residents:,} residents), logged in as the street admin (pages with a session cookie, the API with a
bearer token), {clients} concurrent clients (a separate process, asyncio + httpx, keep-alive), each pair
for {seconds} s after {WARMUP_SECONDS} s of warm-up. A *view* is what one screen needs: the page, or the API
requests that give the same data (the overview: the page and each community's scene panels, which htmx
asks for once the page is there, against the communities and each one's dashboard; the register: one page
of 20 residents; the calendar: each community's activities). Time to first byte is of the view's first
response (what a community worker waits for before the page shows); *whole view* is until its last
response has arrived. Measured by `bench/pages.py`.

Machine: {facts}. The machine is shared: the load average includes other work.

| view | served as | views | views/s | first byte p50 | p95 | p99 | whole view p50 | p95 | errors | load average, start → end |
|---|---|---|---|---|---|---|---|---|---|---|
{table}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--kinds", default=",".join(KINDS), help="the views to measure, of: " + ", ".join(KINDS))
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    if not kinds or set(kinds) - set(KINDS):
        parser.error(f"--kinds takes some of {', '.join(KINDS)}")
    facts = machine_facts()
    results = measure(args.seconds, args.clients, args.residents, kinds)
    body = report(results, facts, args.seconds, args.clients, args.residents)
    print(body)
    if set(kinds) != set(KINDS):
        print("(only some views measured: docs/performance.md left alone)")
    elif not args.no_write:
        update_section("pages", "Console pages under load", body)


if __name__ == "__main__":
    main()
