"""The database: engines for SQLite and PostgreSQL, the Piccolo app registry, migration helpers."""

from meihao.db import piccolo_speedups  # noqa: E402,F401  (a faster ForeignKey attribute read, for the pinned Piccolo)
