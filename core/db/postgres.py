"""PostgreSQL for meihao: Piccolo's engine with one connection pool per event loop."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from meihao.db.counting import StatementCounting


class MeihaoPostgresEngine(StatementCounting, PostgresEngine):
    """Piccolo's PostgreSQL engine with one connection pool per event loop, and no version check.

    An asyncpg pool belongs to the event loop that opened it, and one process may run
    several loops over the same database (Litestar's test client serves the app in a
    thread of its own; the CLI runs ``asyncio.run`` more than once). Each loop that calls
    :meth:`Database.start` gets its own pool; a loop without one connects per query.

    Piccolo connects synchronously in the constructor to read the server version and warns
    when it cannot; meihao connects in :meth:`Database.start` instead, so that booting never
    blocks on the network and an unreachable server is one clear error.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def pool(self) -> Any:
        loop = _running_loop()
        return None if loop is None else self._pools.get(loop)

    @pool.setter
    def pool(self, value: Any) -> None:
        loop = _running_loop()
        if loop is None:
            return  # Piccolo's constructor sets None before any loop runs
        if value is None:
            self._pools.pop(loop, None)
        else:
            self._pools[loop] = value

    async def check_version(self) -> None:
        return None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
