"""Counting the SQL statements a piece of code runs (tests pin a page's count; benches report it).

Both engines (:class:`~meihao.db.sqlite.MeihaoSQLiteEngine`, :class:`~meihao.db.postgres.MeihaoPostgresEngine`)
run every statement of Piccolo's queries and of ``engine.run_querystring`` through
:meth:`StatementCounting.run_querystring`; while a :func:`count_statements` block is open, each
statement's SQL is appended to its list. Outside one, the only cost is a test of an empty list.
Statements of any thread or task of the process are counted (Litestar's test client serves
the app in a thread of its own), so a count is exact only when nothing else runs meanwhile.
DDL (``run_ddl``) and Piccolo's ``batch`` are not counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: The lists of the open :func:`count_statements` blocks.
_counting: list[list[str]] = []


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """``with count_statements() as statements:``: the SQL of each statement run in the block, in order."""
    statements: list[str] = []
    _counting.append(statements)
    try:
        yield statements
    finally:
        _counting.remove(statements)


class StatementCounting:
    """Mixed into meihao's engines ahead of Piccolo's: records the statement for the open :func:`count_statements` blocks."""

    async def run_querystring(self, querystring: Any, in_pool: bool = True) -> Any:
        if _counting:
            sql = querystring.compile_string(engine_type=self.engine_type)[0]  # type: ignore[attr-defined]
            for statements in list(_counting):
                statements.append(sql)
        return await super().run_querystring(querystring, in_pool=in_pool)  # type: ignore[misc]
