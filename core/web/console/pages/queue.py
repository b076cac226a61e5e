"""Console pages: queue (being built)."""

from __future__ import annotations

HANDLERS: list = []
