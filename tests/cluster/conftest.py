"""The private PostgreSQL server fixture for the cluster tests."""

from tests.cluster.pg_instance import private_postgres  # noqa: F401 - a fixture, found by name
