"""Tests of meihao's processes against a PostgreSQL server that the tests themselves stop and restart."""
