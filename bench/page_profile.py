"""Console pages in process: CPU time and SQL statements per request of one page, and a profile of it.

Builds (or reuses) the default demo on a SQLite file, boots meihao in this process, logs in as a
staff member (the first street admin by default) and reads the page ``--path`` through Litestar's
in-process test client: ``--warmup`` requests, then ``--requests`` timed ones (``time.process_time``
of the process, and the statements the engine ran, counted by :func:`meihao.db.count_statements`),
then, with ``--profile``, one more batch under cProfile (the top functions by cumulative time).

    .venv/bin/python bench/page_profile.py [--path /] [--requests 30] [--database demo.db] [--staff USERNAME] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _perfdoc import VENV_BIN  # noqa: E402

from meihao.config import load_settings  # noqa: E402
from meihao.db.counting import count_statements  # noqa: E402
from meihao.runtime import boot  # noqa: E402


def ensure_demo(database: Path, residents: int) -> None:
    if database.exists():
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    env["MEIHAO_DATABASE_URL"] = f"sqlite:///{database}"
    out = subprocess.run([str(VENV_BIN / "meihao"), "demo", "--residents", str(residents), "--quiet"], env=env, cwd=database.parent,
                         capture_output=True, text=True, check=True).stdout
    (database.parent / "demo-summary.txt").write_text(out, encoding="utf-8")


async def run(options: argparse.Namespace) -> None:
    import httpx

    from meihao.access.logins import issue_token
    from meihao.access.tables import Staff
    from meihao.web.app import create_app
    from meihao.web.console.session import SESSION_COOKIE

    database = Path(options.database).resolve()
    ensure_demo(database, options.residents)
    os.chdir(database.parent)
    mh = boot(load_settings(environ={}, database_url=f"sqlite:///{database}", role="web"))  # no scheduler: only the page runs
    await mh.start()
    try:
        if options.staff:
            staff = await Staff.select(Staff.id).where(Staff.user.username == options.staff).first()
        else:
            summary = (database.parent / "demo-summary.txt").read_text(encoding="utf-8")
            username = re.search(r"First street admin: username '([^']+)'", summary).group(1)
            staff = await Staff.select(Staff.id).where(Staff.user.username == username).first()
        # The app in this thread and event loop (Litestar's test client serves it in a thread of its own, out of the profiler's sight).
        app = create_app(mh, debug=False, register_node=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            client.cookies.set(SESSION_COOKIE, await issue_token(mh, int(staff["id"])))
            for _ in range(options.warmup):
                answer = await client.get(options.path)
                assert answer.status_code == 200, (answer.status_code, answer.text[:300])
            with count_statements() as counted:
                started, wall, own = time.process_time(), time.perf_counter(), time.thread_time()
                for _ in range(options.requests):
                    answer = await client.get(options.path)
                cpu, elapsed, python = time.process_time() - started, time.perf_counter() - wall, time.thread_time() - own
            print(f"{options.path}: {cpu / options.requests * 1000:.1f} ms CPU (of which {python / options.requests * 1000:.1f} ms in the event loop's "
                  f"thread, the rest in SQLite's), {elapsed / options.requests * 1000:.1f} ms wall per request, "
                  f"{len(counted) / options.requests:.1f} statements per request ({options.requests} requests, {len(answer.content):,} bytes)")
            if options.save:
                Path(options.save).write_text(re.sub(r'(csrf_token" value=|X-CSRFToken":\s*|request-id" content=)"[^"]*"', r'\1""', answer.text), encoding="utf-8")
            if options.statements:
                for sql in counted[: len(counted) // options.requests]:
                    print("  ", " ".join(sql.split())[:240])
            if options.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(options.requests):
                    await client.get(options.path)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(options.sort).print_stats(options.top)
                print(out.getvalue())
    finally:
        await mh.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--database", default="build/page-profile/meihao.db", help="reused when it exists (built by `meihao demo` when not)")
    parser.add_argument("--staff", help="the username to log in as (default: the demo's first street admin)")
    parser.add_argument("--statements", action="store_true", help="print the SQL of one request")
    parser.add_argument("--save", help="write the last page to this file (form tokens blanked), to compare before and after")
    parser.add_argument("--profile", action="store_true", help="profile one more batch with cProfile")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=60)
    options = parser.parse_args()
    Path(options.database).resolve().parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(options))


if __name__ == "__main__":
    main()
