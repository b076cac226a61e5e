"""Amounts of money: yuan as people write them, fen (分) as the database keeps them (integers, no rounding drift)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from meihao.errors import InvalidInput


def yuan_to_fen(amount: Decimal | int | float | str, field: str = "amount", *, most_yuan: int | None = None) -> int:
    """``"128.50"`` → ``12850``. InvalidInput naming ``field`` for a negative amount, more than two
    decimals, something that is not a number, or more than ``most_yuan``."""
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError) as err:
        raise InvalidInput(f"{field}: not an amount of yuan", field=field) from err
    fen = value * 100
    if fen != fen.to_integral_value():
        raise InvalidInput(f"{field}: at most two decimals (fen)", field=field)
    if value < 0:
        raise InvalidInput(f"{field}: must not be negative", field=field)
    if most_yuan is not None and value > most_yuan:
        raise InvalidInput(f"{field}: more than {most_yuan} yuan", field=field)
    return int(fen)


def fen_to_yuan(fen: int | None) -> str:
    """``12850`` → ``"128.50"``; None counts as nothing."""
    return f"{Decimal(fen or 0) / 100:.2f}"
