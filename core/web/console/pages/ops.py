"""Console pages: ops (being built)."""

from __future__ import annotations

HANDLERS: list = []
