"""Demo build: ``build_demo`` at 20,000 and 150,000 residents, against raw ``sqlite3`` inserts of the same rows.

For each size, meihao builds the demo sub-district's register into a fresh, migrated SQLite
file (generating households and people, encrypting and hashing ID numbers, writing
communities, grids, buildings, households, residents and tags), with the shipped profile but
no scenes switched on. The baseline, in the same run right after, copies the resident table's
DDL (same columns, same indexes) into a fresh SQLite file and writes the very resident rows
meihao wrote with one ``executemany`` in one transaction, with the same pragmas (WAL, 128 MB
page cache). Then, once per run at the smallest size, the whole default demo as ``meihao demo``
builds it: the register plus the installed scenes switched on with their demo data. Writes
the ``demo_build`` section of docs/performance.md.

    .venv/bin/python bench/demo_build.py [--sizes 20000 150000] [--repeat 3] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

from _perfdoc import machine_facts, median, seconds, update_section

from meihao.config import load_settings
from meihao.demo import build_demo, load_profile
from meihao.runtime import boot

COLUMNS = (
    "household, building, grid, community, name, gender, birth_date, id_card_cipher, id_card_hash, "
    "id_card_last4, phone, preferred_language, created_at, updated_at"
)


async def meihao_build(database: Path, residents: int, seed: int, *, scenes: bool) -> tuple[float, str]:
    """Seconds ``build_demo`` takes on a fresh migrated database (boot and migration not counted)."""
    mh = boot(load_settings(environ={}, database_url=f"sqlite:///{database}", mode="demo"))
    await mh.start()
    try:
        await mh.db.migrate()
        profile = load_profile(None)
        if not scenes:
            for community in profile.communities:
                community.scenarios = []
        started = time.perf_counter()
        summary = await build_demo(mh, profile, residents=residents, seed=seed, progress=False)
        return time.perf_counter() - started, summary
    finally:
        await mh.close()


def raw_insert(source: Path, target: Path) -> tuple[float, int]:
    """Seconds for one executemany of ``source``'s resident rows into a same-shaped table in ``target``."""
    with sqlite3.connect(source) as db:
        ddl = [sql for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'meihao_resident' AND sql IS NOT NULL")]
        rows = db.execute(f"SELECT {COLUMNS} FROM meihao_resident ORDER BY id").fetchall()
    db = sqlite3.connect(target)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA cache_size = -131072")
        for sql in ddl:
            db.execute(sql)
        placeholders = ", ".join("?" * len(COLUMNS.split(",")))
        started = time.perf_counter()
        with db:
            db.executemany(f"INSERT INTO meihao_resident ({COLUMNS}) VALUES ({placeholders})", rows)
        elapsed = time.perf_counter() - started
    finally:
        db.close()
    return elapsed, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 150_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each size")
    parser.add_argument("--seed", type=int, default=1169)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    options = parser.parse_args()
    facts = machine_facts()

    results: dict[int, dict[str, list[float]]] = {}
    whole: list[float] = []
    whole_summary = ""
    smallest = min(options.sizes)
    for size in options.sizes:
        results[size] = {"meihao": [], "raw": []}
        for run in range(1, options.repeat + 1):
            with tempfile.TemporaryDirectory(prefix="meihao-bench-demo-") as tmp:
                database = Path(tmp) / "meihao.db"
                elapsed, _ = asyncio.run(meihao_build(database, size, options.seed, scenes=False))
                raw, rows = raw_insert(database, Path(tmp) / "baseline.db")
                assert rows == size, f"meihao wrote {rows} residents, not {size}"
            results[size]["meihao"].append(elapsed)
            results[size]["raw"].append(raw)
            print(f"{size:>7} residents, run {run}: build_demo (register) {elapsed:.2f} s, raw executemany {raw:.2f} s", flush=True)
            if size == smallest:
                with tempfile.TemporaryDirectory(prefix="meihao-bench-demo-") as tmp:
                    elapsed, whole_summary = asyncio.run(meihao_build(Path(tmp) / "meihao.db", size, options.seed, scenes=True))
                whole.append(elapsed)
                print(f"{size:>7} residents, run {run}: build_demo with the installed scenes {elapsed:.2f} s", flush=True)

    rows_md = []
    for size, timing in results.items():
        build, raw = median(timing["meihao"]), median(timing["raw"])
        rows_md.append(
            f"| {size:,} | {seconds(build)} ({size / build:,.0f} residents/s) | {seconds(raw)} ({size / raw:,.0f} rows/s) | {build / raw:.1f}× |"
        )
    scenes_line = next((line.strip() for line in whole_summary.splitlines() if line.strip().startswith("scenes'")), "no scene installed")
    body = f"""
`build_demo` (what `meihao demo` runs after migrating) on a fresh SQLite file, the shipped
profile with no scene switched on: the register of the five communities — grids, buildings,
households, residents with encrypted and hashed ID numbers, tags — all generated. Baseline:
the same resident rows written by one raw `sqlite3` `executemany` in one transaction into a
table with the same columns and indexes, same pragmas (WAL, 128 MB page cache); it
generates, encrypts and writes nothing else. Median of {options.repeat} run(s) of each size,
meihao and baseline taking turns. Measured by `bench/demo_build.py`.

Machine: {facts}.

| residents | `build_demo`, register only | raw `executemany` of the resident rows | build / baseline |
|---|---|---|---|
{chr(10).join(rows_md)}

The build does more than the baseline: it also generates every person, encrypts (Fernet) and
hashes (HMAC) each ID number, and writes the communities, grids, buildings, households and
tags.

The whole default demo as `meihao demo` builds it at {smallest:,} residents — the register plus
each installed scene switched on where the profile wants it, with the scene's own demo data —
took {seconds(median(whole))} (median of {len(whole)}); the scenes' part of the last run:
{scenes_line.removeprefix("scenes' set-up and demo data: ")}. That part is the scene plugins' own
`meihao_demo_data`, not the kernel's. Summary printed by that run:

```
{whole_summary}
```
"""
    print(body)
    if not options.no_write:
        update_section("demo_build", "Demo build", body)


if __name__ == "__main__":
    main()
