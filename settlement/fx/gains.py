"""Realised FX gain or loss on a foreign-currency position, by weighted-average cost.

The trading-account method keeps each foreign currency's position apart (its amount and its
carrying cost in the reporting currency) and recognises a gain or loss only when (part of)
the position is sold or paid away. We use weighted-average cost, not FIFO: a currency is
fungible, there are no lots to identify, and it is the cost formula treasury systems and
IAS 2 / CAS 1 accept for interchangeable items. So:

- a movement *in* (``amount`` > 0) adds its amount and its reporting-currency ``value`` to
  the position;
- a movement *out* (``amount`` < 0) releases cost = carrying cost x (amount out / held),
  rounded half-even to the reporting currency's minor unit; when it empties the position it
  releases exactly the remaining cost, so no rounding residue is left behind;
- realised gain = proceeds (the outgoing movement's ``value``) - cost released (negative for
  a loss). Over a position opened and closed, the realised total equals proceeds - costs.

Selling more than is held (going short) is refused: the exchange does not run FX positions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Iterable

from kernel.money import Money, check_currency, quantize

from .errors import CurrencyMismatch, PositionError
from .rates import WIDE_CONTEXT, check_rate_value


@dataclass(frozen=True)
class FxMovement:
    """Foreign currency into (``amount`` > 0) or out of (``amount`` < 0) the position, and its
    value in the reporting currency (always positive): what was paid for it coming in, what
    was received for it going out, or its value at the day's rate (``at_rate``)."""

    on: date
    amount: Money
    value: Money

    @classmethod
    def at_rate(cls, on: date, amount: Money, rate: Decimal, reporting: str) -> "FxMovement":
        """A movement valued at ``rate`` (reporting units per one foreign unit), rounded
        half-even to the reporting currency's minor unit."""
        check_rate_value(rate)
        with localcontext(WIDE_CONTEXT):
            value = quantize(abs(amount.amount) * rate, reporting, ROUND_HALF_EVEN)
        return cls(on, amount, value)


@dataclass(frozen=True)
class Realisation:
    """One outgoing movement's result: proceeds, cost released and gain (negative: loss)."""

    on: date
    amount: Money
    proceeds: Money
    cost: Money
    gain: Money


@dataclass(frozen=True)
class PositionResult:
    """What is left (``held``, carried at ``cost``) and what was realised on the way."""

    held: Money
    cost: Money
    realisations: tuple[Realisation, ...]

    @property
    def realised(self) -> Money:
        """The sum of every realisation's gain (negative for a net loss)."""
        total = self.cost * 0
        for item in self.realisations:
            total += item.gain
        return total


def realise_fx_position(movements: Iterable[FxMovement], foreign: str,
                        reporting: str) -> PositionResult:
    """Run ``movements`` (in date order) through a weighted-average-cost position in
    ``foreign``, valued in ``reporting``, and return the realised gains and what remains.

    Raises ``CurrencyMismatch`` for a movement in other currencies and ``PositionError`` for a
    zero amount, a non-positive value, a movement out of date order or one that would take
    the position below zero.
    """
    check_currency(foreign, field="foreign")
    check_currency(reporting, field="reporting")
    held, cost = Money(0, foreign), Money(0, reporting)
    realisations: list[Realisation] = []
    last: date | None = None
    for move in movements:
        if move.amount.currency.code != foreign or move.value.currency.code != reporting:
            raise CurrencyMismatch(
                f"movement of {move.on} is {move.amount.currency.code}/"
                f"{move.value.currency.code}, position is {foreign}/{reporting}")
        if move.amount.amount == 0 or move.value.amount <= 0:
            raise PositionError(f"movement of {move.on} needs a non-zero amount and a "
                                "positive value")
        if last is not None and move.on < last:
            raise PositionError(f"movement of {move.on} is out of date order (after {last})")
        last = move.on
        if move.amount.amount > 0:
            held, cost = held + move.amount, cost + move.value
            continue
        out = -move.amount
        if out > held:
            raise PositionError(f"movement of {move.on} takes {out} out of {held} held")
        if out == held:
            released = cost
        else:
            with localcontext(WIDE_CONTEXT):
                released = quantize(cost.amount * out.amount / held.amount, reporting)
        realisations.append(Realisation(move.on, out, move.value, released,
                                        move.value - released))
        held, cost = held - out, cost - released
    return PositionResult(held, cost, tuple(realisations))
