"""Amounts of money: yuan in, fen stored, yuan out; wrong amounts name the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from meihao import InvalidInput, fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize(("given", "fen"), [("128.50", 12850), (66, 6600), (Decimal("0.01"), 1), ("0", 0), (12.5, 1250)])
def test_yuan_becomes_fen(given, fen):
    assert yuan_to_fen(given) == fen
    assert fen_to_yuan(fen) == f"{Decimal(fen) / 100:.2f}"


@pytest.mark.parametrize("given", ["12.345", "-1", "abc", "NaN", "Infinity"])
def test_wrong_amounts_name_the_field(given):
    with pytest.raises(InvalidInput) as caught:
        yuan_to_fen(given, "subsidy")
    assert caught.value.field == "subsidy"


def test_a_cap_refuses_a_likely_typo():
    assert yuan_to_fen("5000", most_yuan=5000) == 500000
    with pytest.raises(InvalidInput, match="more than 5000 yuan"):
        yuan_to_fen("50000", most_yuan=5000)
    assert fen_to_yuan(None) == "0.00"


def test_the_kernel_ceiling_keeps_amounts_inside_the_column():
    assert yuan_to_fen("100000000") == 10_000_000_000
    for given in ("100000000.01", "1E+30", 10**9):
        with pytest.raises(InvalidInput, match="^subsidy: more than 100000000 yuan$"):
            yuan_to_fen(given, "subsidy")
    with pytest.raises(InvalidInput, match="^amount: more than 5000 yuan$"):
        yuan_to_fen("1E+30", most_yuan=5000)


def test_only_the_digits_0_to_9_count():
    with pytest.raises(InvalidInput, match="^amount: write the amount with the digits 0-9$"):
        yuan_to_fen("１２８.５０")
