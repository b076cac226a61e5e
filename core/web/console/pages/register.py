"""Console pages: register (being built)."""

from __future__ import annotations

HANDLERS: list = []
