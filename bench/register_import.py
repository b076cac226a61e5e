"""Register import: 50,000 rows of a community's register (人口台账) through ``import_register``, against a raw insert of the same rows.

A CSV file of N residents (valid ID-card numbers, phones, four grids, buildings, units and rooms,
some tags) is generated once. meihao checks it (the dry run) and imports it (all or nothing, one
transaction) into a fresh migrated database holding only the community: reading the file, checking
every row, hashing and encrypting every ID-card number, creating the grids, buildings and
households, inserting residents and tags in chunks (asyncpg allows 32,767 parameters a statement).
The baseline, in the same run right after, writes the very resident rows meihao wrote (read back)
into a table of the same columns and indexes with one raw ``executemany`` (SQLite) or ``COPY``
(PostgreSQL), in one transaction. Writes the ``register_import`` section of docs/performance.md.

    .venv/bin/python bench/register_import.py [--rows 50000] [--repeat 3] [--database sqlite postgresql] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from _perfdoc import machine_facts, median, postgres_database, seconds, update_section
from cryptography.fernet import Fernet
from stdnum.cn import ric

from meihao.config import load_settings
from meihao.register.communities import create_community
from meihao.register.importing import HEADERS, import_register
from meihao.register.schemas import CommunityIn
from meihao.runtime import boot

COLUMNS = (
    "household, building, grid, community, name, gender, birth_date, id_card_cipher, id_card_hash, "
    "id_card_last4, phone, preferred_language, created_at, updated_at"
)
#: One data key for the run (PostgreSQL wants one set; the demo mode would make one per SQLite file).
DATA_KEY = Fernet.generate_key().decode()
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "秀英桂兰建国志强丽娟海燕明华玉珍德胜淑芬国庆红梅文斌"


def register_csv(rows: int, seed: int) -> bytes:
    """A register of ``rows`` residents as the template's CSV (UTF-8 with a BOM)."""
    rng = random.Random(seed)
    lines = [",".join(HEADERS)]
    for n in range(rows):
        # unique numbers: each block of 500 rows has its own 300 days of births and 500 sequence numbers
        birth = date(1935, 1, 1) + timedelta(days=n // 500 * 300 + rng.randrange(300))
        male = rng.random() < 0.5
        sequence = (n % 500) * 2 + (1 if male else 0)
        region = ("370125", "370104", "370102", "370112")[n % 4]
        body = f"{region}{birth:%Y%m%d}{sequence:03d}"
        id_card = body + ric.calc_check_digit(body + "0")
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        grid = f"第{n % 4 + 1}网格"
        building = f"{n // 4 % 60 + 1}号楼"
        unit = f"{rng.randrange(1, 4)}单元"
        room = f"{rng.randrange(1, 7)}0{rng.randrange(1, 5)}"
        phone = f"{rng.choice(('138', '139', '137', '158', '186', '135'))}{rng.randrange(10**7, 10**8)}" if rng.random() < 0.8 else ""
        tags = "elder" if birth.year < 1966 else ("volunteer" if rng.random() < 0.05 else "")
        lines.append(",".join([name, "男" if male else "女", "", id_card, phone, "", grid, building, unit, room, tags]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


async def meihao_import(url: str, data: bytes) -> tuple[float, float, int, list[tuple]]:
    """Seconds of the dry run and of the import on a fresh migrated database; the resident rows it wrote."""
    mh = boot(load_settings(environ={}, database_url=url, mode="demo", data_key=DATA_KEY))
    await mh.start()
    try:
        await mh.db.migrate()
        await create_community(mh, CommunityIn(slug="hepan", name="荷畔社区"))
        started = time.perf_counter()
        checked = await import_register(mh, "hepan", data, "register.csv", dry_run=True)
        dry = time.perf_counter() - started
        assert not checked.problems, checked.problems[:3]
        started = time.perf_counter()
        report = await import_register(mh, "hepan", data, "register.csv", dry_run=False)
        elapsed = time.perf_counter() - started
        assert report.written and not report.problems
        from meihao.register.tables import Resident

        rows = [tuple(r.values()) for r in await Resident.select(*[getattr(Resident, c.strip()) for c in COLUMNS.split(",")]).order_by(Resident.id)]
        return dry, elapsed, report.residents, rows
    finally:
        await mh.close()


def raw_sqlite(source: Path, target: Path, rows: list[tuple]) -> float:
    with sqlite3.connect(source) as db:
        ddl = [sql for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'meihao_resident' AND sql IS NOT NULL")]
    db = sqlite3.connect(target)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        for sql in ddl:
            db.execute(sql)
        placeholders = ", ".join("?" * len(COLUMNS.split(",")))
        values = [tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row) for row in rows]
        started = time.perf_counter()
        with db:
            db.executemany(f"INSERT INTO meihao_resident ({COLUMNS}) VALUES ({placeholders})", values)
        return time.perf_counter() - started
    finally:
        db.close()


async def raw_postgres(url: str, rows: list[tuple]) -> float:
    """COPY of the rows into a table made LIKE the resident table (columns, defaults, indexes; no foreign keys)."""
    import asyncpg

    db = await asyncpg.connect(url)
    try:
        await db.execute("CREATE TABLE raw_resident (LIKE meihao_resident INCLUDING DEFAULTS INCLUDING INDEXES)")
        started = time.perf_counter()
        async with db.transaction():
            await db.copy_records_to_table("raw_resident", records=rows, columns=[c.strip() for c in COLUMNS.split(",")])
        return time.perf_counter() - started
    finally:
        await db.close()


async def run_one(database: str, data: bytes, folder: Path, turn: int) -> tuple[float, float, int, float]:
    if database == "sqlite":
        source, target = folder / f"meihao-{turn}.db", folder / f"raw-{turn}.db"
        dry, elapsed, count, rows = await meihao_import(f"sqlite:///{source}", data)
        return dry, elapsed, count, raw_sqlite(source, target, rows)
    name = f"bench_register_import_{turn}"
    url = await postgres_database(name)
    try:
        dry, elapsed, count, rows = await meihao_import(url, data)
        return dry, elapsed, count, await raw_postgres(url, rows)
    finally:
        await postgres_database(name, drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1169)
    parser.add_argument("--database", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    facts = machine_facts()
    data = register_csv(args.rows, args.seed)
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for database in args.database:
            runs = []
            for turn in range(args.repeat):
                dry, elapsed, count, raw = asyncio.run(run_one(database, data, Path(tmp), turn))
                print(f"{database} run {turn + 1}: dry run {seconds(dry)}, import {seconds(elapsed)} ({count} residents), raw {seconds(raw)}")
                runs.append((dry, elapsed, raw))
            dry, elapsed, raw = (median([r[i] for r in runs]) for i in range(3))
            table.append(
                f"| {database} | {args.rows:,} | {seconds(dry)} ({args.rows / dry:,.0f} rows/s) | {seconds(elapsed)} ({args.rows / elapsed:,.0f} rows/s)"
                f" | {seconds(raw)} ({args.rows / raw:,.0f} rows/s) | {elapsed / raw:.1f}× |"
            )
    body = f"""
`import_register` (what `meihao register import`, `POST /api/communities/{{slug}}/residents/import` and the console's
import page run) on a generated register of {args.rows:,} residents as the template's CSV (four grids, 240 buildings,
units and rooms, 80% with a phone, tags), into a fresh migrated database holding only the community: the dry run
(reading, checking every row, duplicates in the file and against the register) and the import (the same checks, then
hashing and encrypting every ID-card number and writing grids, buildings, households, residents and tags in multi-row
INSERTs of at most 8,000 parameters, one transaction). Baseline: the very resident rows the import wrote, read back, inserted by one raw
`executemany` (SQLite) or `COPY` (PostgreSQL, asyncpg's `copy_records_to_table`) in one transaction into a table of
the same columns and indexes; it checks, encrypts and writes nothing else. Median of {args.repeat} run(s), meihao and
baseline taking turns. Measured by `bench/register_import.py`.

Machine: {facts}.

| database | rows | dry run | import | raw insert of the same rows | import / raw |
|---|---|---|---|---|---|
{chr(10).join(table)}

The dry run is most of the import's time: checking each row (the phone number parsed and validated by
`phonenumbers`, the ID-card number compacted and checked by `stdnum`, the birth date and gender compared) costs far
more than writing it; the import runs the same checks again before it writes, so that a file changed since its dry run
is never written unchecked.
"""
    print(body)
    if not args.no_write:
        update_section("register_import", "Register import (人口台账导入)", body)


if __name__ == "__main__":
    main()
