"""Quorum and majority: pure arithmetic on whole numbers (no floats), one rule per body kind (settings)."""

from __future__ import annotations

from ..schemas import parse_quorum


def quorum_met(rule: str, eligible: int, present: int) -> bool:
    """``>N/D``: present more than N/D of those entitled; ``>=N/D``: at least N/D. Nobody entitled: no quorum."""
    strict, num, den = parse_quorum(rule, "quorum")
    if eligible <= 0:
        return False
    return present * den > eligible * num if strict else present * den >= eligible * num


def carried(rule: str, present: int, ayes: int, noes: int) -> bool:
    """``present``: ayes more than half of those present (abstaining counts against); ``cast``: ayes more than noes (a tie fails)."""
    if rule == "present":
        return ayes * 2 > present
    if rule == "cast":
        return ayes > noes
    raise ValueError(f"pass rule: present or cast, got {rule!r}")
