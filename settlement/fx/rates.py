"""The FX value objects: a published ``Rate``, a ``Leg`` of a conversion path and a ``Quote``.

A rate is always "units of ``quote`` per one unit of ``base``" (the ECB's convention: EUR/USD
1.1600 means one euro buys 1.16 US dollars). Every number is a ``Decimal``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal

from kernel.money import is_currency

from .errors import InvalidRate

#: a decimal context wide enough that amount x rate products are exact before the single
#: rounding to a currency's minor unit (amounts and rates carry far fewer than 80 digits)
WIDE_CONTEXT = Context(prec=80, rounding=ROUND_HALF_EVEN)


def check_rate_value(value: object, what: str = "rate") -> Decimal:
    """Return ``value`` if it is a finite, positive ``Decimal``; else raise ``InvalidRate``."""
    if not isinstance(value, Decimal):
        raise InvalidRate(f"{what} must be a Decimal, got {type(value).__name__}", field=what)
    if not value.is_finite() or value <= 0:
        raise InvalidRate(f"{what} must be a positive finite number, got {value}", field=what)
    return value


@dataclass(frozen=True)
class Rate:
    """One published rate: ``rate`` units of ``quote`` per one ``base``, valid ``as_of`` a day.

    ``source`` names the publisher ("ECB", or whatever a rates CSV says), kept for audit.
    """

    base: str
    quote: str
    rate: Decimal
    as_of: date
    source: str

    def __post_init__(self) -> None:
        for name in ("base", "quote"):
            if not is_currency(getattr(self, name)):
                raise InvalidRate(f"{name} {getattr(self, name)!r} is not an ISO 4217 code",
                                  field=name)
        if self.base == self.quote:
            raise InvalidRate(f"a rate needs two currencies, got {self.base}/{self.quote}",
                              field="quote")
        check_rate_value(self.rate)
        # datetime is a subclass of date: refuse it so an as-of day is never a moment in time
        if not isinstance(self.as_of, date) or isinstance(self.as_of, datetime):
            raise InvalidRate("as_of must be a date", field="as_of")
        if not isinstance(self.source, str) or not self.source.strip():
            raise InvalidRate("a rate needs a source", field="source")


@dataclass(frozen=True)
class Leg:
    """One step of a conversion path: ``rate`` used as published, or its inverse."""

    rate: Rate
    inverted: bool

    @property
    def from_ccy(self) -> str:
        return self.rate.quote if self.inverted else self.rate.base

    @property
    def to_ccy(self) -> str:
        return self.rate.base if self.inverted else self.rate.quote


@dataclass(frozen=True)
class Quote:
    """A usable conversion rate from ``from_ccy`` to ``to_ccy`` and how it was obtained.

    ``rate`` is units of ``to_ccy`` per one ``from_ccy``. ``path`` lists the legs (empty when
    the two currencies are the same); ``as_of`` is the oldest leg's date, the date that
    matters for staleness. ``mid_rate`` is the rate before any spread; ``spread_bps`` and
    ``side`` record the spread ``apply_spread`` added (none by default).
    """

    from_ccy: str
    to_ccy: str
    rate: Decimal
    path: tuple[Leg, ...]
    as_of: date
    mid_rate: Decimal | None = None
    spread_bps: Decimal = Decimal(0)
    side: str | None = None
    sources: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        check_rate_value(self.rate)
        if self.mid_rate is None:
            object.__setattr__(self, "mid_rate", self.rate)
        if not self.sources:
            object.__setattr__(self, "sources", tuple(dict.fromkeys(
                leg.rate.source for leg in self.path)))

    @property
    def is_crossed(self) -> bool:
        """True when the rate was built from more than one published rate."""
        return len(self.path) > 1
