"""Amounts of money: yuan in, fen stored, yuan out; wrong amounts name the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from meihao import InvalidInput, fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("given", "fen", "shown"),
    [("128.50", 12850, "128.50"), (66, 6600, "66.00"), (Decimal("0.01"), 1, "0.01"), ("0", 0, "0.00"), (12.5, 1250, "12.50"),
     ("0.10", 10, "0.10"), ("1000000", 100000000, "1000000.00")],
)
def test_yuan_becomes_fen(given, fen, shown):
    assert yuan_to_fen(given) == fen
    assert fen_to_yuan(fen) == shown


@pytest.mark.parametrize("given", ["12.345", "-1", "abc", "NaN", "Infinity"])
def test_wrong_amounts_name_the_field(given):
    with pytest.raises(InvalidInput) as caught:
        yuan_to_fen(given, "subsidy")
    assert caught.value.field == "subsidy"


@pytest.mark.parametrize(
    ("given", "message"),
    [("12.345", "subsidy: at most two decimals (fen)"), ("-1", "subsidy: must not be negative"), ("-0.01", "subsidy: must not be negative"),
     ("abc", "subsidy: not an amount of yuan"), ("NaN", "subsidy: not an amount of yuan")],
)
def test_wrong_amounts_say_what_is_wrong(given, message):
    with pytest.raises(InvalidInput) as caught:
        yuan_to_fen(given, "subsidy")
    assert str(caught.value) == message


def test_a_cap_refuses_a_likely_typo():
    # at the cap, one fen below, one fen above
    assert yuan_to_fen("5000", most_yuan=5000) == 500000
    assert yuan_to_fen("4999.99", most_yuan=5000) == 499999
    with pytest.raises(InvalidInput, match="more than 5000 yuan"):
        yuan_to_fen("5000.01", most_yuan=5000)
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
