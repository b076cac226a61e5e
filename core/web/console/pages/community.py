"""Console pages: community (being built)."""

from __future__ import annotations

HANDLERS: list = []
