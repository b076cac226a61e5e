"""Console pages: me (being built)."""

from __future__ import annotations

HANDLERS: list = []
