"""The exchange's service fee: a percentage of each payment with a minimum and a cap, per
sub-centre (configuration data), split between the exchange, the sub-centre and a technology
broker by ``allocate`` (largest remainder: no minor unit lost or invented).

The fee is deducted from the seller's gross proceeds. Pure functions: no database.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from moneyed import Money

from kernel.money import allocate, from_minor, quantize, to_minor

from .errors import InvalidTerms


def percent(rate: Decimal) -> str:
    """0.025 -> "2.5" (no float, no trailing zeros)."""
    return f"{(rate * 100).normalize():f}"


@dataclass(frozen=True)
class FeeSchedule:
    """``rate`` of each payment, at least ``minimum`` and at most ``cap`` (both in one
    currency, converted to the contract's at the plan's mid rate), shared by ``shares``
    (exchange, sub-centre, broker) as integer weights. A deal without a broker gives the
    broker's weight to the exchange; one without a sub-centre gives it the sub-centre's."""

    rate: Decimal
    minimum: Money
    cap: Money
    shares: tuple[int, int, int] = (60, 30, 10)

    def __post_init__(self) -> None:
        if not isinstance(self.rate, Decimal) or not Decimal(0) <= self.rate < Decimal(1):
            raise InvalidTerms("a fee rate is a Decimal fraction in [0, 1)", field="fee.rate")
        if self.minimum.currency != self.cap.currency or self.minimum.amount > self.cap.amount:
            raise InvalidTerms("fee minimum and cap: one currency, minimum <= cap", field="fee")
        if len(self.shares) != 3 or any(s < 0 for s in self.shares) or sum(self.shares) <= 0:
            raise InvalidTerms("fee shares are three non-negative weights", field="fee.shares")


@dataclass(frozen=True)
class FeeSplit:
    """A fee and its three shares (which add up to it exactly), with the rule applied."""

    total: Money
    exchange: Money
    subcentre: Money
    broker: Money
    rule: str


def effective_shares(shares: tuple[int, int, int], *, has_subcentre: bool,
                     has_broker: bool) -> tuple[int, int, int]:
    """The weights with absent parties' weights folded into the exchange's."""
    ex, sc, br = shares
    if not has_broker:
        ex, br = ex + br, 0
    if not has_subcentre:
        ex, sc = ex + sc, 0
    return ex, sc, br


def compute_fee(gross: Money, rate: Decimal, minimum: Money, cap: Money,
                shares: tuple[int, int, int]) -> FeeSplit:
    """``rate`` x ``gross`` rounded half-even to the minor unit, raised to ``minimum`` and
    lowered to ``cap`` (both in ``gross``'s currency), never more than the gross itself;
    then split by ``shares``."""
    ccy = gross.currency.code
    if minimum.currency.code != ccy or cap.currency.code != ccy:
        raise InvalidTerms("fee minimum and cap must be in the payment's currency", field="fee")
    raw = quantize(gross.amount * rate, ccy, ROUND_HALF_EVEN)
    fee_minor = min(max(to_minor(raw), to_minor(minimum)), to_minor(cap), to_minor(gross))
    if to_minor(raw) < to_minor(minimum):
        how = f"minimum {minimum.amount} {ccy} applies"
    elif to_minor(raw) > to_minor(cap):
        how = f"capped at {cap.amount} {ccy}"
    else:
        how = f"{percent(rate)}% of {gross.amount} {ccy}"
    fee = from_minor(fee_minor, ccy)
    if fee_minor == 0:
        zero = from_minor(0, ccy)
        parts = [zero, zero, zero]
    else:
        parts = allocate(fee, list(shares))
    rule = (f"exchange service fee {percent(rate)}% (min {minimum.amount}, cap {cap.amount} "
            f"{ccy}): {how}; split exchange:sub-centre:broker {shares[0]}:{shares[1]}:{shares[2]}")
    return FeeSplit(fee, parts[0], parts[1], parts[2], rule)
