"""Money helpers over py-moneyed: minor units, exact parsing, rounding and allocation.

Money is never a float. Amounts are ``Decimal`` inside ``moneyed.Money`` and are stored as
integer minor units plus a three-letter currency code (see ``kernel.db.money_columns``).
"""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Sequence

import moneyed
from moneyed import Money

from kernel.currencies import MINOR_UNITS
from kernel.errors import InvalidInput

__all__ = [
    "Money", "minor_units", "is_currency", "check_currency", "to_minor", "from_minor",
    "parse_amount", "quantize", "allocate", "money_to_json",
]


# py-moneyed's table lags ISO 4217 (ZWG, 2024): register what it lacks so Money accepts it
for _code, _digits in MINOR_UNITS.items():
    if _code not in moneyed.CURRENCIES:
        moneyed.add_currency(_code, None, sub_unit=10**_digits, name=_code)


class CurrencyError(InvalidInput):
    """An unknown or malformed ISO 4217 currency code."""

    code = "invalid_currency"


class AmountPrecisionError(InvalidInput):
    """An amount with more decimals than its currency allows (never silently rounded)."""

    code = "amount_precision"


def is_currency(code: object) -> bool:
    return isinstance(code, str) and code in MINOR_UNITS


def check_currency(code: object, field: str = "currency") -> str:
    """Return ``code`` if it is an active ISO 4217 code, else raise ``CurrencyError``."""
    if not is_currency(code):
        raise CurrencyError(f"{code!r} is not an ISO 4217 currency code", field=field)
    return code  # type: ignore[return-value]


def minor_units(currency: str) -> int:
    """Number of decimal digits of the currency's minor unit (JPY 0, USD 2, KWD 3)."""
    return MINOR_UNITS[check_currency(currency)]


def _code(money: Money) -> str:
    return money.currency.code


def to_minor(money: Money) -> int:
    """Exact integer minor units; refuses an amount finer than the currency's minor unit."""
    digits = minor_units(_code(money))
    scaled = money.amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise AmountPrecisionError(
            f"{money.amount} has more than {digits} decimals for {_code(money)}", field="amount"
        )
    return int(scaled)


def from_minor(minor: int, currency: str) -> Money:
    digits = minor_units(currency)
    return Money(Decimal(int(minor)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)), currency)


def parse_amount(amount: object, currency: object, field: str = "amount") -> Money:
    """Parse an amount given as a string (or int / Decimal) in ``currency``.

    Floats are refused: they cannot carry an exact decimal amount. So are amounts with more
    decimals than the currency's minor unit allows, non-finite values and exponents.
    """
    ccy = check_currency(currency, field="currency")
    if isinstance(amount, bool) or isinstance(amount, float):
        raise InvalidInput("amount must be a decimal string, not a number", field=field)
    if isinstance(amount, int):
        value = Decimal(amount)
    elif isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, str):
        text = amount.strip()
        if not text or any(c not in "0123456789.-+" for c in text):
            raise InvalidInput(f"{amount!r} is not a decimal amount", field=field)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise InvalidInput(f"{amount!r} is not a decimal amount", field=field) from None
    else:
        raise InvalidInput("amount must be a decimal string", field=field)
    if not value.is_finite():
        raise InvalidInput("amount must be finite", field=field)
    digits = MINOR_UNITS[ccy]
    if value.as_tuple().exponent < -digits:  # type: ignore[operator]
        raise AmountPrecisionError(
            f"{ccy} allows at most {digits} decimals, got {value}", field=field
        )
    return Money(value.quantize(Decimal(1).scaleb(-digits)), ccy)


def quantize(amount: Decimal, currency: str, rounding: str = ROUND_HALF_EVEN) -> Money:
    """Round a computed Decimal to the currency's minor unit with an explicit rule."""
    digits = minor_units(currency)
    return Money(Decimal(amount).quantize(Decimal(1).scaleb(-digits), rounding=rounding), currency)


def allocate(money: Money, ratios: Sequence[int | Decimal]) -> list[Money]:
    """Split ``money`` by ``ratios`` without losing or inventing a minor unit.

    Largest-remainder method: each share gets the floor of its exact part, then the leftover
    minor units go one each to the shares with the largest remainders (earlier shares first on
    ties). 100.00 over (1, 1, 1) gives 33.34, 33.33, 33.33. Negative amounts split symmetrically.
    """
    if not ratios:
        raise InvalidInput("allocate needs at least one ratio", field="ratios")
    parts = [Decimal(r) for r in ratios]
    if any(p < 0 for p in parts) or sum(parts) <= 0:
        raise InvalidInput("ratios must be non-negative and not all zero", field="ratios")
    total = to_minor(money)
    sign = -1 if total < 0 else 1
    total = abs(total)
    whole = sum(parts)
    exact = [total * p / whole for p in parts]
    shares = [int(e) for e in exact]  # floor, since all are non-negative
    leftover = total - sum(shares)
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:leftover]:
        shares[i] += 1
    ccy = _code(money)
    return [from_minor(sign * s, ccy) for s in shares]


def money_to_json(money: Money) -> dict[str, str]:
    """The API's wire form: the amount as a string with exactly the currency's decimals."""
    return {"amount": str(from_minor(to_minor(money), _code(money)).amount), "currency": _code(money)}
