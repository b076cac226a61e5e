"""Helpers for plugins' migration files that Piccolo's migration manager lacks on SQLite."""

from __future__ import annotations

from typing import Any


def add_unique_index(manager: Any, table: str, columns: list[str], name: str | None = None) -> None:
    """Add a unique index over several columns to a migration.

    Piccolo's composite ``Unique`` constraint is added with ``ALTER TABLE … ADD CONSTRAINT``,
    which SQLite cannot run; a unique index means the same on SQLite and PostgreSQL.
    """
    _add_index(manager, table, columns, name or f"{table}_{'_'.join(columns)}_unique", unique=True)


def add_index(manager: Any, table: str, columns: list[str], name: str | None = None) -> None:
    """Add a (non-unique) index over several columns; Piccolo's columns only index one at a time."""
    _add_index(manager, table, columns, name or f"{table}_{'_'.join(columns)}_index", unique=False)


def _add_index(manager: Any, table: str, columns: list[str], index: str, *, unique: bool) -> None:
    column_list = ", ".join(f'"{c}"' for c in columns)
    kind = "UNIQUE INDEX" if unique else "INDEX"

    async def create() -> None:
        from piccolo.engine import engine_finder

        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(f'CREATE {kind} IF NOT EXISTS "{index}" ON "{table}" ({column_list})')

    manager.add_raw(create)
