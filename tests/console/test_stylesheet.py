"""The console's stylesheet is whole: every block it opens it closes, so no rule of a later section ends up inside a
``@media`` block of an earlier one (a merge once left ``@media print {`` open and every scene's phone layout after it
applied only to print)."""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parents[2] / "core" / "web" / "console" / "static" / "console.css"


def test_every_block_is_closed_and_at_rules_hold_only_rules():
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(encoding="utf-8"), flags=re.S)
    depth, deepest = 0, 0
    for char in text:
        if char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth -= 1
            assert depth >= 0, "a } closes nothing"
    assert depth == 0, f"{depth} block(s) left open"
    assert deepest == 2  # @media { rule { } } at most
