"""Amounts of money: yuan as people write them, fen (分) as the database keeps them (integers, no rounding drift)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from meihao.errors import InvalidInput

#: No single amount in a community's records comes near a hundred million yuan; the ceiling also keeps
#: every amount in fen far inside the database's 64-bit integers.
MOST_YUAN = 100_000_000


def yuan_to_fen(amount: Decimal | int | float | str, field: str = "amount", *, most_yuan: int | None = None) -> int:
    """``"128.50"`` → ``12850``. InvalidInput naming ``field`` for a negative amount, more than two
    decimals, something that is not a number (digits other than 0-9 included), or more than ``most_yuan``
    (at most :data:`MOST_YUAN`)."""
    if isinstance(amount, str) and not amount.strip().isascii():
        raise InvalidInput(f"{field}: write the amount with the digits 0-9", field=field)
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
    ceiling = MOST_YUAN if most_yuan is None else min(most_yuan, MOST_YUAN)
    if value > ceiling:
        raise InvalidInput(f"{field}: more than {ceiling} yuan", field=field)
    return int(fen)


def fen_to_yuan(fen: int | None) -> str:
    """``12850`` → ``"128.50"``; None counts as nothing."""
    return f"{Decimal(fen or 0) / 100:.2f}"
