"""Console pages: residents (being built)."""

from __future__ import annotations

HANDLERS: list = []
