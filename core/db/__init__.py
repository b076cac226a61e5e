"""The database: engines for SQLite and PostgreSQL, the Piccolo app registry, migration helpers."""
