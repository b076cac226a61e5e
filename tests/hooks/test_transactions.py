"""meihao.transaction: the write transaction plugins open, and its lock for "at most N" / "one at a time" rules.

The concurrent attempts here are real: separate transactions on separate connections, started
together with asyncio.gather; each counts, waits a little (so that without the lock every
attempt would count before any inserts) and inserts when the rule allows.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from meihao import transaction
from meihao.db.transactions import lock_key
from meihao.tables import ResidentTag

AT_MOST = 2

#: blake2b, 8 bytes, person b"meihao-lock", of "markets.day\x1f42", read as a signed big-endian number:
#: pinned, because two releases running side by side must take the same lock for the same rule.
LOCK_MARKETS_DAY_42 = -6605392358968277294


async def _residents(mh, n: int = 1) -> list[int]:
    from meihao.testing import Factories

    factories = Factories(mh)
    place = await factories.place()
    return [(await factories.resident(place["household_id"], name=f"居民{i}"))["id"] for i in range(n)]


async def _resident(mh) -> int:
    return (await _residents(mh))[0]


async def _attempt(mh, resident_id: int, n: int, *, lock: bool) -> bool:
    """Take one of the resident's AT_MOST slots (a tag), if one is free."""
    async with transaction(mh, lock=("tests.slots", resident_id) if lock else None):
        taken = await ResidentTag.count().where(ResidentTag.resident == resident_id)
        await asyncio.sleep(0.05)
        if taken >= AT_MOST:
            return False
        await ResidentTag.insert(ResidentTag(resident=resident_id, tag=f"slot{n}"))
        return True


@pytest.mark.parametrize(("taken_before", "succeed"), [(0, 2), (1, 1), (2, 0)])
async def test_ten_concurrent_attempts_at_an_at_most_two_rule_leave_exactly_two(meihao, taken_before, succeed):
    resident_id = await _resident(meihao)
    for n in range(taken_before):
        await ResidentTag.insert(ResidentTag(resident=resident_id, tag=f"before{n}"))
    results = await asyncio.gather(*[_attempt(meihao, resident_id, n, lock=True) for n in range(10)])
    assert sum(results) == succeed
    assert await ResidentTag.count().where(ResidentTag.resident == resident_id) == 2


async def test_different_keys_do_not_wait_for_each_other(meihao):
    first, second = await _residents(meihao, 2)
    entered = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with transaction(meihao, lock=("tests.slots", first)):
            await ResidentTag.insert(ResidentTag(resident=first, tag="held"))
            entered.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await entered.wait()
    if meihao.db.is_sqlite:  # one writer at a time: the second waits whatever its key
        release.set()
        await holder
        assert await _attempt(meihao, second, 0, lock=True) is True
        return
    # On PostgreSQL another key goes ahead while the first lock is held.
    assert await asyncio.wait_for(_attempt(meihao, second, 0, lock=True), timeout=10) is True
    release.set()
    await holder
    assert await ResidentTag.count().where(ResidentTag.resident.is_in([first, second])) == 2


@pytest.mark.meihao_db("postgresql")
async def test_without_the_lock_the_rule_breaks_on_postgresql(meihao):
    """The control: the same attempts without the lock all count before any inserts."""
    resident_id = await _resident(meihao)
    results = await asyncio.gather(*[_attempt(meihao, resident_id, n, lock=False) for n in range(10)])
    assert sum(results) > AT_MOST


@pytest.mark.meihao_db("sqlite")
async def test_piccolos_deferred_transaction_fails_on_sqlite_where_meihaos_waits(meihao):
    """Why plugins must not use Piccolo's own transaction(): a deferred BEGIN reads first, then cannot write."""
    resident_id = await _resident(meihao)

    async def deferred(n: int) -> str:
        try:
            async with meihao.db.engine.transaction():  # Piccolo's default: BEGIN DEFERRED
                taken = await ResidentTag.count().where(ResidentTag.resident == resident_id)
                await asyncio.sleep(0.05)
                if taken < AT_MOST:
                    await ResidentTag.insert(ResidentTag(resident=resident_id, tag=f"deferred{n}"))
            return "ok"
        except sqlite3.OperationalError as err:
            return str(err)

    outcomes = await asyncio.gather(*[deferred(n) for n in range(5)])
    assert "database is locked" in outcomes
    await ResidentTag.delete().where(ResidentTag.resident == resident_id)
    results = await asyncio.gather(*[_attempt(meihao, resident_id, n, lock=True) for n in range(5)])
    assert sum(results) == AT_MOST


async def test_an_exception_rolls_the_block_back(meihao):
    resident_id = await _resident(meihao)
    with pytest.raises(RuntimeError):
        async with transaction(meihao, lock=("tests.slots", resident_id)):
            await ResidentTag.insert(ResidentTag(resident=resident_id, tag="gone"))
            raise RuntimeError("undo")
    assert await ResidentTag.count().where(ResidentTag.resident == resident_id) == 0


async def test_a_nested_transaction_joins_the_outer_one_and_its_lock_lasts_until_the_outer_ends(meihao):
    resident_id = await _resident(meihao)
    with pytest.raises(RuntimeError):
        async with transaction(meihao):
            await ResidentTag.insert(ResidentTag(resident=resident_id, tag="outer"))
            async with transaction(meihao, lock=("tests.slots", resident_id)):
                await ResidentTag.insert(ResidentTag(resident=resident_id, tag="inner"))
            raise RuntimeError("undo both")
    assert await ResidentTag.count().where(ResidentTag.resident == resident_id) == 0


def test_lock_numbers_are_stable_64_bit_and_depend_on_name_and_key():
    assert lock_key("markets.day", 42) == lock_key("markets.day", "42")
    assert lock_key("markets.day", 42) != lock_key("markets.day", 43)
    assert lock_key("markets.day", 42) != lock_key("culture.show", 42)
    assert -(2**63) <= lock_key("markets.day", 42) < 2**63
    assert lock_key("markets.day", 42) == LOCK_MARKETS_DAY_42


@pytest.mark.parametrize("lock", [("", 1), ("x",), "markets.day", ("markets.day", 1.5), ("markets.day", True), (None, 1)])
async def test_a_malformed_lock_is_a_type_error(meihao, lock):
    with pytest.raises(TypeError):
        async with transaction(meihao, lock=lock):
            pass
