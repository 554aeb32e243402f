from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ONE = Decimal(1)


def to_decimal(value: Decimal | int | float | str) -> Decimal:
    # str() first so that 0.1 stays 0.1 instead of its binary expansion.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def rupiah(amount: Decimal) -> int:
    """Round a rupiah amount once, half up, to a whole rupiah."""
    return int(amount.quantize(ONE, rounding=ROUND_HALF_UP))


def format_idr(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
