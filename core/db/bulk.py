"""Chunked multi-row INSERTs on the open transaction's connection, for SQLite and PostgreSQL alike (the demo's build, the register's import)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from piccolo.columns import Column
from piccolo.table import Table

from meihao.db.database import Database

#: Bound parameters per statement: well below SQLite's limit (32766) and PostgreSQL's wire limit (32767).
MAX_PARAMETERS = 8_000


class BulkInserter:
    """Writes many rows with few statements: one ``INSERT … VALUES (…), (…) …`` per chunk.

    Runs on the connection of the transaction that is open (``async with db.transaction()``),
    so a failure rolls back everything written so far.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._statements: dict[tuple[Any, ...], str] = {}

    def rows_per_statement(self, columns: int) -> int:
        return max(1, MAX_PARAMETERS // columns)

    async def insert(
        self,
        table: type[Table],
        columns: Sequence[Column],
        rows: Sequence[Sequence[Any]],
        *,
        returning: Sequence[Column] = (),
        ignore_conflicts_on: Column | None = None,
        after_chunk: Callable[[int], None] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Insert ``rows`` (values in ``columns`` order); return the ``returning`` columns of the new rows.

        ``ignore_conflicts_on`` skips rows that would break that column's unique constraint.
        ``after_chunk`` is called with the number of rows of each chunk written.
        """
        transaction = self.db.engine.current_transaction.get()
        if transaction is None:
            raise RuntimeError("BulkInserter.insert must run inside a database transaction")
        connection = transaction.connection
        per_statement = self.rows_per_statement(len(columns))
        result: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = self._statement(table, columns, len(chunk), returning, ignore_conflicts_on)
            parameters = [value for row in chunk for value in row]
            if self.db.is_sqlite:
                cursor = await connection.execute(sql, parameters)
                fetched = await cursor.fetchall()
                await cursor.close()
                # Piccolo may have given the connection a dict row factory.
                result += [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in fetched]
            elif returning:
                result += [tuple(r) for r in await connection.fetch(sql, *parameters)]
            else:
                await connection.execute(sql, *parameters)
            if after_chunk is not None:
                after_chunk(len(chunk))
        return result

    def _statement(
        self,
        table: type[Table],
        columns: Sequence[Column],
        count: int,
        returning: Sequence[Column],
        ignore_conflicts_on: Column | None,
    ) -> str:
        key = (table, tuple(c._meta.db_column_name for c in columns), count, tuple(c._meta.db_column_name for c in returning), ignore_conflicts_on)
        sql = self._statements.get(key)
        if sql is None:
            width = len(columns)
            if self.db.is_sqlite:
                values = ", ".join(["(" + ", ".join("?" * width) + ")"] * count)
            else:
                values = ", ".join(
                    "(" + ", ".join(f"${row * width + i + 1}" for i in range(width)) + ")" for row in range(count)
                )
            names = ", ".join(_quoted(c) for c in columns)
            sql = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES {values}'
            if ignore_conflicts_on is not None:
                sql += f" ON CONFLICT ({_quoted(ignore_conflicts_on)}) DO NOTHING"
            if returning:
                sql += " RETURNING " + ", ".join(_quoted(c) for c in returning)
            self._statements[key] = sql
        return sql


def _quoted(column: Column) -> str:
    return f'"{column._meta.db_column_name}"'
