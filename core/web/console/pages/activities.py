"""Console pages: activities (being built)."""

from __future__ import annotations

HANDLERS: list = []
