"""``meihao.transaction``: the one way a plugin opens a write transaction, with a lock for its rules.

A rule such as "at most two applications per resident and market day" or "one visit at a
time" is a count (or a look) followed by an insert. Two requests that run it at once both
count before either inserts, and both insert: the rule is broken. ``transaction(mh,
lock=(name, key))`` makes such requests take turns:

- on PostgreSQL it takes a transaction-level advisory lock (``pg_advisory_xact_lock``) on a
  stable 64-bit number made from ``name`` and ``key`` before the block runs; a second
  transaction asking for the same lock waits until the first commits or rolls back, and then
  counts what the first inserted. Different keys never wait for each other.
- on SQLite the transaction starts with ``BEGIN IMMEDIATE``, which takes the database's
  write lock at once: every writing transaction already runs one at a time, so the lock
  needs nothing more (see :meth:`meihao.db.database.Database.transaction`).

Opened inside another transaction, it joins it (Piccolo's nesting); the lock, when given, is
then taken at that point and held until the outer transaction ends.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from meihao.runtime import Meihao


def lock_key(name: str, key: int | str) -> int:
    """The advisory lock number of ``(name, key)``: signed 64 bits, the same in every process and release."""
    digest = hashlib.blake2b(f"{name}\x1f{key}".encode(), digest_size=8, person=b"meihao-lock").digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.asynccontextmanager
async def transaction(mh: Meihao, *, lock: tuple[str, int | str] | None = None) -> AsyncIterator[Any]:
    """A write transaction on meihao's database; with ``lock=(name, key)``, one at a time per lock.

    ``name`` says what the rule guards (``"markets.day"``, prefixed with the plugin's name),
    ``key`` which one (a market day's id, a resident's id). Queries run inside the block
    (Piccolo's ``Table.select()/insert()/update()``) take part in the transaction; an
    exception rolls it back.
    """
    if lock is not None:
        name, key = _checked(lock)
    async with mh.db.transaction() as tx:
        if lock is not None and not mh.db.is_sqlite:
            await tx.connection.execute("SELECT pg_advisory_xact_lock($1)", lock_key(name, key))
        yield tx


def _checked(lock: Any) -> tuple[str, int | str]:
    if not (isinstance(lock, tuple) and len(lock) == 2):
        raise TypeError(f"lock must be a (name, key) pair, not {lock!r}")
    name, key = lock
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"lock name must be a non-empty string, not {name!r}")
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise TypeError(f"lock key must be an int or a str, not {key!r}")
    return name, key


__all__ = ["lock_key", "transaction"]
