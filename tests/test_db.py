"""The database wrapper: transactions that read, then write, side by side in one process."""

from __future__ import annotations

import asyncio

import pytest

from meihao.tables import Community


@pytest.mark.meihao_db("sqlite")
async def test_transactions_that_read_then_write_wait_for_each_other_on_sqlite(meihao):
    # The API and the reminder pump share one SQLite file: each transaction reads, then writes
    # while the other holds its own. Deferred transactions fail with "database is locked" here.
    async def register(slug: str) -> None:
        async with meihao.db.transaction():
            await Community.count()
            await asyncio.sleep(0.05)  # the other one reads meanwhile
            await Community.insert(Community(slug=slug, name=slug, timezone="Asia/Shanghai"))

    await asyncio.gather(*(register(f"c{i}") for i in range(6)))
    assert sorted(r["slug"] for r in await Community.select(Community.slug)) == [f"c{i}" for i in range(6)]
